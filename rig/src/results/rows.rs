//! The rows of the results database as plain data: what a run folder turns into, what
//! the store writes, and what it reads back (so a test can compare a live write with an
//! import field by field). Columns are described in docs/results.md.

/// One `rig run`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// From `run.json`; for a folder without one, derived from the folder's path.
    pub run_id: String,
    pub run_dir: String,
    /// Host name of the station; `None` for a folder made before `run.json` existed.
    pub station: Option<String>,
    pub station_user: Option<String>,
    pub bench: String,
    /// `rig run --firmware-label`: the firmware the operator says is on the pack.
    pub firmware_label: Option<String>,
    pub started_at: Option<String>,
    pub started_unix: Option<i64>,
    pub finished_at: Option<String>,
    pub finished_unix: Option<i64>,
    /// `pass`, `fail`, `error` or `incomplete` (killed: a log or `run.json` has no end).
    pub verdict: String,
    pub exit_code: Option<i64>,
    pub rig_version: Option<String>,
    pub plan_count: i64,
}

/// One plan of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRow {
    pub plan_id: String,
    pub plan_title: String,
    pub plan_file: String,
    pub plan_hash: String,
    pub dut_id: String,
    pub dut_model: String,
    pub dut_file: Option<String>,
    pub dut_hash: Option<String>,
    pub bench: String,
    /// Comma-separated, as given.
    pub defects: String,
    /// `virtual` or `real`.
    pub clock: String,
    pub verdict: String,
    pub message: Option<String>,
    pub skipped_reason: Option<String>,
    pub incomplete: bool,
    pub duration_s: f64,
    pub log_path: String,
    pub pack_serial: Option<String>,
    pub pack_firmware: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct InstrumentRow {
    pub instrument: String,
    pub driver: String,
    pub resource: String,
    pub identity: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExpectationRow {
    /// The event's `seq` in the plan's log: the row's key within the plan.
    pub seq: i64,
    pub t_s: f64,
    pub step: i64,
    pub name: String,
    pub condition: String,
    pub window: String,
    pub location: String,
    pub verdict: String,
    pub reaction_s: Option<f64>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MeasurementRow {
    pub seq: i64,
    pub t_s: f64,
    pub step: i64,
    pub name: String,
    pub kind: String,
    /// `None`: unmeasurable.
    pub value: Option<f64>,
    pub unit: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub margin: Option<f64>,
    pub verdict: String,
    pub location: String,
    pub message: Option<String>,
}

/// A plan and everything recorded under it.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRows {
    pub plan: PlanRow,
    pub instruments: Vec<InstrumentRow>,
    pub expectations: Vec<ExpectationRow>,
    pub measurements: Vec<MeasurementRow>,
}

/// A run and its plans, sorted by plan id.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRows {
    pub run: RunRow,
    pub plans: Vec<PlanRows>,
}
