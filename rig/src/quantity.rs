//! Quantities with units, as plans write them: `54.0 V`, `75 A`, `2 s`, `4 h`, `25 degC`.
//!
//! Values are stored in one base unit per dimension (V, A, s, degC, %, Ah, W, Wh) so that
//! arithmetic and comparison never mix scales; the unit a plan wrote is only kept for
//! messages.

use std::fmt;

/// The physical dimension of a value. Two values may be added or compared only when
/// their dimensions are equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// A plain number: a count, a repeat index, a factor.
    Number,
    Voltage,
    Current,
    Time,
    Temperature,
    Percent,
    Charge,
    Power,
    Resistance,
    /// Energy, in Wh: what `integral_of` a power gives.
    Energy,
}

impl Dim {
    /// The base unit values of this dimension are stored in.
    pub fn base_unit(self) -> &'static str {
        match self {
            Dim::Number => "",
            Dim::Voltage => "V",
            Dim::Current => "A",
            Dim::Time => "s",
            Dim::Temperature => "degC",
            Dim::Percent => "%",
            Dim::Charge => "Ah",
            Dim::Power => "W",
            Dim::Resistance => "ohm",
            Dim::Energy => "Wh",
        }
    }

    /// What a test engineer calls it, for messages ("a current where a voltage belongs").
    pub fn noun(self) -> &'static str {
        match self {
            Dim::Number => "a plain number",
            Dim::Voltage => "a voltage",
            Dim::Current => "a current",
            Dim::Time => "a duration",
            Dim::Temperature => "a temperature",
            Dim::Percent => "a percentage",
            Dim::Charge => "a charge",
            Dim::Power => "a power",
            Dim::Resistance => "a resistance",
            Dim::Energy => "an energy",
        }
    }

    /// An example literal, for hints.
    pub fn example(self) -> &'static str {
        match self {
            Dim::Number => "3",
            Dim::Voltage => "54.0 V",
            Dim::Current => "50 A",
            Dim::Time => "30 s",
            Dim::Temperature => "25 degC",
            Dim::Percent => "80 %",
            Dim::Charge => "100 Ah",
            Dim::Power => "2500 W",
            Dim::Resistance => "20 mohm",
            Dim::Energy => "4.92 kWh",
        }
    }

    /// The dimension of a DBC or instrument unit string (`V`, `A`, `%`, `degC`, ...).
    pub fn from_unit_name(unit: &str) -> Option<Dim> {
        unit_factor(unit).map(|(dim, _)| dim)
    }

    /// The dimension of a product: a plain number keeps the other side's, and a
    /// current times a voltage is a power (`-source.current * source.voltage`). `None`
    /// for products the plan language has no unit for.
    pub fn product(self, other: Dim) -> Option<Dim> {
        match (self, other) {
            (Dim::Number, d) | (d, Dim::Number) => Some(d),
            (Dim::Current, Dim::Voltage) | (Dim::Voltage, Dim::Current) => Some(Dim::Power),
            _ => None,
        }
    }

    /// The dimension of a quotient, with the factor that brings the quotient of base
    /// values to its base unit: a plain number keeps the dividend's, equal dimensions
    /// cancel, and a charge or an energy per time is a current or a power (`0.2 *
    /// dut.capacity / 1 h`, the 0.2C rate: Ah per s is 3600 A). A charge per current,
    /// an energy per power, is the time it lasts (`dut.capacity / 50 A`, Ah per A is
    /// 3600 s). `None` for the others.
    pub fn quotient(self, divisor: Dim) -> Option<(Dim, f64)> {
        match (self, divisor) {
            (d, Dim::Number) => Some((d, 1.0)),
            (a, b) if a == b => Some((Dim::Number, 1.0)),
            (Dim::Charge, Dim::Time) => Some((Dim::Current, 3600.0)),
            (Dim::Energy, Dim::Time) => Some((Dim::Power, 3600.0)),
            (Dim::Charge, Dim::Current) => Some((Dim::Time, 3600.0)),
            (Dim::Energy, Dim::Power) => Some((Dim::Time, 3600.0)),
            _ => None,
        }
    }

    /// What integrating a quantity of this dimension over time gives, with the factor
    /// from base unit × seconds to the result's base unit: A·s to Ah, W·s to Wh.
    pub fn integral(self) -> Option<(Dim, f64)> {
        match self {
            Dim::Current => Some((Dim::Charge, 1.0 / 3600.0)),
            Dim::Power => Some((Dim::Energy, 1.0 / 3600.0)),
            _ => None,
        }
    }
}

