//! Instrument faults injected into the virtual bench (from the bench file): each ends
//! as verdict error naming the failed instrument, never as pass or fail, and every
//! instrument still reachable ends in its safe state.

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;
use rig::runner::{prepare, run_plan};
use rig_reports::{EventKind, Verdict};

use crate::support;

/// (instrument, fault, words the error must contain, whether the source ends safe).
const FAULTS: &[(&str, &str, &str, bool)] = &[
    ("source", "drop", "source: ", true),
    ("source", "stall", "source: ", false),
    ("source", "garbage", "source: ", false),
    ("source", "error", "-222", true),
    ("io", "drop", "io: ", true),
    ("io", "stall", "io: ", true),
    ("io", "garbage", "io: ", true),
];

/// Faults on a chamber that runs cold when they strike.
const CHAMBER_FAULTS: &[&str] = &["drop", "stall", "garbage"];

pub fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = FAULTS
        .iter()
        .map(|&(instrument, fault, words, source_safe)| {
            Trial::test(
                format!("fault::{instrument}_{fault}_is_a_rig_error"),
                move || assert_rig_error(instrument, fault, words, source_safe),
            )
        })
        .collect();
    for fault in ["stall", "garbage"] {
        for after in ["2.5 s", "30 s"] {
            trials.push(Trial::test(
                format!(
                    "fault::rs485_{fault}_after_{}_never_passes",
                    after.replace([' ', '.'], "")
                ),
                move || assert_rs485_never_passes(fault, after),
            ));
        }
    }
    trials.extend(CHAMBER_FAULTS.iter().map(|&fault| {
        Trial::test(
            format!("fault::chamber_{fault}_is_a_rig_error_and_the_chamber_ends_safe"),
            move || assert_chamber_ends_safe(fault),
        )
    }));
    trials
}

/// A fault on a running chamber: the run is the rig's error naming the chamber, the
/// source is made safe, and the chamber too where it can still be reached (after a
/// drop, through a new connection); a stalled or garbling chamber is reported as not
/// made safe rather than claimed safe.
fn assert_chamber_ends_safe(fault: &str) -> Result<(), Failed> {
    let dir = support::scratch(&format!("fault-chamber-{fault}"));
    let outcome = run_with_fault(&dir, "chamber", fault, "chamber_cold.yaml")?;
    if outcome.verdict != Verdict::Error {
        return Err(format!(
            "a {fault} fault on the chamber must end in error, got {}: {:?}",
            outcome.verdict, outcome.message
        )
        .into());
    }
    let events = support::events(&outcome);
    let safe = |name: &str, ok: bool| {
        events.iter().any(
            |e| matches!(e, EventKind::SafeState { instrument: i, ok: o, .. } if i == name && *o == ok),
        )
    };
    if !safe("source", true) {
        return Err("the source was not made safe".into());
    }
    let sim = outcome
        .sim_final
        .as_ref()
        .ok_or("no final state of the virtual bench")?;
    if fault == "drop" {
        if !safe("chamber", true) || sim.chamber.running || sim.chamber.set_point_c != 25.0 {
            return Err(format!(
                "a dropped chamber must be reconnected and made safe; it ends {:?}",
                sim.chamber
            )
            .into());
        }
    } else if !safe("chamber", false) && !safe("chamber", true) {
        return Err("no safe-state attempt on the chamber is logged".into());
    }
    if safe("chamber", true) && sim.chamber.running {
        return Err(format!(
            "the chamber is logged safe but still runs: {:?}",
            sim.chamber
        )
        .into());
    }
    Ok(())
}

