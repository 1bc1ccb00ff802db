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
        "released by the reset button",
    ),
];

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
                .collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("no plan is listed as catching: {}", missing.join(", ")).into())
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
