//! `rig run`: validate everything, then run each plan as a libtest-mimic trial (so the
//! familiar filters, `--list` and `--format` work), then write JUnit from the logs.

use super::out::errln;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Completion, Failed, FormatSetting, Trial};
use rig_reports::Verdict;
use rig_reports::run::RunData;
use rig_reports::summary::PlanSummary;

use super::load::{load, print_problems};
use super::select::Selection;
use super::{Format, RunArgs};
use crate::bench::Bench;
use crate::exit;
use crate::plan::Plan;
use crate::results::session::begin;
use crate::runner::{PlanOutcome, Prepared, run_plan};

pub fn run(args: RunArgs) -> i32 {
    let partition = match args.partition.as_deref().map(str::parse).transpose() {
        Ok(p) => p,
        Err(e) => {
            errln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let selection = Selection {
        skip: args.skip.clone(),
        exact: args.exact,
        partition,
        duts: args.bench.duts.clone(),
    };
    let mut loaded = match load(&args.bench, &selection) {
        Ok(l) => l,
        Err(problems) => {
            print_problems(&problems);
            return exit::INVALID_INPUT;
        }
    };
    let out_dir = args.out.clone().unwrap_or_else(default_run_dir);
    if let Some(problem) = super::out_dir::symlink_problem(&out_dir) {
        print_problems(&problem.into());
        return exit::INVALID_INPUT;
    }
    if !args.list {
        crate::trace::to_run_folder(&out_dir);
    }
    let test_args = match test_arguments(&args, loaded.bench.is_virtual(), &loaded.filters) {
        Ok(a) => a,
        Err(code) => return code,
    };
    // The lab's part (bench reservation, run.json, results): `results::session`.
    let plans = loaded.plans.iter().map(|(p, _)| p);
    let session =
        match (!args.list).then(|| begin(&args.lab.options(), &loaded.bench, plans, &out_dir)) {
            Some(Err(code)) => return code,
            session => session.and_then(Result::ok),
        };
    if !args.list
        && let Err(code) = watch(&args, loaded.bench.is_virtual(), &mut loaded.plans)
    {
        return code;
    }
    let outcomes: Outcomes = Arc::default();
    let trials = trials(loaded.plans, Arc::new(loaded.bench), &out_dir, &outcomes);
    // libtest-mimic panics when it cannot print (stdout closed): the panic hook has
    // then stopped the plans, each safely; the run ends with what they left.
    let conclusion =
        std::panic::catch_unwind(AssertUnwindSafe(|| libtest_mimic::run(&test_args, trials)));
    if args.list {
        return exit::PASSED;
    }
    let trials_failed = conclusion.as_ref().is_ok_and(|c| c.has_failed());
    let mut timed = outcomes
        .lock()
        .map(|o| o.clone())
        .unwrap_or_else(|poisoned| poisoned.into_inner().clone());
    timed.sort_by(|a, b| a.0.plan_id.cmp(&b.0.plan_id));
    let finished =
        std::panic::catch_unwind(AssertUnwindSafe(|| finish(&out_dir, &timed, trials_failed)));
    let code = finished.unwrap_or_else(|panic| {
        let message = crate::runner::panic_text(&panic);
        write_panic_summary(&out_dir, &message);
        exit::RIG_ERROR
    });
    if let Some(session) = session {
        session.end(code);
    }
    code
}

/// `--pace` and `--ui`: each plan gets the pace and the live page's feed; the page is
/// served from here on, its URL on stderr. `Err` is the exit code of a refused option.
fn watch(args: &RunArgs, virtual_bench: bool, plans: &mut [(Plan, Prepared)]) -> Result<(), i32> {
    for (_, prepared) in plans.iter_mut() {
        prepared.pace = args.pace;
    }
    let Some(addr) = args.ui else {
        return Ok(());
    };
    let options = crate::ui::UiOptions {
        addr,
        token: args.ui_token.clone(),
    };
    if let Err(e) = options.check() {
        errln!("error: {e}");
        return Err(exit::INVALID_INPUT);
    }
    let feed = crate::ui::Feed::default();
    let outlines: Vec<_> = plans
        .iter()
        .map(|(plan, _)| crate::ui::PlanOutline::of(plan, virtual_bench, args.pace))
        .collect();
    match crate::ui::start(&options, feed.clone(), &outlines) {
        Ok(url) => errln!("live view: {url}"),
        Err(e) => {
            errln!("error: cannot serve the live page on {addr}: {e}");
            return Err(exit::RIG_ERROR);
        }
    }
    for (_, prepared) in plans.iter_mut() {
        prepared.feed = Some(feed.clone());
    }
    Ok(())
}

/// A panic while the run's reports were written: `summary.md` says so at its top, so a
/// CI page never shows a pass for a run whose rig failed. What was written before stays
/// below (the event logs are the record; `rig report` renders them again).
fn write_panic_summary(out_dir: &Path, message: &str) {
    let path = out_dir.join("summary.md");
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    let rest = before.split_once('\n').map_or("", |(heading, rest)| {
        if heading.starts_with("## rig run:") {
            rest
        } else {
            before.as_str()
        }
    });
    let text = format!(
        "## rig run: ERROR (exit code {})\n\n> **The rig panicked while writing the reports:** {message}. Nothing below is a verdict on the run; `rig report {}` renders the reports again from the event logs.\n{rest}",
        exit::RIG_ERROR,
        out_dir.display()
    );
    if std::fs::create_dir_all(out_dir)
        .and_then(|()| std::fs::write(&path, text))
        .is_err()
    {
        errln!("error: cannot write {}", path.display());
    }
}

/// Each plan's outcome with the wall time it took, as the trials finish.
type Outcomes = Arc<Mutex<Vec<(PlanOutcome, f64)>>>;

/// libtest-mimic's arguments from ours; `Err` is the exit code of a refused command line.
fn test_arguments(
    args: &RunArgs,
    virtual_bench: bool,
    filters: &[String],
) -> Result<Arguments, i32> {
    let mut test_args = Arguments {
        list: args.list,
        exact: args.exact,
        skip: args.skip.clone(),
        quiet: args.quiet,
        format: args.format.map(|f| match f {
            Format::Pretty => FormatSetting::Pretty,
            Format::Terse => FormatSetting::Terse,
            Format::Json => FormatSetting::Json,
        }),
        // A real bench has one set of instruments: plans take turns.
        test_threads: args
            .test_threads
            .or(if virtual_bench { None } else { Some(1) }),
        ..Arguments::default()
    };
    match filters {
        [] => {}
        [one] => test_args.filter = Some(one.clone()),
        more => {
            errln!(
                "error: one name filter at a time (got {}); use --skip to leave plans out",
                more.join(", ")
            );
            return Err(exit::INVALID_INPUT);
        }
    }
    Ok(test_args)
}

/// A trial per plan: it runs the plan and records its outcome in `outcomes`.
fn trials(
    plans: Vec<(Plan, Prepared)>,
    bench: Arc<Bench>,
    out_dir: &Path,
    outcomes: &Outcomes,
) -> Vec<Trial> {
    plans
        .into_iter()
        .map(|(plan, prepared)| {
            let (outcomes, bench, out_dir) =
                (outcomes.clone(), bench.clone(), out_dir.to_path_buf());
            // A plan sized for its profile runs on its own bench (`bench::sizing`).
            let bench = prepared.bench.clone().unwrap_or(bench);
            Trial::ignorable_test(plan.id.clone(), move || {
                // Wall time, for the summary only; the engine runs on tokio's clock.
                let started = std::time::Instant::now();
                // run_plan guards itself; this catch keeps the plan's outcome in the
                // run even if something escapes it.
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    run_plan(&plan, &bench, &prepared, &out_dir)
                }))
                .unwrap_or_else(|panic| PlanOutcome {
                    plan_id: plan.id.clone(),
                    verdict: Verdict::Error,
                    message: Some(format!(
                        "the rig panicked: {}",
                        crate::runner::panic_text(&panic)
                    )),
                    log_path: crate::runner::log_path(&out_dir, &plan.id),
                    sim_final: None,
                });
                let wall_s = started.elapsed().as_secs_f64();
                // A skipped trial counts as libtest's ignored one, with its reason, so the
                // result line never counts it as passed.
                let result = match outcome.verdict {
                    Verdict::Pass => Ok(Completion::Completed),
                    Verdict::Skipped => Ok(Completion::ignored_with(
                        outcome.message.clone().unwrap_or_default(),
                    )),
                    Verdict::Fail => Err(Failed::from(format!(
                        "FAIL (the DUT): {}",
                        outcome.message.clone().unwrap_or_default()
                    ))),
                    Verdict::Error => Err(Failed::from(format!(
                        "ERROR (the rig or bench, not the DUT): {}",
                        outcome.message.clone().unwrap_or_default()
                    ))),
                };
                if let Ok(mut all) = outcomes.lock() {
                    all.push((outcome, wall_s));
                }
                result
            })
        })
        .collect()
}

