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

pub fn trials() -> Vec<Trial> {
    FAULTS
        .iter()
        .map(|&(instrument, fault, words, source_safe)| {
            Trial::test(
                format!("fault::{instrument}_{fault}_is_a_rig_error"),
                move || assert_rig_error(instrument, fault, words, source_safe),
            )
        })
        .collect()
}

fn assert_rig_error(
    instrument: &str,
    fault: &str,
    words: &str,
    source_safe: bool,
) -> Result<(), Failed> {
    let dir = support::scratch(&format!("fault-{instrument}-{fault}"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let bench_path = dir.join("bench.yaml");
    let bench_text = rig::bench::BUILTIN_SIM_BENCH.replace(
        "defects: []",
        &format!("defects: []\nfaults:\n  - {{ instrument: {instrument}, fault: {fault}, after: 10 s }}\n"),
    );
    std::fs::write(&bench_path, bench_text).map_err(|e| e.to_string())?;
    let bench = Bench::load(&bench_path).map_err(|p| Failed::from(p.to_string()))?;
    let plan = load_plan(
        &support::repo().join("tests/fixtures/safety/faults.yaml"),
        &bench,
    )
    .map_err(|p| Failed::from(p.to_string()))?;
    let prepared = prepare(&plan, &bench, &[]).map_err(|p| Failed::from(p.to_string()))?;
    let outcome = run_plan(&plan, &bench, &prepared, &dir.join("run"));
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
