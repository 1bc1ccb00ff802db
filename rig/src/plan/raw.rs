//! The plan file as written, with the location of every value. Doc comments here are
//! the reference of the plan language.

use serde::Deserialize;
use serde_saphyr::Spanned;

/// A test plan: one procedure against one DUT profile.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// Short unique name (`cocp_lockout`); the plan's name in reports and filters.
    pub id: Spanned<String>,
    /// One line saying what the plan proves.
    pub title: String,
    /// The DUT profile (`testplans/duts/<dut>.yaml`) whose values `dut.*` refers to.
    pub dut: Spanned<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The longest the whole plan may take (`30 min`); beyond it the run is aborted
    /// with verdict error.
    pub timeout: Spanned<String>,
    /// Free text: the procedure, the manual sections it checks.
    pub description: Option<String>,
    /// What the installation must have: `{ packs: 3 }` for three packs in parallel.
    /// Without it, one pack.
    pub requires: Option<Spanned<super::requires::RawRequires>>,
    /// How often to sample instruments during this plan, overriding the bench's
    /// `poll:` (`{ io: 10 s, source: 10 s }`): long soaks need fewer readings.
    #[serde(default)]
    pub poll: std::collections::BTreeMap<String, Spanned<String>>,
    pub steps: Vec<Spanned<RawStep>>,
}

/// One step: actions, then expectations watched from the moment the actions are done.
/// Or a group: `repeat: N` with `steps:` run N times, the index named by `as:`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// What the step does, in the test engineer's words. `{i}` inserts a repeat index.
    pub name: Option<Spanned<String>>,
    /// Set the DC source/sink.
    pub source: Option<Spanned<RawSource>>,
    /// Close, open or pulse a relay of the bench.
    pub relay: Option<Spanned<RawRelay>>,
    /// Set the thermal chamber.
    pub chamber: Option<Spanned<RawChamber>>,
    /// Act as the inverter on the BMS's CAN bus: `{ keepalive: on }` sends 0x305 every
    /// second (protocols.md 1.7) until `{ keepalive: off }` or the end of the run.
    pub inverter: Option<Spanned<RawInverter>>,
    /// Send the pack a command over RS485: `{ send: turn_off }` (0x95, the upper
    /// computer's shutdown).
    pub rs485: Option<Spanned<RawRs485>>,
    /// Write a line to the pack's RS232 console port: `{ send: "wake" }`. The line goes
    /// out with CR LF; no answer is expected (the console protocol is undocumented).
    pub rs232: Option<Spanned<RawRs232>>,
    /// Step one source set point from a start to an end, each level held for a time,
    /// until a condition becomes true: how a plan finds a trip point.
    pub ramp: Option<Spanned<RawRamp>>,
    /// Stay in this step at least this long (`30 s`).
    pub wait: Option<Spanned<String>>,
    /// The longest this step may take, actions included (`2 min`); beyond it the run
    /// is aborted with verdict error and everything goes to its safe state.
    pub timeout: Option<Spanned<String>>,
    /// Conditions over channels that must hold.
    #[serde(default)]
    pub expect: Vec<Spanned<RawExpectation>>,
    /// Values to measure while the step runs, each recorded with its limits.
    #[serde(default)]
    pub measure: Vec<Spanned<RawMeasurement>>,
    /// Run `steps:` this many times.
    pub repeat: Option<Spanned<u32>>,
    /// Name of the repeat index (1, 2, ...), usable in expressions and names.
    #[serde(rename = "as")]
    pub index: Option<Spanned<String>>,
    pub steps: Option<Vec<Spanned<RawStep>>>,
}

/// Source/sink settings. `charge` and `discharge` are shorthands for a voltage target
/// with one current limit and the other at zero.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    /// Voltage set point (`56.0 V`).
    pub voltage: Option<Spanned<String>>,
    /// Largest current into the pack (`50 A`).
    pub current_limit: Option<Spanned<String>>,
    /// Largest current out of the pack into the sink (`50 A`, a magnitude).
    pub sink_limit: Option<Spanned<String>>,
    /// `on` or `off`.
    pub output: Option<Spanned<String>>,
    /// Charge at `current` up to `to`.
    pub charge: Option<Spanned<RawCharge>>,
    /// Discharge at `current` down to `to`.
    pub discharge: Option<Spanned<RawCharge>>,
}

/// `ramp:`: one of `voltage`, `current_limit`, `sink_limit` stepped through its levels,
/// and perhaps `until:`, the condition that ends it at the level reached.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRamp {
    pub voltage: Option<Spanned<RawLevels>>,
    pub current_limit: Option<Spanned<RawLevels>>,
    pub sink_limit: Option<Spanned<RawLevels>>,
    /// The ramp stops at the first reading where this is true; the set point stays at
    /// the level reached.
    pub until: Option<Spanned<String>>,
}

