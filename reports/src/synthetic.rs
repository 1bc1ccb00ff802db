//! Synthetic event logs of any length, for the tests and the rendering benchmark: a
//! charge/discharge cycle sampled at a fixed rate on a chosen number of channels, with
//! a one-sample spike, protection trips, passing and failing expectations, and the
//! measurements a test asks for.

use crate::event::{Clock, Event, EventKind, LOG_FORMAT_VERSION, SampleValue, Verdict};

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    pub plan_id: String,
    pub duration_s: f64,
    pub sample_period_s: f64,
    /// Channels sampled every period; four of them are flags, the rest numbers.
    pub channels: usize,
    pub steps: usize,
    /// Make the last step's expectation fail.
    pub fail: bool,
    /// Reaction time of each step's `within 5 s` expectation.
    pub reaction_s: f64,
    /// `measurement` events, each logged when its step ends (before its expectation).
    pub measurements: Vec<EventKind>,
    /// The steps are the passes of one `repeat:`: one plan line, as the runner logs a
    /// repeated step.
    pub repeat: bool,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            plan_id: "synthetic".into(),
            duration_s: 600.0,
            sample_period_s: 1.0,
            channels: 20,
            steps: 4,
            fail: false,
            reaction_s: 2.0,
            measurements: Vec::new(),
            repeat: false,
        }
    }
}

impl Spec {
    /// The plan line of step `step`'s part that the first step has at `first`.
    fn line(&self, step: usize, first: usize) -> usize {
        if self.repeat {
            first + 4
        } else {
            first + step * 4
        }
    }
}

const FLAGS: [&str; 4] = [
    "bms.protection_charge_overcurrent",
    "bms.online",
    "dio.charge_enable",
    "relays.rsd",
];

/// Time `t` at which the one-sample over-voltage spike is logged.
pub fn spike_time(spec: &Spec) -> f64 {
    (spec.duration_s * 0.37 / spec.sample_period_s).round() * spec.sample_period_s
}

/// Height of the spike on `source.voltage`.
pub const SPIKE_V: f64 = 63.5;

/// The log as JSONL text.
pub fn log(spec: &Spec) -> String {
    let mut w = Writer::default();
    generate(spec, &mut w);
    w.out
}

/// Every event of the log, into `w`.
fn generate(spec: &Spec, w: &mut Writer) {
    w.run_started(spec);
    let samples = (spec.duration_s / spec.sample_period_s).floor() as u64;
    let mut step = 0;
    let mut last_flags = [f64::NAN; 4];
    for k in 0..=samples {
        let t = k as f64 * spec.sample_period_s;
        step = w.step_at(spec, step, t);
        let phase = t / spec.duration_s.max(1.0) * std::f64::consts::TAU * 4.0;
        w.numbers(spec, k, t, phase);
        w.flags(spec, t, phase, &mut last_flags);
    }
    if step > 0 {
        w.finish_step(spec, step, spec.duration_s);
    }
    w.run_finished(spec);
}

/// The log being written: JSONL lines with consecutive `seq` numbers, held in `out`
/// or, for a long log, written on to `file` a megabyte at a time.
#[derive(Default)]
struct Writer {
    out: String,
    seq: u64,
    file: Option<std::fs::File>,
    error: Option<std::io::Error>,
}

impl Writer {
    /// Hand what is held on to the file, if there is one.
    fn drain(&mut self) {
        use std::io::Write;
        if let Some(f) = &mut self.file {
            if let Err(e) = f.write_all(self.out.as_bytes()) {
                self.error.get_or_insert(e);
            }
            self.out.clear();
        }
    }
}

impl Writer {
    fn emit(&mut self, t: f64, kind: EventKind) {
        let event = Event::new(self.seq, crate::event::round_time(t), kind);
        if let Ok(line) = serde_json::to_string(&event) {
            self.out.push_str(&line);
            self.out.push('\n');
            if self.out.len() > 1 << 20 {
                self.drain();
            }
        }
        self.seq += 1;
    }

