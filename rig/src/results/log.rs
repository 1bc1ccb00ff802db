//! One plan's event log turned into rows. The log is read line by line and only the
//! events the database keeps are decoded in full (a 48 h plan logs millions of samples).
//! It reads the `measurement` event of SPEC-12 §4 with its own type, so it works whether
//! or not the reports crate knows that event yet; a killed run's log (no
//! `run_finished`, a half-written last line) gives what it holds, marked incomplete.

use std::borrow::Cow;
use std::io::BufRead;
use std::path::Path;

use rig_reports::event::{Event, EventKind};
use rig_reports::wire::{Expander, Payload, Piece, Way, line_of};
use serde::Deserialize;

use super::pack_id::PackIdentity;
use super::rows::{ExpectationRow, InstrumentRow, MeasurementRow, PlanRow, PlanRows};

/// What a plan whose log ends early is told (the same words as the reports).
pub const KILLED: &str = "the log ends before the run finished (killed or crashed)";

/// The tag of a line, read before deciding whether to decode the rest.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    event: Cow<'a, str>,
}

/// SPEC-12 §4: one measurement, at its decision.
#[derive(Deserialize)]
struct MeasurementEvent {
    seq: i64,
    t: f64,
    #[serde(default)]
    step: i64,
    name: String,
    #[serde(default)]
    kind: String,
    value: Option<f64>,
    #[serde(default)]
    unit: String,
    min: Option<f64>,
    max: Option<f64>,
    margin: Option<f64>,
    verdict: String,
    #[serde(default)]
    location: String,
    message: Option<String>,
}

/// Read a plan's log. `log_path` is what the row records (the canonical path).
pub fn read_plan(path: &Path, log_path: &str) -> std::io::Result<PlanRows> {
    let file = std::fs::File::open(path)?;
    let mut reader = PlanReader::new(log_path, path);
    for line in std::io::BufReader::new(file).split(b'\n') {
        reader.line(&String::from_utf8_lossy(&line?));
    }
    Ok(reader.finish())
}

struct PlanReader {
    rows: PlanRows,
    started: bool,
    finished: bool,
    identity: PackIdentity,
    /// The instruments' own wire traffic as far as read, for `repeated` and `diff`.
    wire: Expander,
}

impl PlanReader {
    fn new(log_path: &str, path: &Path) -> PlanReader {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let plan_id = name
            .trim_end_matches(rig_reports::run::LOG_SUFFIX)
            .to_string();
        PlanReader {
            rows: PlanRows {
                plan: PlanRow {
                    plan_id,
                    plan_title: String::new(),
                    plan_file: String::new(),
                    plan_hash: String::new(),
                    dut_id: String::new(),
                    dut_model: String::new(),
                    dut_file: None,
                    dut_hash: None,
                    bench: String::new(),
                    defects: String::new(),
                    clock: String::new(),
                    verdict: "error".into(),
                    message: None,
                    skipped_reason: None,
                    incomplete: true,
                    duration_s: 0.0,
                    log_path: log_path.to_string(),
                    pack_serial: None,
                    pack_firmware: None,
                },
                instruments: Vec::new(),
                expectations: Vec::new(),
                measurements: Vec::new(),
            },
            started: false,
            finished: false,
            identity: PackIdentity::default(),
            wire: Expander::default(),
        }
    }

    fn line(&mut self, line: &str) {
        let Ok(head) = serde_json::from_str::<Head>(line) else {
            return;
        };
        match head.event.as_ref() {
            "sample"
            | "samples"
            | "can_frame"
            | "action"
            | "step_started"
            | "step_finished"
            | "protection_programmed"
            | "safe_state"
            | "error" => self.time_of(line),
            // Wire traffic: followed, so that repeated and edited pieces (log formats
            // 2 and 3) are known as what they stand for, the pack's identity answers too.
            "sent" | "received" | "repeated" | "diff" => {
                match serde_json::from_str::<Event>(line) {
                    Ok(event) => {
                        self.end_at(event.t);
                        self.wire_event(&event);
                    }
                    Err(_) => self.time_of(line),
                }
            }
            "measurement" => {
                if let Ok(m) = serde_json::from_str::<MeasurementEvent>(line) {
                    self.measurement(m);
                }
            }
            _ => match serde_json::from_str::<Event>(line) {
                Ok(event) => self.event(event),
                Err(_) => self.time_of(line),
            },
        }
    }

