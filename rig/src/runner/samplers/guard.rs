//! The envelope as the source's sampler checks it on every reading.

use crate::runner::envelope::Violation;

/// Measurement noise a reading may show beyond a limit before it counts as a
/// violation: 1 % of the limit, at least 0.1 V or 0.5 A.
fn beyond(value: f64, limit: f64, floor: f64) -> bool {
    value > limit + (limit.abs() * 0.01).max(floor)
}

/// Below this the source's terminals read as disconnected from the cells, not as a
/// deeply discharged pack (a 16S LFP pack is never under 30 V alive).
const DEAD_TERMINAL_V: f64 = 1.0;
const DEAD_TERMINAL_A: f64 = 0.5;

/// The envelope as the source's sampler checks it on every reading, independent of the
/// steps: a violation switches the output off at once, then aborts the run.
#[derive(Clone, Debug, Default)]
pub struct SourceGuard {
    max_voltage: Option<f64>,
    min_voltage: Option<f64>,
    max_charge_a: Option<f64>,
    max_discharge_a: Option<f64>,
}

impl SourceGuard {
    pub fn of(envelope: &crate::plan::EnvelopeLimits) -> SourceGuard {
        SourceGuard {
            max_voltage: envelope.max_voltage,
            min_voltage: envelope.min_voltage,
            max_charge_a: envelope.max_charge_a,
            max_discharge_a: envelope.max_discharge_a,
        }
    }

    /// What was violated, if anything. Current is positive into the pack.
    pub fn check(&self, volts: f64, amps: f64) -> Option<Violation> {
        if let Some(max) = self.max_voltage
            && beyond(volts, max, 0.1)
        {
            return Some(Violation::PackVoltageHigh { volts, max });
        }
        // Dead terminals are not an over-discharge: with the pack's MOSFETs open (rapid
        // shutdown, a protection) a load, which applies no voltage, reads about 0 V
        // and 0 A. Under-voltage is a danger only while the reading is a pack's.
        let dead_terminals = volts.abs() < DEAD_TERMINAL_V && amps.abs() < DEAD_TERMINAL_A;
        if let Some(min) = self.min_voltage
            && !dead_terminals
            && beyond(-volts, -min, 0.1)
        {
            return Some(Violation::PackVoltageLow { volts, min });
        }
        if let Some(max) = self.max_charge_a
            && beyond(amps, max, 0.5)
        {
            return Some(Violation::ChargeCurrent { amps, max });
        }
        if let Some(max) = self.max_discharge_a
            && beyond(-amps, max, 0.5)
        {
            return Some(Violation::DischargeCurrent { amps: -amps, max });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> SourceGuard {
        SourceGuard {
            max_voltage: Some(57.6),
            min_voltage: Some(44.8),
            max_charge_a: Some(100.0),
            max_discharge_a: Some(100.0),
        }
    }

    #[test]
    fn dead_terminals_are_not_an_under_voltage() {
        assert_eq!(guard().check(0.0, 0.0), None);
        assert_eq!(guard().check(0.3, -0.2), None);
    }

    #[test]
    fn a_low_pack_is_an_under_voltage_with_or_without_current() {
        let low = |volts| Some(Violation::PackVoltageLow { volts, min: 44.8 });
        assert_eq!(guard().check(40.0, 0.0), low(40.0));
        assert_eq!(guard().check(0.5, -20.0), low(0.5));
        assert_eq!(guard().check(44.0, -5.0), low(44.0));
        assert_eq!(guard().check(50.0, -5.0), None);
    }

    #[test]
    fn currents_beyond_the_noise_margin_are_violations() {
        // 1 % of 100 A: 101 A is noise, 101.5 A is not.
        assert_eq!(guard().check(50.0, 101.0), None);
        assert_eq!(
            guard().check(50.0, 101.5),
            Some(Violation::ChargeCurrent {
                amps: 101.5,
                max: 100.0
            })
        );
        assert_eq!(
            guard().check(50.0, -101.5),
            Some(Violation::DischargeCurrent {
                amps: 101.5,
                max: 100.0
            })
        );
        assert_eq!(
            guard().check(58.3, 0.0),
            Some(Violation::PackVoltageHigh {
                volts: 58.3,
                max: 57.6
            })
        );
    }
}
