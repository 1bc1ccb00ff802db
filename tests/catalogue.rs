//! The defect catalogue: for each firmware defect the twin can inject, the plan and the
//! expectation that must catch it. A defect missing here fails the coverage trial, so
//! a new defect cannot be added without a plan that catches it.

use libtest_mimic::{Failed, Trial};
use rig_reports::{EventKind, Verdict};

use crate::support;

/// (defect, plan file in testplans/, expectation that must fail).
pub const CATALOGUE: &[(&str, &str, &str)] = &[
    (
        "cocp_no_lockout",
        "cocp_lockout.yaml",
        "locked out well past the recovery delay",
    ),
    (
        "cocp_lockout_after_four",
        "cocp_lockout.yaml",
        "locked out well past the recovery delay",
    ),
    (
        "cocp_no_recovery",
        "cocp_lockout.yaml",
        "trip 1: recovers automatically after the delay",
    ),
    (
        "cocp_flag_missing",
        "cocp_lockout.yaml",
        "trip 1: COCP flag on CAN (0x359)",
    ),
    (
        "ccl_not_zeroed",
        "cocp_lockout.yaml",
        "trip 1: charge current limit 0 A on CAN (0x351)",
    ),
    (
        "charge_enable_stuck",
        "cocp_lockout.yaml",
        "trip 1: charge enable cleared on CAN (0x35C)",
    ),
    (
        "dry_contact_stuck",
        "cocp_lockout.yaml",
        "trip 1: dry contact 1 opens",
    ),
    (
        "reset_ignored",
        "cocp_lockout.yaml",
        // The first symptom: an ignored press does not restart the controller.
        "the BMS reboots after the reset, silent on CAN (its controller restarts)",
    ),
    (
        "docp_no_lockout",
        "docp_peak_discharge.yaml",
        "DOCP locked out well past the recovery delay",
    ),
    (
        "peak_limit_ignored",
        "docp_peak_discharge.yaml",
        "DOCP after 5 min in the 101-119 A band",
    ),
    (
        "discharge_contact_stuck",
        "uv_sleep_charger_wake.yaml",
        "dry contact 2 opens",
    ),
    (
        "voltage_flags_swapped",
        "uv_sleep_charger_wake.yaml",
        "CUVP flag on CAN (0x359)",
    ),
    (
        "alarms_missing",
        "uv_sleep_charger_wake.yaml",
        "low-voltage warning on CAN before the protection (0x359 byte 2)",
    ),
    (
        "uv_sleep_never",
        "uv_sleep_charger_wake.yaml",
        "asleep and silent on CAN after the sleep delay",
    ),
    (
        "charger_wake_ignored",
        "uv_sleep_charger_wake.yaml",
        "woken by a charger above 48 V",
    ),
    (
        "rsd_ignored",
        "rapid_shutdown_button.yaml",
        "output off while rapid shutdown is asserted",
    ),
    (
        "sleep_button_ignored",
        "rapid_shutdown_button.yaml",
        "asleep and silent on CAN after a 4 s press",
    ),
    (
        "auto_wake_hourly",
        "uv_sleep_auto_wake.yaml",
        "wake 1: silent until the interval has passed",
    ),
    (
        "auto_wake_forever",
        "uv_sleep_auto_wake.yaml",
        "no eleventh wake-up",
    ),
    (
        "chtp_no_hysteresis",
        "chtp_hysteresis.yaml",
        "CHTP holds between the release and trip temperatures",
    ),
    (
        "temperature_flag_missing",
        "chtp_hysteresis.yaml",
        "CHTP flag on CAN (0x359)",
    ),
    (
        "cltp_ignored",
        "cltp_cold_charge.yaml",
        "CLTP stops charging below the charge range (0x359, 0x351, 0x35C, dry contact 1)",
    ),
    (
        "soc_jumps_to_100",
        "covp_soc_calibration.yaml",
        "SOC held at or below 99 % through the bulk charge",
    ),
    (
        "scp_auto_release",
        "scp_reverse_polarity.yaml",
        "SCP holds after the short is removed, without a charger",
    ),
    (
        "reverse_polarity_ignored",
        "scp_reverse_polarity.yaml",
        "no current while reversed",
    ),
    (
        "sensor_failure_not_latched",
        "sensor_failure.yaml",
        "failure mode holds after the sensor is restored",
    ),
    (
        "alm_led_dark_on_protection",
        "sensor_failure.yaml",
        "ALM LED steadily on, RUN LED dark in the failure mode",
    ),
    (
        "rs485_turn_off_ignored",
        "rs485_turn_off.yaml",
        "asleep after 0x95, silent on CAN, contacts open",
    ),
    (
        "rs232_wake_ignored",
        "rs232_wake.yaml",
        "woken by the RS232 line, CAN frames and RS485 answers return",
    ),
    (
        "balancing_never",
        "balancing.yaml",
        "the spread narrows to the balancing threshold (0x42 cell voltages)",
    ),
    (
        "forced_recharge_never",
        "forced_recharge.yaml",
        "forced recharge after 2 days of standby (0x35C request full charge, charge enable, 0x351 CCL)",
    ),
    (
        "parallel_limits_not_scaled",
        "parallel_packs.yaml",
        "charge and discharge limits are 3 × one pack's (0x351, §5.6 items 9-10 \"70A*N\", \"100A*N\")",
    ),
    (
        "module_count_stuck_at_one",
        "parallel_packs.yaml",
        "CAN counts three modules (0x359 byte 4)",
    ),
    (
        "slave_silent_on_rs485",
        "parallel_packs.yaml",
        "the slaves answer at the master's address + 1 and + 2 (0x42)",
    ),
    (
        "slave_alarms_not_aggregated",
        "parallel_packs.yaml",
        "the master reports the slave's sensor failure on CAN (0x359 byte 1 bit 3)",
    ),
    (
        // The plan never reads bms.online; the pack still answers RS485, so the
        // silence is the DUT's failure, not the bench's (issue 13).
        "can_hangs_on_protection",
        "chtp_hysteresis.yaml",
        "CHTP stops charging (0x351 CCL 0 A, 0x35C, dry contact 1)",
    ),
];

