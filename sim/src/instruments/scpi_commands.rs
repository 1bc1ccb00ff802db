//! Command handlers the simulated SCPI instruments share, generic over the instrument's
//! own state: a setting with its query, a measurement, and a command accepted with
//! nothing to do. Each instrument's `commands` module keeps only what is its own.

use scpi::error::Result;
use scpi::tree::prelude::*;
use scpi::{cmd_both, cmd_nquery, cmd_qonly};

use super::scpi_device::{Instrument, Session};
use super::scpi_params::reading;
use crate::circuit::OperatingPoint;

/// A setting and its query (`VOLT 56` / `VOLT?`, `INP ON` / `INP?`): how its one
/// parameter is read against the instrument (its range or its model's rating), where
/// the value lives in the instrument's state, and how the query shows it.
pub(crate) struct Setting<I, T> {
    pub(crate) parse: fn(&mut Parameters, &I) -> Result<T>,
    pub(crate) field: fn(&mut I) -> &mut T,
    pub(crate) shown: fn(T) -> T,
}

impl<I: Instrument, T: Copy + ResponseData> Command<Session<I>> for Setting<I, T> {
    cmd_both!();

    fn event(&self, dev: &mut Session<I>, _: &mut Context, mut params: Parameters) -> Result<()> {
        let value = (self.parse)(&mut params, dev)?;
        *(self.field)(dev) = value;
        dev.accepted_setting();
        Ok(())
    }

    fn query(
        &self,
        dev: &mut Session<I>,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data((self.shown)(*(self.field)(dev))).finish()
    }
}

/// An instrument that measures the circuit at its terminals.
pub(crate) trait Measuring {
    /// The operating point now, after the instrument's own protections have acted.
    fn measure(&mut self) -> OperatingPoint;
}

/// What a `MEASure:…?` query reads. Sources count current into the battery as
/// positive, loads the current they draw from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quantity {
    Voltage,
    /// Positive while charging the battery (a source/sink).
    CurrentIn,
    /// Positive while sinking from the battery (a load).
    CurrentDrawn,
    /// Voltage times the current drawn (a load).
    PowerDrawn,
}

impl Quantity {
    fn of(self, point: OperatingPoint) -> f64 {
        let drawn = -point.current_a;
        match self {
            Quantity::Voltage => point.voltage_v,
            Quantity::CurrentIn => point.current_a,
            Quantity::CurrentDrawn => drawn,
            Quantity::PowerDrawn => point.voltage_v * drawn,
        }
    }
}

/// `MEASure:VOLTage[:DC]?` and the like, at the instrument's resolution.
pub(crate) struct Measure(pub(crate) Quantity);

impl<I: Instrument + Measuring> Command<Session<I>> for Measure {
    cmd_qonly!();

    fn query(
        &self,
        dev: &mut Session<I>,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(reading(self.0.of(dev.measure()))).finish()
    }
}

/// A command the real unit needs and the virtual bench has nothing to do for: BK's
/// `SYSTem:REMote`/`SYSTem:LOCal` front-panel lock, the DAQ's `SYSTem:LOCal`.
pub(crate) struct Accepted;

impl<I: Instrument> Command<Session<I>> for Accepted {
    cmd_nquery!();

    fn event(&self, _: &mut Session<I>, _: &mut Context, _: Parameters) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_with_the_instrument_s_sign() {
        // Sinking 20 A at 50 V.
        let point = OperatingPoint {
            current_a: -20.0,
            voltage_v: 50.0,
        };
        assert_eq!(Quantity::Voltage.of(point), 50.0);
        assert_eq!(Quantity::CurrentIn.of(point), -20.0);
        assert_eq!(Quantity::CurrentDrawn.of(point), 20.0);
        assert_eq!(Quantity::PowerDrawn.of(point), 1000.0);
    }
}
