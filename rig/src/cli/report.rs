//! `rig report RUN_DIR`: every report of a run, re-rendered from its event logs alone.

use super::out::errln;
use std::path::Path;

use rig_reports::run::{Options, RunData, write_reports};
use rig_reports::summary::{PlanSummary, PlannedStep};

use super::ReportArgs;
use crate::exit;

pub fn report(args: ReportArgs) -> i32 {
    let mut run = match RunData::load(&args.run_dir) {
        Ok(r) => r,
        Err(e) => return report_error(&e),
    };
    run.name_unreached_steps(planned_steps);
    let options = Options {
        exit_code: None,
        png: args.png,
    };
    match write_reports(&run, options) {
        Ok(written) => {
            for p in &written {
                errln!("wrote {}", p.display());
            }
            if run.incomplete() {
                errln!("note: the run is incomplete (a log ends before run_finished)");
            }
            exit::PASSED
        }
        Err(e) => report_error(&e),
    }
}

/// The reports of the plans `rig run` just ran; the error is the exit code to return.
pub fn render_run(mut run: RunData, exit_code: Option<i32>, png: bool) -> Result<(), i32> {
    run.name_unreached_steps(planned_steps);
    write_reports(&run, Options { exit_code, png }).map_err(|e| report_error(&e))?;
    Ok(())
}

/// The steps of the plan a log ran, for naming the steps it never reached: the plan
/// file the log names, read again, if it is still the one that ran (same content hash
/// and step count). Otherwise `None`, and the report says `step N`.
fn planned_steps(summary: &PlanSummary) -> Option<Vec<PlannedStep>> {
    let path = Path::new(&summary.plan_file);
    if summary.plan_file.is_empty() || !path.is_file() {
        return None;
    }
    let plan = crate::plan::load_plan(path, &crate::bench::Bench::builtin_sim()).ok()?;
    if plan.content_hash != summary.plan_hash || plan.steps.len() != summary.steps.len() {
        return None;
    }
    Some(
        plan.steps
            .iter()
            .map(|s| PlannedStep {
                number: s.number,
                name: s.name.clone(),
                location: s.location.to_string(),
            })
            .collect(),
    )
}

fn report_error(e: &rig_reports::run::ReportError) -> i32 {
    use rig_reports::run::ReportError;
    errln!("error: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        errln!("  caused by: {s}");
        source = s.source();
    }
    match e {
        ReportError::ReadDir { .. } | ReportError::NoLogs { .. } | ReportError::ReadLog { .. } => {
            exit::INVALID_INPUT
        }
        _ => exit::RIG_ERROR,
    }
}
