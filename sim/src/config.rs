//! What a twin is built from: the pack's ratings, its BMS's thresholds and timers, and
//! the injected defects.
//!
//! The rig fills [`PackParams`] from a DUT profile. Numbers the manual gives carry their
//! section; numbers it does not give are marked as assumptions, here and in the profile.

use crate::defects::Defect;

/// Everything [`crate::SimBench::start`] needs.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    pub pack: PackParams,
    pub defects: Vec<Defect>,
}

/// The pack and its BMS as the DUT profile describes them.
#[derive(Clone, Debug, PartialEq)]
pub struct PackParams {
    pub model: String,
    pub serial: String,
    pub firmware: String,
    /// Cells in series (16 for a 51.2 V LFP pack, manual 3.3.2 "Rated voltage 51.2V").
    pub cells_in_series: u32,
    /// Nominal capacity in Ah (manual 3.3.2 "Nominal capacity@0.2C").
    pub capacity_ah: f64,
    /// Pack DC resistance in ohm. Assumption: the manual gives none.
    pub internal_resistance_ohm: f64,
    /// State of charge at start, 0..=1.
    pub initial_soc: f64,
    /// Pack temperature in °C, constant for now.
    pub temperature_c: f64,
    /// CVL sent in 0x351 (manual 3.3.2 "Charge voltage 56.0V").
    pub charge_voltage_limit_v: f64,
    /// DVL sent in 0x351 (manual 5.6 item 6 "Low Voltage cut-off 48.0V").
    pub discharge_voltage_limit_v: f64,
    /// CCL sent in 0x351 (manual 5.6 item 9 "Max. charging current limited value 70A*N").
    pub charge_current_limit_a: f64,
    /// DCL sent in 0x351 (manual 5.6 item 10 "Max. discharging current limited value 100A*N").
    pub discharge_current_limit_a: f64,
    /// Currents of smaller magnitude are reported as 0 (manual FAQ Q4 "threshold current of 0.5A").
    pub current_dead_band_a: f64,
    pub cocp: OverCurrentParams,
    pub reset_button: ButtonTimings,
    /// Period of the 0x35x frame set in seconds (protocols.md 1.1: every frame once per 1000 ms).
    pub can_period_s: f64,
}

/// COCP (manual 3.4). The manual names the behaviour but gives no numbers: every value
/// here is an assumption to be replaced by the vendor's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct OverCurrentParams {
    /// Charge current above which the protection timer runs, in A.
    pub trip_current_a: f64,
    /// How long the current must stay above the trip current before charging stops, in s.
    pub trip_delay_s: f64,
    /// Manual 3.4 "release from the protection when the system delays time is met", in s.
    pub recovery_delay_s: f64,
    /// Manual 3.4 "If locked after three consecutive times, manual intervention is required."
    pub lockout_after_trips: u32,
    /// Trip-free time after a release that makes the next trip count from one again, in s.
    /// Assumption: this is what "consecutive" means.
    pub counter_clear_s: f64,
}

/// The reset button (manual 3.3.3 E: "Used to sleep(3s)/awake(3s)/reset(6~10s) BMS").
#[derive(Clone, Debug, PartialEq)]
pub struct ButtonTimings {
    /// Shortest press that toggles sleep, in s (3).
    pub sleep_wake_min_s: f64,
    /// Shortest press that resets the BMS, in s (6); shorter presses toggle sleep.
    pub reset_min_s: f64,
    /// Longest press that resets the BMS, in s (10); longer presses do nothing.
    pub reset_max_s: f64,
}

impl PackParams {
    /// The Lesso LSRR51V100AH-LFP (seed manual 000), with assumed COCP numbers.
    pub fn lesso_lsrr51v100ah() -> Self {
        Self {
            model: "LSRR51V100AH-LFP".to_string(),
            serial: "SIM-LSRR51V100AH-0001".to_string(),
            firmware: "sim-1.0".to_string(),
            cells_in_series: 16,
            capacity_ah: 100.0,
            // Assumption: ~1.2 mOhm per cell plus busbars and MOSFETs.
            internal_resistance_ohm: 0.02,
            initial_soc: 0.5,
            temperature_c: 25.0,
            charge_voltage_limit_v: 56.0,
            discharge_voltage_limit_v: 48.0,
            charge_current_limit_a: 70.0,
            discharge_current_limit_a: 100.0,
            current_dead_band_a: 0.5,
            cocp: OverCurrentParams {
                // Assumptions (manual 3.4 gives no numbers): above the 70 A max. charge
                // current of 3.3.2, a 2 s filter, a 60 s release delay.
                trip_current_a: 75.0,
                trip_delay_s: 2.0,
                recovery_delay_s: 60.0,
                // Manual 3.4: "locked after three consecutive times".
                lockout_after_trips: 3,
                counter_clear_s: 60.0,
            },
            reset_button: ButtonTimings {
                // Manual 3.3.3 E: sleep(3s)/awake(3s)/reset(6~10s).
                sleep_wake_min_s: 3.0,
                reset_min_s: 6.0,
                reset_max_s: 10.0,
            },
            can_period_s: 1.0,
        }
    }

