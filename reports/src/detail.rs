//! Everything a report shows about one plan beyond its verdicts: identities, expectation
//! windows, measurements, channel series and the trip and wake markers, read from the
//! log alone.

use crate::event::{Clock, Event, EventKind, SampleValue, Verdict, error_text};
use crate::log::LogContents;
use crate::measure::MeasurementRecord;
use crate::series::{Marker, MarkerKind, Series, SeriesBuilder};

/// An instrument as the run found it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Instrument {
    pub instrument: String,
    pub driver: String,
    pub resource: String,
    pub identity: String,
    /// Its calibration, when the bench file gives a due date.
    pub calibration: Option<CalibrationNote>,
}

/// An instrument's calibration due date, and whether the run used it past that date.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CalibrationNote {
    pub due: String,
    pub expired: bool,
    pub overridden: bool,
}

/// Instrument-side protection programmed before any output was on.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Protection {
    pub instrument: String,
    pub ovp_v: f64,
    pub ocp_a: f64,
}

/// How an instrument was left at the end of the run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SafeStateRecord {
    pub instrument: String,
    pub action: String,
    pub ok: bool,
    pub error: Option<String>,
}

/// The kind of window an expectation had, parsed back from its text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WindowKind {
    /// Must become true within the window.
    Within,
    /// Must stay true for the window.
    For,
    /// A window text this version does not know.
    Other,
}

/// One expectation's result, placed on the run's time axis.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExpectationRecord {
    pub step: usize,
    pub name: String,
    pub condition: String,
    /// As the plan said it: `within 5 s`, `for 2 min`.
    pub window: String,
    pub window_kind: WindowKind,
    /// The window's length in seconds, when the text could be read.
    pub window_s: Option<f64>,
    pub location: String,
    pub verdict: Verdict,
    pub reaction_s: Option<f64>,
    /// Expected versus observed, as the engine wrote it.
    pub message: Option<String>,
    /// When the window opened (inferred: see [`infer_window_starts`]).
    pub start_s: f64,
    /// When the expectation was decided.
    pub decided_s: f64,
}

impl ExpectationRecord {
    /// Where the shaded window ends on a plot.
    pub fn end_s(&self) -> f64 {
        match (self.verdict, self.window_s) {
            (Verdict::Pass | Verdict::Fail, Some(w)) => self.start_s + w,
            _ => self.decided_s,
        }
    }
}

/// A `within` expectation's reaction time against its window. The margin is what was
/// left of the window. (The plan's own `measure:` values are [`MeasurementRecord`]s.)
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ReactionTime {
    pub step: usize,
    pub name: String,
    pub value_s: f64,
    pub limit_s: f64,
    pub margin_s: f64,
    pub verdict: Verdict,
}

/// The header of the log, when the log has one.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Header {
    pub rig_version: String,
    pub format_version: u32,
    pub clock: Clock,
    pub plan_hash: String,
    pub tags: Vec<String>,
    pub dut_model: String,
}

/// The DUT as it identified itself; fields the log does not carry are `None`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct DutIdentity {
    /// The model as the DUT profile names it.
    pub model: Option<String>,
    /// The model as the pack itself reports it (the RS485 manufacturer answer).
    pub reported_model: Option<String>,
    pub serial: Option<String>,
    pub firmware: Option<String>,
    /// The BMS link's own identity line, e.g. `CAN link (listen-only)`.
    pub link: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct PlanDetail {
    pub header: Option<Header>,
    pub dut: DutIdentity,
    pub instruments: Vec<Instrument>,
    pub protections: Vec<Protection>,
    pub expectations: Vec<ExpectationRecord>,
    /// The plan's `measure:` values, in log order.
    pub measurements: Vec<MeasurementRecord>,
    pub safe_states: Vec<SafeStateRecord>,
    pub actions: Vec<(f64, usize, String)>,
    pub errors: Vec<(f64, String)>,
    pub series: Vec<Series>,
    pub markers: Vec<Marker>,
    /// Step number, name, start and end on the time axis.
    pub steps: Vec<(usize, String, f64, f64)>,
    /// Time of the last event.
    pub end_s: f64,
    /// Count of `seq` numbers missing between events: lost lines.
    pub seq_gaps: u64,
    pub event_count: usize,
}

