//! Every way out of a run leaves every instrument in its safe state: shown in the event
//! log and in the simulated instruments' own state (their output is off, their relays
//! open). Signals are covered by the CLI tests (they need their own process).

use std::path::Path;

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;
use rig::runner::{PlanOutcome, prepare, run_plan};
use rig_reports::{EventKind, Verdict};

use crate::support;

fn run(
    plan: &Path,
    defects: &[&str],
    panic_at_step: Option<usize>,
    label: &str,
) -> Result<PlanOutcome, Failed> {
    let bench = Bench::builtin_sim();
    let plan = load_plan(plan, &bench).map_err(|p| Failed::from(format!("plan rejected: {p}")))?;
    let defects: Vec<String> = defects.iter().map(|d| d.to_string()).collect();
    let mut prepared = prepare(&plan, &bench, &defects).map_err(|p| Failed::from(p.to_string()))?;
    prepared.inject_panic_at_step = panic_at_step;
    Ok(run_plan(&plan, &bench, &prepared, &support::scratch(label)))
}

/// The log shows both instruments made safe, and the twin's instruments agree.
fn assert_safe(outcome: &PlanOutcome, verdict: Verdict, words: &str) -> Result<(), Failed> {
    if outcome.verdict != verdict {
        return Err(format!(
            "expected {verdict}, got {}: {:?}",
            outcome.verdict, outcome.message
        )
        .into());
    }
    let message = outcome.message.clone().unwrap_or_default();
    if !message.contains(words) {
        return Err(format!("the outcome should say `{words}`: {message}").into());
    }
    let events = support::events(outcome);
    for instrument in ["source", "io"] {
        let made_safe = events.iter().any(|e| matches!(e, EventKind::SafeState { instrument: i, ok: true, .. } if i == instrument));
        if !made_safe {
            return Err(format!("no successful safe-state event for {instrument}").into());
        }
    }
    if !matches!(events.last(), Some(EventKind::RunFinished { verdict: v, .. }) if *v == verdict) {
        return Err(format!("the log does not end with run_finished {verdict}").into());
    }
    let sim = outcome
        .sim_final
        .as_ref()
        .ok_or("no final state of the virtual bench")?;
    if sim.source.output_on
        || sim.source.current_limit_pos_a != 0.0
        || sim.source.current_limit_neg_a != 0.0
    {
        return Err(format!("the simulated source is not safe: {:?}", sim.source).into());
    }
    if sim.relays.closed.iter().any(|c| *c) {
        return Err(format!("a simulated relay is still closed: {:?}", sim.relays.closed).into());
    }
    Ok(())
}

fn fixture(name: &str) -> std::path::PathBuf {
    support::repo().join("tests/fixtures/safety").join(name)
}

