//! Every plan against every seed DUT profile: each plan's text with its `dut:` line
//! replaced runs on the virtual bench with each profile of `testplans/duts/`.
//!
//! Plans name one profile (`dut: lesso_lsrr51v100ah`); a plan that says it tests a
//! behaviour must test it on every pack that promises the behaviour. Where a profile's
//! set points are beyond what the built-in bench's source can apply (a 300 Ah pack's
//! COCP threshold is 225 A; the simulated source is rated 120 A), the plan must be
//! refused before anything is connected, naming the source's rating: that is what the
//! rig owes a lab whose source is too small. [`EXPECTED`] says which outcome each pair
//! must have, so a profile or a rating change that moves a pair shows here.

use std::path::{Path, PathBuf};

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;
use rig::runner::{prepare, run_plan};
use rig_reports::Verdict;

use crate::support;

/// What a plan must do with a profile on the built-in bench.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Pass,
    /// Refused at load: the set points exceed the bench source's rating.
    BeyondBenchSource,
}

use Expect::{BeyondBenchSource, Pass};

/// Plans run against every profile. Not here, on purpose: `rs232_wake` (only LOSUN
/// promises a wake-up through RS232, §2.3-3 wake-up 3; the Lesso profiles say
/// `sleep.rs232_wake: false`) and `balancing` (its spread shows only at the LOSUN
/// charge voltage, 3.55 V/cell; at the Lesso 3.5 V/cell the seeded spread stays within
/// the balancing threshold, so there is nothing to narrow), like the other plans
/// written for one profile.
const PLANS: &[&str] = &[
    "cocp_lockout",
    "rapid_shutdown_button",
    "chtp_hysteresis",
    "cltp_cold_charge",
    "scp_reverse_polarity",
    "sensor_failure",
    "parallel_packs",
];

/// (profile, plan, outcome). Every profile in `testplans/duts/` and every plan of
/// [`PLANS`] must appear; the coverage trial checks it.
const EXPECTED: &[(&str, &str, Expect)] = &[
    ("lesso_lsrr51v100ah", "cocp_lockout", Pass),
    ("lesso_lsrr51v100ah", "rapid_shutdown_button", Pass),
    // COCP at 150 + 5 A; charging at 100 A fits the 120 A source.
    ("lesso_lsrr51v200ah", "cocp_lockout", BeyondBenchSource),
    ("lesso_lsrr51v200ah", "rapid_shutdown_button", Pass),
    // Standard charge current 150 A / 200 A: beyond the 120 A source.
    ("lesso_lsrr51v300ah", "cocp_lockout", BeyondBenchSource),
    (
        "lesso_lsrr51v300ah",
        "rapid_shutdown_button",
        BeyondBenchSource,
    ),
    ("lesso_lsrr51v400ah", "cocp_lockout", BeyondBenchSource),
    (
        "lesso_lsrr51v400ah",
        "rapid_shutdown_button",
        BeyondBenchSource,
    ),
    // COCP at 115 + 5 A: exactly the source's rating.
    ("losun_ls_btn0_p0548100", "cocp_lockout", Pass),
    ("losun_ls_btn0_p0548100", "rapid_shutdown_button", Pass),
    // The temperature plans charge at 10 A: every profile, in the -40~100 °C chamber.
    ("lesso_lsrr51v100ah", "chtp_hysteresis", Pass),
    ("lesso_lsrr51v100ah", "cltp_cold_charge", Pass),
    ("lesso_lsrr51v200ah", "chtp_hysteresis", Pass),
    ("lesso_lsrr51v200ah", "cltp_cold_charge", Pass),
    ("lesso_lsrr51v300ah", "chtp_hysteresis", Pass),
    ("lesso_lsrr51v300ah", "cltp_cold_charge", Pass),
    ("lesso_lsrr51v400ah", "chtp_hysteresis", Pass),
    ("lesso_lsrr51v400ah", "cltp_cold_charge", Pass),
    ("losun_ls_btn0_p0548100", "chtp_hysteresis", Pass),
    ("losun_ls_btn0_p0548100", "cltp_cold_charge", Pass),
    // The failure plans charge at the standard current: 300/400 Ah packs need 150/200 A.
    ("lesso_lsrr51v100ah", "scp_reverse_polarity", Pass),
    ("lesso_lsrr51v100ah", "sensor_failure", Pass),
    ("lesso_lsrr51v200ah", "scp_reverse_polarity", Pass),
    ("lesso_lsrr51v200ah", "sensor_failure", Pass),
    (
        "lesso_lsrr51v300ah",
        "scp_reverse_polarity",
        BeyondBenchSource,
    ),
    ("lesso_lsrr51v300ah", "sensor_failure", BeyondBenchSource),
    (
        "lesso_lsrr51v400ah",
        "scp_reverse_polarity",
        BeyondBenchSource,
    ),
    ("lesso_lsrr51v400ah", "sensor_failure", BeyondBenchSource),
    ("losun_ls_btn0_p0548100", "scp_reverse_polarity", Pass),
    ("losun_ls_btn0_p0548100", "sensor_failure", Pass),
    // Three packs charged at one pack's standard current: as the failure plans.
    ("lesso_lsrr51v100ah", "parallel_packs", Pass),
    ("lesso_lsrr51v200ah", "parallel_packs", Pass),
    ("lesso_lsrr51v300ah", "parallel_packs", BeyondBenchSource),
    ("lesso_lsrr51v400ah", "parallel_packs", BeyondBenchSource),
    ("losun_ls_btn0_p0548100", "parallel_packs", Pass),
];

