//! `rig sim matrix`'s table, computed by running the plans, against the catalogue: every
//! (defect, plan) pair the catalogue lists, among the short plans, is a caught cell; the
//! plans pass without a defect; and a defect none of them is meant for is caught by
//! none of them (so a cell is not "caught" by default).

use std::time::Duration;

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::runner::matrix::{Cell, compute};

use crate::catalogue::CATALOGUE;
use crate::support;

/// Plans this short (by their `timeout:`) make the matrix here: the table costs one
/// run per plan and defect.
const UP_TO: Duration = Duration::from_secs(15 * 60);

/// A defect whose plan (`cocp_lockout`, an hour) is not among the short ones, and that
/// none of them exercises: no COCP lock-out.
const UNRELATED: &str = "cocp_no_lockout";

pub fn trials() -> Vec<Trial> {
    vec![Trial::test(
        "matrix::the_table_agrees_with_the_catalogue_on_the_short_plans",
        the_table_agrees_with_the_catalogue,
    )]
}

fn short_plans() -> Result<Vec<String>, Failed> {
    let bench = Bench::builtin_sim();
    let mut plans: Vec<String> = Vec::new();
    for &(_, plan, _) in CATALOGUE {
        if plans.iter().any(|p| p == plan) {
            continue;
        }
        let path = support::repo().join("testplans").join(plan);
        let loaded = rig::plan::load_plan(&path, &bench).map_err(|p| p.to_string())?;
        if loaded.timeout <= UP_TO {
            plans.push(plan.to_string());
        }
    }
    Ok(plans)
}

fn the_table_agrees_with_the_catalogue() -> Result<(), Failed> {
    let plans = short_plans()?;
    if plans.len() < 3 {
        return Err(format!("too few short plans to make a table: {plans:?}").into());
    }
    let mut defects: Vec<String> = CATALOGUE
        .iter()
        .filter(|(_, plan, _)| plans.iter().any(|p| p == plan))
        .map(|(d, _, _)| d.to_string())
        .collect();
    defects.dedup();
    defects.push(UNRELATED.to_string());
    let files: Vec<_> = plans
        .iter()
        .map(|p| (support::repo().join("testplans").join(p), None))
        .collect();
    let m = compute(&files, &defects, &support::scratch("matrix")).map_err(|p| p.to_string())?;
    for (p, clean) in m.clean.iter().enumerate() {
        if *clean != Cell::Passed {
            return Err(format!("{} without a defect: {clean:?}", m.plans[p]).into());
        }
    }
    let column = |plan: &str| {
        let id = plan.trim_end_matches(".yaml");
        m.plans.iter().position(|p| p == id)
    };
    for &(defect, plan, _) in CATALOGUE {
        let (Some(d), Some(p)) = (m.defects.iter().position(|x| x == defect), column(plan)) else {
            continue;
        };
        if !m.catches(d, p) {
            return Err(format!(
                "{defect} x {plan}: {:?}, the catalogue says caught",
                m.cells[d][p]
            )
            .into());
        }
    }
    let unrelated = m.defects.len() - 1;
    if m.uncaught() != [UNRELATED] {
        return Err(format!(
            "uncaught: {:?}, expected only {UNRELATED} (its row: {:?})",
            m.uncaught(),
            m.cells[unrelated]
        )
        .into());
    }
    Ok(())
}
