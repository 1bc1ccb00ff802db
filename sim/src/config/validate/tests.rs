use super::*;
use crate::config::ForcedRechargeParams;

/// The Lesso profile with every optional section present, so that every rule applies.
fn every_section() -> PackParams {
    let mut p = PackParams::lesso_lsrr51v100ah();
    p.forced_recharge = Some(ForcedRechargeParams {
        standby_s: 2.0 * 86_400.0,
        recovery_voltage_v: 52.0,
    });
    p
}

fn fields(p: &PackParams) -> Vec<&'static str> {
    match p.validate() {
        Ok(()) => Vec::new(),
        Err(e) => e.problems.iter().map(|p| p.field).collect(),
    }
}

type Break = fn(&mut PackParams);

/// For each rule, a value out of its range that breaks that rule and no other.
#[rustfmt::skip]
const BREAKS: &[(&str, Break)] = &[
    ("cells_in_series", |p| p.cells_in_series = 65),
    ("capacity_ah", |p| p.capacity_ah = 0.0),
    ("internal_resistance_ohm", |p| p.internal_resistance_ohm = -0.01),
    ("initial_soc", |p| p.initial_soc = 1.1),
    ("temperature_c", |p| p.temperature_c = f64::NAN),
    ("soh_percent", |p| p.soh_percent = 101.0),
    ("cells.capacity_spread", |p| p.cells.capacity_spread = 0.3),
    ("cells.soc_spread", |p| p.cells.soc_spread = -0.01),
    ("balancing.start_cell_v", |p| p.balancing.as_mut().unwrap().start_cell_v = -1.0),
    ("balancing.delta_v", |p| p.balancing.as_mut().unwrap().delta_v = -0.01),
    ("balancing.bleed_current_a", |p| p.balancing.as_mut().unwrap().bleed_current_a = f64::INFINITY),
    ("precharge.resistance_ohm", |p| p.precharge.as_mut().unwrap().resistance_ohm = 0.0),
    ("precharge.time_s", |p| p.precharge.as_mut().unwrap().time_s = -1.0),
    ("precharge.pass_margin_v", |p| p.precharge.as_mut().unwrap().pass_margin_v = -1.0),
    ("precharge.retry_delay_s", |p| p.precharge.as_mut().unwrap().retry_delay_s = -1.0),
    ("alarms.cell_imbalance_v", |p| p.alarms.cell_imbalance_v = 0.0),
    ("thermal.time_constant_s", |p| p.thermal.as_mut().unwrap().time_constant_s = 0.5),
    ("thermal.heat_capacity_j_per_k", |p| p.thermal.as_mut().unwrap().heat_capacity_j_per_k = 0.0),
    ("temperature_protection.charge_high", |p| tp(p).charge_high.release_c = 55.0),
    ("temperature_protection.charge_high", |p| tp(p).charge_high.trip_delay_s = -1.0),
    ("temperature_protection.discharge_high", |p| tp(p).discharge_high.release_c = 51.0),
    ("temperature_protection.discharge_high", |p| tp(p).discharge_high.trip_delay_s = -1.0),
    ("temperature_protection.charge_low", |p| tp(p).charge_low.release_c = -10.0),
    ("temperature_protection.charge_low", |p| tp(p).charge_low.trip_delay_s = -1.0),
    ("temperature_protection.discharge_low", |p| tp(p).discharge_low.trip_c = f64::NEG_INFINITY),
    ("temperature_protection.discharge_low", |p| tp(p).discharge_low.trip_delay_s = f64::NAN),
    ("temperature_protection.alarm_high_c", |p| tp(p).alarm_high_c = f64::INFINITY),
    ("temperature_protection.alarm_low_c", |p| tp(p).alarm_low_c = f64::NAN),
    ("charge_voltage_limit_v", |p| p.charge_voltage_limit_v = -1.0),
    ("discharge_voltage_limit_v", |p| p.discharge_voltage_limit_v = -1.0),
    ("charge_current_limit_a", |p| p.charge_current_limit_a = -1.0),
    ("discharge_current_limit_a", |p| p.discharge_current_limit_a = -1.0),
    ("current_dead_band_a", |p| p.current_dead_band_a = -1.0),
    ("cocp.trip_current_a", |p| p.cocp.trip_current_a = -1.0),
    ("cocp.trip_delay_s", |p| p.cocp.trip_delay_s = -1.0),
    ("cocp.recovery_delay_s", |p| p.cocp.recovery_delay_s = -1.0),
    ("cocp.counter_clear_s", |p| p.cocp.counter_clear_s = -1.0),
    ("docp.trip_current_a", |p| p.docp.trip_current_a = -1.0),
    ("docp.trip_delay_s", |p| p.docp.trip_delay_s = -1.0),
    ("docp.recovery_delay_s", |p| p.docp.recovery_delay_s = -1.0),
    ("docp.counter_clear_s", |p| p.docp.counter_clear_s = -1.0),
    ("docp_peak.current_a", |p| p.docp_peak.current_a = -1.0),
    ("docp_peak.delay_s", |p| p.docp_peak.delay_s = -1.0),
    ("over_voltage.trip_delay_s", |p| p.over_voltage.trip_delay_s = -1.0),
    ("over_voltage.release_current_a", |p| p.over_voltage.release_current_a = -1.0),
    ("under_voltage.trip_delay_s", |p| p.under_voltage.trip_delay_s = -1.0),
    ("under_voltage.release_current_a", |p| p.under_voltage.release_current_a = -1.0),
    ("sleep.under_voltage_delay_s", |p| p.sleep.under_voltage_delay_s = -1.0),
    ("sleep.standby_s", |p| p.sleep.standby_s = -1.0),
    ("soc_calibration.cutoff_current_a", |p| p.soc_calibration.cutoff_current_a = -1.0),
    ("soc_calibration.hold_s", |p| p.soc_calibration.hold_s = -1.0),
    ("rapid_shutdown_debounce_s", |p| p.rapid_shutdown_debounce_s = -1.0),
    ("short_circuit.trip_current_a", |p| p.short_circuit.trip_current_a = -1.0),
    ("cocp.lockout_after_trips", |p| p.cocp.lockout_after_trips = 0),
    ("docp.lockout_after_trips", |p| p.docp.lockout_after_trips = 0),
    ("over_voltage.cell_release_v", |p| p.over_voltage.cell_release_v = 3.6),
    ("over_voltage.pack_release_v", |p| p.over_voltage.pack_release_v = 57.0),
    ("under_voltage.cell_release_v", |p| p.under_voltage.cell_release_v = 2.8),
    ("under_voltage.pack_release_v", |p| p.under_voltage.pack_release_v = 46.0),
    ("sleep.auto_wake_interval_s", |p| p.sleep.auto_wake_interval_s = 0.5),
    ("soc_calibration.held_percent", |p| p.soc_calibration.held_percent = 100.5),
    ("reset_button.sleep_wake_min_s", |p| p.reset_button.sleep_wake_min_s = 0.0),
    ("reset_button.reset_min_s", |p| p.reset_button.reset_min_s = 2.0),
    ("reset_button.reset_max_s", |p| p.reset_button.reset_max_s = 5.0),
    ("reset_button.reboot_s", |p| p.reset_button.reboot_s = -1.0),
    ("short_circuit.trip_delay_s", |p| p.short_circuit.trip_delay_s = 0.0),
    ("sensor_failure_delay_s", |p| p.sensor_failure_delay_s = 0.0),
    ("forced_recharge.standby_s", |p| p.forced_recharge.as_mut().unwrap().standby_s = 0.5),
    ("forced_recharge.recovery_voltage_v", |p| p.forced_recharge.as_mut().unwrap().recovery_voltage_v = 0.0),
    ("can_period_s", |p| p.can_period_s = 0.0005),
];