fn profile_files() -> Vec<PathBuf> {
    let dir = support::repo().join("testplans/duts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

pub fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = EXPECTED
        .iter()
        .map(|&(profile, plan, expect)| {
            Trial::test(format!("profile::{profile}::{plan}"), move || {
                run_with_profile(profile, plan, expect)
            })
        })
        .collect();
    trials.push(Trial::test(
        "profile::every_profile_meets_every_plan",
        || {
            let mut missing = Vec::new();
            for file in profile_files() {
                let profile = support::stem(&file);
                for plan in PLANS {
                    if !EXPECTED.iter().any(|(p, q, _)| *p == profile && q == plan) {
                        missing.push(format!("{profile} x {plan}"));
                    }
                }
            }
            if profile_files().len() < 5 {
                missing.push("the five seed profiles".into());
            }
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("no expected outcome for: {}", missing.join(", ")).into())
            }
        },
    ));
    trials.push(Trial::test(
        "profile::fixture_plans_read_the_real_profiles",
        fixture_plans_read_the_real_profiles,
    ));
    trials
}

/// A plan in any folder of `tests/fixtures/` finds each profile of `testplans/duts/`
/// itself (`tests/fixtures/duts` links there), never a copy that could drift.
fn fixture_plans_read_the_real_profiles() -> Result<(), Failed> {
    let repo = support::repo();
    let real = |p: &std::path::Path| std::fs::canonicalize(p).map_err(|e| e.to_string());
    let fixtures = repo.join("tests/fixtures");
    for entry in std::fs::read_dir(&fixtures).map_err(|e| e.to_string())? {
        let dir = entry.map_err(|e| e.to_string())?.path();
        if !dir.is_dir() || dir.ends_with("duts") {
            continue;
        }
        for profile in profile_files() {
            let id = support::stem(&profile);
            let found = rig::dut::find_profile(&dir.join("plan.yaml"), &id)
                .map_err(|known| format!("{}: no {id} among {known:?}", dir.display()))?;
            if real(&found)? != real(&profile)? {
                return Err(format!("{} reads {} for {id}", dir.display(), found.display()).into());
            }
        }
    }
    Ok(())
}

/// A scratch folder holding `duts/<profile>.yaml`, `firmware/<profile>.yaml` and the
/// plan with its `dut:` replaced.
fn stage(profile: &str, plan: &str) -> Result<PathBuf, Failed> {
    let repo = support::repo();
    let text = std::fs::read_to_string(repo.join(format!("testplans/{plan}.yaml")))
        .map_err(|e| format!("cannot read the plan: {e}"))?;
    let mut replaced = 0;
    let text: String = text
        .lines()
        .map(|line| {
            if line.starts_with("dut:") {
                replaced += 1;
                format!("dut: {profile}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    if replaced != 1 {
        return Err(format!("expected one `dut:` line in {plan}.yaml, found {replaced}").into());
    }
    let dir = support::scratch(&format!("{profile}-{plan}"));
    let duts = dir.join("duts");
    std::fs::create_dir_all(&duts).map_err(|e| e.to_string())?;
    std::fs::copy(
        repo.join(format!("testplans/duts/{profile}.yaml")),
        duts.join(format!("{profile}.yaml")),
    )
    .map_err(|e| format!("cannot copy the profile: {e}"))?;
    // The twin runs the profile's firmware description, as it does in testplans/.
    let firmware = dir.join("firmware");
    std::fs::create_dir_all(&firmware).map_err(|e| e.to_string())?;
    std::fs::copy(
        repo.join(format!("testplans/firmware/{profile}.yaml")),
        firmware.join(format!("{profile}.yaml")),
    )
    .map_err(|e| format!("cannot copy the firmware: {e}"))?;
    let path = dir.join(format!("{plan}.yaml"));
    std::fs::write(&path, text + "\n").map_err(|e| e.to_string())?;
    Ok(path)
}

fn run_with_profile(profile: &str, plan: &str, expect: Expect) -> Result<(), Failed> {
    let path = stage(profile, plan)?;
    let bench = Bench::builtin_sim();
    let loaded = load_plan(&path, &bench);
    match (expect, loaded) {
        (Pass, Err(problems)) => Err(format!("plan rejected with {profile}: {problems}").into()),
        (BeyondBenchSource, Ok(_)) => Err(format!(
            "{plan} with {profile} was accepted; expected a refusal naming the bench source's rating"
        )
        .into()),
        (BeyondBenchSource, Err(problems)) => {
            let text = problems.to_string();
            if text.contains("the rating of the bench's source") {
                Ok(())
            } else {
                Err(format!("refused, but not for the source's rating: {text}").into())
            }
        }
        (Pass, Ok(loaded)) => {
            let prepared = prepare(&loaded, &bench, &[])
                .map_err(|p| Failed::from(format!("cannot prepare the twin: {p}")))?;
            let note = prepared.firmware_note.clone().unwrap_or_default();
            if !note.contains("the twin runs firmware") {
                return Err(format!("{profile}: the twin must run its firmware: {note}").into());
            }
            let out = path.parent().unwrap_or(Path::new(".")).join("run");
            let outcome = run_plan(&loaded, &bench, &prepared, &out);
            if outcome.verdict == Verdict::Pass {
                Ok(())
            } else {
                Err(format!(
                    "{plan} with {profile}: expected pass, got {:?}: {}",
                    outcome.verdict,
                    outcome.message.unwrap_or_default()
                )
                .into())
            }
        }
    }
}
