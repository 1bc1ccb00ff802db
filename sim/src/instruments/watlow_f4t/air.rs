//! The chamber's air: ramps to the set point at a fixed rate while conditioning runs,
//! drifts back to the lab's ambient when it is stopped.
//!
//! Assumptions (a typical benchtop chamber, not a particular one): 2 °C/min ramp rate,
//! 25 °C lab ambient, 30 min time constant of the drift back with conditioning off.

use crate::clock::Duration;

/// Ramp rate while running, °C per second (2 °C/min). Assumption.
pub(crate) const RAMP_C_PER_S: f64 = 2.0 / 60.0;
/// Lab air outside the chamber, °C. Assumption.
pub(crate) const AMBIENT_C: f64 = 25.0;
/// Time constant of the drift back to ambient with conditioning off, s. Assumption.
const DRIFT_TIME_CONSTANT_S: f64 = 1800.0;
/// Closer than this to where it is heading the air counts as arrived, K.
const ARRIVED_K: f64 = 0.005;
/// The controller's set-point range (F4T registers 2774/2776), °C. Assumption: a
/// -40~150 °C chamber.
pub(crate) const RANGE_C: (f64, f64) = (-40.0, 150.0);

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChamberAir {
    air_c: f64,
    set_point_c: f64,
    running: bool,
}

impl ChamberAir {
    /// Stopped, air at `air_c`, set point at the lab ambient.
    pub(crate) fn new(air_c: f64) -> Self {
        Self {
            air_c: if air_c.is_finite() { air_c } else { AMBIENT_C },
            set_point_c: AMBIENT_C,
            running: false,
        }
    }

    pub(crate) fn air_c(&self) -> f64 {
        self.air_c
    }

    pub(crate) fn set_point_c(&self) -> f64 {
        self.set_point_c
    }

    pub(crate) fn running(&self) -> bool {
        self.running
    }

    /// A set point inside [`RANGE_C`]; anything else is refused.
    pub(crate) fn set_set_point(&mut self, celsius: f64) -> bool {
        let ok = celsius.is_finite() && (RANGE_C.0..=RANGE_C.1).contains(&celsius);
        if ok {
            self.set_point_c = celsius;
        }
        ok
    }

    pub(crate) fn set_running(&mut self, running: bool) {
        self.running = running;
    }

    /// Where the air is heading.
    fn heading(&self) -> f64 {
        if self.running {
            self.set_point_c
        } else {
            AMBIENT_C
        }
    }

    /// Whether the air has arrived where it is heading (nothing changes by itself).
    pub(crate) fn settled(&self) -> bool {
        self.air_c == self.heading()
    }

    pub(crate) fn advance(&mut self, dt: Duration) {
        let heading = self.heading();
        let dt = dt.as_secs_f64();
        let gap = heading - self.air_c;
        self.air_c = if self.running {
            self.air_c + gap.signum() * (RAMP_C_PER_S * dt).min(gap.abs())
        } else {
            heading - gap * (-dt / DRIFT_TIME_CONSTANT_S).exp()
        };
        if (heading - self.air_c).abs() < ARRIVED_K {
            self.air_c = heading;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_at_two_degrees_a_minute_and_holds_the_set_point() {
        let mut c = ChamberAir::new(25.0);
        assert!(c.set_set_point(55.0));
        c.advance(Duration::from_secs(600));
        assert_eq!(c.air_c(), 25.0, "stopped at ambient: nothing moves");
        c.set_running(true);
        assert!(!c.settled());
        c.advance(Duration::from_secs(600));
        assert!((c.air_c() - 45.0).abs() < 1e-9);
        c.advance(Duration::from_secs(600));
        assert_eq!(c.air_c(), 55.0);
        assert!(c.settled());
        assert!(c.set_set_point(-10.0));
        c.advance(Duration::from_secs(60));
        assert!((c.air_c() - 53.0).abs() < 1e-9);
    }

    #[test]
    fn drifts_back_to_ambient_when_stopped() {
        let mut c = ChamberAir::new(25.0);
        c.set_set_point(55.0);
        c.set_running(true);
        c.advance(Duration::from_secs(3600));
        c.set_running(false);
        c.advance(Duration::from_secs(1800));
        let expected = 25.0 + 30.0 * (-1.0f64).exp();
        assert!((c.air_c() - expected).abs() < 1e-9);
        c.advance(Duration::from_secs(10 * 3600));
        assert_eq!(c.air_c(), 25.0);
        assert!(c.settled());
    }

    #[test]
    fn refuses_set_points_outside_its_range() {
        let mut c = ChamberAir::new(25.0);
        for bad in [f64::NAN, f64::INFINITY, -41.0, 151.0] {
            assert!(!c.set_set_point(bad));
        }
        assert_eq!(c.set_point_c(), 25.0);
    }
}
