//! The twin's parameters: the pack's physical data from the DUT profile, the
//! thresholds, delays and timers its BMS runs from the firmware description
//! (`testplans/firmware/<dut-id>.yaml`, SPEC-12 §6), and the defects the bench injects.
//! Without a firmware description the BMS runs the profile's nominal values.

use rig_sim::{
    AlarmParams, BalancingParams, ButtonTimings, CellParams, ForcedRechargeParams, LedTable,
    OverCurrentParams, PackParams, PeakCurrent, PrechargeParams, ShortCircuitParams, SleepParams,
    SocCalibrationParams, TemperatureLimit, TemperatureProtectionParams, ThermalParams,
    VoltageProtectionParams,
};

use crate::diag::{Problem, Problems};
use crate::dut::DutProfile;
use crate::firmware::Firmware;

/// Where the twin's numbers come from: the firmware's value where it gives one, else
/// the profile's (its physical data, or the nominal when there is no firmware).
#[derive(Clone, Copy)]
struct Figures<'a> {
    dut: &'a DutProfile,
    firmware: Option<&'a Firmware>,
}

impl Figures<'_> {
    fn number(&self, path: &str) -> Option<f64> {
        self.firmware
            .and_then(|f| f.number(path))
            .or_else(|| self.dut.number(path))
    }
}

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
    "docp.trip_current",
    "docp.trip_delay",
    "docp.recovery_delay",
    "docp.lockout_after_trips",
    "docp.counter_clear_time",
    "docp.peak_current",
    "docp.peak_delay",
    "covp.trip_voltage",
    "povp.trip_voltage",
    "covp.trip_delay",
    "covp.release_voltage",
    "povp.release_voltage",
    "covp.release_current",
    "cuvp.trip_voltage",
    "puvp.trip_voltage",
    "cuvp.trip_delay",
    "cuvp.release_voltage",
    "puvp.release_voltage",
    "cuvp.release_current",
    "alarms.cell_high_voltage",
    "alarms.cell_low_voltage",
    "alarms.charge_high_current",
    "alarms.discharge_high_current",
    "sleep.under_voltage_delay",
    "sleep.auto_wake_interval",
    "sleep.auto_wake_max_failures",
    "sleep.charger_wake_voltage",
    "sleep.standby_time",
    "soc.held_at",
    "soc.cutoff_current",
    "soc.calibration_cell_voltage",
    "soc.calibration_time",
    "rapid_shutdown.debounce",
    "scp.trip_current",
    "scp.trip_delay",
    "sensor_failure.detect_delay",
];

/// Yes/no promises the twin needs: the LOSUN 2.5 LED table (else Lesso 3.3.3.4's), and
/// LOSUN 2.3-3 wake-up 3) "Activating through the RS232 port".
const FLAGS: &[&str] = &["leds.losun_table", "sleep.rs232_wake"];

/// LOSUN 2.3-3 forced recharge: a profile without it gets a twin without it.
const FORCED_RECHARGE: &[&str] = &["sleep.forced_recharge_time", "sleep.recovery_voltage"];

/// The thermal model: a profile without it gets a pack whose temperature holds.
const THERMAL: &[&str] = &["twin.thermal_time_constant", "twin.heat_capacity"];

/// CHTP/DHTP/CLTP/DLTP and the temperature warnings (Lesso manual 3.4, 3.3.3.4): a
/// profile without them gets a twin without them.
const TEMPERATURE_PROTECTION: &[&str] = &[
    "chtp.trip_temperature",
    "chtp.release_temperature",
    "chtp.trip_delay",
    "dhtp.trip_temperature",
    "dhtp.release_temperature",
    "dhtp.trip_delay",
    "cltp.trip_temperature",
    "cltp.release_temperature",
    "cltp.trip_delay",
    "dltp.trip_temperature",
    "dltp.release_temperature",
    "dltp.trip_delay",
    "alarms.high_temperature",
    "alarms.low_temperature",
];

/// The cells' manufacturing spread (percent, percent, seed): a profile without it gets
/// identical cells.
const CELL_SPREAD: &[&str] = &[
    "twin.cell_capacity_spread",
    "twin.cell_soc_spread",
    "twin.cell_seed",
];

