//! `rig sim matrix`: the defect x plan table, computed by running the plans (see
//! [`crate::runner::matrix`]).

use std::path::PathBuf;

use super::MatrixArgs;
use super::out::{errln, outln};
use super::select;
use crate::exit;
use crate::runner::matrix::{Cell, Matrix, compute};

pub fn matrix(args: MatrixArgs) -> i32 {
    let defects = match defect_names(&args.defects) {
        Ok(d) => d,
        Err(e) => {
            errln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("testplans")]
    } else {
        args.paths
    };
    let mut candidates = Vec::new();
    for path in &paths {
        if path.is_dir() {
            match crate::discover::plans_in(path) {
                Ok(found) => candidates.extend(found.into_iter().map(select::candidate)),
                Err(e) => {
                    errln!("error: cannot read {}: {e}", path.display());
                    return exit::INVALID_INPUT;
                }
            }
        } else {
            candidates.push(select::candidate(path.clone()));
        }
    }
    // `--dut` as `rig run` reads it: each plan once per profile, `all` for every one.
    let sel = select::Selection {
        duts: args.duts,
        ..Default::default()
    };
    let files: Vec<_> = select::select(candidates, &[], &sel)
        .into_iter()
        .map(|c| (c.file, c.dut))
        .collect();
    let scratch = match tempfile::Builder::new().prefix("rig-matrix-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            errln!("error: cannot make a folder for the run logs: {e}");
            return exit::RIG_ERROR;
        }
    };
    let m = match compute(&files, &defects, scratch.path()) {
        Ok(m) => m,
        Err(problems) => {
            super::load::print_problems(&problems);
            return exit::INVALID_INPUT;
        }
    };
    print(&m);
    if m.uncaught().is_empty() {
        exit::PASSED
    } else {
        exit::DUT_FAILED
    }
}

/// The defects asked for, checked against the catalogue; all of it when none is.
fn defect_names(asked: &[String]) -> Result<Vec<String>, rig_sim::UnknownDefect> {
    if asked.is_empty() {
        return Ok(rig_sim::Defect::ALL.iter().map(|d| d.to_string()).collect());
    }
    asked
        .iter()
        .map(|a| a.parse::<rig_sim::Defect>().map(|d| d.to_string()))
        .collect()
}

/// One character per cell: caught, passed (not caught), skipped, rig error; `?` where
/// the plan does not pass without a defect (it can catch nothing).
fn mark(m: &Matrix, d: usize, p: usize) -> char {
    match (&m.clean[p], &m.cells[d][p]) {
        (Cell::Passed, Cell::Caught { .. }) => 'X',
        (Cell::Passed, Cell::Passed) => '.',
        (_, Cell::Skipped) => 's',
        (Cell::Passed, Cell::Error(_)) => 'E',
        _ => '?',
    }
}

fn print(m: &Matrix) {
    outln!("PLANS (columns)");
    for (p, plan) in m.plans.iter().enumerate() {
        let clean = match &m.clean[p] {
            Cell::Passed => String::new(),
            Cell::Skipped => "  (skipped)".to_string(),
            Cell::Caught { by } => format!("  (fails without a defect: {by})"),
            Cell::Error(e) => format!("  (rig error without a defect: {e})"),
        };
        outln!("{:>3} {plan}{clean}", p + 1);
    }
    outln!();
    let width = m.defects.iter().map(String::len).max().unwrap_or(6).max(6);
    let numbers: String = (1..=m.plans.len()).map(|p| format!("{:>3}", p)).collect();
    outln!("{:<width$} {numbers}   CAUGHT BY", "DEFECT");
    for (d, defect) in m.defects.iter().enumerate() {
        let cells: String = (0..m.plans.len())
            .map(|p| format!("{:>3}", mark(m, d, p)))
            .collect();
        let by: Vec<String> = (0..m.plans.len())
            .filter(|p| m.catches(d, *p))
            .filter_map(|p| match &m.cells[d][p] {
                Cell::Caught { by } => Some(format!("{} ({by})", m.plans[p])),
                _ => None,
            })
            .collect();
        let by = if by.is_empty() {
            "NOT CAUGHT".to_string()
        } else {
            by.join("; ")
        };
        outln!("{defect:<width$} {cells}   {by}");
    }
    outln!();
    outln!(
        "X caught, . passed (not caught), s skipped, E rig error, ? the plan fails without a defect"
    );
    let uncaught = m.uncaught();
    if uncaught.is_empty() {
        outln!("every defect is caught by at least one plan");
    } else {
        outln!("caught by no plan: {}", uncaught.join(", "));
    }
}
