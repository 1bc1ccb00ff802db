//! What one plan's log says, condensed: verdicts of the plan, its steps, failed
//! expectations and measurements.

use crate::event::{Event, EventKind, Verdict, error_text};
use crate::log::LogContents;
use crate::measure::MeasurementRecord;

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
    /// Messages of failed expectations and measurements.
    pub failures: Vec<String>,
    /// The step's `measure:` values.
    pub measurements: Vec<MeasurementRecord>,
    /// The log shows the step started; `false` for a step the run never got to.
    pub reached: bool,
}

/// A step as the plan names it (its repeats unrolled), for the steps a log never
/// reached: the log itself names only the steps that started.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedStep {
    pub number: usize,
    pub name: String,
    pub location: String,
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

/// Reads a log event by event into a [`PlanSummary`], so a summary needs one pass and
/// no more memory than the summary itself.
#[derive(Default)]
pub struct SummaryReader {
    /// `None` until the first event, and after a first event that is not `run_started`.
    summary: Option<PlanSummary>,
    read_any: bool,
    step_count: usize,
    finished: Option<(Verdict, Option<String>)>,
    last_t: f64,
}

impl SummaryReader {
    pub fn read(&mut self, e: &Event) {
        if !self.read_any {
            self.read_any = true;
            if let EventKind::RunStarted { steps, .. } = &e.kind {
                self.step_count = *steps;
                self.summary = PlanSummary::started(&e.kind);
            }
        }
        self.last_t = e.t;
        let Some(summary) = &mut self.summary else {
            return;
        };
        if let EventKind::RunFinished { verdict, message } = &e.kind {
            self.finished = Some((*verdict, message.clone()));
        } else {
            summary.read(e);
        }
    }

    /// The summary; `None` when the log does not even start a run. `incomplete` and
    /// `bad_lines` are the reader's (see [`crate::log::LogReader`]).
    pub fn finish(self, incomplete: bool, bad_lines: usize) -> Option<PlanSummary> {
        let mut summary = self.summary?;
        summary.duration_s = self.last_t;
        summary.incomplete = incomplete;
        summary.bad_lines = bad_lines;
        (summary.verdict, summary.message) = self.finished.unwrap_or((
            Verdict::Error,
            Some("the log ends before the run finished (killed or crashed)".into()),
        ));
        summary.skip_unreached(self.step_count);
        Some(summary)
    }
}

impl PlanSummary {
    /// `None` when the log does not even start a run.
    pub fn from_log(log: &LogContents) -> Option<PlanSummary> {
        let mut reader = SummaryReader::default();
        for e in &log.events {
            reader.read(e);
        }
        reader.finish(log.incomplete, log.bad_lines.len())
    }

    /// What the `run_started` event says, before any step.
    fn started(kind: &EventKind) -> Option<PlanSummary> {
        let EventKind::RunStarted {
            plan_id,
            plan_title,
            plan_file,
            plan_hash,
            dut_id,
            dut_model,
            bench,
            defects,
            ..
        } = kind
        else {
            return None;
        };
        Some(PlanSummary {
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
            duration_s: 0.0,
            steps: Vec::new(),
            incomplete: true,
            bad_lines: 0,
            errors: Vec::new(),
        })
    }

    /// A step started, a failed expectation, a step finished, an error.
    fn read(&mut self, e: &Event) {
        match &e.kind {
            EventKind::StepStarted {
                step,
                name,
                location,
            } => self.steps.push(StepSummary {
                number: *step,
                name: name.clone(),
                location: location.clone(),
                verdict: Verdict::Error,
                started_s: e.t,
                duration_s: 0.0,
                failures: Vec::new(),
                measurements: Vec::new(),
                reached: true,
            }),
            EventKind::Expectation {
                step,
                verdict: Verdict::Fail,
                message,
                name,
                ..
            } => {
                if let Some(s) = self.step_mut(*step) {
                    s.failures
                        .push(message.clone().unwrap_or_else(|| name.clone()));
                }
            }
            EventKind::Measurement { .. } => {
                let Some(m) = MeasurementRecord::of(e.t, &e.kind) else {
                    return;
                };
                if let Some(s) = self.step_mut(m.step) {
                    if m.verdict == Verdict::Fail {
                        s.failures.push(m.message.clone().unwrap_or_else(|| {
                            format!("measurement {} failed: {}", m.name, m.property_text())
                        }));
                    }
                    s.measurements.push(m);
                }
            }
            EventKind::StepFinished { step, verdict } => {
                if let Some(s) = self.step_mut(*step) {
                    s.verdict = *verdict;
                    s.duration_s = e.t - s.started_s;
                }
            }
            EventKind::Error {
                instrument,
                message,
            } => self.errors.push(error_text(instrument.as_deref(), message)),
            _ => {}
        }
    }

