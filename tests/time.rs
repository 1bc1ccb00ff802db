//! Integer time in the engine (issue 13, item 2): waits that f64 seconds could not end,
//! the plan timeout, and the progress watchdog. Each run has a wall-clock guard, so a
//! hang fails its test instead of hanging the suite.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;
use rig::runner::{PlanOutcome, prepare, run_plan};
use rig_reports::{EventKind, Verdict};

use crate::support;

/// Far beyond what these plans take (well under a second), short enough to fail fast.
const WALL_CLOCK_GUARD: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    support::repo().join("tests/fixtures/time").join(name)
}

/// Run a fixture on the virtual bench in a thread of its own; a run that has not ended
/// within [`WALL_CLOCK_GUARD`] of wall-clock time fails the test (its thread is left
/// behind, spinning, until the test binary exits).
fn run_guarded(name: &str, stuck_at_step: Option<usize>) -> Result<PlanOutcome, Failed> {
    let plan = fixture(name);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(run(&plan, stuck_at_step));
    });
    match rx.recv_timeout(WALL_CLOCK_GUARD) {
        Ok(outcome) => outcome,
        Err(_) => Err(format!(
            "{name} did not end within {WALL_CLOCK_GUARD:?} of wall-clock time: the engine hangs"
        )
        .into()),
    }
}

fn run(plan: &std::path::Path, stuck_at_step: Option<usize>) -> Result<PlanOutcome, Failed> {
    let bench = Bench::builtin_sim();
    let plan = load_plan(plan, &bench).map_err(|p| Failed::from(format!("plan rejected: {p}")))?;
    let mut prepared = prepare(&plan, &bench, &[]).map_err(|p| Failed::from(p.to_string()))?;
    prepared.inject_stuck_at_step = stuck_at_step;
    Ok(run_plan(
        &plan,
        &bench,
        &prepared,
        &support::scratch(&plan.id),
    ))
}

fn passed(outcome: &PlanOutcome) -> Result<(), Failed> {
    if outcome.verdict != Verdict::Pass {
        return Err(format!(
            "expected pass, got {}: {:?}",
            outcome.verdict, outcome.message
        )
        .into());
    }
    Ok(())
}

/// The moments at which each step finished, in seconds of the log.
fn step_ends(outcome: &PlanOutcome) -> Vec<f64> {
    rig_reports::log::read_log(&outcome.log_path)
        .map(|l| {
            l.events
                .into_iter()
                .filter(|e| matches!(e.kind, EventKind::StepFinished { .. }))
                .map(|e| e.t)
                .collect()
        })
        .unwrap_or_default()
}

fn a_100_ms_wait_ends() -> Result<(), Failed> {
    let outcome = run_guarded("wait_100ms.yaml", None)?;
    passed(&outcome)?;
    let ends = step_ends(&outcome);
    let lengths: Vec<f64> = ends
        .windows(2)
        .map(|w| ((w[1] - w[0]) * 1e6).round() / 1e6)
        .collect();
    if lengths != [0.1] {
        return Err(
            format!("the second step should last exactly 100 ms; steps ended at {ends:?}").into(),
        );
    }
    Ok(())
}

fn one_second_waits_in_a_repeat_end() -> Result<(), Failed> {
    let outcome = run_guarded("repeat_1s.yaml", None)?;
    passed(&outcome)?;
    let ends = step_ends(&outcome);
    let lengths: Vec<f64> = ends
        .windows(2)
        .map(|w| ((w[1] - w[0]) * 1e6).round() / 1e6)
        .collect();
    if ends.len() != 6 || lengths.iter().any(|l| *l != 1.0) {
        return Err(
            format!("six steps, the last five of exactly 1 s each; ended at {ends:?}").into(),
        );
    }
    Ok(())
}

/// A stuck engine (the test hook makes step 2 wait for a moment already past) ends in a
/// rig error naming the step, with every instrument made safe.
fn a_stuck_engine_is_a_rig_error_naming_the_step() -> Result<(), Failed> {
    let outcome = run_guarded("stuck.yaml", Some(2))?;
    let message = outcome.message.clone().unwrap_or_default();
    if outcome.verdict != Verdict::Error
        || !message.contains("step 2 \"the stuck step\": the engine cannot advance")
    {
        return Err(format!(
            "expected a rig error naming step 2, got {}: {message}",
            outcome.verdict
        )
        .into());
    }
    let events = support::events(&outcome);
    let safe = events
        .iter()
        .filter(|e| matches!(e, EventKind::SafeState { ok: true, .. }))
        .count();
    if safe < 2 {
        return Err(
            format!("expected the instruments made safe, saw {safe} safe-state events").into(),
        );
    }
    Ok(())
}

pub fn trials() -> Vec<Trial> {
    support::trials!(
        "time",
        a_100_ms_wait_ends,
        one_second_waits_in_a_repeat_end,
        a_stuck_engine_is_a_rig_error_naming_the_step,
    )
}
