//! `after:` + `within:` and `never:` + `for:` on the virtual bench (issue 12, spec 3):
//! the same COCP trip of the twin passes a window that allows it and fails, with the
//! moment in the message, one that does not.

use std::path::PathBuf;

use libtest_mimic::{Failed, Trial};
use rig_reports::{EventKind, Verdict};

use crate::support;

fn fixture(name: &str) -> PathBuf {
    support::repo().join("tests/fixtures/windows").join(name)
}

/// The run fails, and its message contains every one of `parts`.
fn fails_with(name: &str, parts: &[&str]) -> Result<(), Failed> {
    let outcome = support::run(&fixture(name), &[], name)?;
    let message = outcome.message.clone().unwrap_or_default();
    if outcome.verdict != Verdict::Fail || !parts.iter().all(|p| message.contains(p)) {
        return Err(format!(
            "{name}: expected a failure saying {parts:?}, got {}: {message}",
            outcome.verdict
        )
        .into());
    }
    Ok(())
}

fn a_trip_inside_both_ends_passes() -> Result<(), Failed> {
    let plan = fixture("cocp_timing.yaml");
    support::assert_passes(&plan)?;
    let outcome = support::run(&plan, &[], "windows-pass")?;
    let windows: Vec<String> = support::events(&outcome)
        .into_iter()
        .filter_map(|e| match e {
            EventKind::Expectation { window, .. } => Some(window),
            _ => None,
        })
        .collect();
    let wanted = ["within 5 s", "never for 20 s", "within 5 s after 1 s"];
    if windows != wanted {
        return Err(format!("expected windows {wanted:?} in the log, got {windows:?}").into());
    }
    Ok(())
}

fn a_trip_before_after_fails_too_early() -> Result<(), Failed> {
    fails_with(
        "cocp_too_early.yaml",
        &[
            "expectation \"COCP trips after its delay, not at once\" failed",
            "cocp_too_early.yaml:20:9",
            "expected: bms.protection_charge_overcurrent within 5 s, not before 3 s",
            "observed: true too early, at t=",
        ],
    )
}

fn a_never_condition_that_becomes_true_fails() -> Result<(), Failed> {
    fails_with(
        "cocp_never.yaml",
        &[
            "expectation \"no COCP (wrongly expected)\" failed",
            "expected: never bms.protection_charge_overcurrent for 10 s",
            "observed: became true at t=",
            "into the window): bms.protection_charge_overcurrent = true",
        ],
    )
}

pub fn trials() -> Vec<Trial> {
    support::trials!(
        "windows",
        a_trip_inside_both_ends_passes,
        a_trip_before_after_fails_too_early,
        a_never_condition_that_becomes_true_fails,
    )
}
