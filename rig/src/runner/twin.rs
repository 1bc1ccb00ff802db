//! The twin's parameters, taken from the DUT profile: the virtual pack keeps exactly
//! the promises the profile writes down (and the defects the bench injects).

use rig_sim::{ButtonTimings, OverCurrentParams, PackParams};

use crate::diag::{Problem, Problems};
use crate::dut::DutProfile;

/// Profile values the twin needs, by path, in base units.
const NEEDED: &[&str] = &[
    "cells_in_series",
    "capacity",
    "charge_voltage",
    "low_voltage_cutoff",
    "max_charge_current",
    "max_discharge_current",
    "current_dead_band",
    "cocp.trip_current",
    "cocp.trip_delay",
    "cocp.recovery_delay",
    "cocp.lockout_after_trips",
    "cocp.counter_clear_time",
    "reset_button.sleep_wake_press",
    "reset_button.reset_press_min",
    "reset_button.reset_press_max",
    "can.period",
    "twin.internal_resistance",
    "twin.initial_soc",
    "twin.temperature",
];

pub fn pack_params(dut: &DutProfile) -> Result<PackParams, Problems> {
    let mut problems = Problems::default();
    let mut get = |path: &str| -> f64 {
        match dut.number(path) {
            Some(v) => v,
            None => {
                problems.push(
                    Problem::in_file(
                        &dut.file,
                        format!("the virtual bench needs `{path}` to model this pack"),
                    )
                    .help("add it under `values:` with its manual section or as an assumption"),
                );
                0.0
            }
        }
    };
    let v: Vec<f64> = NEEDED.iter().map(|p| get(p)).collect();
    let params = PackParams {
        model: dut.model.clone(),
        serial: format!("SIM-{}", dut.id),
        firmware: "twin".into(),
        cells_in_series: v[0] as u32,
        capacity_ah: v[1],
        charge_voltage_limit_v: v[2],
        discharge_voltage_limit_v: v[3],
        charge_current_limit_a: v[4],
        discharge_current_limit_a: v[5],
        current_dead_band_a: v[6],
        cocp: OverCurrentParams {
            trip_current_a: v[7],
            trip_delay_s: v[8],
            recovery_delay_s: v[9],
            lockout_after_trips: v[10] as u32,
            counter_clear_s: v[11],
        },
        reset_button: ButtonTimings {
            sleep_wake_min_s: v[12],
            reset_min_s: v[13],
            reset_max_s: v[14],
        },
        can_period_s: v[15],
        internal_resistance_ohm: v[16],
        initial_soc: v[17] / 100.0,
        temperature_c: v[18],
    };
    problems.into_result(params)
}
