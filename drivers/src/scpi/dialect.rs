//! The command text of each source/sink operation, per vendor dialect.
//!
//! Vendor differences live here and nowhere else (DESIGN.md "Drivers"): plans and the
//! driver speak of parameters in driver units (volts; amps as magnitudes), and the
//! dialect renders them the way the instrument wants them, sign conventions included
//! (protocols.md §4.3, §4.4). Numbers are written with 3 decimals, the resolution
//! every instrument of §4.3 accepts.

use std::fmt;

/// A programmable value of a DC source/sink, in driver units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Parameter {
    /// Voltage set point, V.
    Voltage,
    /// Current limit when sourcing (charging the battery), A.
    CurrentLimit,
    /// Current limit when sinking (discharging the battery), A, as a magnitude.
    SinkLimit,
    /// Over-voltage protection level, V.
    OverVoltageProtection,
    /// Over-current protection level, A, a magnitude for both directions.
    OverCurrentProtection,
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Parameter::Voltage => "voltage set point",
            Parameter::CurrentLimit => "source current limit",
            Parameter::SinkLimit => "sink current limit",
            Parameter::OverVoltageProtection => "over-voltage protection",
            Parameter::OverCurrentProtection => "over-current protection",
        })
    }
}

/// How an instrument family spells its commands. Later issues add Keysight, ITECH, EA
/// and Chroma.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// The rig's reference dialect, spoken by the simulated source in `sim/`. Close to
    /// Keysight's two-quadrant APS: the sink limit is a negative number.
    #[default]
    Generic,
}

impl Dialect {
    /// The command setting `parameter` to `value` (driver units).
    pub fn set(self, parameter: Parameter, value: f64) -> String {
        match self {
            Dialect::Generic => match parameter {
                Parameter::Voltage => format!("SOUR:VOLT {}", fixed3(value)),
                Parameter::CurrentLimit => format!("SOUR:CURR:LIM:POS {}", fixed3(value)),
                Parameter::SinkLimit => format!("SOUR:CURR:LIM:NEG {}", fixed3(-value)),
                Parameter::OverVoltageProtection => format!("SOUR:VOLT:PROT {}", fixed3(value)),
                Parameter::OverCurrentProtection => format!("SOUR:CURR:PROT {}", fixed3(value)),
            },
        }
    }

    /// The query reading `parameter` back.
    pub fn query(self, parameter: Parameter) -> &'static str {
        match self {
            Dialect::Generic => match parameter {
                Parameter::Voltage => "SOUR:VOLT?",
                Parameter::CurrentLimit => "SOUR:CURR:LIM:POS?",
                Parameter::SinkLimit => "SOUR:CURR:LIM:NEG?",
                Parameter::OverVoltageProtection => "SOUR:VOLT:PROT?",
                Parameter::OverCurrentProtection => "SOUR:CURR:PROT?",
            },
        }
    }

    /// Converts the answer to [`Dialect::query`] back into driver units.
    pub fn reading(self, parameter: Parameter, answer: f64) -> f64 {
        match (self, parameter) {
            (Dialect::Generic, Parameter::SinkLimit) => -answer,
            (Dialect::Generic, _) => answer,
        }
    }

    pub fn set_output(self, on: bool) -> &'static str {
        match (self, on) {
            (Dialect::Generic, true) => "OUTP ON",
            (Dialect::Generic, false) => "OUTP OFF",
        }
    }

    /// Asks whether the output is on; the answer is `1` or `0`.
    pub fn query_output(self) -> &'static str {
        match self {
            Dialect::Generic => "OUTP?",
        }
    }

    pub fn measure_voltage(self) -> &'static str {
        match self {
            Dialect::Generic => "MEAS:VOLT?",
        }
    }

    /// Measured current: positive into the battery (sourcing, charging), negative out
    /// of it (sinking, discharging).
    pub fn measure_current(self) -> &'static str {
        match self {
            Dialect::Generic => "MEAS:CURR?",
        }
    }
}

/// Three decimals, and never `-0.000` (a zero sink limit is plain zero).
fn fixed3(value: f64) -> String {
    let value = if value == 0.0 { 0.0 } else { value };
    format!("{value:.3}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_commands_are_exactly_what_the_simulated_source_expects() {
        let d = Dialect::Generic;
        let table = [
            (d.set(Parameter::Voltage, 56.0), "SOUR:VOLT 56.000"),
            (
                d.set(Parameter::CurrentLimit, 80.0),
                "SOUR:CURR:LIM:POS 80.000",
            ),
            (
                d.set(Parameter::SinkLimit, 50.0),
                "SOUR:CURR:LIM:NEG -50.000",
            ),
            (d.set(Parameter::SinkLimit, 0.0), "SOUR:CURR:LIM:NEG 0.000"),
            (
                d.set(Parameter::OverVoltageProtection, 58.0),
                "SOUR:VOLT:PROT 58.000",
            ),
            (
                d.set(Parameter::OverCurrentProtection, 105.0),
                "SOUR:CURR:PROT 105.000",
            ),
            (d.set(Parameter::Voltage, 51.2344), "SOUR:VOLT 51.234"),
        ];
        for (rendered, expected) in table {
            assert_eq!(rendered, expected);
        }
        assert_eq!(d.query(Parameter::Voltage), "SOUR:VOLT?");
        assert_eq!(d.query(Parameter::CurrentLimit), "SOUR:CURR:LIM:POS?");
        assert_eq!(d.query(Parameter::SinkLimit), "SOUR:CURR:LIM:NEG?");
        assert_eq!(d.query(Parameter::OverVoltageProtection), "SOUR:VOLT:PROT?");
        assert_eq!(d.query(Parameter::OverCurrentProtection), "SOUR:CURR:PROT?");
        assert_eq!(d.set_output(true), "OUTP ON");
        assert_eq!(d.set_output(false), "OUTP OFF");
        assert_eq!(d.query_output(), "OUTP?");
        assert_eq!(d.measure_voltage(), "MEAS:VOLT?");
        assert_eq!(d.measure_current(), "MEAS:CURR?");
    }

    #[test]
    fn the_negative_sink_limit_reads_back_as_a_magnitude() {
        let d = Dialect::Generic;
        assert_eq!(d.reading(Parameter::SinkLimit, -50.0), 50.0);
        assert_eq!(d.reading(Parameter::Voltage, 56.0), 56.0);
    }
}
