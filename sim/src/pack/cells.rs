//! The pack as a charge store: state of charge by coulomb counting, OCV, resistance.

use super::ocv::cell_ocv;
use crate::clock::Duration;

/// Smallest resistance the circuit solver divides by, in ohm.
const MIN_RESISTANCE_OHM: f64 = 1e-4;
/// Smallest capacity the coulomb counter divides by, in Ah.
const MIN_CAPACITY_AH: f64 = 1e-3;

#[derive(Clone, Debug)]
pub(crate) struct Pack {
    cells_in_series: f64,
    capacity_ah: f64,
    resistance_ohm: f64,
    soc: f64,
}

impl Pack {
    /// Out-of-range parameters are clamped (see `PackParams::validate`).
    pub(crate) fn new(
        cells_in_series: u32,
        capacity_ah: f64,
        resistance_ohm: f64,
        soc: f64,
    ) -> Self {
        let positive_or = |v: f64, min: f64| if v.is_finite() { v.max(min) } else { min };
        Self {
            cells_in_series: f64::from(cells_in_series.max(1)),
            capacity_ah: positive_or(capacity_ah, MIN_CAPACITY_AH),
            resistance_ohm: positive_or(resistance_ohm, MIN_RESISTANCE_OHM),
            soc: if soc.is_finite() {
                soc.clamp(0.0, 1.0)
            } else {
                0.0
            },
        }
    }

    pub(crate) fn soc(&self) -> f64 {
        self.soc
    }

    pub(crate) fn ocv(&self) -> f64 {
        self.cells_in_series * cell_ocv(self.soc)
    }

    pub(crate) fn resistance_ohm(&self) -> f64 {
        self.resistance_ohm
    }

    /// Coulomb counting: `current_a` (positive = charging) flowed for `dt`.
    pub(crate) fn integrate(&mut self, current_a: f64, dt: Duration) {
        if !current_a.is_finite() {
            return;
        }
        let amp_hours = current_a * dt.as_secs_f64() / 3600.0;
        self.soc = (self.soc + amp_hours / self.capacity_ah).clamp(0.0, 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_full_16s_pack_sits_on_the_flat_middle() {
        let pack = Pack::new(16, 100.0, 0.02, 0.5);
        assert!((pack.ocv() - 52.96).abs() < 1e-9);
    }

    #[test]
    fn ten_amps_for_an_hour_is_ten_percent_of_100_ah() {
        let mut pack = Pack::new(16, 100.0, 0.02, 0.5);
        pack.integrate(10.0, Duration::from_secs(3600));
        assert!((pack.soc() - 0.6).abs() < 1e-12);
        pack.integrate(-10.0, Duration::from_secs(7200));
        assert!((pack.soc() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn soc_stays_within_empty_and_full() {
        let mut pack = Pack::new(16, 100.0, 0.02, 0.99);
        pack.integrate(100.0, Duration::from_secs(3600));
        assert_eq!(pack.soc(), 1.0);
        pack.integrate(-1000.0, Duration::from_secs(3600));
        assert_eq!(pack.soc(), 0.0);
    }

    #[test]
    fn absurd_parameters_are_clamped_not_divided_by() {
        let mut pack = Pack::new(0, 0.0, 0.0, f64::NAN);
        assert_eq!(pack.soc(), 0.0);
        assert!(pack.resistance_ohm() > 0.0);
        pack.integrate(f64::NAN, Duration::from_secs(1));
        pack.integrate(1.0, Duration::from_secs(1));
        assert!(pack.soc().is_finite());
    }
}
