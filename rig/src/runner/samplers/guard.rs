//! The envelope as the source's sampler checks it on every reading.

/// Measurement noise a reading may show beyond a limit before it counts as a
/// violation: 1 % of the limit, at least 0.1 V or 0.5 A.
fn beyond(value: f64, limit: f64, floor: f64) -> bool {
    value > limit + (limit.abs() * 0.01).max(floor)
}

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
    pub fn check(&self, volts: f64, amps: f64) -> Option<String> {
        if let Some(max) = self.max_voltage
            && beyond(volts, max, 0.1)
        {
            return Some(format!(
                "pack voltage {volts:.3} V above the envelope's maximum {max} V"
            ));
        }
        if let Some(min) = self.min_voltage
            && beyond(-volts, -min, 0.1)
        {
            return Some(format!(
                "pack voltage {volts:.3} V below the envelope's minimum {min} V"
            ));
        }
        if let Some(max) = self.max_charge_a
            && beyond(amps, max, 0.5)
        {
            return Some(format!(
                "charge current {amps:.2} A above the envelope's maximum {max} A"
            ));
        }
        if let Some(max) = self.max_discharge_a
            && beyond(-amps, max, 0.5)
        {
            return Some(format!(
                "discharge current {:.2} A above the envelope's maximum {max} A",
                -amps
            ));
        }
        None
    }
}
