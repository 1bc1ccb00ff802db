//! The generic SCPI dialect the rig's driver sends (protocols.md 4.3, Keysight/ITECH
//! column), as `scpi` command handlers.
//!
//! Ratings of the simulated unit: 0-60 V, ±120 A; protections up to 110 % of the
//! ratings, as on real two-quadrant units. A set point out of range is refused with
//! -222 "Data out of range" and changes nothing.

use scpi::error::Result;
use scpi::tree::prelude::*;
use scpi::units::uom::si::electric_current::ampere;
use scpi::units::uom::si::electric_potential::volt;
use scpi::units::uom::si::f64::{ElectricCurrent, ElectricPotential};
use scpi::{cmd_both, cmd_qonly};
use scpi_contrib::scpi1999::NumericValue;

use super::session::SourceSession;

pub(super) const RATED_VOLTAGE_V: f64 = 60.0;
pub(super) const RATED_CURRENT_A: f64 = 120.0;
pub(super) const MAX_OVP_V: f64 = 1.1 * RATED_VOLTAGE_V;
pub(super) const MAX_OCP_A: f64 = 1.1 * RATED_CURRENT_A;

/// Programming and measurement resolution: 1 mV, 1 mA.
const RESOLUTION: f64 = 1000.0;

/// The command's one parameter; a second one fails the whole command with -108
/// "Parameter not allowed" before anything changes.
fn only_parameter<'a, T>(params: &mut Parameters<'a, '_>) -> Result<T>
where
    T: TryFrom<Token<'a>, Error = Error>,
{
    let value = params.next_data()?;
    match params.next_optional_token()? {
        Some(_) => Err(ErrorCode::ParameterNotAllowed.into()),
        None => Ok(value),
    }
}

fn next_volts(params: &mut Parameters, min: f64, max: f64) -> Result<f64> {
    let value: NumericValue<ElectricPotential> = only_parameter(params)?;
    let value = value
        .build()
        .min(ElectricPotential::new::<volt>(min))
        .max(ElectricPotential::new::<volt>(max))
        .finish()?;
    Ok(reading(value.get::<volt>()))
}

fn next_amperes(params: &mut Parameters, min: f64, max: f64) -> Result<f64> {
    let value: NumericValue<ElectricCurrent> = only_parameter(params)?;
    let value = value
        .build()
        .min(ElectricCurrent::new::<ampere>(min))
        .max(ElectricCurrent::new::<ampere>(max))
        .finish()?;
    Ok(reading(value.get::<ampere>()))
}

/// A value at the instrument's resolution, without a negative zero.
fn reading(value: f64) -> f64 {
    let rounded = (value * RESOLUTION).round() / RESOLUTION;
    if rounded == 0.0 { 0.0 } else { rounded }
}

/// `SOURce:VOLTage[:LEVel] <V>` and `?`.
pub(super) struct SourceVoltage;

impl Command<SourceSession> for SourceVoltage {
    cmd_both!();

    fn event(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        mut params: Parameters,
    ) -> Result<()> {
        dev.settings.voltage_v = next_volts(&mut params, 0.0, RATED_VOLTAGE_V)?;
        Ok(())
    }

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(dev.settings.voltage_v).finish()
    }
}

/// `SOURce:VOLTage:PROTection[:LEVel] <V>` and `?`: OVP.
pub(super) struct VoltageProtection;

impl Command<SourceSession> for VoltageProtection {
    cmd_both!();

    fn event(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        mut params: Parameters,
    ) -> Result<()> {
        dev.settings.ovp_v = next_volts(&mut params, 0.0, MAX_OVP_V)?;
        Ok(())
    }

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(dev.settings.ovp_v).finish()
    }
}

/// `SOURce:CURRent:LIMit[:POSitive] <A>` and `?`: the charging (source-side) limit.
pub(super) struct CurrentLimitPositive;

impl Command<SourceSession> for CurrentLimitPositive {
    cmd_both!();

    fn event(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        mut params: Parameters,
    ) -> Result<()> {
        dev.settings.current_limit_pos_a = next_amperes(&mut params, 0.0, RATED_CURRENT_A)?;
        Ok(())
    }

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(dev.settings.current_limit_pos_a).finish()
    }
}

/// `SOURce:CURRent:LIMit:NEGative <A>` and `?`: the discharging (sink-side) limit, a
/// negative number as on Keysight and ITECH units (protocols.md 4.3).
pub(super) struct CurrentLimitNegative;

impl Command<SourceSession> for CurrentLimitNegative {
    cmd_both!();

    fn event(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        mut params: Parameters,
    ) -> Result<()> {
        let limit = next_amperes(&mut params, -RATED_CURRENT_A, 0.0)?;
        dev.settings.current_limit_neg_a = -limit;
        Ok(())
    }

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        let limit = dev.settings.current_limit_neg_a;
        resp.data(if limit == 0.0 { 0.0 } else { -limit }).finish()
    }
}

/// `SOURce:CURRent:PROTection[:LEVel] <A>` and `?`: OCP, either direction.
pub(super) struct CurrentProtection;

impl Command<SourceSession> for CurrentProtection {
    cmd_both!();

    fn event(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        mut params: Parameters,
    ) -> Result<()> {
        dev.settings.ocp_a = next_amperes(&mut params, 0.0, MAX_OCP_A)?;
        Ok(())
    }

    fn query(
        &self,
        dev: &mut SourceSession,
        _: &mut Context,
        _: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        resp.data(dev.settings.ocp_a).finish()
    }
}

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