fn tp(p: &mut PackParams) -> &mut TemperatureProtectionParams {
    p.temperature_protection.as_mut().unwrap()
}

#[test]
fn the_lesso_profile_is_valid() {
    assert_eq!(PackParams::lesso_lsrr51v100ah().validate(), Ok(()));
    assert_eq!(every_section().validate(), Ok(()));
}

#[test]
fn each_rule_rejects_its_field_alone() {
    for (field, break_it) in BREAKS {
        let mut p = every_section();
        break_it(&mut p);
        assert_eq!(fields(&p), [*field], "{field}");
    }
}

#[test]
fn every_rule_has_a_case() {
    let mut rules: Vec<_> = RULES.iter().map(|r| r.0).collect();
    let mut cases: Vec<_> = BREAKS.iter().map(|b| b.0).collect();
    rules.sort_unstable();
    cases.sort_unstable();
    assert_eq!(rules, cases);
}

#[test]
fn every_problem_is_reported_in_table_order() {
    // The button's rules compare its windows with each other: breaking one window moves
    // the bound of the next, so they are left out here (the case above has them).
    let independent = |field: &str| !field.starts_with("reset_button.");
    let mut p = every_section();
    for (_, break_it) in BREAKS.iter().filter(|(f, _)| independent(f)) {
        break_it(&mut p);
    }
    let expected: Vec<_> = RULES
        .iter()
        .map(|r| r.0)
        .filter(|f| independent(f))
        .collect();
    assert_eq!(fields(&p), expected);
}

#[test]
fn absent_sections_are_not_checked() {
    let mut p = PackParams::lesso_lsrr51v100ah();
    p.balancing = None;
    p.precharge = None;
    p.thermal = None;
    p.temperature_protection = None;
    p.forced_recharge = None;
    // No imbalance warning at all is allowed too.
    p.alarms.cell_imbalance_v = f64::INFINITY;
    assert_eq!(p.validate(), Ok(()));
}

#[test]
fn the_error_names_each_value_and_what_was_expected() {
    let mut p = PackParams::lesso_lsrr51v100ah();
    p.capacity_ah = 0.0;
    p.initial_soc = f64::NAN;
    p.reset_button.reset_max_s = 5.0;
    let err = p.validate().unwrap_err();
    assert_eq!(
        fields(&p),
        ["capacity_ah", "initial_soc", "reset_button.reset_max_s"]
    );
    assert!(err.to_string().contains("capacity_ah = 0 (expected > 0)"));
    assert!(
        err.to_string()
            .contains("initial_soc = NaN (expected 0..=1)")
    );
}

#[test]
fn a_config_reports_the_pack_and_the_installation_together() {
    let mut config = SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Installation::default(),
        source: Default::default(),
    };
    assert_eq!(config.validate(), Ok(()));
    config.pack.capacity_ah = -1.0;
    config.installation.packs = MAX_PACKS + 1;
    let err = config.validate().unwrap_err();
    let fields: Vec<_> = err.problems.iter().map(|p| p.field).collect();
    assert_eq!(fields, ["capacity_ah", "installation.packs"]);
    config.installation.packs = 0;
    assert!(config.installation.validate().is_err());
}