/// Every unit a plan may write, with its dimension and its factor to the base unit.
const UNITS: &[(&str, Dim, f64)] = &[
    ("V", Dim::Voltage, 1.0),
    ("mV", Dim::Voltage, 1e-3),
    ("kV", Dim::Voltage, 1e3),
    ("A", Dim::Current, 1.0),
    ("mA", Dim::Current, 1e-3),
    ("s", Dim::Time, 1.0),
    ("ms", Dim::Time, 1e-3),
    ("min", Dim::Time, 60.0),
    ("h", Dim::Time, 3600.0),
    ("d", Dim::Time, 86400.0),
    ("degC", Dim::Temperature, 1.0),
    ("°C", Dim::Temperature, 1.0),
    ("%", Dim::Percent, 1.0),
    ("Ah", Dim::Charge, 1.0),
    ("mAh", Dim::Charge, 1e-3),
    ("W", Dim::Power, 1.0),
    ("kW", Dim::Power, 1e3),
    ("Wh", Dim::Energy, 1.0),
    ("kWh", Dim::Energy, 1e3),
    ("ohm", Dim::Resistance, 1.0),
    ("mohm", Dim::Resistance, 1e-3),
];

/// Dimension and factor of a unit name, if it is one.
pub fn unit_factor(unit: &str) -> Option<(Dim, f64)> {
    UNITS
        .iter()
        .find(|(name, _, _)| *name == unit)
        .map(|&(_, dim, factor)| (dim, factor))
}

/// Unit names, for "did you mean" hints.
pub fn unit_names() -> impl Iterator<Item = &'static str> {
    UNITS.iter().map(|(name, _, _)| *name)
}

/// A number with a dimension, in the dimension's base unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub dim: Dim,
}

impl Quantity {
    pub fn new(value: f64, dim: Dim) -> Self {
        Self { value, dim }
    }

    pub fn seconds(self) -> Option<f64> {
        (self.dim == Dim::Time).then_some(self.value)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.dim {
            Dim::Number => write!(f, "{}", trim_float(self.value)),
            Dim::Time => f.write_str(&format_duration(self.value)),
            dim => write!(f, "{} {}", trim_float(self.value), dim.base_unit()),
        }
    }
}

/// A float without trailing noise: `75`, `54.6`, `0.125`.
pub fn trim_float(value: f64) -> String {
    let rounded = (value * 1e6).round() / 1e6;
    if rounded == rounded.trunc() && rounded.abs() < 1e15 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded}")
    }
}

/// Durations the way a plan writes them: `2 s`, `1.5 s`, `5 min`, `1 h 30 min`. The
/// reports render the same text, so one function serves both.
pub use rig_reports::format::duration as format_duration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_scale_to_base() {
        assert_eq!(unit_factor("mV"), Some((Dim::Voltage, 1e-3)));
        assert_eq!(unit_factor("h"), Some((Dim::Time, 3600.0)));
        assert_eq!(unit_factor("volt"), None);
        assert_eq!(unit_factor("kWh"), Some((Dim::Energy, 1e3)));
    }

    #[test]
    fn a_current_times_a_voltage_is_a_power_and_integrates_to_an_energy() {
        assert_eq!(Dim::Current.product(Dim::Voltage), Some(Dim::Power));
        assert_eq!(Dim::Number.product(Dim::Time), Some(Dim::Time));
        assert_eq!(Dim::Current.product(Dim::Current), None);
        assert_eq!(Dim::Power.integral(), Some((Dim::Energy, 1.0 / 3600.0)));
        assert_eq!(Dim::Current.integral(), Some((Dim::Charge, 1.0 / 3600.0)));
        assert_eq!(Dim::Voltage.integral(), None);
        assert_eq!(
            Dim::Charge.quotient(Dim::Time),
            Some((Dim::Current, 3600.0))
        );
        assert_eq!(
            Dim::Percent.quotient(Dim::Percent),
            Some((Dim::Number, 1.0))
        );
        assert_eq!(Dim::Time.quotient(Dim::Charge), None);
        assert_eq!(
            Dim::Charge.quotient(Dim::Current),
            Some((Dim::Time, 3600.0))
        );
        assert_eq!(Dim::Energy.quotient(Dim::Power), Some((Dim::Time, 3600.0)));
        assert_eq!(Dim::Current.quotient(Dim::Charge), None);
    }

    #[test]
    fn displays_like_a_plan() {
        assert_eq!(Quantity::new(75.0, Dim::Current).to_string(), "75 A");
        assert_eq!(Quantity::new(54.6, Dim::Voltage).to_string(), "54.6 V");
        assert_eq!(Quantity::new(2.0, Dim::Time).to_string(), "2 s");
        assert_eq!(Quantity::new(300.0, Dim::Time).to_string(), "5 min");
        assert_eq!(Quantity::new(5400.0, Dim::Time).to_string(), "1 h 30 min");
        assert_eq!(Quantity::new(3.0, Dim::Number).to_string(), "3");
    }
}
