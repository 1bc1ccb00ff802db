//! Every plan against every seed DUT profile, loaded as `rig run --dut all` loads them
//! (issue 14): each trial passes on the virtual bench or is skipped, before anything
//! connects, with a reason that names the profile; and each defect of the catalogue is
//! caught on every other profile its plan runs on. Nothing here is listed per pair: the
//! matrix is computed from `testplans/` and `testplans/duts/`.
//!
//! CI time: a trial whose plan may take longer than [`RUN_UP_TO`] of virtual time (the
//! soaks, the temperature and capacity plans, hours to days) is loaded and checked on
//! every profile, and its skip decided, but not run here; `rig run --dut all` runs the
//! whole matrix (about 3 min on two cores). The defect matrix runs the defects whose
//! catching plan is as short.

use std::path::{Path, PathBuf};
use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::{Plan, load_trial};
use rig::runner::{PlanOutcome, prepare, run_plan};
use rig_reports::{EventKind, Verdict};

use crate::catalogue::{CATALOGUE, failures};
use crate::support;

/// The longest plan (by its `timeout:`) whose trials run on every profile in CI.
const RUN_UP_TO: Duration = Duration::from_secs(90 * 60);

fn profile_ids() -> Vec<String> {
    let dir = support::repo().join("testplans/duts");
    let mut ids: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .map(|p| support::stem(&p))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

pub fn trials() -> Vec<Trial> {
    let mut trials = Vec::new();
    for plan in support::plan_files() {
        for profile in profile_ids() {
            let (plan, name) = (plan.clone(), support::stem(&plan));
            trials.push(Trial::test(
                format!("profile::{name}::{profile}::passes_or_is_skipped_with_its_reason"),
                move || passes_or_is_skipped(&plan, &profile),
            ));
        }
    }
    for &(defect, plan, caught) in CATALOGUE {
        for profile in profile_ids() {
            trials.push(Trial::test(
                format!(
                    "profile::defect::{defect}::{profile}::caught_by::{}",
                    plan.trim_end_matches(".yaml")
                ),
                move || caught_on(defect, plan, caught, &profile),
            ));
        }
    }
    trials.push(Trial::test(
        "profile::a_real_bench_skips_what_its_source_cannot_drive",
        a_real_bench_skips_what_its_source_cannot_drive,
    ));
    trials.push(Trial::test(
        "profile::the_five_seed_profiles",
        || match profile_ids().len() {
            n if n >= 5 => Ok(()),
            n => Err(format!("{n} profiles in testplans/duts/, expected the five seeds").into()),
        },
    ));
    trials.push(Trial::test(
        "profile::fixture_plans_read_the_real_profiles",
        fixture_plans_read_the_real_profiles,
    ));
    trials
}

/// The trial `plan::profile` as `rig run --dut` loads it, with the bench it runs on.
fn load(plan: &Path, profile: &str) -> Result<(Plan, Bench), Failed> {
    let bench = Bench::builtin_sim();
    let (loaded, sized) = load_trial(plan, Some(profile), &bench)
        .map_err(|p| Failed::from(format!("refused with {profile}: {p}")))?;
    let expected = format!("{}::{profile}", support::stem(plan));
    if loaded.id != expected {
        return Err(format!("the trial is named `{}`, not `{expected}`", loaded.id).into());
    }
    Ok((loaded, sized.unwrap_or(bench)))
}

fn run(plan: &Plan, bench: &Bench, defects: &[String], label: &str) -> Result<PlanOutcome, Failed> {
    let prepared = prepare(plan, bench, defects)
        .map_err(|p| Failed::from(format!("cannot prepare the twin: {p}")))?;
    Ok(run_plan(plan, bench, &prepared, &support::scratch(label)))
}

/// A trial the profile does not promise is skipped before anything connects, its
/// reason naming the profile, in the log and in JUnit; a trial the virtual bench is
/// sized for passes (when its plan is short enough to run here).
fn passes_or_is_skipped(plan: &Path, profile: &str) -> Result<(), Failed> {
    let (loaded, bench) = load(plan, profile)?;
    let skip = rig::runner::skip_reason(&loaded, &bench);
    // The virtual bench's source is sized to what the trial applies.
    let (volts, amps) = rig::bench::needs(&loaded);
    let (_, rated_v, rated_a) = bench.source_ratings().ok_or("no source")?;
    if rated_v.is_some_and(|v| v < volts) || rated_a.is_some_and(|a| a < amps) {
        return Err(format!(
            "{}: applies {volts} V, {amps} A on a source rated {rated_v:?} V, {rated_a:?} A",
            loaded.id
        )
        .into());
    }
    if skip.is_none() && loaded.timeout > RUN_UP_TO {
        return Ok(()); // validated and sized; run by `rig run --dut all` (module doc)
    }
    let outcome = run(&loaded, &bench, &[], &format!("{}-{profile}", loaded.id))?;
    let events = support::events(&outcome);
    match skip {
        Some(why) => assert_skipped(&outcome, &events, &why, profile),
        None if outcome.verdict == Verdict::Pass => Ok(()),
        None => Err(format!(
            "{}: expected pass, got {:?}: {}",
            loaded.id,
            outcome.verdict,
            outcome.message.unwrap_or_default()
        )
        .into()),
    }
}

fn assert_skipped(
    outcome: &PlanOutcome,
    events: &[EventKind],
    why: &str,
    profile: &str,
) -> Result<(), Failed> {
    if outcome.verdict != Verdict::Skipped || outcome.message.as_deref() != Some(why) {
        return Err(format!("expected skipped ({why}), got {outcome:?}").into());
    }
    if !why.contains(profile) {
        return Err(format!("the reason does not name the profile: {why}").into());
    }
    if events
        .iter()
        .any(|e| matches!(e, EventKind::InstrumentConnected { .. }))
    {
        return Err("a skipped trial connected an instrument".into());
    }
    let log = rig_reports::log::read_log(&outcome.log_path).map_err(|e| e.to_string())?;
    let summary = rig_reports::summary::PlanSummary::from_log(&log).ok_or("no run in the log")?;
    let junit = rig_reports::junit::render("rig", &[(summary, String::new())])
        .map_err(|e| e.to_string())?;
    if !junit.contains("<skipped") || !junit.contains(&xml_text(why)) {
        return Err(format!("JUnit does not skip with the reason:\n{junit}").into());
    }
    Ok(())
}

/// `text` as quick-junit writes it in an attribute.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// `defect` is caught on `profile` as on the plan's own: the plan fails on the DUT's
/// account, by `caught` or by an earlier expectation (a defect written in one pack's
/// amperes, `cocp_trips_at_55a`, is a grosser fault on a larger pack and shows sooner).
/// Wherever the plan runs: its own profile is the catalogue's trial, a profile it is
/// skipped on has nothing to catch; for plans short enough to run here.
fn caught_on(defect: &str, plan: &str, caught: &str, profile: &str) -> Result<(), Failed> {
    let path: PathBuf = support::repo().join("testplans").join(plan);
    let (loaded, bench) = load(&path, profile)?;
    let own = rig::plan::load_plan(&path, &Bench::builtin_sim()).map(|p| p.dut.id);
    if own.ok().as_deref() == Some(profile)
        || rig::runner::skip_reason(&loaded, &bench).is_some()
        || loaded.timeout > RUN_UP_TO
    {
        return Ok(());
    }
    let outcome = run(&loaded, &bench, &[defect.to_string()], defect)?;
    let failed = failures(&support::events(&outcome));
    if outcome.verdict == Verdict::Fail && !failed.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{defect} on {profile}: expected the plan to fail (as `{caught}` does on its own profile), got {:?} with {:?}: {}",
        outcome.verdict,
        failed.iter().map(|f| &f.name).collect::<Vec<_>>(),
        outcome.message.unwrap_or_default()
    )
    .into())
}