/// Passive balancing (LOSUN 2.1, Lesso 2.x): a profile without it gets a pack that does
/// not balance.
const BALANCING: &[&str] = &[
    "balancing.start_cell_voltage",
    "balancing.delta_voltage",
    "balancing.bleed_current",
];

/// The pre-charge circuit (Lesso 3.2): a profile without it gets a pack whose
/// discharge path closes at once.
const PRECHARGE: &[&str] = &[
    "precharge.resistance",
    "precharge.time",
    "precharge.pass_margin",
    "precharge.retry_delay",
];

/// The values of an optional group: all present, or none (`Ok(None)`); a partial group
/// is a problem naming what is missing.
fn optional_group(fig: Figures, paths: &[&str], problems: &mut Problems) -> Option<Vec<f64>> {
    let dut = fig.dut;
    let values: Vec<Option<f64>> = paths.iter().map(|p| fig.number(p)).collect();
    if values.iter().all(Option::is_none) {
        return None;
    }
    let missing: Vec<&str> = paths
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(p, _)| *p)
        .collect();
    if !missing.is_empty() {
        problems.push(
            Problem::in_file(
                &dut.file,
                format!(
                    "the virtual bench models {} together; missing: {}",
                    paths.join(", "),
                    missing.join(", ")
                ),
            )
            .help("add the missing values with their manual section or as assumptions"),
        );
        return None;
    }
    Some(values.into_iter().flatten().collect())
}

/// Trip temperature, release temperature and trip delay, in that order.
fn limit(v: &[f64]) -> TemperatureLimit {
    TemperatureLimit {
        trip_c: v[0],
        release_c: v[1],
        trip_delay_s: v[2],
    }
}

/// The twin's parameters from the DUT profile and the firmware description (`None`:
/// the profile's nominal values); every value it lacks is a problem, and so is a
/// firmware value outside what the twin can model (located at its line).
pub fn pack_params(dut: &DutProfile, firmware: Option<&Firmware>) -> Result<PackParams, Problems> {
    let fig = Figures { dut, firmware };
    let params = build(fig)?;
    if let (Some(fw), Err(invalid)) = (firmware, params.validate()) {
        return Err(locate_invalid(dut, fw, &invalid));
    }
    Ok(params)
}

fn build(fig: Figures) -> Result<PackParams, Problems> {
    let mut problems = Problems::default();
    let v = required(fig, &mut problems);
    let flags = flags(fig.dut, &mut problems);
    let optional = Optional::read(fig, &mut problems);
    problems.into_result(assemble(fig, &v, &flags, optional))
}

/// A firmware the twin cannot run: each firmware value that alone breaks a range rule
/// (the twin built from the profile with only that value changed) is named at its
/// line; what only breaks together is named at the file.
fn locate_invalid(dut: &DutProfile, fw: &Firmware, invalid: &rig_sim::InvalidParams) -> Problems {
    let mut problems = Problems::default();
    let nominal = build(Figures {
        dut,
        firmware: None,
    })
    .ok()
    .and_then(|p| p.validate().err())
    .map_or(0, |e| e.problems.len());
    for (path, value) in fw.values() {
        let mut one = fw.clone();
        one.keep_only(path);
        let alone = build(Figures {
            dut,
            firmware: Some(&one),
        });
        if let Ok(Err(e)) = alone.map(|p| p.validate())
            && e.problems.len() > nominal
        {
            problems.push(
                Problem::at(
                    &fw.file,
                    value.span,
                    format!("`{path}`: the twin cannot run this value: {e}"),
                )
                .help("keep the value in the range the twin models (see `rig sim defects` for the rules it names)"),
            );
        }
    }
    if problems.is_empty() {
        problems.push(Problem::in_file(
            &fw.file,
            format!("the twin cannot run this firmware: {invalid}"),
        ));
    }
    problems
}

/// The `NEEDED` values in their order; a missing one is a problem and reads 0.
fn required(fig: Figures, problems: &mut Problems) -> Vec<f64> {
    let dut = fig.dut;
    NEEDED
        .iter()
        .map(|path| match fig.number(path) {
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
        })
        .collect()
}

/// The `FLAGS` in their order; a missing one is a problem and reads false.
fn flags(dut: &DutProfile, problems: &mut Problems) -> Vec<bool> {
    FLAGS
        .iter()
        .map(|path| match dut.get(path).map(|p| &p.value) {
            Some(crate::expr::Value::Bool(b)) => *b,
            _ => {
                problems.push(
                    Problem::in_file(
                        &dut.file,
                        format!(
                            "the virtual bench needs `{path}` (true or false) to model this pack"
                        ),
                    )
                    .help("add it under `values:` with its manual section or as an assumption"),
                );
                false
            }
        })
        .collect()
}