/// A plan of tests/fixtures/safety/ next to a DUT profile made from the current Lesso
/// profile with one `limits:` line replaced, so the fixture follows the real profile.
fn with_profile(plan: &str, profile_id: &str, limit: &str, line: &str) -> std::path::PathBuf {
    let dir = support::scratch(profile_id);
    let duts = dir.join("duts");
    std::fs::create_dir_all(&duts).expect("scratch folder");
    let lesso =
        std::fs::read_to_string(support::repo().join("testplans/duts/lesso_lsrr51v100ah.yaml"))
            .expect("the Lesso profile");
    let prefix = format!("    {limit}:");
    let mut replaced = false;
    let text: Vec<String> = lesso
        .lines()
        .map(|l| {
            if l.starts_with(&prefix) {
                replaced = true;
                format!("    {limit}: {line}")
            } else if l == "id: lesso_lsrr51v100ah" {
                format!("id: {profile_id}")
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(
        replaced,
        "the Lesso profile has no `limits.{limit}` line any more"
    );
    std::fs::write(duts.join(format!("{profile_id}.yaml")), text.join("\n"))
        .expect("profile written");
    let target = dir.join(plan);
    std::fs::copy(fixture(plan), &target).expect("plan copied");
    target
}

pub fn trials() -> Vec<Trial> {
    support::trials!(
        "safety",
        exit_on_pass_is_safe,
        exit_on_fail_is_safe,
        exit_on_error_is_safe,
        exit_on_plan_timeout_is_safe,
        exit_on_step_timeout_is_safe,
        supervisor_aborts_when_the_measured_voltage_is_outside_the_envelope,
        supervisor_aborts_when_the_pack_temperature_leaves_the_envelope,
        exit_on_panic_is_safe,
    )
}

fn exit_on_pass_is_safe() -> Result<(), Failed> {
    let o = run(
        &support::repo().join("testplans/cocp_lockout.yaml"),
        &[],
        None,
        "safe-pass",
    )?;
    assert_safe(&o, Verdict::Pass, "")
}

fn exit_on_fail_is_safe() -> Result<(), Failed> {
    let o = run(
        &support::repo().join("testplans/cocp_lockout.yaml"),
        &["cocp_no_lockout"],
        None,
        "safe-fail",
    )?;
    assert_safe(&o, Verdict::Fail, "locked out well past the recovery delay")
}

fn exit_on_error_is_safe() -> Result<(), Failed> {
    let o = run(&fixture("stale_can.yaml"), &[], None, "safe-error")?;
    assert_safe(&o, Verdict::Error, "bms: no CAN frame from the BMS")
}

fn exit_on_plan_timeout_is_safe() -> Result<(), Failed> {
    let o = run(
        &fixture("plan_timeout.yaml"),
        &[],
        None,
        "safe-plan-timeout",
    )?;
    assert_safe(
        &o,
        Verdict::Error,
        "did not finish within its timeout of 60 s",
    )
}

fn exit_on_step_timeout_is_safe() -> Result<(), Failed> {
    let o = run(
        &fixture("step_timeout.yaml"),
        &[],
        None,
        "safe-step-timeout",
    )?;
    assert_safe(
        &o,
        Verdict::Error,
        "step 2 \"hold a relay closed past the step's timeout\" did not finish within its timeout of 10 s",
    )
}

fn supervisor_aborts_when_the_measured_voltage_is_outside_the_envelope() -> Result<(), Failed> {
    let o = run(
        &with_profile(
            "undervoltage_at_run_time.yaml",
            "tight_min_voltage",
            "min_voltage",
            "{ value: 54 V, assumption: \"test fixture: above the twin's 52.96 V rest at 50 % SOC\" }",
        ),
        &[],
        None,
        "safe-envelope-v",
    )?;
    assert_safe(
        &o,
        Verdict::Error,
        "envelope violation: pack voltage 52.960 V below the envelope's minimum 54 V",
    )?;
    let events = support::events(&o);
    let steps = events
        .iter()
        .filter(|e| matches!(e, EventKind::StepStarted { .. }))
        .count();
    let logged = events.iter().any(|e| {
        matches!(e, EventKind::Error { instrument: Some(i), message } if i == "source" && message.contains("output switched off"))
    });
    match (steps, logged) {
        (0, true) => Ok(()),
        (0, false) => Err("the violation is not in the event log".into()),
        _ => Err("the run started a step despite the violation".into()),
    }
}

fn supervisor_aborts_when_the_pack_temperature_leaves_the_envelope() -> Result<(), Failed> {
    let o = run(
        &with_profile(
            "too_warm.yaml",
            "cool_envelope",
            "max_temperature",
            "{ value: 20 degC, assumption: \"test fixture: cooler than the twin's 25 degC pack\" }",
        ),
        &[],
        None,
        "safe-envelope-t",
    )?;
    assert_safe(
        &o,
        Verdict::Error,
        "envelope violation: bms.pack_temperature = 25 degC above the envelope's maximum 20 degC",
    )
}

fn exit_on_panic_is_safe() -> Result<(), Failed> {
    let o = run(&fixture("charge.yaml"), &[], Some(2), "safe-panic")?;
    assert_safe(
        &o,
        Verdict::Error,
        "the rig panicked: injected panic at step 2",
    )
}
