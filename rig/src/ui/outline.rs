//! What the live page knows of each plan before its events come: its steps with their
//! expectations and windows, and the channels it reads. The log says which step runs
//! and what was decided; the outline lets the page show a step's expectations while
//! their windows are still open (the log writes each one when it is decided).

use serde::Serialize;

use crate::plan::{Plan, Step};

/// One plan of the run, as the page's `/plans` gives it.
#[derive(Debug, Serialize)]
pub struct PlanOutline {
    /// The plan's id in the feed (a trial `PLAN::PROFILE` with `--dut`).
    pub id: String,
    pub title: String,
    pub steps: Vec<StepOutline>,
    /// The channels the plan's expectations and measurements read: the page plots these.
    pub channels: Vec<String>,
    /// Run time per second of wall time the page may assume between two events: the
    /// pace on the virtual bench (`--pace`), 1 on a real bench; `None` when the virtual
    /// bench runs unpaced (a window then has no wall-clock countdown).
    pub pace: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct StepOutline {
    pub number: usize,
    pub name: String,
    pub wait_s: f64,
    pub expectations: Vec<ExpectationOutline>,
    pub measurements: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ExpectationOutline {
    pub name: String,
    pub condition: String,
    /// As the log writes it: `within 5 s`, `for 2 min`, ...
    pub window: String,
    /// How long the window is open from the start of the step's watching.
    pub length_s: f64,
}

impl PlanOutline {
    pub fn of(plan: &Plan, virtual_time: bool, pace: Option<f64>) -> PlanOutline {
        PlanOutline {
            id: plan.id.clone(),
            title: plan.title.clone(),
            steps: plan.steps.iter().map(step).collect(),
            channels: plan.channels_read().into_iter().map(|(_, n)| n).collect(),
            pace: if virtual_time { pace } else { Some(1.0) },
        }
    }
}

fn step(s: &Step) -> StepOutline {
    StepOutline {
        number: s.number,
        name: s.name.clone(),
        wait_s: s.wait.as_secs_f64(),
        expectations: s
            .expectations
            .iter()
            .map(|e| ExpectationOutline {
                name: e.name.clone(),
                condition: e.text.clone(),
                window: crate::runner::window_text(e.window),
                length_s: e.window.length().as_secs_f64(),
            })
            .collect(),
        measurements: s.measurements.iter().map(|m| m.name.clone()).collect(),
    }
}
