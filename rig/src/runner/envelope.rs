//! The plan's envelope as the runner supervises it: the source's sampler checks its own
//! readings (`samplers::SourceGuard`), the executor checks the pack temperature the BMS
//! reports. A violation ends the run in error, whatever the step.

use crate::plan::EnvelopeLimits;
use crate::quantity::Quantity;

/// What left the envelope, with the reading and the limit it passed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Violation {
    #[error("pack voltage {volts:.3} V above the envelope's maximum {max} V")]
    PackVoltageHigh { volts: f64, max: f64 },
    #[error("pack voltage {volts:.3} V below the envelope's minimum {min} V")]
    PackVoltageLow { volts: f64, min: f64 },
    /// `amps` into the pack.
    #[error("charge current {amps:.2} A above the envelope's maximum {max} A")]
    ChargeCurrent { amps: f64, max: f64 },
    /// `amps` out of the pack, positive.
    #[error("discharge current {amps:.2} A above the envelope's maximum {max} A")]
    DischargeCurrent { amps: f64, max: f64 },
    /// A temperature channel of the BMS, by name.
    #[error("{channel} = {value} above the envelope's maximum {max} degC")]
    TemperatureHigh {
        channel: String,
        value: Quantity,
        max: f64,
    },
    #[error("{channel} = {value} below the envelope's minimum {min} degC")]
    TemperatureLow {
        channel: String,
        value: Quantity,
        min: f64,
    },
}

/// The BMS's temperature reading `value` of `channel` against the envelope, if it left it.
pub fn temperature(channel: &str, value: Quantity, envelope: &EnvelopeLimits) -> Option<Violation> {
    match (envelope.min_temperature_c, envelope.max_temperature_c) {
        (_, Some(max)) if value.value > max => Some(Violation::TemperatureHigh {
            channel: channel.to_string(),
            value,
            max,
        }),
        (Some(min), _) if value.value < min => Some(Violation::TemperatureLow {
            channel: channel.to_string(),
            value,
            min,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantity::Dim;

    fn envelope() -> EnvelopeLimits {
        EnvelopeLimits {
            min_temperature_c: Some(0.0),
            max_temperature_c: Some(45.0),
            ..EnvelopeLimits::default()
        }
    }

    #[test]
    fn a_temperature_inside_the_envelope_is_no_violation() {
        let t = Quantity::new(45.0, Dim::Temperature);
        assert_eq!(temperature("bms.temperature", t, &envelope()), None);
        let t = Quantity::new(0.0, Dim::Temperature);
        assert_eq!(temperature("bms.temperature", t, &envelope()), None);
    }

    #[test]
    fn a_temperature_outside_names_the_channel_and_the_limit() {
        let hot = temperature(
            "bms.temperature",
            Quantity::new(46.5, Dim::Temperature),
            &envelope(),
        )
        .unwrap();
        assert_eq!(
            hot.to_string(),
            "bms.temperature = 46.5 degC above the envelope's maximum 45 degC"
        );
        let cold = temperature(
            "bms.temperature",
            Quantity::new(-3.0, Dim::Temperature),
            &envelope(),
        )
        .unwrap();
        assert_eq!(
            cold.to_string(),
            "bms.temperature = -3 degC below the envelope's minimum 0 degC"
        );
    }

    #[test]
    fn source_violations_round_as_the_log_has_them() {
        let v = Violation::DischargeCurrent {
            amps: 101.234,
            max: 100.0,
        };
        assert_eq!(
            v.to_string(),
            "discharge current 101.23 A above the envelope's maximum 100 A"
        );
    }
}