    /// The header and the two instruments.
    fn run_started(&mut self, spec: &Spec) {
        self.emit(
            0.0,
            EventKind::RunStarted {
                format_version: LOG_FORMAT_VERSION,
                rig_version: "0.1.0".into(),
                clock: Clock::Virtual,
                plan_id: spec.plan_id.clone(),
                plan_title: "synthetic charge and discharge cycle".into(),
                plan_file: format!("testplans/{}.yaml", spec.plan_id),
                plan_hash: "0123456789abcdef".into(),
                tags: vec!["synthetic".into()],
                dut_id: "lesso_lsrr51v100ah".into(),
                dut_model: "Lesso LSRR51V100AH-LFP".into(),
                bench: "sim".into(),
                defects: vec![],
                steps: spec.steps,
            },
        );
        for (instrument, identity) in [
            ("bms", "CAN link (listen-only)"),
            (
                "source",
                "RIG-SIM, SOURCE-SINK-60V-120A, serial SIM0001, firmware 1.0",
            ),
        ] {
            self.emit(
                0.0,
                EventKind::InstrumentConnected {
                    instrument: instrument.into(),
                    driver: format!("{instrument}-driver"),
                    resource: format!("sim:{instrument}"),
                    identity: identity.into(),
                },
            );
        }
    }

    /// The step that runs at `t`, after `step`: when it is a new one, the last is
    /// finished and the new one started.
    fn step_at(&mut self, spec: &Spec, step: usize, t: f64) -> usize {
        let step_len = spec.duration_s / spec.steps.max(1) as f64;
        let current = ((t / step_len) as usize + 1).min(spec.steps);
        if current == step || spec.steps == 0 {
            return step;
        }
        if step > 0 {
            self.finish_step(spec, step, t);
        }
        self.emit(
            t,
            EventKind::StepStarted {
                step: current,
                name: format!("cycle {current}"),
                location: format!(
                    "testplans/{}.yaml:{}:5",
                    spec.plan_id,
                    spec.line(current, 10)
                ),
            },
        );
        self.emit(
            t,
            EventKind::Action {
                step: current,
                description: "source: current limit 80 A".into(),
            },
        );
        current
    }

    /// Every numeric channel at sample `k`, with the spike on `source.voltage`.
    fn numbers(&mut self, spec: &Spec, k: u64, t: f64, phase: f64) {
        let spike_at = spike_time(spec);
        for c in 0..spec.channels.saturating_sub(FLAGS.len()) {
            let (channel, unit, value) = number_channel(c, k, phase);
            let value = if c == 0 && t == spike_at {
                SPIKE_V
            } else {
                value
            };
            self.emit(
                t,
                EventKind::Sample {
                    channel,
                    value: SampleValue::Number((value * 1000.0).round() / 1000.0),
                    unit: unit.into(),
                },
            );
        }
    }

    /// The flag channels, written when they change.
    fn flags(&mut self, spec: &Spec, t: f64, phase: f64, last: &mut [f64; 4]) {
        let flags = spec.channels.min(FLAGS.len());
        for (f, name) in FLAGS.iter().enumerate().take(flags) {
            let on = match f {
                0 => phase.sin() > 0.9,
                1 => true,
                2 => phase.sin() <= 0.9,
                _ => false,
            };
            let v = f64::from(u8::from(on));
            if last[f] != v {
                last[f] = v;
                self.emit(
                    t,
                    EventKind::Sample {
                        channel: (*name).into(),
                        value: SampleValue::Bool(on),
                        unit: String::new(),
                    },
                );
            }
        }
    }

    fn finish_step(&mut self, spec: &Spec, step: usize, t: f64) {
        let fail = spec.fail && step == spec.steps;
        for m in &spec.measurements {
            if matches!(m, EventKind::Measurement { step: s, .. } if *s == step) {
                self.emit(t, m.clone());
            }
        }
        self.emit(
            t,
            EventKind::Expectation {
                step,
                name: format!("cycle {step}: charge current limit follows"),
                condition: "bms.charge_current_limit > 0 A".into(),
                window: "within 5 s".into(),
                location: format!("testplans/{}.yaml:{}:9", spec.plan_id, spec.line(step, 12)),
                verdict: if fail { Verdict::Fail } else { Verdict::Pass },
                reaction_s: (!fail).then_some(spec.reaction_s),
                message: fail.then(|| {
                    format!("expectation \"cycle {step}: charge current limit follows\" failed\n  expected: bms.charge_current_limit > 0 A within 5 s\n  observed: never true; bms.charge_current_limit = 0 A")
                }),
            },
        );
        self.emit(
            t,
            EventKind::StepFinished {
                step,
                verdict: if fail { Verdict::Fail } else { Verdict::Pass },
            },
        );
    }