/// A plan reading RS485 values while the link stalls or garbles: never a pass. Garbage
/// is the bench's error; a stall while the pack still sends on CAN is the DUT's
/// failure (its RS485 stopped), and the message says so.
fn assert_rs485_never_passes(fault: &str, after: &str) -> Result<(), Failed> {
    let dir = support::scratch(&format!(
        "fault-rs485-{fault}-{}",
        after.replace([' ', '.'], "")
    ));
    let outcome = run_with_fault_after(&dir, ("rs485", fault, after), "rs485_reads.yaml")?;
    let message = outcome.message.clone().unwrap_or_default();
    let expected = match fault {
        "garbage" => (Verdict::Error, "rs485"),
        _ => (Verdict::Fail, "fell silent on RS485"),
    };
    if outcome.verdict != expected.0 || !message.contains(expected.1) {
        return Err(format!(
            "{fault} on rs485 after {after}: expected {} naming `{}`, got {}: {message}",
            expected.0, expected.1, outcome.verdict
        )
        .into());
    }
    Ok(())
}

/// Run `plan` (in tests/fixtures/safety) on the built-in virtual bench with `fault` on
/// `instrument` 10 s in.
fn run_with_fault(
    dir: &std::path::Path,
    instrument: &str,
    fault: &str,
    plan: &str,
) -> Result<rig::runner::PlanOutcome, Failed> {
    run_with_fault_after(dir, (instrument, fault, "10 s"), plan)
}

/// [`run_with_fault`] with the fault striking `after` the start.
fn run_with_fault_after(
    dir: &std::path::Path,
    (instrument, fault, after): (&str, &str, &str),
    plan: &str,
) -> Result<rig::runner::PlanOutcome, Failed> {
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let bench_path = dir.join("bench.yaml");
    let bench_text = rig::bench::BUILTIN_SIM_BENCH.replace(
        "defects: []",
        &format!("defects: []\nfaults:\n  - {{ instrument: {instrument}, fault: {fault}, after: {after} }}\n"),
    );
    std::fs::write(&bench_path, bench_text).map_err(|e| e.to_string())?;
    let bench = Bench::load(&bench_path).map_err(|p| Failed::from(p.to_string()))?;
    let plan = load_plan(
        &support::repo().join("tests/fixtures/safety").join(plan),
        &bench,
    )
    .map_err(|p| Failed::from(p.to_string()))?;
    let prepared = prepare(&plan, &bench, &[]).map_err(|p| Failed::from(p.to_string()))?;
    Ok(run_plan(&plan, &bench, &prepared, &dir.join("run")))
}

fn assert_rig_error(
    instrument: &str,
    fault: &str,
    words: &str,
    source_safe: bool,
) -> Result<(), Failed> {
    let dir = support::scratch(&format!("fault-{instrument}-{fault}"));
    let outcome = run_with_fault(&dir, instrument, fault, "faults.yaml")?;
    if outcome.verdict != Verdict::Error {
        return Err(format!(
            "a {fault} fault on {instrument} must end in error, got {}: {:?}",
            outcome.verdict, outcome.message
        )
        .into());
    }
    let message = outcome.message.clone().unwrap_or_default();
    if !message.contains(words) {
        return Err(format!("the error should name `{words}`: {message}").into());
    }
    let events = support::events(&outcome);
    let named = events
        .iter()
        .any(|e| matches!(e, EventKind::Error { instrument: Some(i), .. } if i == instrument));
    if !named {
        return Err(format!("no error event names {instrument}").into());
    }
    let sim = outcome
        .sim_final
        .as_ref()
        .ok_or("no final state of the virtual bench")?;
    if source_safe && sim.source.output_on {
        return Err("the source is reachable but its output is still on".into());
    }
    if instrument != "source" {
        let source_safe_event = events.iter().any(
            |e| matches!(e, EventKind::SafeState { instrument: i, ok: true, .. } if i == "source"),
        );
        if !source_safe_event {
            return Err("the source was not made safe".into());
        }
    }
    if !source_safe {
        let honest = events.iter().any(
            |e| matches!(e, EventKind::SafeState { instrument: i, ok: false, .. } if i == "source"),
        );
        if !honest || !message.contains("could not put source into the safe state") {
            return Err(format!(
                "an unreachable source must be reported as not made safe: {message}"
            )
            .into());
        }
    }
    Ok(())
}