impl PlanDetail {
    pub fn from_log(log: &LogContents) -> PlanDetail {
        let mut reader = DetailReader::default();
        for e in &log.events {
            reader.read(e);
        }
        reader.finish()
    }

    /// Reaction times of `within` expectations, measured against their windows.
    pub fn reaction_times(&self) -> Vec<ReactionTime> {
        self.expectations
            .iter()
            .filter(|e| e.window_kind == WindowKind::Within)
            .filter_map(|e| {
                let (value_s, limit_s) = (e.reaction_s?, e.window_s?);
                Some(ReactionTime {
                    step: e.step,
                    name: e.name.clone(),
                    value_s,
                    limit_s,
                    margin_s: limit_s - value_s,
                    verdict: e.verdict,
                })
            })
            .collect()
    }
}

/// Reads a log event by event into a [`PlanDetail`]: one pass, holding what the report
/// shows (the series of samples, which change rarely) and not the events.
#[derive(Default)]
pub struct DetailReader {
    d: PlanDetail,
    series: SeriesBuilder,
    last_seq: Option<u64>,
    /// Index in `d.steps` of the step started and not yet finished.
    open_step: Option<usize>,
}

impl DetailReader {
    pub fn read(&mut self, e: &Event) {
        self.count(e);
        let d = &mut self.d;
        match &e.kind {
            EventKind::RunStarted { dut_model, .. } if d.header.is_none() => {
                d.header = Header::of(&e.kind);
                d.dut.model = Some(dut_model.clone());
            }
            EventKind::InstrumentConnected {
                instrument,
                identity,
                ..
            } => {
                if instrument == "bms" {
                    d.dut.link = Some(identity.clone());
                    d.dut.serial = field_of(identity, "serial");
                    d.dut.firmware = field_of(identity, "firmware");
                } else if instrument == "rs485" {
                    d.dut.read_rs485_identity(identity);
                }
                d.instruments.extend(Instrument::of(&e.kind));
            }
            EventKind::ProtectionProgrammed { .. } => d.protections.extend(Protection::of(&e.kind)),
            EventKind::Calibration {
                instrument,
                due,
                expired,
                overridden,
            } => {
                if let Some(i) = d
                    .instruments
                    .iter_mut()
                    .rev()
                    .find(|i| &i.instrument == instrument)
                {
                    i.calibration = Some(CalibrationNote {
                        due: due.clone(),
                        expired: *expired,
                        overridden: *overridden,
                    });
                }
            }
            EventKind::Sample {
                channel,
                value,
                unit,
            } => {
                self.series.push(channel, unit, e.t, *value);
                identity_from_sample(&mut d.dut, channel, value);
            }
            EventKind::StepStarted { step, name, .. } => {
                close_step(&mut d.steps, self.open_step, e.t);
                d.steps.push((*step, name.clone(), e.t, e.t));
                self.open_step = Some(d.steps.len() - 1);
            }
            EventKind::StepFinished { .. } => {
                close_step(&mut d.steps, self.open_step.take(), e.t);
            }
            EventKind::Action { step, description } => {
                d.actions.push((e.t, *step, description.clone()))
            }
            EventKind::Expectation { .. } => {
                d.expectations.extend(ExpectationRecord::of(e.t, &e.kind))
            }
            EventKind::Measurement { .. } => {
                d.measurements.extend(MeasurementRecord::of(e.t, &e.kind))
            }
            EventKind::SafeState { .. } => d.safe_states.extend(SafeStateRecord::of(&e.kind)),
            EventKind::Error {
                instrument,
                message,
            } => d
                .errors
                .push((e.t, error_text(instrument.as_deref(), message))),
            _ => {}
        }
    }

    /// The event count, the end of the time axis and the lines missing before `e`.
    fn count(&mut self, e: &Event) {
        let d = &mut self.d;
        // A `repeated` event counts as the pieces it stands for, whether or not the
        // reader replays them.
        let repeats = match e.kind {
            EventKind::Repeated { count, .. } => count,
            _ => 1 + e.after.map_or(0, |a| a.1),
        };
        d.event_count =
            (d.event_count).saturating_add(usize::try_from(repeats).unwrap_or(usize::MAX));
        if e.t.is_finite() {
            d.end_s = d.end_s.max(e.t);
        }
        if let Some(prev) = self.last_seq {
            d.seq_gaps = d
                .seq_gaps
                .saturating_add(e.seq.saturating_sub(prev).saturating_sub(1));
        }
        self.last_seq = Some(e.seq);
    }