    /// Every value the twin cannot model sensibly, all at once. [`crate::SimBench::start`]
    /// does not refuse such values (it clamps them), so callers validate first.
    pub fn validate(&self) -> Result<(), InvalidParams> {
        let mut problems = Vec::new();
        let mut check = |field: &'static str, value: f64, ok: bool, expected: &'static str| {
            if !ok || !value.is_finite() {
                problems.push(ParamProblem {
                    field,
                    value,
                    expected,
                });
            }
        };
        let p = self;
        check(
            "cells_in_series",
            f64::from(p.cells_in_series),
            (1..=64).contains(&p.cells_in_series),
            "1..=64",
        );
        check("capacity_ah", p.capacity_ah, p.capacity_ah > 0.0, "> 0");
        check(
            "internal_resistance_ohm",
            p.internal_resistance_ohm,
            p.internal_resistance_ohm > 0.0,
            "> 0",
        );
        check(
            "initial_soc",
            p.initial_soc,
            (0.0..=1.0).contains(&p.initial_soc),
            "0..=1",
        );
        check("temperature_c", p.temperature_c, true, "a number");
        for (field, value) in [
            ("charge_voltage_limit_v", p.charge_voltage_limit_v),
            ("discharge_voltage_limit_v", p.discharge_voltage_limit_v),
            ("charge_current_limit_a", p.charge_current_limit_a),
            ("discharge_current_limit_a", p.discharge_current_limit_a),
            ("current_dead_band_a", p.current_dead_band_a),
            ("cocp.trip_current_a", p.cocp.trip_current_a),
            ("cocp.trip_delay_s", p.cocp.trip_delay_s),
            ("cocp.recovery_delay_s", p.cocp.recovery_delay_s),
            ("cocp.counter_clear_s", p.cocp.counter_clear_s),
        ] {
            check(field, value, value >= 0.0, ">= 0");
        }
        check(
            "cocp.lockout_after_trips",
            f64::from(p.cocp.lockout_after_trips),
            p.cocp.lockout_after_trips >= 1,
            ">= 1",
        );
        let b = &p.reset_button;
        check(
            "reset_button.sleep_wake_min_s",
            b.sleep_wake_min_s,
            b.sleep_wake_min_s > 0.0,
            "> 0",
        );
        check(
            "reset_button.reset_min_s",
            b.reset_min_s,
            b.reset_min_s >= b.sleep_wake_min_s,
            ">= sleep_wake_min_s",
        );
        check(
            "reset_button.reset_max_s",
            b.reset_max_s,
            b.reset_max_s >= b.reset_min_s,
            ">= reset_min_s",
        );
        check(
            "can_period_s",
            p.can_period_s,
            p.can_period_s >= 0.001,
            ">= 0.001",
        );
        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidParams { problems })
        }
    }
}

/// One out-of-range pack parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamProblem {
    pub field: &'static str,
    pub value: f64,
    pub expected: &'static str,
}

/// Every out-of-range pack parameter; never empty.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("invalid pack parameters: {}", problems.iter()
    .map(|p| format!("{} = {} (expected {})", p.field, p.value, p.expected))
    .collect::<Vec<_>>().join(", "))]
pub struct InvalidParams {
    pub problems: Vec<ParamProblem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lesso_profile_is_valid() {
        assert_eq!(PackParams::lesso_lsrr51v100ah().validate(), Ok(()));
    }

    #[test]
    fn validation_reports_every_problem() {
        let mut p = PackParams::lesso_lsrr51v100ah();
        p.capacity_ah = 0.0;
        p.initial_soc = f64::NAN;
        p.reset_button.reset_max_s = 5.0;
        let err = p.validate().unwrap_err();
        let fields: Vec<_> = err.problems.iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["capacity_ah", "initial_soc", "reset_button.reset_max_s"]
        );
        assert!(err.to_string().contains("capacity_ah = 0 (expected > 0)"));
    }
}
