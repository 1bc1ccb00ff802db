//! Judging a candidate run against a baseline of earlier runs (`rig gate`).
//!
//! - **Verdicts**: a plan that passed in every baseline run that ran it and fails (or
//!   ends in error) in the candidate is a regression; so is a failing plan with no
//!   baseline. A plan that also failed in the baseline is noted, not gated: the gate
//!   asks what changed.
//! - **Measurements**: a value outside its own limits (or unmeasurable) is a
//!   regression. Otherwise it is compared with the baseline's values of the same plan
//!   and name: it has moved when it lies outside `mean ± max(k·σ, t)`, where σ is the
//!   baseline's sample standard deviation, `k` 3 by default, and `t` a tolerance (10 %
//!   by default) of the limits' band width, or of the mean when the measurement has
//!   no two limits. The tolerance keeps a baseline of identical values (a virtual bench
//!   is deterministic) or of very few runs from flagging noise; `k·σ` follows a real
//!   bench's spread. Chosen over "outside the baseline's min..max widened by a
//!   tolerance" because min..max only widens as the baseline grows.

use std::collections::BTreeMap;

use super::rows::{MeasurementRow, RunRows};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// `k` of `mean ± k·σ`.
    pub sigma: f64,
    /// Percent of the band width (or of the mean) a value may move in any case.
    pub tolerance_pct: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sigma: 3.0,
            tolerance_pct: 10.0,
        }
    }
}

/// How one check came out.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Pass,
    /// Fails the gate; says why.
    Regression(String),
    /// Does not fail the gate, but is worth reading.
    Note(String),
}