    pub fn finish(self) -> PlanDetail {
        let mut d = self.d;
        close_step(&mut d.steps, self.open_step, d.end_s);
        infer_window_starts(&mut d.expectations, &d.steps);
        d.series = self.series.finish();
        d.markers = crate::series::markers(&d.series);
        // The BMS coming on the bus while the rig connects is not a wake.
        if let Some(first_step) = d.steps.first().map(|s| s.2) {
            d.markers.retain(|m| {
                !matches!(m.kind, MarkerKind::Wake | MarkerKind::Sleep) || m.t > first_step
            });
        }
        d
    }
}

impl Header {
    /// From the `run_started` event.
    fn of(kind: &EventKind) -> Option<Header> {
        let EventKind::RunStarted {
            format_version,
            rig_version,
            clock,
            plan_hash,
            tags,
            dut_model,
            ..
        } = kind
        else {
            return None;
        };
        Some(Header {
            rig_version: rig_version.clone(),
            format_version: *format_version,
            clock: *clock,
            plan_hash: plan_hash.clone(),
            tags: tags.clone(),
            dut_model: dut_model.clone(),
        })
    }
}

impl Instrument {
    /// From an `instrument_connected` event.
    fn of(kind: &EventKind) -> Option<Instrument> {
        let EventKind::InstrumentConnected {
            instrument,
            driver,
            resource,
            identity,
        } = kind
        else {
            return None;
        };
        Some(Instrument {
            instrument: instrument.clone(),
            driver: driver.clone(),
            resource: resource.clone(),
            identity: identity.clone(),
            calibration: None,
        })
    }
}

impl Protection {
    /// From a `protection_programmed` event.
    fn of(kind: &EventKind) -> Option<Protection> {
        let EventKind::ProtectionProgrammed {
            instrument,
            ovp_v,
            ocp_a,
        } = kind
        else {
            return None;
        };
        Some(Protection {
            instrument: instrument.clone(),
            ovp_v: *ovp_v,
            ocp_a: *ocp_a,
        })
    }
}

impl ExpectationRecord {
    /// From an `expectation` event logged at `t`; its window start is inferred later
    /// ([`infer_window_starts`]).
    fn of(t: f64, kind: &EventKind) -> Option<ExpectationRecord> {
        let EventKind::Expectation {
            step,
            name,
            condition,
            window,
            location,
            verdict,
            reaction_s,
            message,
        } = kind
        else {
            return None;
        };
        let (window_kind, window_s) = parse_window(window);
        Some(ExpectationRecord {
            step: *step,
            name: name.clone(),
            condition: condition.clone(),
            window: window.clone(),
            window_kind,
            window_s,
            location: location.clone(),
            verdict: *verdict,
            reaction_s: reaction_s.filter(|r| r.is_finite()),
            message: message.clone(),
            start_s: t,
            decided_s: t,
        })
    }
}

impl SafeStateRecord {
    /// From a `safe_state` event.
    fn of(kind: &EventKind) -> Option<SafeStateRecord> {
        let EventKind::SafeState {
            instrument,
            action,
            ok,
            error,
        } = kind
        else {
            return None;
        };
        Some(SafeStateRecord {
            instrument: instrument.clone(),
            action: action.clone(),
            ok: *ok,
            error: error.clone(),
        })
    }
}

fn close_step(steps: &mut [(usize, String, f64, f64)], open: Option<usize>, t: f64) {
    if let Some(s) = open.and_then(|i| steps.get_mut(i)) {
        s.3 = t.max(s.2);
    }
}