/// After the trials: a line per plan, JUnit, the reports, and the exit code.
fn finish(out_dir: &Path, timed: &[(PlanOutcome, f64)], trials_failed: bool) -> i32 {
    let outcomes: Vec<PlanOutcome> = timed.iter().map(|(o, _)| o.clone()).collect();
    // A stop (a signal, a panic outside a plan) ends the run as the rig's error,
    // whatever the plans that ran said.
    let stopped = crate::stop::requested();
    if let Some(reason) = stopped {
        errln!(
            "error: {reason} stopped the run; every instrument it connected was put into its safe state"
        );
    }
    let rig_failed = stopped.is_some() || super::guard::panicked();
    if outcomes.is_empty() {
        errln!("warning: no plan matched; nothing ran");
        return if rig_failed {
            exit::RIG_ERROR
        } else {
            exit::PASSED
        };
    }
    // Each log is read once, here: the console lines, JUnit and the reports all come
    // from this one pass.
    let logs: Vec<PathBuf> = outcomes.iter().map(|o| o.log_path.clone()).collect();
    let run = match RunData::from_logs(out_dir, &logs) {
        Ok(run) => run,
        Err(e) => {
            errln!("error: cannot read back the event logs: {e}");
            return exit::RIG_ERROR;
        }
    };
    let summaries = summaries(&outcomes, &run);
    print_plan_lines(timed, &summaries);
    if let Err(e) = write_junit(out_dir, &summaries) {
        errln!(
            "error: cannot write {}: {e}",
            out_dir.join("junit.xml").display()
        );
        return exit::RIG_ERROR;
    }
    print_skipped(&outcomes);
    let code = if rig_failed || outcomes.iter().any(|o| o.verdict == Verdict::Error) {
        exit::RIG_ERROR
    } else if outcomes.iter().any(|o| o.verdict == Verdict::Fail) || trials_failed {
        exit::DUT_FAILED
    } else {
        exit::PASSED
    };
    if let Err(e) = super::report::render_run(run, Some(code), false) {
        return e;
    }
    errln!(
        "run folder: {} (event logs, junit.xml, summary.json, summary.md, report.html)",
        out_dir.display()
    );
    code
}

