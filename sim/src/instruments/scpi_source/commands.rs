//! The generic SCPI dialect the rig's driver sends (protocols.md 4.3, Keysight/ITECH
//! column), as `scpi` command handlers.
//!
//! Ratings of the simulated unit: by default 0-60 V, ±120 A, or what the twin's
//! `SimConfig::source` says; protections up to 110 % of the ratings, as on real
//! two-quadrant units. A set point out of range is refused with
//! -222 "Data out of range" and changes nothing. The measurements are the shared
//! `scpi_commands::Measure`.

use scpi::cmd_both;
use scpi::error::Result;
use scpi::tree::prelude::*;

use super::session::{SourceSession, SourceState};
use crate::instruments::scpi_commands::{Measuring, Setting};
use crate::instruments::scpi_params::{
    next_amperes, next_volts, only_parameter, without_negative_zero,
};

/// How far above its ratings the unit's protections may be set.
pub(super) const PROTECTION_HEADROOM: f64 = 1.1;

/// A numeric setting of the source/sink, in volts or amperes.
type SourceSetting = Setting<SourceState, f64>;

/// `SOURce:VOLTage[:LEVel] <V>` and `?`.
pub(super) const SOURCE_VOLTAGE: SourceSetting = Setting {
    parse: |params, s| next_volts(params, 0.0, s.rating.max_voltage_v),
    field: |s| &mut s.settings.voltage_v,
    shown: without_negative_zero,
};

/// `SOURce:VOLTage:PROTection[:LEVel] <V>` and `?`: OVP.
pub(super) const VOLTAGE_PROTECTION: SourceSetting = Setting {
    parse: |params, s| next_volts(params, 0.0, PROTECTION_HEADROOM * s.rating.max_voltage_v),
    field: |s| &mut s.settings.ovp_v,
    shown: without_negative_zero,
};

/// `SOURce:CURRent:LIMit[:POSitive] <A>` and `?`: the charging (source-side) limit.
pub(super) const CURRENT_LIMIT_POSITIVE: SourceSetting = Setting {
    parse: |params, s| next_amperes(params, 0.0, s.rating.max_current_a),
    field: |s| &mut s.settings.current_limit_pos_a,
    shown: without_negative_zero,
};

/// `SOURce:CURRent:LIMit:NEGative <A>` and `?`: the discharging (sink-side) limit, a
/// negative number as on Keysight and ITECH units (protocols.md 4.3), kept as a
/// magnitude in the settings.
pub(super) const CURRENT_LIMIT_NEGATIVE: SourceSetting = Setting {
    parse: |params, s| next_amperes(params, -s.rating.max_current_a, 0.0).map(|a| -a),
    field: |s| &mut s.settings.current_limit_neg_a,
    shown: |a| without_negative_zero(-a),
};

/// `SOURce:CURRent:PROTection[:LEVel] <A>` and `?`: OCP, either direction.
pub(super) const CURRENT_PROTECTION: SourceSetting = Setting {
    parse: |params, s| next_amperes(params, 0.0, PROTECTION_HEADROOM * s.rating.max_current_a),
    field: |s| &mut s.settings.ocp_a,
    shown: without_negative_zero,
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