/// The levels of a ramp: `from` towards `to` by `step` (a magnitude; the direction is
/// from `from` to `to`), each held `hold`. The last level is `to`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLevels {
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub step: Spanned<String>,
    pub hold: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCharge {
    pub current: Spanned<String>,
    pub to: Spanned<String>,
}

/// One relay operation: `{ close: rsd }`, `{ open: rsd }`, `{ pulse: reset_button, for: 8 s }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelay {
    pub close: Option<Spanned<String>>,
    pub open: Option<Spanned<String>>,
    pub pulse: Option<Spanned<String>>,
    #[serde(rename = "for")]
    pub duration: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChamber {
    /// Air temperature set point (`25 degC`).
    pub setpoint: Option<Spanned<String>>,
    /// Start (`true`) or stop (`false`) conditioning.
    pub run: Option<Spanned<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRs485 {
    /// `turn_off`.
    pub send: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRs232 {
    /// The line, printable ASCII without its terminator (`wake`).
    pub send: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInverter {
    /// `on` or `off`.
    pub keepalive: Spanned<String>,
}

/// `that:` must become true `within:` a time (not before `after:`), or stay true `for:`
/// a time; `never:` must not become true `for:` a time.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpectation {
    /// Short name for reports (`lock-out holds`); defaults to the condition. `{i}`
    /// inserts a repeat index.
    pub name: Option<Spanned<String>>,
    /// The condition (`bms.charge_current_limit == 0 A`).
    pub that: Option<Spanned<String>>,
    /// A condition that must not become true `for:` a time (instead of `that:`).
    pub never: Option<Spanned<String>>,
    /// With `within:`: the condition must not be true on any reading before this time.
    pub after: Option<Spanned<String>>,
    pub within: Option<Spanned<String>>,
    #[serde(rename = "for")]
    pub holds_for: Option<Spanned<String>>,
}

/// One measurement: exactly one kind key, a window, limits (or `limits: none`), and
/// perhaps the unit to show it in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMeasurement {
    /// Dotted lower-case id (`cocp.trip_delay`), unique in the plan. `{i}` inserts a
    /// repeat index.
    pub name: Spanned<String>,
    /// Time from the window's start until the condition is true.
    pub time_to: Option<Spanned<String>>,
    /// An expression's value at the reading where `when:` turned true.
    pub value_of: Option<Spanned<String>>,
    pub when: Option<Spanned<String>>,
    /// Integral over time (sample and hold): a current gives a charge, a power an energy.
    pub integral_of: Option<Spanned<String>>,
    pub min_of: Option<Spanned<String>>,
    pub max_of: Option<Spanned<String>>,
    /// Time-weighted mean.
    pub mean_of: Option<Spanned<String>>,
    /// Changes of a true/false expression; `edge:` says which (`rising`, `falling`, `any`).
    pub edges_of: Option<Spanned<String>>,
    pub edge: Option<Spanned<String>>,
    /// Mean time between rising edges.
    pub period_of: Option<Spanned<String>>,
    /// Percentage of the window's time a condition is true.
    pub duty_of: Option<Spanned<String>>,
    /// How long to wait (`time_to`, `value_of`), or the bound of an `until:` window.
    pub within: Option<Spanned<String>>,
    /// A fixed window.
    #[serde(rename = "for")]
    pub holds_for: Option<Spanned<String>>,
    /// The window ends at the first reading where this is true.
    pub until: Option<Spanned<String>>,
    pub min: Option<Spanned<String>>,
    pub max: Option<Spanned<String>>,
    /// `[lo, hi]`, or a banded DUT profile value standing for its band.
    pub between: Option<Spanned<RawBetween>>,
    /// `none`: record the value without judging it.
    pub limits: Option<Spanned<String>>,
    /// The unit to show the value in (`Ah`, `kWh`, `mV`, `min`).
    pub unit: Option<Spanned<String>>,
}

/// `between:` as written: two limits, `[lo, hi]`, or a DUT profile value with a band
/// (`between: dut.cocp.trip_delay`), which stands for `[dut.x.min, dut.x.max]`.
#[derive(Debug)]
pub enum RawBetween {
    Pair(Vec<Spanned<String>>),
    Band(String),
}

impl<'de> Deserialize<'de> for RawBetween {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(BetweenVisitor)
    }
}

/// A sequence of limits or one scalar; a visitor of its own because serde's untagged
/// enums lose the spans of the limits inside.
struct BetweenVisitor;

impl<'de> serde::de::Visitor<'de> for BetweenVisitor {
    type Value = RawBetween;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("two limits `[lo, hi]`, or a banded DUT profile value (`dut.cocp.trip_delay`)")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawBetween, A::Error> {
        let mut limits = Vec::new();
        while let Some(limit) = seq.next_element::<Spanned<String>>()? {
            limits.push(limit);
        }
        Ok(RawBetween::Pair(limits))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawBetween, E> {
        Ok(RawBetween::Band(v.to_string()))
    }
}