impl DutIdentity {
    /// The pack's RS485 answer, `LESSO LSRR51V100, software 0.0, address 2, …`: the
    /// model it reports first, its software version as the firmware. What the CAN link
    /// already gave is kept.
    fn read_rs485_identity(&mut self, identity: &str) {
        let first = identity.split(',').next().unwrap_or("").trim();
        if !first.is_empty() && self.reported_model.is_none() {
            self.reported_model = Some(first.to_string());
        }
        if self.firmware.is_none() {
            self.firmware =
                field_of(identity, "software").or_else(|| field_of(identity, "firmware"));
        }
        if self.serial.is_none() {
            self.serial = field_of(identity, "serial");
        }
    }
}

/// `serial SIM0001` or `serial: SIM0001` in an identity line.
fn field_of(identity: &str, key: &str) -> Option<String> {
    identity.split(',').find_map(|part| {
        let part = part.trim();
        let rest = part.strip_prefix(key)?;
        let value = rest.trim_start_matches([':', '=', ' ']).trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// Channels that identify the pack, when the BMS reports them as samples.
fn identity_from_sample(dut: &mut DutIdentity, channel: &str, value: &SampleValue) {
    let text = match value {
        SampleValue::Number(n) => crate::format::number(*n),
        SampleValue::Bool(b) => b.to_string(),
    };
    match channel {
        "bms.serial" | "bms.serial_number" => dut.serial = Some(text),
        "bms.firmware" | "bms.firmware_version" | "bms.software_version" => {
            dut.firmware = Some(text)
        }
        _ => {}
    }
}

/// `within 5 s`, `for 1 h 30 min` → kind and seconds. `never for 10 min` is a `for`
/// window (of the negated condition), and `within 5 s after 1 s` a `within` window of
/// 5 s (its lower end is not shown on plots).
pub fn parse_window(text: &str) -> (WindowKind, Option<f64>) {
    let text = text.strip_prefix("never ").unwrap_or(text);
    let text = text.split(" after ").next().unwrap_or(text);
    let mut words = text.split_whitespace();
    let kind = match words.next() {
        Some("within") => WindowKind::Within,
        Some("for") => WindowKind::For,
        _ => return (WindowKind::Other, None),
    };
    let rest: Vec<&str> = words.collect();
    if rest.is_empty() || !rest.len().is_multiple_of(2) {
        return (kind, None);
    }
    let mut total = 0.0;
    for pair in rest.chunks(2) {
        let Ok(n) = pair[0].parse::<f64>() else {
            return (kind, None);
        };
        let factor = match pair[1] {
            "ms" => 1e-3,
            "s" => 1.0,
            "min" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            _ => return (kind, None),
        };
        total += n * factor;
    }
    (kind, total.is_finite().then_some(total))
}

/// The log gives the time an expectation was decided, not when its window opened. The
/// engine evaluates a step's expectations together from one start and logs them when
/// the last is decided, so the start is the decision time minus the longest known
/// duration: a passed `within` took its reaction time, a passed `for` and a failed
/// `within` took their whole window. A step whose durations are unknown (a `for` that
/// failed early) falls back to the step's start.
pub fn infer_window_starts(exps: &mut [ExpectationRecord], steps: &[(usize, String, f64, f64)]) {
    let mut i = 0;
    while i < exps.len() {
        let (step, decided) = (exps[i].step, exps[i].decided_s);
        let mut j = i;
        while j < exps.len() && exps[j].step == step && exps[j].decided_s == decided {
            j += 1;
        }
        let group = &mut exps[i..j];
        let longest = group
            .iter()
            .filter_map(|e| match (e.window_kind, e.verdict) {
                (WindowKind::Within, Verdict::Pass) => e.reaction_s,
                (WindowKind::Within, Verdict::Fail) | (WindowKind::For, Verdict::Pass) => {
                    e.window_s
                }
                _ => None,
            })
            .fold(None, |acc: Option<f64>, d| {
                Some(acc.map_or(d, |a| a.max(d)))
            });
        let step_start = steps
            .iter()
            .rev()
            .find(|s| s.0 == step && s.2 <= decided)
            .map(|s| s.2);
        let start = match (longest, step_start) {
            (Some(l), Some(s)) => (decided - l).max(s),
            (Some(l), None) => decided - l,
            (None, Some(s)) => s,
            (None, None) => decided,
        };
        for e in group {
            e.start_s = start;
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::parse_log;
    use crate::synthetic::{Spec, log};

    #[test]
    fn window_texts_parse_to_kind_and_length() {
        assert_eq!(parse_window("within 5 s"), (WindowKind::Within, Some(5.0)));
        assert_eq!(
            parse_window("for 1 h 30 min"),
            (WindowKind::For, Some(5400.0))
        );
        assert_eq!(
            parse_window("never for 10 min"),
            (WindowKind::For, Some(600.0))
        );
        assert_eq!(
            parse_window("within 5 s after 1 s"),
            (WindowKind::Within, Some(5.0))
        );
        assert_eq!(parse_window("sometime"), (WindowKind::Other, None));
    }

    fn synthetic() -> LogContents {
        parse_log(&log(&Spec {
            duration_s: 60.0,
            steps: 3,
            channels: 6,
            ..Spec::default()
        }))
    }

    #[test]
    fn reads_identity_instruments_steps_and_expectations() {
        let d = PlanDetail::from_log(&synthetic());
        let header = d.header.as_ref().unwrap();
        assert_eq!(header.dut_model, "Lesso LSRR51V100AH-LFP");
        assert_eq!(d.dut.link.as_deref(), Some("CAN link (listen-only)"));
        assert_eq!(d.instruments.len(), 2);
        let steps: Vec<_> = d.steps.iter().map(|s| (s.0, s.2, s.3)).collect();
        assert_eq!(steps, [(1, 0.0, 20.0), (2, 20.0, 40.0), (3, 40.0, 60.0)]);
        assert_eq!(d.expectations.len(), 3);
        // A passed `within` opened its window its reaction time before the decision.
        assert_eq!(d.expectations[0].start_s, 18.0);
        assert_eq!(d.safe_states.len(), 1);
        assert_eq!(d.seq_gaps, 0);
        assert_eq!(d.end_s, 60.0);
    }

    #[test]
    fn lost_lines_are_counted_and_an_open_step_ends_with_the_log() {
        let mut cut = synthetic();
        let finished = cut
            .events
            .iter()
            .rposition(|e| matches!(e.kind, EventKind::StepFinished { .. }))
            .unwrap();
        cut.events.truncate(finished);
        cut.events.remove(10);
        cut.events.remove(10);
        let d = PlanDetail::from_log(&cut);
        assert_eq!(d.seq_gaps, 2);
        assert_eq!(d.event_count, cut.events.len());
        let last = d.steps.last().unwrap();
        assert_eq!((last.0, last.3), (3, d.end_s));
    }

    #[test]
    fn the_bms_identity_line_gives_serial_and_firmware() {
        let mut log = synthetic();
        log.events[1].kind = EventKind::InstrumentConnected {
            instrument: "bms".into(),
            driver: "pylontech".into(),
            resource: "sim:rs485".into(),
            identity: "LSRR51V100AH-LFP, serial: SIM-1, firmware=1.0".into(),
        };
        let d = PlanDetail::from_log(&log);
        assert_eq!(d.dut.serial.as_deref(), Some("SIM-1"));
        assert_eq!(d.dut.firmware.as_deref(), Some("1.0"));
    }

    #[test]
    fn the_rs485_answer_gives_the_reported_model_and_firmware_but_no_serial() {
        let mut log = synthetic();
        log.events[1].kind = EventKind::InstrumentConnected {
            instrument: "rs485".into(),
            driver: "pylontech-rs485".into(),
            resource: "sim:rs485".into(),
            identity: "LESSO LSRR51V100, software 0.0, address 2, protocol VER 0x20".into(),
        };
        let d = PlanDetail::from_log(&log);
        assert_eq!(d.dut.reported_model.as_deref(), Some("LESSO LSRR51V100"));
        assert_eq!(d.dut.firmware.as_deref(), Some("0.0"));
        assert_eq!(d.dut.serial, None);
    }

    #[test]
    fn error_events_name_their_instrument() {
        let mut log = synthetic();
        log.events.push(crate::event::Event::new(
            1_000,
            61.0,
            EventKind::Error {
                instrument: None,
                message: "bench lost".into(),
            },
        ));
        let d = PlanDetail::from_log(&log);
        assert_eq!(d.errors, [(61.0, "bench lost".to_string())]);
    }
}
