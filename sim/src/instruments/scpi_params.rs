//! Parameters and readings of the simulated SCPI instruments: one value per command,
//! volts and amperes with `MIN`/`MAX`/`DEF` and unit suffixes (SCPI-99 7.7), checked
//! against the instrument's range, read back at its resolution.

use scpi::error::Result;
use scpi::tree::prelude::*;
use scpi::units::uom::si::electric_current::ampere;
use scpi::units::uom::si::electric_potential::volt;
use scpi::units::uom::si::f64::{ElectricCurrent, ElectricPotential};
use scpi_contrib::scpi1999::{NumericBuilder, NumericValue};

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

/// The one parameter as a quantity in `min..=max` (`MIN`/`MAX` name the bounds, `DEF`
/// is refused), else -222 "Data out of range".
fn next_in_range<'a, Q>(params: &mut Parameters<'a, '_>, min: Q, max: Q) -> Result<Q>
where
    Q: PartialOrd + TryFrom<Token<'a>, Error = Error>,
{
    let value: NumericValue<Q> = only_parameter(params)?;
    NumericBuilder::new(value, max, min).finish()
}

pub(crate) fn next_volts(params: &mut Parameters, min: f64, max: f64) -> Result<f64> {
    let (min, max) = (
        ElectricPotential::new::<volt>(min),
        ElectricPotential::new::<volt>(max),
    );
    Ok(reading(next_in_range(params, min, max)?.get::<volt>()))
}

pub(crate) fn next_amperes(params: &mut Parameters, min: f64, max: f64) -> Result<f64> {
    let (min, max) = (
        ElectricCurrent::new::<ampere>(min),
        ElectricCurrent::new::<ampere>(max),
    );
    Ok(reading(next_in_range(params, min, max)?.get::<ampere>()))
}

/// A value at the instrument's resolution, without a negative zero.
pub(crate) fn reading(value: f64) -> f64 {
    without_negative_zero((value * RESOLUTION).round() / RESOLUTION)
}

/// `-0` as `0`: no instrument prints a negative zero.
pub(crate) fn without_negative_zero(value: f64) -> f64 {
    if value == 0.0 { 0.0 } else { value }
}
