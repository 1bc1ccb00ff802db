//! The resolved plan: what the runner executes. Repeats are unrolled, every name is
//! bound, every number is in base units and inside the envelope.

use std::time::Duration;

use crate::diag::SourceFile;
use crate::dut::DutProfile;
use crate::expr::BoundExpr;

#[derive(Clone, Debug)]
pub struct Plan {
    pub id: String,
    pub title: String,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub file: SourceFile,
    pub dut: DutProfile,
    /// Packs in parallel the plan needs (`requires: { packs }`), the master included.
    pub packs: u8,
    /// The longest the whole plan may take.
    pub timeout: Duration,
    pub steps: Vec<Step>,
    /// SHA-free content fingerprint for reports: FNV-1a of the plan text.
    pub content_hash: String,
    /// What the rig may ever apply or see; the supervisor aborts outside it.
    pub envelope: EnvelopeLimits,
    /// Sampling periods by instrument, overriding the bench's.
    pub poll: std::collections::BTreeMap<String, Duration>,
    /// Why this plan is skipped before anything connects, decided at loading: the
    /// profile does not promise what it tests (`requires: { dut }`; the plan then has
    /// no steps), or the bench cannot drive what it applies.
    pub skip: Option<String>,
}

/// The envelope in base units: the tighter of the DUT profile's `limits.*` and the
/// bench source's ratings. `None` where neither sets a limit.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EnvelopeLimits {
    pub max_voltage: Option<f64>,
    pub min_voltage: Option<f64>,
    pub max_charge_a: Option<f64>,
    pub max_discharge_a: Option<f64>,
    pub min_temperature_c: Option<f64>,
    pub max_temperature_c: Option<f64>,
}

/// Where in a file something was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Clone, Debug)]
pub struct Step {
    /// 1-based position in the unrolled plan.
    pub number: usize,
    pub name: String,
    pub location: Location,
    pub actions: Vec<Action>,
    /// The least time the step lasts once its actions are done.
    pub wait: Duration,
    pub expectations: Vec<Expectation>,
    /// Values the step measures (`measure:`), watched like its expectations.
    pub measurements: Vec<Measurement>,
    /// A set point stepped through levels after the actions (`ramp:`).
    pub ramp: Option<Ramp>,
    /// Abort the run if the step takes longer.
    pub timeout: Option<Duration>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Source(SourceSettings),
    Relay {
        relay: String,
        op: RelayOp,
    },
    /// Chamber set point (degC) and/or conditioning on or off.
    Chamber {
        setpoint_c: Option<f64>,
        run: Option<bool>,
    },
    /// The inverter's keep-alive (0x305 every second) on the BMS's CAN bus, on or off.
    KeepAlive {
        on: bool,
    },
    /// A command to the pack over RS485.
    Rs485(Rs485Command),
    /// A line written to the pack's RS232 console, without its terminator (the runner
    /// adds CR LF); printable ASCII, checked.
    Rs232 {
        line: String,
    },
}

/// A staircase of one source set point: each level is a `source:` action of its own,
/// applied `hold` after the one before, until `until` is true on a reading taken after
/// the ramp began, or the last level's hold is over.
#[derive(Clone, Debug)]
pub struct Ramp {
    /// The settings of each level, in order; each sets the one ramped set point.
    pub levels: Vec<SourceSettings>,
    pub hold: Duration,
    /// The condition that ends the ramp, and its text as written.
    pub until: Option<(BoundExpr, String)>,
}

impl Ramp {
    /// The longest the ramp lasts: every level held.
    pub fn length(&self) -> Duration {
        self.hold
            .saturating_mul(u32::try_from(self.levels.len()).unwrap_or(u32::MAX))
    }
}

/// Commands a plan may send the pack over RS485 (protocols.md 2.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rs485Command {
    /// 0x95, turn off module.
    TurnOff,
}

/// Source/sink settings in the order they are sent: limits before voltage, output last.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceSettings {
    pub current_limit: Option<f64>,
    pub sink_limit: Option<f64>,
    pub voltage: Option<f64>,
    pub output: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RelayOp {
    Close,
    Open,
    Pulse { length: Duration },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Must become true within this long.
    Within(Duration),
    /// Must stay true for this long.
    For(Duration),
    /// Must become true by `within`, but on no reading before `after` (`after:` with
    /// `within:`): a reaction neither too late nor too early.
    WithinAfter { after: Duration, within: Duration },
    /// Must not become true for this long (`never:` with `for:`): `for` of the negated
    /// condition, told as the moment it became true.
    Never(Duration),
}

impl Window {
    pub fn length(self) -> Duration {
        match self {
            Window::Within(d) | Window::For(d) | Window::Never(d) => d,
            Window::WithinAfter { within, .. } => within,
        }
    }

    /// Whether the condition is watched over the whole window (`for`, `never`) rather
    /// than awaited in it (`within`).
    pub fn holds(self) -> bool {
        matches!(self, Window::For(_) | Window::Never(_))
    }
}

#[derive(Clone, Debug)]
pub struct Expectation {
    pub name: String,
    /// The condition as written.
    pub text: String,
    pub predicate: BoundExpr,
    pub window: Window,
    pub location: Location,
}

