//! Parameters and readings of the simulated SCPI instruments: one value per command,
//! volts and amperes with `MIN`/`MAX`/`DEF` and unit suffixes (SCPI-99 7.7), checked
//! against the instrument's range, read back at its resolution.

use scpi::error::Result;
use scpi::tree::prelude::*;
use scpi::units::uom::si::electric_current::ampere;
use scpi::units::uom::si::electric_potential::volt;
use scpi::units::uom::si::f64::{ElectricCurrent, ElectricPotential};
use scpi_contrib::scpi1999::NumericValue;

/// Programming and measurement resolution: 1 mV, 1 mA.
const RESOLUTION: f64 = 1000.0;

/// The command's one parameter; a second one fails the whole command with -108
/// "Parameter not allowed" before anything changes.
pub(crate) fn only_parameter<'a, T>(params: &mut Parameters<'a, '_>) -> Result<T>
where
    T: TryFrom<Token<'a>, Error = Error>,
{
    let value = params.next_data()?;
    match params.next_optional_token()? {
        Some(_) => Err(ErrorCode::ParameterNotAllowed.into()),
        None => Ok(value),
    }
}

pub(crate) fn next_volts(params: &mut Parameters, min: f64, max: f64) -> Result<f64> {
    let value: NumericValue<ElectricPotential> = only_parameter(params)?;
    let value = value
        .build()
        .min(ElectricPotential::new::<volt>(min))
        .max(ElectricPotential::new::<volt>(max))
        .finish()?;
    Ok(reading(value.get::<volt>()))
}

pub(crate) fn next_amperes(params: &mut Parameters, min: f64, max: f64) -> Result<f64> {
    let value: NumericValue<ElectricCurrent> = only_parameter(params)?;
    let value = value
        .build()
        .min(ElectricCurrent::new::<ampere>(min))
        .max(ElectricCurrent::new::<ampere>(max))
        .finish()?;
    Ok(reading(value.get::<ampere>()))
}

/// A value at the instrument's resolution, without a negative zero.
pub(crate) fn reading(value: f64) -> f64 {
    let rounded = (value * RESOLUTION).round() / RESOLUTION;
    if rounded == 0.0 { 0.0 } else { rounded }
}
