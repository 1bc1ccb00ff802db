//! The load's SCPI commands, the same headers for both families (protocols.md 4.3:
//! Rigol `:SOUR:INP:STAT`, `:SOUR:FUNC`, `:SOUR:CURR:LEV:IMM`; BK `INP`, `FUNC`,
//! `CURR`; SOURce is optional, so both spell the same tree). The measurements and BK's
//! `SYSTem:REMote`/`LOCal` are the shared `scpi_commands`.

use scpi::cmd_both;
use scpi::error::Result;
use scpi::tree::prelude::*;

use super::{Load, LoadSession};
use crate::instruments::scpi_commands::Setting;
use crate::instruments::scpi_device::Instrument;
use crate::instruments::scpi_params::{next_amperes, next_volts, only_parameter};

/// A setting of the load, read against its model's rating. Any accepted setting, even
/// one that leaves the value as it was, takes the circuit (`Load::accepted_setting`).
type LoadSetting<T> = Setting<Load, T>;

/// `[SOURce:]INPut[:STATe] ON|OFF` and `?`.
pub(super) const INPUT: LoadSetting<bool> = Setting {
    parse: |params, _| only_parameter(params),
    field: |load| &mut load.settings.input_on,
    shown: |on| on,
};

/// `[SOURce:]FUNCtion CURRent` and `?`. The simulated loads model constant current
/// only: `VOLTage`, `RESistance` and `POWer` are refused with -221 "Settings conflict".
pub(super) struct Function;

impl Command<LoadSession> for Function {
    cmd_both!();

    fn event(&self, dev: &mut LoadSession, _: &mut Context, mut params: Parameters) -> Result<()> {
        let scpi::parser::format::Character(mode) = only_parameter(&mut params)?;
        if scpi::parser::tokenizer::util::mnemonic_compare(b"CURRent", mode) {
            dev.accepted_setting();
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
pub(super) const CURRENT_LEVEL: LoadSetting<f64> = Setting {
    parse: |params, load| next_amperes(params, 0.0, load.rating.max_current_a),
    field: |load| &mut load.settings.current_a,
    shown: |amperes| amperes,
};

/// `[SOURce:]VOLTage[:LEVel][:IMMediate] <V>` and `?`: the constant-voltage level,
/// kept but unused (constant current only).
pub(super) const VOLTAGE_LEVEL: LoadSetting<f64> = Setting {
    parse: |params, load| next_volts(params, 0.0, load.rating.max_voltage_v),
    field: |load| &mut load.settings.voltage_v,
    shown: |volts| volts,
};