impl Outcome {
    pub fn is_regression(&self) -> bool {
        matches!(self, Outcome::Regression(_))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlanCheck {
    pub plan_id: String,
    /// `None`: the baseline ran it but the candidate did not.
    pub candidate: Option<String>,
    /// The plan's verdicts in the baseline runs that ran it, newest first.
    pub baseline: Vec<String>,
    pub outcome: Outcome,
}

/// The baseline's values of one measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Spread {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    /// The allowed band `mean ± half`.
    pub low: f64,
    pub high: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MeasurementCheck {
    pub plan_id: String,
    pub measurement: MeasurementRow,
    pub spread: Option<Spread>,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    pub candidate: String,
    pub baseline_runs: Vec<String>,
    pub options: Options,
    pub plans: Vec<PlanCheck>,
    pub measurements: Vec<MeasurementCheck>,
}

impl Judgement {
    pub fn passed(&self) -> bool {
        !self.plans.iter().any(|p| p.outcome.is_regression())
            && !self.measurements.iter().any(|m| m.outcome.is_regression())
    }
}

/// Judge `candidate` against `baseline` (newest first).
pub fn judge(candidate: &RunRows, baseline: &[RunRows], options: Options) -> Judgement {
    let mut plan_ids: Vec<&str> = candidate
        .plans
        .iter()
        .map(|p| p.plan.plan_id.as_str())
        .collect();
    for run in baseline {
        plan_ids.extend(run.plans.iter().map(|p| p.plan.plan_id.as_str()));
    }
    plan_ids.sort_unstable();
    plan_ids.dedup();
    let plans = plan_ids
        .into_iter()
        .map(|id| {
            let verdicts: Vec<String> = baseline
                .iter()
                .filter_map(|r| r.plans.iter().find(|p| p.plan.plan_id == id))
                .map(|p| p.plan.verdict.clone())
                .collect();
            let now = candidate
                .plans
                .iter()
                .find(|p| p.plan.plan_id == id)
                .map(|p| p.plan.verdict.clone());
            PlanCheck {
                plan_id: id.to_string(),
                outcome: plan_outcome(now.as_deref(), &verdicts),
                candidate: now,
                baseline: verdicts,
            }
        })
        .collect();
    let mut history: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    for run in baseline {
        for p in &run.plans {
            for m in &p.measurements {
                if let Some(v) = m.value {
                    history
                        .entry((p.plan.plan_id.as_str(), m.name.as_str()))
                        .or_default()
                        .push(v);
                }
            }
        }
    }
    let mut measurements = Vec::new();
    for p in &candidate.plans {
        for m in &p.measurements {
            let values = history
                .get(&(p.plan.plan_id.as_str(), m.name.as_str()))
                .map_or(&[][..], Vec::as_slice);
            let spread = spread(values, m, options);
            measurements.push(MeasurementCheck {
                plan_id: p.plan.plan_id.clone(),
                outcome: measurement_outcome(m, spread.as_ref()),
                measurement: m.clone(),
                spread,
            });
        }
    }
    Judgement {
        candidate: candidate.run.run_id.clone(),
        baseline_runs: baseline.iter().map(|r| r.run.run_id.clone()).collect(),
        options,
        plans,
        measurements,
    }
}

fn plan_outcome(now: Option<&str>, baseline: &[String]) -> Outcome {
    let ran: Vec<&String> = baseline.iter().filter(|v| *v != "skipped").collect();
    let passed = ran.iter().filter(|v| **v == "pass").count();
    match now {
        None => Outcome::Note("in the baseline, not run by the candidate".into()),
        Some("pass") => Outcome::Pass,
        Some("skipped") if passed > 0 => {
            Outcome::Note("skipped by the candidate (the bench cannot run it)".into())
        }
        Some("skipped") => Outcome::Pass,
        Some(v) if ran.is_empty() => {
            Outcome::Regression(format!("{v}, and no baseline run ran it to compare"))
        }
        Some(v) if passed == ran.len() => Outcome::Regression(format!(
            "{v} now; passed in all {} baseline run{}",
            ran.len(),
            if ran.len() == 1 { "" } else { "s" }
        )),
        Some(v) if passed == 0 => {
            Outcome::Note(format!("{v}, as in every baseline run: not a change"))
        }
        Some(v) => Outcome::Note(format!(
            "{v}; flaky in the baseline: passed {passed} of {} runs",
            ran.len()
        )),
    }
}

fn spread(values: &[f64], m: &MeasurementRow, options: Options) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    let width = match (m.min, m.max) {
        (Some(lo), Some(hi)) => (hi - lo).abs(),
        _ => mean.abs(),
    };
    // A little room for float noise in values that are "the same".
    let epsilon = 1e-9 * mean.abs().max(1.0);
    let half = (options.sigma * sd).max(options.tolerance_pct / 100.0 * width) + epsilon;
    Some(Spread {
        n,
        mean,
        sd,
        low: mean - half,
        high: mean + half,
    })
}

fn measurement_outcome(m: &MeasurementRow, spread: Option<&Spread>) -> Outcome {
    if m.verdict == "fail" || m.verdict == "error" {
        let why = m.message.clone().unwrap_or_else(|| match m.value {
            Some(v) => format!("{v} {} outside its limits", m.unit),
            None => "unmeasurable".into(),
        });
        return Outcome::Regression(format!("{}: {why}", m.verdict));
    }
    let Some(value) = m.value else {
        return Outcome::Note("no value recorded".into());
    };
    let Some(s) = spread else {
        return Outcome::Note("no baseline value to compare".into());
    };
    if value < s.low || value > s.high {
        Outcome::Regression(format!(
            "moved: {} {unit} outside the baseline's {} .. {} {unit} (mean {} ± max(kσ, \
             tolerance) over {} run{})",
            fmt(value),
            fmt(s.low),
            fmt(s.high),
            fmt(s.mean),
            s.n,
            if s.n == 1 { "" } else { "s" },
            unit = m.unit
        ))
    } else {
        Outcome::Pass
    }
}

/// Four significant digits, enough to compare and short enough to read.
pub fn fmt(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 9) as usize;
    format!("{v:.digits$}")
}

#[cfg(test)]
mod tests;