    /// The source's safe state and the verdict.
    fn run_finished(&mut self, spec: &Spec) {
        let verdict = if spec.fail {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        self.emit(
            spec.duration_s,
            EventKind::SafeState {
                instrument: "source".into(),
                action: "output off".into(),
                ok: true,
                error: None,
            },
        );
        self.emit(
            spec.duration_s,
            EventKind::RunFinished {
                verdict,
                message: spec.fail.then(|| format!("step {} failed", spec.steps)),
            },
        );
    }
}

/// Numeric channel `c` at sample `k`: its name, unit and value.
fn number_channel(c: usize, k: u64, phase: f64) -> (String, &'static str, f64) {
    match c {
        0 => (
            "source.voltage".to_string(),
            "V",
            52.0 + 3.0 * phase.sin() + noise(k, c) * 0.05,
        ),
        1 => (
            "source.current".to_string(),
            "A",
            50.0 * phase.cos() + noise(k, c),
        ),
        2 => (
            "bms.pack_temperature".to_string(),
            "degC",
            25.0 + 5.0 * (phase / 4.0).sin() + noise(k, c) * 0.1,
        ),
        3 => ("bms.soc".to_string(), "%", 50.0 + 40.0 * phase.sin()),
        4 => (
            "bms.charge_current_limit".to_string(),
            "A",
            if (phase.sin()) > 0.9 { 0.0 } else { 70.0 },
        ),
        n => (
            format!("bms.cell_voltage_{n}"),
            "V",
            3.3 + 0.1 * phase.sin() + noise(k, c) * 0.002,
        ),
    }
}

/// Deterministic noise in [-1, 1].
fn noise(k: u64, c: usize) -> f64 {
    let mut x =
        k.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (c as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// Write a run folder with one synthetic plan log; returns the log's path.
pub fn write_run(dir: &std::path::Path, spec: &Spec) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{}{}", spec.plan_id, crate::run::LOG_SUFFIX));
    // Streamed to the file: a week's log at 1 Hz is about a gigabyte.
    let mut w = Writer {
        file: Some(std::fs::File::create(&path)?),
        ..Writer::default()
    };
    generate(spec, &mut w);
    w.drain();
    match w.error {
        Some(e) => Err(e),
        None => Ok(path),
    }
}

/// A `measurement` event of step `step` for [`Spec::measurements`]: a `time_to` in
/// seconds whose margin and verdict follow from its value and limits (`value` `None`:
/// unmeasurable).
pub fn measurement(
    step: usize,
    name: &str,
    value: Option<f64>,
    min: Option<f64>,
    max: Option<f64>,
) -> EventKind {
    let margin = value.and_then(|v| match (min, max) {
        (Some(lo), Some(hi)) => Some((v - lo).min(hi - v)),
        (Some(lo), None) => Some(v - lo),
        (None, Some(hi)) => Some(hi - v),
        (None, None) => None,
    });
    let pass = value.is_some() && margin.is_none_or(|m| m >= 0.0);
    EventKind::Measurement {
        step,
        name: name.into(),
        kind: "time_to".into(),
        value,
        unit: "s".into(),
        min,
        max,
        margin,
        verdict: if pass { Verdict::Pass } else { Verdict::Fail },
        location: format!("testplans/synthetic.yaml:{}:9", 40 + step),
        basis: Vec::new(),
        message: match (value, pass) {
            (None, _) => Some(format!(
                "unmeasurable: {name}: bms.protection_charge_overcurrent never true within 30 s"
            )),
            (Some(v), false) => Some(format!("measurement {name} = {v} s outside its limits")),
            _ => None,
        },
    }
}
