//! The pack's temperature: first order towards the chamber air, plus its own I²R loss.
//!
//! `C dT/dt = C (T_air - T) / tau + I² R`, integrated exactly over a step with the air
//! temperature and the current held: `T -> T_eq + (T - T_eq) e^(-dt/tau)` with
//! `T_eq = T_air + I² R tau / C`. The time constant and heat capacity are assumptions in
//! the DUT profile (`twin.thermal_time_constant`, `twin.heat_capacity`).

use crate::clock::Duration;
use crate::config::ThermalParams;

/// Below this distance from the air (and with no current) the pack counts as settled,
/// so the world stops stepping for temperature, K.
pub(crate) const SETTLED_K: f64 = 0.005;

#[derive(Clone, Debug)]
pub(crate) struct Thermal {
    temperature_c: f64,
    /// Time constant (s) and heat capacity (J/K); `None` holds the temperature (a
    /// profile without a thermal model).
    model: Option<(f64, f64)>,
}

impl Thermal {
    /// Out-of-range parameters are clamped (see `PackParams::validate`).
    pub(crate) fn new(temperature_c: f64, params: Option<&ThermalParams>) -> Self {
        let at_least = |v: f64, min: f64| if v.is_finite() { v.max(min) } else { min };
        Self {
            temperature_c: if temperature_c.is_finite() {
                temperature_c
            } else {
                25.0
            },
            model: params.map(|p| {
                (
                    at_least(p.time_constant_s, 1.0),
                    at_least(p.heat_capacity_j_per_k, 1.0),
                )
            }),
        }
    }

    pub(crate) fn temperature_c(&self) -> f64 {
        self.temperature_c
    }

    /// Whether nothing would change the temperature while `air_c` and no current hold.
    pub(crate) fn settled(&self, air_c: f64) -> bool {
        self.model.is_none() || (self.temperature_c - air_c).abs() < SETTLED_K
    }

    /// `current_a` through `resistance_ohm` in air at `air_c` for `dt`.
    pub(crate) fn integrate(
        &mut self,
        air_c: f64,
        current_a: f64,
        resistance_ohm: f64,
        dt: Duration,
    ) {
        let Some((tau, heat_capacity)) = self.model else {
            return;
        };
        if !air_c.is_finite() || !current_a.is_finite() {
            return;
        }
        let heating_w = current_a * current_a * resistance_ohm;
        let equilibrium = air_c + heating_w * tau / heat_capacity;
        let decay = (-dt.as_secs_f64() / tau).exp();
        self.temperature_c = equilibrium + (self.temperature_c - equilibrium) * decay;
        if current_a == 0.0 && self.settled(air_c) {
            self.temperature_c = air_c;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> Thermal {
        Thermal::new(
            25.0,
            Some(&ThermalParams {
                time_constant_s: 3600.0,
                heat_capacity_j_per_k: 50_000.0,
            }),
        )
    }

    #[test]
    fn without_a_model_the_temperature_holds() {
        let mut t = Thermal::new(25.0, None);
        t.integrate(60.0, 100.0, 0.02, Duration::from_secs(3600));
        assert_eq!(t.temperature_c(), 25.0);
        assert!(t.settled(60.0));
    }

    #[test]
    fn one_time_constant_covers_63_percent_of_the_way_to_the_air() {
        let mut t = pack();
        t.integrate(60.0, 0.0, 0.02, Duration::from_secs(3600));
        let expected = 60.0 - 35.0 * (-1.0f64).exp();
        assert!((t.temperature_c() - expected).abs() < 1e-9);
    }

    #[test]
    fn steps_compose_exactly() {
        let mut a = pack();
        let mut b = a.clone();
        a.integrate(-10.0, 50.0, 0.02, Duration::from_secs(1200));
        for _ in 0..1200 {
            b.integrate(-10.0, 50.0, 0.02, Duration::from_secs(1));
        }
        assert!((a.temperature_c() - b.temperature_c()).abs() < 1e-9);
    }

    #[test]
    fn i2r_heating_raises_the_equilibrium() {
        // 100 A through 20 mohm is 200 W; with tau 1 h and 50 kJ/K: +14.4 K at equilibrium.
        let mut t = pack();
        t.integrate(25.0, 100.0, 0.02, Duration::from_secs(100 * 3600));
        assert!((t.temperature_c() - 39.4).abs() < 1e-6);
        t.integrate(25.0, 0.0, 0.02, Duration::from_secs(100 * 3600));
        assert_eq!(t.temperature_c(), 25.0);
        assert!(t.settled(25.0));
    }

    #[test]
    fn absurd_inputs_do_not_poison_the_temperature() {
        let mut t = Thermal::new(
            f64::NAN,
            Some(&ThermalParams {
                time_constant_s: 0.0,
                heat_capacity_j_per_k: -1.0,
            }),
        );
        t.integrate(f64::NAN, 1.0, 0.02, Duration::from_secs(1));
        t.integrate(30.0, f64::INFINITY, 0.02, Duration::from_secs(1));
        assert!(t.temperature_c().is_finite());
    }
}