/// One line per plan: its verdict, the simulated and the wall time, its log.
fn print_plan_lines(timed: &[(PlanOutcome, f64)], summaries: &[(PlanSummary, String)]) {
    for ((outcome, wall_s), (summary, _)) in timed.iter().zip(summaries) {
        if outcome.verdict == Verdict::Skipped {
            // Not run: the profile does not promise what it tests, or the bench cannot
            // run it as written; nothing was connected.
            errln!(
                "{:<24} {:<7} {}  ({})",
                outcome.plan_id,
                outcome.verdict,
                outcome.message.as_deref().unwrap_or("not run"),
                outcome.log_path.display()
            );
            continue;
        }
        errln!(
            "{:<24} {:<7} {} simulated in {:.2} s of wall time  ({})",
            outcome.plan_id,
            outcome.verdict,
            crate::quantity::format_duration(summary.duration_s.round()),
            wall_s,
            outcome.log_path.display()
        );
    }
}

/// A skipped plan is not a failure (as libtest's ignored tests and nextest's skipped
/// ones): a run with skipped plans and no failure exits 0, and says so.
fn print_skipped(outcomes: &[PlanOutcome]) {
    let skipped = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Skipped)
        .count();
    if skipped > 0 {
        errln!(
            "{skipped} plan{} skipped, for the reason{} above; nothing was connected for {}",
            if skipped == 1 { "" } else { "s" },
            if skipped == 1 { "" } else { "s" },
            if skipped == 1 { "it" } else { "them" }
        );
    }
}

/// Each plan's summary as read back from its event log (the log is the only record),
/// in the order the plans ran.
fn summaries(outcomes: &[PlanOutcome], run: &RunData) -> Vec<(PlanSummary, String)> {
    outcomes
        .iter()
        .filter_map(|o| {
            let plan = run.plans.iter().find(|p| p.log_path == o.log_path)?;
            Some((plan.summary.clone(), o.log_path.display().to_string()))
        })
        .collect()
}

fn write_junit(out_dir: &Path, plans: &[(PlanSummary, String)]) -> std::io::Result<()> {
    let xml = rig_reports::junit::render("rig", plans).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(out_dir)?;
    std::fs::write(out_dir.join("junit.xml"), xml)
}

/// `runs/2026-11-21T18-30-05Z`: the wall clock names the folder, nothing else (`:` is
/// not allowed in Windows file names).
fn default_run_dir() -> PathBuf {
    let now = crate::results::wallclock::iso(crate::results::wallclock::now_unix());
    PathBuf::from("runs").join(now.replace(':', "-"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_run_folder_is_named_by_the_wall_clock() {
        let name = super::default_run_dir();
        let name = name
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        // 2026-11-21T18-30-05Z
        assert_eq!(name.len(), 20, "{name}");
        assert!(!name.contains(':'), "{name}");
        assert!(crate::results::wallclock::parse(name).is_some(), "{name}");
    }
}
