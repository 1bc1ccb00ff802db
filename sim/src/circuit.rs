//! The simulated source/sink and the pack as one circuit.
//!
//! The source is a two-quadrant supply in voltage priority (protocols.md 4.4): it drives
//! its set point through the pack's resistance, limited by a positive (charging) and a
//! negative (discharging) current limit. The BMS MOSFETs sit in series: the charge
//! MOSFET off blocks charging current, the discharge MOSFET off blocks discharging
//! current. With the current blocked the terminals are open and the source reads its
//! own set point. While the BMS pre-charges, discharging current flows through the
//! pre-charge resistor in series with the pack.

use crate::snapshot::SourceProtection;

/// What the source/sink is set to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SourceSettings {
    pub(crate) output_on: bool,
    pub(crate) voltage_v: f64,
    /// Largest current into the battery, A.
    pub(crate) current_limit_pos_a: f64,
    /// Largest current out of the battery, as a magnitude, A.
    pub(crate) current_limit_neg_a: f64,
    /// Over-voltage protection level, V.
    pub(crate) ovp_v: f64,
    /// Over-current protection level (either direction), A.
    pub(crate) ocp_a: f64,
    /// The protection that switched the output off; latched until the output is switched on.
    pub(crate) tripped: Option<SourceProtection>,
}

/// The pack as the source sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PackTerminal {
    pub(crate) ocv_v: f64,
    pub(crate) resistance_ohm: f64,
    /// Charge MOSFET on.
    pub(crate) charge_path: bool,
    /// Discharge MOSFET on (or the pre-charge path).
    pub(crate) discharge_path: bool,
    /// Resistance in series with the discharge direction only (the pre-charge resistor
    /// while pre-charging), ohm; 0 otherwise.
    pub(crate) discharge_series_ohm: f64,
}

/// Current (positive = into the battery) and the voltage the source measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct OperatingPoint {
    pub(crate) current_a: f64,
    pub(crate) voltage_v: f64,
}

fn magnitude(limit: f64) -> f64 {
    if limit.is_nan() { 0.0 } else { limit.abs() }
}

/// The operating point for these settings, without protections.
pub(crate) fn solve(settings: &SourceSettings, pack: &PackTerminal) -> OperatingPoint {
    if !settings.output_on {
        return OperatingPoint {
            current_a: 0.0,
            voltage_v: pack.ocv_v,
        };
    }
    let limits = (
        -magnitude(settings.current_limit_neg_a),
        magnitude(settings.current_limit_pos_a),
    );
    let mut resistance = pack.resistance_ohm;
    let mut wanted = ((settings.voltage_v - pack.ocv_v) / resistance).clamp(limits.0, limits.1);
    let series = pack.discharge_series_ohm;
    if wanted < 0.0 && series.is_finite() && series > 0.0 {
        resistance += series;
        wanted = ((settings.voltage_v - pack.ocv_v) / resistance).clamp(limits.0, limits.1);
    }
    let blocked = (wanted > 0.0 && !pack.charge_path) || (wanted < 0.0 && !pack.discharge_path);
    if blocked {
        OperatingPoint {
            current_a: 0.0,
            voltage_v: settings.voltage_v,
        }
    } else {
        OperatingPoint {
            current_a: wanted,
            voltage_v: pack.ocv_v + wanted * resistance,
        }
    }
}

impl SourceSettings {
    /// The operating point after the source's own protections have acted: a measured
    /// voltage above OVP or a current above OCP switches the output off.
    pub(crate) fn settle(&mut self, pack: &PackTerminal) -> OperatingPoint {
        let point = solve(self, pack);
        if !self.output_on {
            return point;
        }
        let trip = if point.voltage_v > self.ovp_v {
            Some(SourceProtection::OverVoltage)
        } else if point.current_a.abs() > self.ocp_a {
            Some(SourceProtection::OverCurrent)
        } else {
            None
        };
        match trip {
            Some(protection) => {
                self.output_on = false;
                self.tripped = Some(protection);
                solve(self, pack)
            }
            None => point,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(voltage_v: f64, pos: f64, neg: f64) -> SourceSettings {
        SourceSettings {
            output_on: true,
            voltage_v,
            current_limit_pos_a: pos,
            current_limit_neg_a: neg,
            ovp_v: 60.0,
            ocp_a: 120.0,
            tripped: None,
        }
    }

    fn pack(charge_path: bool, discharge_path: bool) -> PackTerminal {
        PackTerminal {
            ocv_v: 52.0,
            resistance_ohm: 0.02,
            charge_path,
            discharge_path,
            discharge_series_ohm: 0.0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn voltage_priority_within_the_limits() {
        let p = solve(&settings(52.5, 50.0, 50.0), &pack(true, true));
        assert!(close(p.current_a, 25.0));
        assert!(close(p.voltage_v, 52.5));
    }

    #[test]
    fn the_current_limits_clamp_both_directions() {
        let p = solve(&settings(56.0, 80.0, 1.0), &pack(true, true));
        assert!(close(p.current_a, 80.0));
        assert!(close(p.voltage_v, 53.6));
        let p = solve(&settings(48.0, 0.0, 30.0), &pack(true, true));
        assert!(close(p.current_a, -30.0));
        assert!(close(p.voltage_v, 51.4));
    }

    #[test]
    fn an_open_mosfet_blocks_its_direction_only() {
        let p = solve(&settings(56.0, 80.0, 1.0), &pack(false, true));
        assert_eq!((p.current_a, p.voltage_v), (0.0, 56.0));
        let p = solve(&settings(48.0, 80.0, 30.0), &pack(false, true));
        assert!(close(p.current_a, -30.0));
        let p = solve(&settings(48.0, 80.0, 30.0), &pack(true, false));
        assert_eq!((p.current_a, p.voltage_v), (0.0, 48.0));
    }

    #[test]
    fn output_off_senses_the_pack() {
        let mut s = settings(56.0, 80.0, 1.0);
        s.output_on = false;
        let p = solve(&s, &pack(true, true));
        assert_eq!((p.current_a, p.voltage_v), (0.0, 52.0));
    }

    #[test]
    fn ovp_and_ocp_switch_the_output_off_and_latch() {
        let mut s = settings(58.0, 80.0, 1.0);
        s.ovp_v = 57.0;
        let p = s.settle(&pack(false, true));
        assert!(!s.output_on);
        assert_eq!(s.tripped, Some(SourceProtection::OverVoltage));
        assert_eq!(p.voltage_v, 52.0);

        let mut s = settings(56.0, 80.0, 1.0);
        s.ocp_a = 79.0;
        s.settle(&pack(true, true));
        assert_eq!(s.tripped, Some(SourceProtection::OverCurrent));
    }

    #[test]
    fn the_precharge_resistor_limits_discharge_only() {
        let precharging = PackTerminal {
            discharge_series_ohm: 50.0,
            ..pack(true, true)
        };
        let p = solve(&settings(30.0, 80.0, 100.0), &precharging);
        assert!(close(p.current_a, -22.0 / 50.02));
        assert!(close(p.voltage_v, 30.0), "a load holds the terminal down");
        let p = solve(&settings(53.0, 80.0, 100.0), &precharging);
        assert!(close(p.current_a, 50.0), "charging is not affected");
    }

    #[test]
    fn nan_limits_do_not_panic() {
        let s = settings(56.0, f64::NAN, f64::NAN);
        let p = solve(&s, &pack(true, true));
        assert_eq!(p.current_a, 0.0);
    }
}
