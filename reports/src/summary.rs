//! What one plan's log says, condensed: verdicts of the plan, its steps and failed
//! expectations.

use crate::event::{EventKind, Verdict};
use crate::log::LogContents;

/// At most this many "not reached" rows are added after the last step the log shows.
const MAX_UNREACHED_STEPS: usize = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub struct StepSummary {
    pub number: usize,
    pub name: String,
    pub location: String,
    pub verdict: Verdict,
    pub started_s: f64,
    pub duration_s: f64,
    /// Messages of failed expectations.
    pub failures: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlanSummary {
    pub plan_id: String,
    pub title: String,
    pub plan_file: String,
    /// Content hash of the plan file as the run read it.
    pub plan_hash: String,
    pub dut_id: String,
    pub dut_model: String,
    pub bench: String,
    pub defects: Vec<String>,
    pub verdict: Verdict,
    /// Why the run ended in error, or the failure message.
    pub message: Option<String>,
    pub duration_s: f64,
    pub steps: Vec<StepSummary>,
    pub incomplete: bool,
    /// Lines of the log that were not valid events.
    pub bad_lines: usize,
    pub errors: Vec<String>,
}

impl PlanSummary {
    /// `None` when the log does not even start a run.
    pub fn from_log(log: &LogContents) -> Option<PlanSummary> {
        let first = log.events.first()?;
        let EventKind::RunStarted {
            plan_id,
            plan_title,
            plan_file,
            plan_hash,
            dut_id,
            dut_model,
            bench,
            defects,
            steps: step_count,
            ..
        } = &first.kind
        else {
            return None;
        };
        let mut summary = PlanSummary {
            plan_id: plan_id.clone(),
            title: plan_title.clone(),
            plan_file: plan_file.clone(),
            plan_hash: plan_hash.clone(),
            dut_id: dut_id.clone(),
            dut_model: dut_model.clone(),
            bench: bench.clone(),
            defects: defects.clone(),
            verdict: Verdict::Error,
            message: None,
            duration_s: log.events.last().map_or(0.0, |e| e.t),
            steps: Vec::new(),
            incomplete: log.incomplete,
            bad_lines: log.bad_lines.len(),
            errors: Vec::new(),
        };
        let mut finished = None;
        for e in &log.events {
            match &e.kind {
                EventKind::StepStarted {
                    step,
                    name,
                    location,
                } => summary.steps.push(StepSummary {
                    number: *step,
                    name: name.clone(),
                    location: location.clone(),
                    verdict: Verdict::Error,
                    started_s: e.t,
                    duration_s: 0.0,
                    failures: Vec::new(),
                }),
                EventKind::Expectation {
                    step,
                    verdict: Verdict::Fail,
                    message,
                    name,
                    ..
                } => {
                    if let Some(s) = summary.steps.iter_mut().find(|s| s.number == *step) {
                        s.failures
                            .push(message.clone().unwrap_or_else(|| name.clone()));
                    }
                }
                EventKind::StepFinished { step, verdict } => {
                    if let Some(s) = summary.steps.iter_mut().find(|s| s.number == *step) {
                        s.verdict = *verdict;
                        s.duration_s = e.t - s.started_s;
                    }
                }
                EventKind::Error {
                    instrument,
                    message,
                } => summary.errors.push(match instrument {
                    Some(i) => format!("{i}: {message}"),
                    None => message.clone(),
                }),
                EventKind::RunFinished { verdict, message } => {
                    finished = Some((*verdict, message.clone()))
                }
                _ => {}
            }
        }
        match finished {
            Some((verdict, message)) => {
                summary.verdict = verdict;
                summary.message = message;
            }
            None => {
                summary.verdict = Verdict::Error;
                summary.message =
                    Some("the log ends before the run finished (killed or crashed)".into());
            }
        }
        // Steps the run never reached are skipped. The cap keeps a corrupt header from
        // asking for billions of rows.
        let reached = summary.steps.len();
        for n in reached + 1..=(*step_count).min(reached + MAX_UNREACHED_STEPS) {
            summary.steps.push(StepSummary {
                number: n,
                name: format!("step {n}"),
                location: String::new(),
                verdict: Verdict::Skipped,
                started_s: summary.duration_s,
                duration_s: 0.0,
                failures: Vec::new(),
            });
        }
        Some(summary)
    }
}
