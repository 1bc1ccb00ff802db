//! Every instrument family in its role, end to end: the virtual bench serves each
//! family's wire protocol (DAQ970A, Numato, Watlow F4, ESPEC, Rigol and BK loads), the
//! engine drives it through the same plans. Seed plans pass unchanged on benches that
//! differ from the built-in one only in their instruments.

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;
use rig::runner::{prepare, run_plan};
use rig_reports::Verdict;

use crate::support;

/// (bench in tests/fixtures/families, plan relative to the repository).
const RUNS: &[(&str, &str)] = &[
    (
        "sim_daq970a_espec.yaml",
        "testplans/rapid_shutdown_button.yaml",
    ),
    ("sim_daq970a_espec.yaml", "testplans/chtp_hysteresis.yaml"),
    ("sim_numato_f4.yaml", "testplans/rapid_shutdown_button.yaml"),
    ("sim_numato_f4.yaml", "testplans/cltp_cold_charge.yaml"),
    (
        "sim_load_dl3000.yaml",
        "tests/fixtures/families/discharge_on_a_load.yaml",
    ),
    (
        "sim_load_bk8600.yaml",
        "tests/fixtures/families/discharge_on_a_load.yaml",
    ),
];

pub fn trials() -> Vec<Trial> {
    RUNS.iter()
        .map(|&(bench, plan)| {
            let name = format!(
                "families::{}::{}",
                bench.trim_end_matches(".yaml"),
                support::stem(std::path::Path::new(plan))
            );
            Trial::test(name, move || passes_on(bench, plan))
        })
        .collect()
}

fn passes_on(bench: &str, plan: &str) -> Result<(), Failed> {
    let repo = support::repo();
    let bench = Bench::load(&repo.join("tests/fixtures/families").join(bench))
        .map_err(|p| format!("bench rejected: {p}"))?;
    let plan = load_plan(&repo.join(plan), &bench).map_err(|p| format!("plan rejected: {p}"))?;
    let prepared = prepare(&plan, &bench, &[]).map_err(|p| format!("cannot prepare: {p}"))?;
    let outcome = run_plan(&plan, &bench, &prepared, &support::scratch("families"));
    if outcome.verdict != Verdict::Pass {
        return Err(format!(
            "expected pass, got {:?}: {}",
            outcome.verdict,
            outcome.message.unwrap_or_default()
        )
        .into());
    }
    Ok(())
}