/// The lab's 100 A source cannot drive the 400 Ah pack's COCP trial: skipped before
/// anything connects, naming what the plan applies and the rating; the bench keeps the
/// user's rating. The 100 Ah pack's trial of the same plan runs on it as written.
fn a_real_bench_skips_what_its_source_cannot_drive() -> Result<(), Failed> {
    let repo = support::repo();
    let lab = Bench::load(&repo.join("testplans/benches/lab_chroma.yaml"))
        .map_err(|p| Failed::from(p.to_string()))?;
    let plan = repo.join("testplans/cocp_lockout.yaml");
    let (loaded, on) = load_trial(&plan, Some("lesso_lsrr51v400ah"), &lab)
        .map_err(|p| Failed::from(p.to_string()))?;
    let why = rig::runner::skip_reason(&loaded, &lab).ok_or("not skipped")?;
    for needle in ["cannot drive it", "is rated 100 A"] {
        if !why.contains(needle) {
            return Err(format!("the reason lacks `{needle}`: {why}").into());
        }
    }
    if on.is_some() {
        return Err("a real bench was resized".into());
    }
    let outcome = run_plan(
        &loaded,
        &lab,
        &prepare(&loaded, &lab, &[]).map_err(|p| p.to_string())?,
        &support::scratch("lab-skip"),
    );
    let events = support::events(&outcome);
    assert_skipped(&outcome, &events, &why, "lesso_lsrr51v400ah")?;
    let small = plan;
    let (loaded, _) = load_trial(&small, Some("lesso_lsrr51v100ah"), &lab)
        .map_err(|p| Failed::from(p.to_string()))?;
    match rig::runner::skip_reason(&loaded, &lab) {
        None => Ok(()),
        Some(why) => {
            Err(format!("cocp_lockout skipped on the lab bench for the 100 Ah pack: {why}").into())
        }
    }
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
        for id in profile_ids() {
            let profile = repo.join(format!("testplans/duts/{id}.yaml"));
            let found = rig::dut::find_profile(&dir.join("plan.yaml"), &id)
                .map_err(|known| format!("{}: no {id} among {known:?}", dir.display()))?;
            if real(&found)? != real(&profile)? {
                return Err(format!("{} reads {} for {id}", dir.display(), found.display()).into());
            }
        }
    }
    Ok(())
}