    /// Events the database does not keep still move the plan's end.
    fn time_of(&mut self, line: &str) {
        #[derive(Deserialize)]
        struct T {
            t: f64,
        }
        if let Ok(T { t }) = serde_json::from_str::<T>(line) {
            self.end_at(t);
        }
    }

    fn end_at(&mut self, t: f64) {
        if t.is_finite() {
            self.rows.plan.duration_s = self.rows.plan.duration_s.max(t);
        }
    }

    fn measurement(&mut self, m: MeasurementEvent) {
        self.end_at(m.t);
        self.rows.measurements.push(MeasurementRow {
            seq: m.seq,
            t_s: m.t,
            step: m.step,
            name: m.name,
            kind: m.kind,
            value: m.value.filter(|v| v.is_finite()),
            unit: m.unit,
            min: m.min,
            max: m.max,
            margin: m.margin,
            verdict: m.verdict,
            location: m.location,
            message: m.message,
        });
    }

    fn event(&mut self, event: Event) {
        self.end_at(event.t);
        let plan = &mut self.rows.plan;
        match event.kind {
            kind @ EventKind::RunStarted { .. } if !self.started => self.started(kind),
            EventKind::InstrumentConnected {
                instrument,
                driver,
                resource,
                identity,
            } => {
                self.identity.connected(&driver, &identity);
                // One row per instrument: a reconnect keeps the last identity.
                self.rows.instruments.retain(|i| i.instrument != instrument);
                self.rows.instruments.push(InstrumentRow {
                    instrument,
                    driver,
                    resource,
                    identity,
                });
            }
            EventKind::Expectation {
                step,
                name,
                condition,
                window,
                location,
                verdict,
                reaction_s,
                message,
            } => self.rows.expectations.push(ExpectationRow {
                seq: i64::try_from(event.seq).unwrap_or(i64::MAX),
                t_s: event.t,
                step: i64::try_from(step).unwrap_or(i64::MAX),
                name,
                condition,
                window,
                location,
                verdict: verdict.to_string(),
                reaction_s,
                message,
            }),
            EventKind::RunFinished { verdict, message } => {
                self.finished = true;
                plan.verdict = verdict.to_string();
                plan.message = message;
            }
            _ => {}
        }
    }

    /// The pieces a wire event on an instrument's own line stands for, to the pack
    /// identity. CAN lines (with an `id`) are not followed.
    fn wire_event(&mut self, event: &Event) {
        let Some((instrument, None)) = line_of(&event.kind) else {
            return;
        };
        let instrument = instrument.to_string();
        for piece in self.wire.expand(event) {
            self.identity_piece(&instrument, &piece);
        }
    }

    fn identity_piece(&mut self, instrument: &str, piece: &Piece) {
        let text = match &piece.payload {
            Payload::Text(t) => Some(t.as_str()),
            _ => None,
        };
        match piece.way {
            Way::Sent => self.identity.sent(instrument, text.map(String::from)),
            Way::Received => self.identity.received(instrument, text),
            Way::Frame(_) => {}
        }
    }

    /// The header: which plan, DUT and bench.
    fn started(&mut self, kind: EventKind) {
        let EventKind::RunStarted {
            clock,
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
            return;
        };
        self.started = true;
        let plan = &mut self.rows.plan;
        plan.plan_id = plan_id;
        plan.plan_title = plan_title;
        plan.plan_file = plan_file;
        plan.plan_hash = plan_hash;
        plan.dut_id = dut_id;
        plan.dut_model = dut_model;
        plan.bench = bench;
        plan.defects = defects.join(",");
        plan.clock = match clock {
            rig_reports::Clock::Virtual => "virtual".into(),
            rig_reports::Clock::Real => "real".into(),
        };
    }

    fn finish(mut self) -> PlanRows {
        let plan = &mut self.rows.plan;
        plan.incomplete = !self.finished;
        if !self.finished {
            plan.verdict = "error".into();
            plan.message = Some(if self.started {
                KILLED.into()
            } else {
                "the log does not start with run_started: nothing is known about this run".into()
            });
        }
        if plan.verdict == "skipped" {
            plan.skipped_reason = plan.message.clone();
        }
        (plan.pack_serial, plan.pack_firmware) = self.identity.into_fields();
        self.rows
            .instruments
            .sort_by(|a, b| a.instrument.cmp(&b.instrument));
        self.rows
    }
}
