//! The defect x plan matrix (`rig sim matrix`): which plan catches which of the twin's
//! defects, found by running every plan on the virtual bench (virtual time) once
//! without a defect and once with each defect injected. A plan catches a defect when it
//! passes without it and fails on the DUT's account with it; the cell names the first
//! expectation or measurement that failed.

use std::path::{Path, PathBuf};

use rig_reports::{EventKind, Verdict};

use crate::bench::Bench;
use crate::diag::Problems;
use crate::plan::load_trial;
use crate::runner::{prepare, run_plan, skip_reason};

/// One plan's result with one defect (or without any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// The plan failed on the DUT's account: `by` is the first expectation or
    /// measurement that failed.
    Caught { by: String },
    /// The plan passed: the defect went unnoticed.
    Passed,
    /// The trial was skipped (the profile does not promise what the plan needs).
    Skipped,
    /// The run ended in a rig error (not the DUT's).
    Error(String),
}

/// Rows are defects, columns trials (`PLAN`, or `PLAN::PROFILE` with a profile).
#[derive(Clone, Debug)]
pub struct Matrix {
    pub plans: Vec<String>,
    pub defects: Vec<String>,
    /// Each plan without a defect: a plan that does not pass clean catches nothing.
    pub clean: Vec<Cell>,
    /// `cells[d][p]`: defect `d` against plan `p`.
    pub cells: Vec<Vec<Cell>>,
}

impl Matrix {
    /// Whether plan `p` catches defect `d`: it passed clean and failed with it.
    pub fn catches(&self, d: usize, p: usize) -> bool {
        self.clean[p] == Cell::Passed && matches!(self.cells[d][p], Cell::Caught { .. })
    }

    /// The defects no plan catches.
    pub fn uncaught(&self) -> Vec<&str> {
        (0..self.defects.len())
            .filter(|d| !(0..self.plans.len()).any(|p| self.catches(*d, p)))
            .map(|d| self.defects[d].as_str())
            .collect()
    }
}

/// Runs every trial (a plan file, against a profile id or its own `dut:`) without a
/// defect and with each of `defects`, on the built-in virtual bench; logs go into
/// `scratch`. A plan or profile that does not load is refused.
pub fn compute(
    files: &[(PathBuf, Option<String>)],
    defects: &[String],
    scratch: &Path,
) -> Result<Matrix, Problems> {
    let builtin = Bench::builtin_sim();
    let mut trials = Vec::new();
    for (file, dut) in files {
        let (plan, sized) = load_trial(file, dut.as_deref(), &builtin)?;
        trials.push((plan, sized.unwrap_or_else(|| builtin.clone())));
    }
    let mut run = 0usize;
    let mut cell = |plan: &crate::plan::Plan, bench: &Bench, defect: Option<&String>| {
        if skip_reason(plan, bench).is_some() {
            return Cell::Skipped;
        }
        let injected: Vec<String> = defect.into_iter().cloned().collect();
        let prepared = match prepare(plan, bench, &injected) {
            Ok(p) => p,
            Err(problems) => return Cell::Error(problems.to_string()),
        };
        run += 1;
        let outcome = run_plan(plan, bench, &prepared, &scratch.join(run.to_string()));
        match outcome.verdict {
            Verdict::Pass => Cell::Passed,
            Verdict::Fail => Cell::Caught {
                by: first_failure(&outcome.log_path).unwrap_or_default(),
            },
            Verdict::Skipped => Cell::Skipped,
            _ => Cell::Error(outcome.message.unwrap_or_default()),
        }
    };
    let clean = trials.iter().map(|(p, b)| cell(p, b, None)).collect();
    let cells = defects
        .iter()
        .map(|d| trials.iter().map(|(p, b)| cell(p, b, Some(d))).collect())
        .collect();
    Ok(Matrix {
        plans: trials.into_iter().map(|(p, _)| p.id).collect(),
        defects: defects.to_vec(),
        clean,
        cells,
    })
}

/// The name of the first failed expectation or measurement in a run's log.
fn first_failure(log: &Path) -> Option<String> {
    let log = rig_reports::log::read_log(log).ok()?;
    log.events.into_iter().find_map(|e| match e.kind {
        EventKind::Expectation {
            verdict: Verdict::Fail,
            name,
            ..
        }
        | EventKind::Measurement {
            verdict: Verdict::Fail,
            name,
            ..
        } => Some(name),
        _ => None,
    })
}