/// The parts of the twin a profile may leave out.
struct Optional {
    forced_recharge: Option<ForcedRechargeParams>,
    thermal: Option<ThermalParams>,
    temperature_protection: Option<TemperatureProtectionParams>,
    cells: CellParams,
    balancing: Option<BalancingParams>,
    precharge: Option<PrechargeParams>,
}

impl Optional {
    fn read(fig: Figures, problems: &mut Problems) -> Optional {
        let forced_recharge =
            optional_group(fig, FORCED_RECHARGE, problems).map(|f| ForcedRechargeParams {
                standby_s: f[0],
                recovery_voltage_v: f[1],
            });
        let thermal = optional_group(fig, THERMAL, problems).map(|t| ThermalParams {
            time_constant_s: t[0],
            heat_capacity_j_per_k: t[1],
        });
        let temperature_protection =
            optional_group(fig, TEMPERATURE_PROTECTION, problems).map(|t| {
                TemperatureProtectionParams {
                    charge_high: limit(&t[0..3]),
                    discharge_high: limit(&t[3..6]),
                    charge_low: limit(&t[6..9]),
                    discharge_low: limit(&t[9..12]),
                    alarm_high_c: t[12],
                    alarm_low_c: t[13],
                }
            });
        let cells = optional_group(fig, CELL_SPREAD, problems).map_or(CellParams::IDENTICAL, |c| {
            CellParams {
                capacity_spread: c[0] / 100.0,
                soc_spread: c[1] / 100.0,
                seed: c[2].max(0.0) as u64,
            }
        });
        let balancing = optional_group(fig, BALANCING, problems).map(|b| BalancingParams {
            start_cell_v: b[0],
            delta_v: b[1],
            bleed_current_a: b[2],
        });
        let precharge = optional_group(fig, PRECHARGE, problems).map(|p| PrechargeParams {
            resistance_ohm: p[0],
            time_s: p[1],
            pass_margin_v: p[2],
            retry_delay_s: p[3],
        });
        Optional {
            forced_recharge,
            thermal,
            temperature_protection,
            cells,
            balancing,
            precharge,
        }
    }
}

/// Trip current, trip delay, recovery delay, lockout count and counter clear time.
fn over_current(v: &[f64]) -> OverCurrentParams {
    OverCurrentParams {
        trip_current_a: v[0],
        trip_delay_s: v[1],
        recovery_delay_s: v[2],
        lockout_after_trips: v[3] as u32,
        counter_clear_s: v[4],
    }
}

/// Cell trip, pack trip, trip delay, cell release, pack release and release current.
fn voltage_protection(v: &[f64]) -> VoltageProtectionParams {
    VoltageProtectionParams {
        cell_trip_v: v[0],
        pack_trip_v: v[1],
        trip_delay_s: v[2],
        cell_release_v: v[3],
        pack_release_v: v[4],
        release_current_a: v[5],
    }
}

