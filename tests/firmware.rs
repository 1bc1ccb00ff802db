//! The twin's firmware is not the plan's expectation (SPEC-12 §6): a virtual bench that
//! names another firmware description (`twin: { firmware }`) runs it, and a plan whose
//! limits come from the manual catches a firmware that breaks them.

use libtest_mimic::{Failed, Trial};
use rig::bench::{BUILTIN_SIM_BENCH, Bench};
use rig::plan::load_plan;
use rig::runner::{prepare, run_plan};
use rig_reports::{EventKind, Verdict};

use crate::support;

pub fn trials() -> Vec<Trial> {
    vec![Trial::test(
        "firmware::a_bench_named_firmware_below_the_rated_current_fails_cocp_lockout",
        named_firmware_runs,
    )]
}

/// A firmware whose COCP sits at 69 A, below §3.3.2 "Max. charge current 70A":
/// cocp_lockout fails on its hard limit, at the rated maximum.
fn named_firmware_runs() -> Result<(), Failed> {
    let dir = support::scratch("named-firmware");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let firmware = "dut: lesso_lsrr51v100ah\nversion: low\nvalues:\n  cocp:\n    trip_current: { value: 69 A, why: \"a firmware set below the rating, on purpose\" }\n";
    std::fs::write(dir.join("low_cocp.yaml"), firmware).map_err(|e| e.to_string())?;
    let bench_path = dir.join("bench.yaml");
    std::fs::write(
        &bench_path,
        format!("{BUILTIN_SIM_BENCH}\ntwin:\n  firmware: low_cocp.yaml\n"),
    )
    .map_err(|e| e.to_string())?;
    let bench = Bench::load(&bench_path).map_err(|p| format!("bench refused: {p}"))?;
    let plan = load_plan(&support::repo().join("testplans/cocp_lockout.yaml"), &bench)
        .map_err(|p| format!("plan refused: {p}"))?;
    let prepared = prepare(&plan, &bench, &[]).map_err(|p| format!("cannot prepare: {p}"))?;
    let trip = prepared.sim.as_ref().map(|s| s.pack.cocp.trip_current_a);
    if trip != Some(69.0) {
        return Err(
            format!("the twin runs COCP at {trip:?}, not the named firmware's 69 A").into(),
        );
    }
    let outcome = run_plan(&plan, &bench, &prepared, &dir.join("run"));
    if outcome.verdict != Verdict::Fail {
        return Err(format!("expected a DUT failure, got {:?}", outcome.verdict).into());
    }
    let failed = support::events(&outcome).into_iter().any(|e| {
        matches!(e, EventKind::Expectation { verdict: Verdict::Fail, name, .. }
            if name == "no COCP at the rated maximum charge current")
    });
    if failed {
        Ok(())
    } else {
        Err("the rated-maximum expectation did not fail".into())
    }
}
