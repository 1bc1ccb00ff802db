//! `summary.json`: the run for tooling. Field names are stable; new fields may be added.

use serde::Serialize;

use crate::detail::{ExpectationRecord, Instrument, Protection, ReactionTime, SafeStateRecord};
use crate::event::Verdict;
use crate::run::{ExitCode, RunData};
use crate::series::Marker;

/// Bumped when a field changes meaning or disappears. 2: a plan's reaction times moved
/// from `measurements` to `reaction_times`; `measurements` (top level) holds the plans'
/// `measure:` values.
pub const SUMMARY_FORMAT_VERSION: u32 = 2;

#[derive(Serialize)]
struct Run<'a> {
    format_version: u32,
    run_dir: String,
    verdict: Verdict,
    exit_code: i32,
    /// `false`: derived from the verdicts by `rig report`, not returned by `rig run`.
    exit_code_observed: bool,
    incomplete: bool,
    plans: Vec<Plan<'a>>,
    /// Every plan's `measure:` values (SPEC-12 §7), in plan order.
    measurements: Vec<MeasurementRow<'a>>,
}

/// One measured value with the plan that measured it.
#[derive(Serialize)]
struct MeasurementRow<'a> {
    plan: &'a str,
    step: usize,
    name: &'a str,
    kind: &'a str,
    /// `null`: unmeasurable.
    value: Option<f64>,
    unit: &'a str,
    min: Option<f64>,
    max: Option<f64>,
    margin: Option<f64>,
    /// The margin as % of `max − min`, when both limits exist.
    margin_pct: Option<f64>,
    verdict: Verdict,
    /// `pass`, `fail`, `recorded` (no limits) or `unmeasurable`.
    outcome: &'static str,
    location: &'a str,
    message: Option<&'a str>,
    t: f64,
}

#[derive(Serialize)]
struct Plan<'a> {
    plan_id: &'a str,
    title: &'a str,
    plan_file: &'a str,
    plan_hash: &'a str,
    dut_id: &'a str,
    dut_model: &'a str,
    dut_serial: Option<&'a str>,
    dut_firmware: Option<&'a str>,
    bench: &'a str,
    defects: &'a [String],
    clock: Option<crate::event::Clock>,
    rig_version: Option<&'a str>,
    verdict: Verdict,
    message: Option<&'a str>,
    incomplete: bool,
    bad_lines: usize,
    lost_lines: u64,
    duration_s: f64,
    event_log: &'a str,
    instruments: &'a [Instrument],
    protections: &'a [Protection],
    steps: Vec<Step<'a>>,
    reaction_times: Vec<ReactionTime>,
    markers: &'a [Marker],
    safe_states: &'a [SafeStateRecord],
    errors: &'a [String],
}

#[derive(Serialize)]
struct Step<'a> {
    number: usize,
    name: &'a str,
    location: &'a str,
    verdict: Verdict,
    started_s: f64,
    duration_s: f64,
    expectations: Vec<&'a ExpectationRecord>,
}

pub fn render(run: &RunData, exit: ExitCode) -> Result<String, serde_json::Error> {
    let plans = run
        .plans
        .iter()
        .map(|p| {
            let (s, d) = (&p.summary, &p.detail);
            Plan {
                plan_id: &s.plan_id,
                title: &s.title,
                plan_file: &s.plan_file,
                plan_hash: &s.plan_hash,
                dut_id: &s.dut_id,
                dut_model: &s.dut_model,
                dut_serial: d.dut.serial.as_deref(),
                dut_firmware: d.dut.firmware.as_deref(),
                bench: &s.bench,
                defects: &s.defects,
                clock: d.header.as_ref().map(|h| h.clock),
                rig_version: d.header.as_ref().map(|h| h.rig_version.as_str()),
                verdict: s.verdict,
                message: s.message.as_deref(),
                incomplete: s.incomplete,
                bad_lines: s.bad_lines,
                lost_lines: d.seq_gaps,
                duration_s: s.duration_s,
                event_log: &p.log_name,
                instruments: &d.instruments,
                protections: &d.protections,
                steps: s
                    .steps
                    .iter()
                    .map(|st| Step {
                        number: st.number,
                        name: &st.name,
                        location: &st.location,
                        verdict: st.verdict,
                        started_s: st.started_s,
                        duration_s: st.duration_s,
                        expectations: d
                            .expectations
                            .iter()
                            .filter(|e| e.step == st.number)
                            .collect(),
                    })
                    .collect(),
                reaction_times: d.reaction_times(),
                markers: &d.markers,
                safe_states: &d.safe_states,
                errors: &s.errors,
            }
        })
        .collect();
    let out = Run {
        format_version: SUMMARY_FORMAT_VERSION,
        run_dir: run.dir.display().to_string(),
        verdict: run.verdict(),
        exit_code: exit.code,
        exit_code_observed: exit.observed,
        incomplete: run.incomplete(),
        plans,
        measurements: measurement_rows(run),
    };
    serde_json::to_string_pretty(&out).map(|s| s + "\n")
}

fn measurement_rows(run: &RunData) -> Vec<MeasurementRow<'_>> {
    run.plans
        .iter()
        .flat_map(|p| {
            p.detail.measurements.iter().map(|m| MeasurementRow {
                plan: &p.summary.plan_id,
                step: m.step,
                name: &m.name,
                kind: &m.kind,
                value: m.value,
                unit: &m.unit,
                min: m.min,
                max: m.max,
                margin: m.margin,
                margin_pct: m.margin_pct(),
                verdict: m.verdict,
                outcome: m.outcome().word(),
                location: &m.location,
                message: m.message.as_deref(),
                t: m.t,
            })
        })
        .collect()
}
