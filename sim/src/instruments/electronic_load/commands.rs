//! The load's SCPI commands, the same headers for both families (protocols.md 4.3:
//! Rigol `:SOUR:INP:STAT`, `:SOUR:FUNC`, `:SOUR:CURR:LEV:IMM`; BK `INP`, `FUNC`,
//! `CURR`; SOURce is optional, so both spell the same tree).

use scpi::error::Result;
use scpi::tree::prelude::*;
use scpi::{cmd_both, cmd_nquery, cmd_qonly};

use super::{LoadSession, LoadSettings, Rating};
use crate::instruments::scpi_params::{next_amperes, next_volts, only_parameter, reading};

/// A setting and its query (`INP ON` / `INP?`, `CURR 25` / `CURR?`): how its one
/// parameter is read against the model's rating and where it lives in the settings.
/// Any accepted setting, even one that leaves the value as it was, takes the circuit.
pub(super) struct Setting<T> {
    parse: fn(&mut Parameters, &Rating) -> Result<T>,
    field: fn(&mut LoadSettings) -> &mut T,
}

impl<T: Copy + ResponseData> Command<LoadSession> for Setting<T> {
    cmd_both!();

    fn event(&self, dev: &mut LoadSession, _: &mut Context, mut params: Parameters) -> Result<()> {
        let value = (self.parse)(&mut params, dev.rating)?;
        *(self.field)(&mut dev.settings) = value;
        dev.took_over = true;
        Ok(())
    }

    fn query(
        &self,
        dev: &mut LoadSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(*(self.field)(&mut dev.settings)).finish()
    }
}

/// `[SOURce:]INPut[:STATe] ON|OFF` and `?`.
pub(super) const INPUT: Setting<bool> = Setting {
    parse: |params, _| only_parameter(params),
    field: |s| &mut s.input_on,
};

/// `[SOURce:]FUNCtion CURRent` and `?`. The simulated loads model constant current
/// only: `VOLTage`, `RESistance` and `POWer` are refused with -221 "Settings conflict".
pub(super) struct Function;

impl Command<LoadSession> for Function {
    cmd_both!();

    fn event(&self, dev: &mut LoadSession, _: &mut Context, mut params: Parameters) -> Result<()> {
        let scpi::parser::format::Character(mode) = only_parameter(&mut params)?;
        if scpi::parser::tokenizer::util::mnemonic_compare(b"CURRent", mode) {
            dev.took_over = true;
            Ok(())
        } else if [&b"VOLTage"[..], b"RESistance", b"POWer"]
            .iter()
            .any(|m| scpi::parser::tokenizer::util::mnemonic_compare(m, mode))
        {
            Err(ErrorCode::SettingsConflict.into())
        } else {
            Err(ErrorCode::IllegalParameterValue.into())
        }
    }

    fn query(
        &self,
        _: &mut LoadSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(scpi::parser::format::Character(b"CURR")).finish()
    }
}

/// `[SOURce:]CURRent[:LEVel][:IMMediate] <A>` and `?`: the constant-current level.
pub(super) const CURRENT_LEVEL: Setting<f64> = Setting {
    parse: |params, rating| next_amperes(params, 0.0, rating.max_current_a),
    field: |s| &mut s.current_a,
};

/// `[SOURce:]VOLTage[:LEVel][:IMMediate] <V>` and `?`: the constant-voltage level,
/// kept but unused (constant current only).
pub(super) const VOLTAGE_LEVEL: Setting<f64> = Setting {
    parse: |params, rating| next_volts(params, 0.0, rating.max_voltage_v),
    field: |s| &mut s.voltage_v,
};

/// What a `MEASure:…?` query reads.
pub(super) enum Quantity {
    Voltage,
    /// Drawn from the battery: positive while the load sinks.
    Current,
    Power,
}

/// `MEASure:VOLTage?`, `MEASure:CURRent?`, `MEASure:POWer?` (`[:DC]`).
pub(super) struct Measure(pub(super) Quantity);

impl Command<LoadSession> for Measure {
    cmd_qonly!();

    fn query(
        &self,
        dev: &mut LoadSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        let point = dev.measure();
        let drawn = -point.current_a;
        let value = match self.0 {
            Quantity::Voltage => point.voltage_v,
            Quantity::Current => drawn,
            Quantity::Power => point.voltage_v * drawn,
        };
        resp.data(reading(value)).finish()
    }
}

/// BK `SYSTem:REMote` / `SYSTem:LOCal`: front-panel lock, nothing to lock here.
pub(super) struct Remote;

impl Command<LoadSession> for Remote {
    cmd_nquery!();

    fn event(&self, _: &mut LoadSession, _: &mut Context, _: Parameters) -> Result<()> {
        Ok(())
    }
}
