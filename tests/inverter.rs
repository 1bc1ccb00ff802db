//! The rig acting as the inverter on the BMS's CAN bus: a plan starts and stops the
//! 0x305 keep-alive, and the twin counts what actually arrived on the bus.

use libtest_mimic::{Failed, Trial};
use rig_reports::{EventKind, Verdict};

use crate::support;

pub fn trials() -> Vec<Trial> {
    vec![Trial::test(
        "inverter::keepalive_starts_and_stops_on_the_bus",
        keepalive_starts_and_stops,
    )]
}

fn keepalive_starts_and_stops() -> Result<(), Failed> {
    let plan = support::repo().join("tests/fixtures/inverter/keepalive_on_off.yaml");
    let outcome = support::run(&plan, &[], "keepalive")?;
    if outcome.verdict != Verdict::Pass {
        return Err(format!("{:?}: {:?}", outcome.verdict, outcome.message).into());
    }
    let events = rig_reports::log::read_log(&outcome.log_path)
        .map_err(|e| format!("cannot read the log: {e}"))?
        .events;
    let started_at = step_start(&events, 1)?;
    let stopped_at = step_start(&events, 2)?;
    let sent: u64 = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Action { description, .. } => description
                .strip_prefix("inverter keep-alive: off after ")
                .and_then(|rest| rest.strip_suffix(" frames"))
                .and_then(|n| n.parse().ok()),
            _ => None,
        })
        .ok_or("no keep-alive stop in the log")?;
    let can = outcome.sim_final.ok_or("no twin snapshot")?.can;
    // One frame at once, then one a second, for the 10 s the plan kept it on.
    let on_for = stopped_at - started_at;
    if !(10..=11).contains(&sent) || (on_for - 10.0).abs() > 1.0 {
        return Err(format!("{sent} frames in {on_for} s; expected 10 or 11 in 10 s").into());
    }
    if can.keepalive_frames_received != sent {
        return Err(format!(
            "the rig sent {sent} keep-alive frames, the BMS received {}",
            can.keepalive_frames_received
        )
        .into());
    }
    // Nothing after `off`, although the plan ran 10 s longer.
    let last = can
        .last_keepalive_s
        .ok_or("no keep-alive reached the BMS")?;
    if last > stopped_at + 0.001 {
        return Err(
            format!("a keep-alive arrived at {last} s, after the stop at {stopped_at} s").into(),
        );
    }
    Ok(())
}

/// When step `n` started, in s of the run's clock (the twin starts with the run).
fn step_start(events: &[rig_reports::Event], n: usize) -> Result<f64, Failed> {
    events
        .iter()
        .find(|e| matches!(e.kind, EventKind::StepStarted { step, .. } if step == n))
        .map(|e| e.t)
        .ok_or_else(|| format!("step {n} never started").into())
}