    fn step_mut(&mut self, number: usize) -> Option<&mut StepSummary> {
        self.steps.iter_mut().find(|s| s.number == number)
    }

    /// Steps the run never reached are skipped. The cap keeps a corrupt header from
    /// asking for billions of rows.
    fn skip_unreached(&mut self, step_count: usize) {
        let reached = self.steps.len();
        for n in reached + 1..=step_count.min(reached + MAX_UNREACHED_STEPS) {
            self.steps.push(StepSummary {
                number: n,
                name: format!("step {n}"),
                location: String::new(),
                verdict: Verdict::Skipped,
                started_s: self.duration_s,
                duration_s: 0.0,
                failures: Vec::new(),
                measurements: Vec::new(),
                reached: false,
            });
        }
    }

    /// Name the steps the log never reached after the plan's own steps, so a run that
    /// stopped early lists them by name (and JUnit names its cases as a passing run
    /// does). `plan` must be the plan the log ran: the caller checks its content hash.
    /// Steps the plan does not have keep their `step N`.
    pub fn name_unreached(&mut self, plan: &[PlannedStep]) {
        for step in self.steps.iter_mut().filter(|s| !s.reached) {
            if let Some(p) = plan.iter().find(|p| p.number == step.number) {
                step.name.clone_from(&p.name);
                step.location.clone_from(&p.location);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::log::parse_log;
    use crate::synthetic::{Spec, log};

    fn synthetic(fail: bool) -> LogContents {
        parse_log(&log(&Spec {
            duration_s: 60.0,
            steps: 4,
            fail,
            ..Spec::default()
        }))
    }

    #[test]
    fn a_finished_log_gives_the_verdicts_and_the_failure_on_its_step() {
        let s = PlanSummary::from_log(&synthetic(true)).unwrap();
        assert_eq!(
            (s.verdict, s.message.as_deref()),
            (Verdict::Fail, Some("step 4 failed"))
        );
        let verdicts: Vec<_> = s.steps.iter().map(|st| st.verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::Pass, Verdict::Pass, Verdict::Pass, Verdict::Fail]
        );
        assert_eq!(s.steps[3].failures.len(), 1);
        assert!(s.steps[0].failures.is_empty());
        assert_eq!(s.steps[1].duration_s, 15.0);
    }

    #[test]
    fn a_log_cut_short_is_an_error_and_the_steps_it_never_reached_are_skipped() {
        let mut cut = synthetic(false);
        // Cut before step 2 finished: it started, so it is an error; 3 and 4 never ran.
        let second_finished = cut
            .events
            .iter()
            .position(|e| matches!(e.kind, EventKind::StepFinished { step: 2, .. }))
            .unwrap();
        cut.events.truncate(second_finished);
        cut.events.push(Event::new(
            0,
            20.0,
            EventKind::Error {
                instrument: Some("source".into()),
                message: "timed out".into(),
            },
        ));
        let s = PlanSummary::from_log(&cut).unwrap();
        assert_eq!(s.verdict, Verdict::Error);
        assert!(s.message.unwrap().contains("ends before the run finished"));
        assert_eq!(s.errors, ["source: timed out"]);
        let steps: Vec<_> = s.steps.iter().map(|st| (st.number, st.verdict)).collect();
        assert_eq!(
            steps,
            [
                (1, Verdict::Pass),
                (2, Verdict::Error),
                (3, Verdict::Skipped),
                (4, Verdict::Skipped)
            ]
        );
    }

    #[test]
    fn a_header_asking_for_endless_steps_is_capped() {
        let mut log = synthetic(false);
        if let EventKind::RunStarted { steps, .. } = &mut log.events[0].kind {
            *steps = usize::MAX;
        }
        let s = PlanSummary::from_log(&log).unwrap();
        assert_eq!(s.steps.len(), 4 + MAX_UNREACHED_STEPS);
    }

    #[test]
    fn a_log_without_its_header_has_no_summary() {
        let mut log = synthetic(false);
        log.events.remove(0);
        assert_eq!(PlanSummary::from_log(&log), None);
        assert_eq!(PlanSummary::from_log(&LogContents::default()), None);
    }
}
