//! The plans x DUT profiles matrix of a run over several profiles (`rig run --dut all`):
//! a row per plan, a column per profile, each cell that trial's verdict. A run over one
//! profile has no matrix; its plan table says it all.

use std::collections::BTreeMap;

use crate::event::Verdict;
use crate::run::RunData;

/// One trial as the matrix needs it.
pub struct Trial<'a> {
    /// The trial's name: `PLAN::PROFILE`, or the plan id alone.
    pub name: &'a str,
    pub dut: &'a str,
    pub verdict: Verdict,
    /// Why it failed or was skipped.
    pub message: Option<&'a str>,
}

/// A cell: the verdict and why (a skip's reason, a failure's message).
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub verdict: Verdict,
    pub message: Option<String>,
}

#[derive(Debug, Default)]
pub struct Matrix {
    /// Plan ids, in the order the run lists them.
    pub plans: Vec<String>,
    /// Profile ids, sorted.
    pub duts: Vec<String>,
    cells: BTreeMap<(String, String), Cell>,
}

impl Matrix {
    /// The run's matrix, or `None` when its trials cover fewer than two profiles.
    pub fn of(run: &RunData) -> Option<Matrix> {
        Matrix::from_trials(run.plans.iter().map(|p| Trial {
            name: &p.summary.plan_id,
            dut: &p.summary.dut_id,
            verdict: p.summary.verdict,
            message: p.summary.message.as_deref(),
        }))
    }

    pub fn from_trials<'a>(trials: impl IntoIterator<Item = Trial<'a>>) -> Option<Matrix> {
        let mut m = Matrix::default();
        for t in trials {
            // The plan is the trial's name less its `::PROFILE`, when it has one.
            let suffix = format!("::{}", t.dut);
            let plan = t.name.strip_suffix(&suffix).unwrap_or(t.name).to_string();
            if !m.plans.contains(&plan) {
                m.plans.push(plan.clone());
            }
            if !m.duts.iter().any(|d| d == t.dut) {
                m.duts.push(t.dut.to_string());
            }
            let cell = Cell {
                verdict: t.verdict,
                message: t.message.map(str::to_string),
            };
            m.cells.insert((plan, t.dut.to_string()), cell);
        }
        m.duts.sort();
        (m.duts.len() > 1).then_some(m)
    }

    /// The trial of `plan` on `dut`; `None` where the run had no such trial.
    pub fn cell(&self, plan: &str, dut: &str) -> Option<&Cell> {
        self.cells.get(&(plan.to_string(), dut.to_string()))
    }

    /// How many trials of `dut` ended with `verdict`.
    pub fn count(&self, dut: &str, verdict: Verdict) -> usize {
        self.cells
            .iter()
            .filter(|((_, d), c)| d == dut && c.verdict == verdict)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial<'a>(name: &'a str, dut: &'a str, verdict: Verdict) -> Trial<'a> {
        Trial {
            name,
            dut,
            verdict,
            message: (verdict == Verdict::Skipped).then_some("not promised"),
        }
    }

    #[test]
    fn rows_are_plans_and_columns_are_profiles() {
        let m = Matrix::from_trials([
            trial("cocp::b", "b", Verdict::Pass),
            trial("cocp::a", "a", Verdict::Fail),
            trial("rs232::a", "a", Verdict::Skipped),
        ])
        .expect("two profiles make a matrix");
        assert_eq!(m.plans, ["cocp", "rs232"]);
        assert_eq!(m.duts, ["a", "b"]);
        assert_eq!(m.cell("cocp", "a").map(|c| c.verdict), Some(Verdict::Fail));
        assert_eq!(
            m.cell("rs232", "a").and_then(|c| c.message.as_deref()),
            Some("not promised")
        );
        assert_eq!(m.cell("rs232", "b"), None, "no such trial in the run");
        assert_eq!(m.count("a", Verdict::Fail), 1);
        assert_eq!(m.count("b", Verdict::Pass), 1);
    }

    #[test]
    fn one_profile_has_no_matrix() {
        let m = Matrix::from_trials([
            trial("cocp", "a", Verdict::Pass),
            trial("rs232", "a", Verdict::Skipped),
        ]);
        assert!(m.is_none());
    }

    #[test]
    fn a_plan_id_without_the_profile_suffix_is_its_own_row() {
        let m = Matrix::from_trials([
            trial("cocp", "a", Verdict::Pass),
            trial("cocp::b", "b", Verdict::Pass),
        ])
        .expect("two profiles");
        assert_eq!(m.plans, ["cocp"]);
    }
}