/// Defects no plan can catch yet, because the engine has no action that reaches the
/// behaviour they break; the twin's own tests (rig-sim) show each one breaking it.
/// (defect, what the plan needs.) The parametric defects move a number that only a
/// measurement with limits can see (issue 12); the twin's own tests (rig-sim bench
/// `parametric`) measure the moved numbers.
pub const AWAITING_ENGINE: &[(&str, &str)] = &[
    ("cocp_trips_at_55a", MEASUREMENT),
    ("docp_tier_from_80a", MEASUREMENT),
    ("docp_peak_tier_60s", MEASUREMENT),
    ("cocp_recovery_5s", MEASUREMENT),
    ("cocp_trip_instant", MEASUREMENT),
    ("auto_wake_3h30", MEASUREMENT),
    ("uv_sleep_after_5s", MEASUREMENT),
    ("forced_recharge_after_1d", MEASUREMENT),
    ("reset_at_3s", MEASUREMENT),
    ("chtp_hysteresis_1k", MEASUREMENT),
    ("cvl_58v4", MEASUREMENT),
    ("dead_band_5a", MEASUREMENT),
    ("ccl_80a", MEASUREMENT),
    ("dcl_50a", MEASUREMENT),
    ("dvl_44v8", MEASUREMENT),
    ("charger_wake_above_52v", MEASUREMENT),
    ("auto_wake_stops_after_5", MEASUREMENT),
    ("standby_sleep_after_12h", MEASUREMENT),
    ("soc_calibration_10min", MEASUREMENT),
    ("reset_up_to_15s", MEASUREMENT),
    ("docp_peak_from_150a", MEASUREMENT),
    ("cltp_at_minus_10c", MEASUREMENT),
    ("dhtp_at_55c", MEASUREMENT),
];

const MEASUREMENT: &str = "a `measure:` with limits (issue 12)";

pub fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = CATALOGUE
        .iter()
        .map(|&(defect, plan, expectation)| {
            Trial::test(
                format!(
                    "defect::{defect}::caught_by::{}",
                    plan.trim_end_matches(".yaml")
                ),
                move || assert_caught(defect, plan, expectation),
            )
        })
        .collect();
    trials.push(Trial::test(
        "defect::every_defect_has_a_catching_plan",
        || {
            let missing: Vec<String> = rig_sim::Defect::ALL
                .iter()
                .map(|d| d.to_string())
                .filter(|d| !CATALOGUE.iter().any(|(c, _, _)| c == d))
                .filter(|d| !AWAITING_ENGINE.iter().any(|(a, _)| a == d))
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("no plan is listed as catching: {}", missing.join(", ")).into())
            }
        },
    ));
    trials.push(Trial::test(
        "defect::awaiting_engine_lists_only_uncaught_defects",
        || {
            let wrong: Vec<&str> = AWAITING_ENGINE
                .iter()
                .map(|(d, _)| *d)
                .filter(|d| {
                    d.parse::<rig_sim::Defect>().is_err()
                        || CATALOGUE.iter().any(|(c, _, _)| c == d)
                })
                .collect();
            if wrong.is_empty() {
                Ok(())
            } else {
                Err(format!("not a defect, or already caught by a plan: {wrong:?}").into())
            }
        },
    ));
    trials
}

fn assert_caught(defect: &str, plan: &str, expectation: &str) -> Result<(), Failed> {
    let outcome = support::run(
        &support::repo().join("testplans").join(plan),
        &[defect],
        defect,
    )?;
    if outcome.verdict != Verdict::Fail {
        return Err(format!(
            "with {defect} injected the plan must fail (the DUT misbehaves), got {:?}: {}",
            outcome.verdict,
            outcome.message.unwrap_or_default()
        )
        .into());
    }
    let failed: Vec<(String, String)> = support::events(&outcome)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::Expectation {
                verdict: Verdict::Fail,
                name,
                message,
                ..
            } => Some((name, message.unwrap_or_default())),
            _ => None,
        })
        .collect();
    let Some((_, message)) = failed.iter().find(|(n, _)| n == expectation) else {
        return Err(format!(
            "expected `{expectation}` to fail; failed: {:?}",
            failed.iter().map(|(n, _)| n).collect::<Vec<_>>()
        )
        .into());
    };
    // The message names the expectation, its plan line, and what was observed.
    let summary = outcome.message.unwrap_or_default();
    for needle in [
        expectation,
        &format!("testplans/{plan}:"),
        "observed:",
        "t=",
    ] {
        if !message.contains(needle) || !summary.contains(needle) {
            return Err(format!("the failure message lacks `{needle}`:\n{message}").into());
        }
    }
    Ok(())
}
