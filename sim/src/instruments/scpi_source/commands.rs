//! The generic SCPI dialect the rig's driver sends (protocols.md 4.3, Keysight/ITECH
//! column), as `scpi` command handlers.
//!
//! Ratings of the simulated unit: 0-60 V, ±120 A; protections up to 110 % of the
//! ratings, as on real two-quadrant units. A set point out of range is refused with
//! -222 "Data out of range" and changes nothing.

use scpi::error::Result;
use scpi::tree::prelude::*;
use scpi::{cmd_both, cmd_qonly};

use super::session::SourceSession;
use crate::circuit::SourceSettings;
use crate::instruments::scpi_params::{next_amperes, next_volts, only_parameter, reading};

pub(super) const RATED_VOLTAGE_V: f64 = 60.0;
pub(super) const RATED_CURRENT_A: f64 = 120.0;
pub(super) const MAX_OVP_V: f64 = 1.1 * RATED_VOLTAGE_V;
pub(super) const MAX_OCP_A: f64 = 1.1 * RATED_CURRENT_A;

/// The quantity a numeric setting is written in.
pub(super) enum Unit {
    Volt,
    Ampere,
}

/// A numeric setting and its query (`VOLT 56` / `VOLT?`): where it lives in the
/// settings, its unit and range, and the sign the instrument shows it with.
pub(super) struct Setting {
    unit: Unit,
    min: f64,
    max: f64,
    /// -1 for the sink limit, written and read as a negative number but kept as a
    /// magnitude in the settings.
    sign: f64,
    field: fn(&mut SourceSettings) -> &mut f64,
}

impl Command<SourceSession> for Setting {
    cmd_both!();

    fn event(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        mut params: Parameters,
    ) -> Result<()> {
        let value = match self.unit {
            Unit::Volt => next_volts(&mut params, self.min, self.max)?,
            Unit::Ampere => next_amperes(&mut params, self.min, self.max)?,
        };
        *(self.field)(&mut dev.settings) = self.sign * value;
        Ok(())
    }

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        let value = self.sign * *(self.field)(&mut dev.settings);
        resp.data(if value == 0.0 { 0.0 } else { value }).finish()
    }
}

/// `SOURce:VOLTage[:LEVel] <V>` and `?`.
pub(super) const SOURCE_VOLTAGE: Setting = Setting {
    unit: Unit::Volt,
    min: 0.0,
    max: RATED_VOLTAGE_V,
    sign: 1.0,
    field: |s| &mut s.voltage_v,
};

/// `SOURce:VOLTage:PROTection[:LEVel] <V>` and `?`: OVP.
pub(super) const VOLTAGE_PROTECTION: Setting = Setting {
    unit: Unit::Volt,
    min: 0.0,
    max: MAX_OVP_V,
    sign: 1.0,
    field: |s| &mut s.ovp_v,
};

/// `SOURce:CURRent:LIMit[:POSitive] <A>` and `?`: the charging (source-side) limit.
pub(super) const CURRENT_LIMIT_POSITIVE: Setting = Setting {
    unit: Unit::Ampere,
    min: 0.0,
    max: RATED_CURRENT_A,
    sign: 1.0,
    field: |s| &mut s.current_limit_pos_a,
};

/// `SOURce:CURRent:LIMit:NEGative <A>` and `?`: the discharging (sink-side) limit, a
/// negative number as on Keysight and ITECH units (protocols.md 4.3).
pub(super) const CURRENT_LIMIT_NEGATIVE: Setting = Setting {
    unit: Unit::Ampere,
    min: -RATED_CURRENT_A,
    max: 0.0,
    sign: -1.0,
    field: |s| &mut s.current_limit_neg_a,
};

/// `SOURce:CURRent:PROTection[:LEVel] <A>` and `?`: OCP, either direction.
pub(super) const CURRENT_PROTECTION: Setting = Setting {
    unit: Unit::Ampere,
    min: 0.0,
    max: MAX_OCP_A,
    sign: 1.0,
    field: |s| &mut s.ocp_a,
};

/// `OUTPut[:STATe] ON|OFF|1|0` and `?`. Switching on clears a latched OVP/OCP trip.
pub(super) struct Output;

impl Command<SourceSession> for Output {
    cmd_both!();

    fn event(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        mut params: Parameters,
    ) -> Result<()> {
        let on: bool = only_parameter(&mut params)?;
        dev.settings.output_on = on;
        if on {
            dev.settings.tripped = None;
        }
        Ok(())
    }

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        dev.measure();
        resp.data(dev.settings.output_on).finish()
    }
}

/// `MEASure:VOLTage[:DC]?`.
pub(super) struct MeasureVoltage;

impl Command<SourceSession> for MeasureVoltage {
    cmd_qonly!();

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(reading(dev.measure().voltage_v)).finish()
    }
}

/// `MEASure:CURRent[:DC]?`, positive = into the battery.
pub(super) struct MeasureCurrent;

impl Command<SourceSession> for MeasureCurrent {
    cmd_qonly!();

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(reading(dev.measure().current_a)).finish()
    }
}
