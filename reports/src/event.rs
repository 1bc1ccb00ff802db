//! The event log: one JSON object per line, appended as the run goes (on disk at least
//! once a second and at every verdict). It is the only record of a run; every report is
//! rendered from it, so a run killed half way still has its report.

use serde::{Deserialize, Serialize};

/// Bumped when a change would make older readers misread a log. 2: wire traffic that
/// repeats is written as `repeated` events (see [`crate::wire`]). 3: a changed piece
/// that is a few characters off an earlier one is written as a `diff` event, and the
/// piece that ends a stretch of repeats carries it (`after`). 4: samples of one moment
/// are one `samples` event. Readers read every earlier format too (a format-1 log simply
/// has none of these events).
pub const LOG_FORMAT_VERSION: u32 = 4;

/// The outcome of a plan, a step or an expectation, in the test engineer's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The DUT did what the plan expects.
    Pass,
    /// Not run, because an earlier step failed, the run was aborted, or the bench
    /// cannot run the plan (another pack count than it requires).
    Skipped,
    /// The DUT did not do what the plan expects.
    Fail,
    /// The rig or the bench failed; the result says nothing about the DUT.
    Error,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "pass",
            Verdict::Skipped => "skipped",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
        })
    }
}

/// Which clock `t` is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Clock {
    /// The virtual bench's paused tokio clock; `t` is simulated time.
    Virtual,
    /// Wall-clock time of a real bench.
    Real,
}

/// A DUT profile value a measurement's limits read, with what the profile says it rests
/// on: a quote of the manual's clause (`source`), or why it is an assumption.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimitBasis {
    /// The value as plans name it: `dut.cocp.trip_current`.
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assumption: Option<String>,
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// 0, 1, 2, ... without gaps; a gap means lost lines.
    pub seq: u64,
    /// Seconds since the run started, rounded to microseconds.
    pub t: f64,
    #[serde(flatten)]
    pub kind: EventKind,
    /// On a `sent`, `received`, `can_frame` or `diff` event (log format 3): the stretch
    /// of repeats on its line just before it, which a `repeated` event before it would
    /// have said (the changed piece that ends a stretch carries it, one line for two).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub after: Option<After>,
}

/// `[period, count, since, until]`: `count` pieces, each the same as the piece `period`
/// pieces before it on the line, the first at `since` and the last at `until` (seconds),
/// as in a `repeated` event.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct After(pub usize, pub u64, pub f64, pub f64);