/// The parameters from the values in `NEEDED`'s order (`v`), the flags in `FLAGS`'s
/// order and the optional parts.
fn assemble(fig: Figures, v: &[f64], flags: &[bool], optional: Optional) -> PackParams {
    let dut = fig.dut;
    PackParams {
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
        cocp: over_current(&v[7..12]),
        reset_button: ButtonTimings {
            sleep_wake_min_s: v[12],
            reset_min_s: v[13],
            reset_max_s: v[14],
            // The controller's reboot after a reset: a profile without it resets at once.
            reboot_s: fig.number("reset_button.reboot_time").unwrap_or(0.0),
        },
        can_period_s: v[15],
        internal_resistance_ohm: v[16],
        initial_soc: v[17] / 100.0,
        // A profile without an SOH describes a new pack.
        soh_percent: fig.number("twin.soh").unwrap_or(100.0),
        cells: optional.cells,
        balancing: optional.balancing,
        precharge: optional.precharge,
        temperature_c: v[18],
        docp: over_current(&v[19..24]),
        docp_peak: PeakCurrent {
            current_a: v[24],
            delay_s: v[25],
        },
        over_voltage: voltage_protection(&v[26..32]),
        under_voltage: voltage_protection(&v[32..38]),
        alarms: AlarmParams {
            cell_high_v: v[38],
            cell_low_v: v[39],
            charge_high_current_a: v[40],
            discharge_high_current_a: v[41],
            cell_imbalance_v: fig.number("alarms.cell_imbalance").unwrap_or(f64::INFINITY),
        },
        sleep: SleepParams {
            under_voltage_delay_s: v[42],
            auto_wake_interval_s: v[43],
            auto_wake_max_failures: v[44] as u32,
            charger_wake_v: v[45],
            standby_s: v[46],
        },
        soc_calibration: SocCalibrationParams {
            held_percent: v[47],
            cutoff_current_a: v[48],
            cell_voltage_v: v[49],
            hold_s: v[50],
        },
        rapid_shutdown_debounce_s: v[51],
        short_circuit: ShortCircuitParams {
            trip_current_a: v[52],
            trip_delay_s: v[53],
        },
        sensor_failure_delay_s: v[54],
        led_table: if flags[0] {
            LedTable::Losun
        } else {
            LedTable::Lesso
        },
        rs232_wake: flags[1],
        forced_recharge: optional.forced_recharge,
        thermal: optional.thermal,
        temperature_protection: optional.temperature_protection,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;

    fn profile(values: &str) -> DutProfile {
        let text = format!("id: pack\nmodel: M\nmanual: doc\nvalues:\n{values}");
        DutProfile::parse(SourceFile::new("duts/pack.yaml", text)).unwrap()
    }

    #[test]
    fn a_shipped_profile_models_its_pack() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testplans/duts/lesso_lsrr51v100ah.yaml");
        let dut = DutProfile::load(&path).unwrap();
        let p = pack_params(&dut, None).unwrap();
        assert_eq!(p.cells_in_series, 16);
        assert_eq!(p.capacity_ah, 100.0);
        assert_eq!(p.cocp.trip_current_a, 75.0);
        assert_eq!(p.cocp.trip_delay_s, 2.0);
        assert_eq!(p.serial, "SIM-lesso_lsrr51v100ah");
    }

    #[test]
    fn every_missing_value_is_a_problem_naming_it() {
        let dut = profile("  cells_in_series: { value: 16, source: s }\n");
        let problems = pack_params(&dut, None).unwrap_err().to_string();
        assert!(!problems.contains("`cells_in_series`"), "{problems}");
        assert!(
            problems.contains("needs `capacity` to model this pack"),
            "{problems}"
        );
        assert!(
            problems.contains("needs `leds.losun_table` (true or false)"),
            "{problems}"
        );
    }

    #[test]
    fn a_partial_optional_group_names_what_it_lacks() {
        let dut = profile("  twin:\n    thermal_time_constant: { value: 3600 s, source: s }\n");
        let problems = pack_params(&dut, None).unwrap_err().to_string();
        assert!(
            problems.contains("models twin.thermal_time_constant, twin.heat_capacity together; missing: twin.heat_capacity"),
            "{problems}"
        );
    }

    /// The slices `assemble` hands the protection builders line up with the paths in
    /// `NEEDED` (where a slip would show): each value is its own index here.
    #[test]
    fn the_protections_take_their_values_in_needed_order() {
        let v: Vec<f64> = (0..NEEDED.len()).map(|i| i as f64).collect();
        assert_eq!(over_current(&v[7..12]).trip_current_a, 7.0);
        assert_eq!(over_current(&v[19..24]).counter_clear_s, 23.0);
        assert_eq!(NEEDED[7], "cocp.trip_current");
        assert_eq!(NEEDED[23], "docp.counter_clear_time");
        let ov = voltage_protection(&v[26..32]);
        assert_eq!((ov.cell_trip_v, ov.release_current_a), (26.0, 31.0));
        assert_eq!(
            (NEEDED[26], NEEDED[31]),
            ("covp.trip_voltage", "covp.release_current")
        );
        let uv = voltage_protection(&v[32..38]);
        assert_eq!((uv.cell_trip_v, uv.release_current_a), (32.0, 37.0));
        assert_eq!(
            (NEEDED[32], NEEDED[37]),
            ("cuvp.trip_voltage", "cuvp.release_current")
        );
    }
}
