//! `rig run`: validate everything, then run each plan as a libtest-mimic trial (so the
//! familiar filters, `--list` and `--format` work), then write JUnit from the logs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use libtest_mimic::{Arguments, Failed, FormatSetting, Trial};
use rig_reports::Verdict;
use rig_reports::summary::PlanSummary;

use super::load::{load, print_problems};
use super::{Format, RunArgs};
use crate::bench::Bench;
use crate::exit;
use crate::plan::Plan;
use crate::results::session::begin;
use crate::runner::{PlanOutcome, Prepared, run_plan};

pub fn run(args: RunArgs) -> i32 {
    let loaded = match load(&args.bench) {
        Ok(l) => l,
        Err(problems) => {
            print_problems(&problems);
            return exit::INVALID_INPUT;
        }
    };
    let out_dir = args.out.clone().unwrap_or_else(default_run_dir);
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
    let outcomes: Outcomes = Arc::default();
    let trials = trials(loaded.plans, Arc::new(loaded.bench), &out_dir, &outcomes);
    let conclusion = libtest_mimic::run(&test_args, trials);
    if args.list {
        return exit::PASSED;
    }
    let mut timed = outcomes.lock().map(|o| o.clone()).unwrap_or_default();
    timed.sort_by(|a, b| a.0.plan_id.cmp(&b.0.plan_id));
    let code = finish(&out_dir, &timed, conclusion.has_failed());
    if let Some(session) = session {
        session.end(code);
    }
    code
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
            eprintln!(
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
            Trial::test(plan.id.clone(), move || {
                // Wall time, for the summary only; the engine runs on tokio's clock.
                let started = std::time::Instant::now();
                let outcome = run_plan(&plan, &bench, &prepared, &out_dir);
                let wall_s = started.elapsed().as_secs_f64();
                let result = match outcome.verdict {
                    Verdict::Pass | Verdict::Skipped => Ok(()),
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
    if outcomes.is_empty() {
        eprintln!("warning: no plan matched; nothing ran");
        return exit::PASSED;
    }
    let summaries = match summaries(&outcomes) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read back the event logs: {e}");
            return exit::RIG_ERROR;
        }
    };
    print_plan_lines(timed, &summaries);
    if let Err(e) = write_junit(out_dir, &summaries) {
        eprintln!(
            "error: cannot write {}: {e}",
            out_dir.join("junit.xml").display()
        );
        return exit::RIG_ERROR;
    }
    print_skipped(&outcomes);
    let code = if outcomes.iter().any(|o| o.verdict == Verdict::Error) {
        exit::RIG_ERROR
    } else if outcomes.iter().any(|o| o.verdict == Verdict::Fail) || trials_failed {
        exit::DUT_FAILED
    } else {
        exit::PASSED
    };
    let logs: Vec<PathBuf> = outcomes.iter().map(|o| o.log_path.clone()).collect();
    if let Err(e) = super::report::render_logs(out_dir, &logs, Some(code), false) {
        return e;
    }
    eprintln!(
        "run folder: {} (event logs, junit.xml, summary.json, summary.md, report.html)",
        out_dir.display()
    );
    code
}

/// One line per plan: its verdict, the simulated and the wall time, its log.
fn print_plan_lines(timed: &[(PlanOutcome, f64)], summaries: &[(PlanSummary, String)]) {
    for ((outcome, wall_s), (summary, _)) in timed.iter().zip(summaries) {
        if outcome.verdict == Verdict::Skipped {
            // Not run: the bench cannot run it as written; nothing was connected.
            eprintln!(
                "{:<24} {:<7} {}  ({})",
                outcome.plan_id,
                outcome.verdict,
                outcome.message.as_deref().unwrap_or("not run"),
                outcome.log_path.display()
            );
            continue;
        }
        eprintln!(
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
        eprintln!(
            "{skipped} plan{} skipped: the bench cannot run {} as written (see above)",
            if skipped == 1 { "" } else { "s" },
            if skipped == 1 { "it" } else { "them" }
        );
    }
}

/// Each plan's summary, read back from its event log (the log is the only record).
fn summaries(outcomes: &[PlanOutcome]) -> std::io::Result<Vec<(PlanSummary, String)>> {
    let mut plans = Vec::new();
    for o in outcomes {
        let log = rig_reports::log::read_log(&o.log_path)?;
        let summary = PlanSummary::from_log(&log).ok_or_else(|| {
            std::io::Error::other(format!("{} starts no run", o.log_path.display()))
        })?;
        plans.push((summary, o.log_path.display().to_string()));
    }
    Ok(plans)
}

fn write_junit(out_dir: &Path, plans: &[(PlanSummary, String)]) -> std::io::Result<()> {
    let xml = rig_reports::junit::render("rig", plans).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(out_dir)?;
    std::fs::write(out_dir.join("junit.xml"), xml)
}

/// `runs/2026-11-21T18-30-05Z`: the wall clock names the folder, nothing else.
fn default_run_dir() -> PathBuf {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    PathBuf::from("runs").join(format!(
        "{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    ))
}

/// Days since 1970-01-01 to a Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn civil_dates() {
        assert_eq!(super::civil_from_days(0), (1970, 1, 1));
        assert_eq!(super::civil_from_days(20_413), (2025, 11, 21));
    }
}
