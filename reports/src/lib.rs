//! Everything `rig` renders from a run's event logs: the log format itself, a tolerant
//! reader, per-plan summaries, and the reports: JUnit XML, `summary.json`, `summary.md`
//! and a self-contained `report.html` with plotters charts. Reports read the logs alone,
//! so a run that was killed still has them, and `rig report` re-renders any run.
//!
//! The main entry points are [`run::RunData::load`] (a run folder read back),
//! [`run::write_reports`] (every report file) and [`compare::compare`] (two runs).

pub mod clauses;
pub mod compare;
pub mod compare_measure;
pub mod decimate;
pub mod detail;
pub mod event;
pub mod format;
pub mod html;
mod html_steps;
pub mod json;
pub mod junit;
pub mod log;
pub mod markdown;
pub mod matrix;
pub mod measure;
pub mod plot;
pub mod plot_labels;
pub mod plot_lanes;
pub mod plot_measure;
pub mod run;
pub mod series;
pub mod step_fold;
pub mod summary;
pub mod svg_thin;
pub mod synthetic;
pub mod thinning;
pub mod trend;
pub mod wire;
pub mod wire_edit;

pub use event::{Clock, Event, EventKind, LimitBasis, SampleValue, Verdict};