/// One value a step measures (`measure:`), in base units until it is shown in `unit`.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Dotted lower-case id (`cocp.trip_delay`), unique in the plan.
    pub name: String,
    pub kind: MeasureKind,
    /// The measured expression (or, for `time_to`, the condition) as written.
    pub text: String,
    pub window: MeasureWindow,
    /// Limits in the base unit of `unit`'s dimension; both `None` with `limits: none`.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub unit: DisplayUnit,
    pub location: Location,
    /// The DUT profile values the limits read (`cocp.trip_current`, without `dut.`),
    /// each once, with where the profile says it comes from: the manual clause a
    /// certification report lists the measurement under.
    pub basis: Vec<(String, crate::dut::Provenance)>,
}

/// What a measurement computes from the readings in its window.
#[derive(Clone, Debug)]
pub enum MeasureKind {
    /// Time from the window's start to the first reading where the condition is true.
    TimeTo(BoundExpr),
    /// The value of `value` on the latest readings at the reading where `when` turned true.
    ValueOf {
        value: BoundExpr,
        when: BoundExpr,
        /// `when:` as written.
        when_text: String,
    },
    /// Sample-and-hold integral, times `factor` (base unit x s to the result's base unit).
    IntegralOf {
        of: BoundExpr,
        factor: f64,
    },
    MinOf(BoundExpr),
    MaxOf(BoundExpr),
    /// Time-weighted mean (sample and hold).
    MeanOf(BoundExpr),
    EdgesOf {
        of: BoundExpr,
        edge: Edge,
    },
    /// Mean time between rising edges.
    PeriodOf(BoundExpr),
    /// Percentage of the window's time the condition was true (sample and hold).
    DutyOf(BoundExpr),
}

impl MeasureKind {
    /// The key a plan writes (`time_to`, ...), also the event's `kind`.
    pub fn key(&self) -> &'static str {
        match self {
            MeasureKind::TimeTo(_) => "time_to",
            MeasureKind::ValueOf { .. } => "value_of",
            MeasureKind::IntegralOf { .. } => "integral_of",
            MeasureKind::MinOf(_) => "min_of",
            MeasureKind::MaxOf(_) => "max_of",
            MeasureKind::MeanOf(_) => "mean_of",
            MeasureKind::EdgesOf { .. } => "edges_of",
            MeasureKind::PeriodOf(_) => "period_of",
            MeasureKind::DutyOf(_) => "duty_of",
        }
    }

    /// Every expression the measurement evaluates on readings.
    pub fn exprs(&self) -> Vec<&BoundExpr> {
        match self {
            MeasureKind::ValueOf { value, when, .. } => vec![value, when],
            MeasureKind::TimeTo(e)
            | MeasureKind::IntegralOf { of: e, .. }
            | MeasureKind::MinOf(e)
            | MeasureKind::MaxOf(e)
            | MeasureKind::MeanOf(e)
            | MeasureKind::EdgesOf { of: e, .. }
            | MeasureKind::PeriodOf(e)
            | MeasureKind::DutyOf(e) => vec![e],
        }
    }
}

/// Which changes of a true/false expression `edges_of` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    Rising,
    Falling,
    Any,
}

/// When a measurement's window ends. It starts when the step's actions are done.
#[derive(Clone, Debug)]
pub enum MeasureWindow {
    /// `within:` of `time_to` / `value_of`: wait at most this long for the condition.
    Within(Duration),
    /// `for:`: a fixed window.
    For(Duration),
    /// `until:` + `within:`: ends at the first reading where `until` is true; if it is
    /// not true within `within`, the value is unmeasurable.
    Until {
        until: BoundExpr,
        text: String,
        within: Duration,
    },
}

impl MeasureWindow {
    /// The longest the window may last.
    pub fn length(&self) -> Duration {
        match self {
            MeasureWindow::Within(d) | MeasureWindow::For(d) => *d,
            MeasureWindow::Until { within, .. } => *within,
        }
    }
}

/// The unit a measurement is shown in: its name and the factor from the base unit
/// (`kWh`: 1000, as 1 kWh = 1000 Wh).
#[derive(Clone, Debug, PartialEq)]
pub struct DisplayUnit {
    pub name: String,
    pub dim: crate::quantity::Dim,
    pub factor: f64,
}

impl DisplayUnit {
    /// A value in base units, in this unit.
    pub fn show(&self, base: f64) -> f64 {
        base / self.factor
    }
}

impl Measurement {
    /// Every channel the measurement reads, each once.
    pub fn channels(&self) -> Vec<(crate::expr::ChannelId, String)> {
        let mut out: Vec<(crate::expr::ChannelId, String)> = Vec::new();
        let until = match &self.window {
            MeasureWindow::Until { until, .. } => Some(until),
            _ => None,
        };
        for e in self.kind.exprs().into_iter().chain(until) {
            for c in e.channels() {
                if !out.iter().any(|(id, _)| *id == c.0) {
                    out.push(c);
                }
            }
        }
        out
    }
}

impl Plan {
    /// Channels any expectation or measurement reads: the runner waits for a first
    /// value of each before step 1.
    pub fn channels_read(&self) -> Vec<(crate::expr::ChannelId, String)> {
        let mut out: Vec<(crate::expr::ChannelId, String)> = Vec::new();
        for step in &self.steps {
            let read = (step.expectations.iter())
                .flat_map(|e| e.predicate.channels())
                .chain(step.measurements.iter().flat_map(Measurement::channels));
            for c in read {
                if !out.iter().any(|(id, _)| *id == c.0) {
                    out.push(c);
                }
            }
        }
        out.sort();
        out
    }
}

/// FNV-1a 64: a stable fingerprint of a plan's text for reports (not security).
pub fn content_hash(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