impl Event {
    /// An event without repeats before it.
    pub fn new(seq: u64, t: f64, kind: EventKind) -> Event {
        Event {
            seq,
            t,
            kind,
            after: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    /// Always the first line.
    RunStarted {
        format_version: u32,
        rig_version: String,
        clock: Clock,
        plan_id: String,
        plan_title: String,
        plan_file: String,
        plan_hash: String,
        tags: Vec<String>,
        dut_id: String,
        dut_model: String,
        bench: String,
        defects: Vec<String>,
        steps: usize,
    },
    InstrumentConnected {
        instrument: String,
        driver: String,
        resource: String,
        identity: String,
    },
    /// An instrument's calibration due date, as the bench file declares it, after it
    /// connected: past its date (`expired`), and used anyway on the command line's
    /// word (`overridden`).
    Calibration {
        instrument: String,
        due: String,
        expired: bool,
        overridden: bool,
    },
    /// Instrument-side protection programmed and read back before any output is on.
    ProtectionProgrammed {
        instrument: String,
        ovp_v: f64,
        ocp_a: f64,
    },
    /// Bytes or a text command sent to an instrument.
    Sent {
        instrument: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        text: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        hex: Option<String>,
    },
    Received {
        instrument: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        text: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        hex: Option<String>,
    },
    /// `count` pieces of wire traffic on `instrument` (CAN frames: with the frame id
    /// `id`), each the same as the piece `period` pieces before it on that instrument
    /// (or id), a Modbus TCP transaction id stepping on as before; the first at `since`
    /// and the last at `t`: a poll answered the same way, or unanswered, a frame
    /// repeating its data, again and again. Readers replay it into the `sent`,
    /// `received` or `can_frame` events it stands for ([`crate::log::LogReader`]).
    Repeated {
        instrument: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        id: Option<String>,
        period: usize,
        count: u64,
        since: f64,
    },
    /// A piece of wire traffic on `instrument` (CAN frames: with the frame id `id`)
    /// that is the piece `back` pieces before it on that instrument (or id), the same
    /// way, with `edit` applied: at each offset (characters of a text, bytes of hex
    /// traffic) what goes there, same length. It refers only to pieces before it, so a
    /// log cut anywhere still reads. Readers turn it back into the `sent`, `received`
    /// or `can_frame` event it stands for ([`crate::log::LogReader`]).
    Diff {
        instrument: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        id: Option<String>,
        back: usize,
        edit: crate::wire_edit::Edit,
    },
    CanFrame {
        instrument: String,
        id: String,
        data: String,
    },
    /// A channel took a new value (written on change only; the raw exchanges above
    /// hold every reading).
    Sample {
        channel: String,
        value: SampleValue,
        /// A number's unit; `rig run` writes it with a channel's first sample only
        /// (logs before that carry it on every sample).
        #[serde(skip_serializing_if = "String::is_empty", default)]
        unit: String,
    },
    /// Channels that took new values at the same moment (log format 4), in the order
    /// they came: what as many `sample` events without a unit say, in one line (the
    /// RS485 port's answer is twenty channels at once). Readers hand it on as those
    /// `sample` events ([`crate::log::LogReader`]).
    Samples {
        values: indexmap::IndexMap<String, SampleValue>,
    },
    StepStarted {
        step: usize,
        name: String,
        location: String,
    },
    Action {
        step: usize,
        description: String,
    },
    Expectation {
        step: usize,
        name: String,
        condition: String,
        window: String,
        location: String,
        verdict: Verdict,
        /// For `within`: seconds from the window start until the condition held.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        reaction_s: Option<f64>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        message: Option<String>,
    },
    StepFinished {
        step: usize,
        verdict: Verdict,
    },
    /// One value a plan measured (`measure:`), with its unit and limits, written when it is
    /// decided, whether it passes or not. `value` is `None` when the value never came
    /// (the condition it waits for never became true in its window).
    Measurement {
        step: usize,
        /// Dotted id (`cocp.trip_delay`); reports, compare and history key on it.
        name: String,
        /// `time_to`, `value_of`, `integral_of`, `min_of`, `max_of`, `mean_of`,
        /// `edges_of`, `period_of` or `duty_of`.
        kind: String,
        value: Option<f64>,
        /// The display unit of `value`, `min`, `max` and `margin` (`s`, `A`, `Ah`, `%`, ...).
        unit: String,
        min: Option<f64>,
        max: Option<f64>,
        /// Distance to the nearest limit in `unit`: positive inside, negative outside;
        /// `None` without limits or without a value.
        margin: Option<f64>,
        /// `pass` or `fail` (outside its limits, or unmeasurable). A value recorded
        /// without limits (`limits: none`, `min` and `max` both `None`) passes; reports
        /// show it as "recorded".
        verdict: Verdict,
        location: String,
        /// The DUT profile values the limits read, with the manual clause each rests on
        /// (or the assumption): what a certification report lists per clause.
        #[serde(skip_serializing_if = "Vec::is_empty", default)]
        basis: Vec<LimitBasis>,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        message: Option<String>,
    },
    /// An instrument put into its safe state (or the attempt failed).
    SafeState {
        instrument: String,
        action: String,
        ok: bool,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        error: Option<String>,
    },
    /// The rig or an instrument failed.
    Error {
        #[serde(skip_serializing_if = "Option::is_none", default)]
        instrument: Option<String>,
        message: String,
    },
    /// Always the last line of a run that was not killed.
    RunFinished {
        verdict: Verdict,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        message: Option<String>,
    },
}

/// A sample's value: a number in the channel's unit, or a flag.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SampleValue {
    Bool(bool),
    Number(f64),
}

/// An `error` event's text: the instrument's name first, when it has one.
pub fn error_text(instrument: Option<&str>, message: &str) -> String {
    match instrument {
        Some(i) => format!("{i}: {message}"),
        None => message.to_string(),
    }
}

/// Seconds rounded to microseconds, so logs print the same digits on every machine.
pub fn round_time(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}
