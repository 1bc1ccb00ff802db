//! The safe state each instrument is put into on every way out of a run, as the bench
//! file declares it (`safe_state:`), with safe defaults when it says nothing: a source's
//! output off with both current limits at zero, every relay open, a chamber's
//! conditioning stopped. A safe state can only de-energise: what would switch
//! something on (a closed relay, a running chamber, an output on) is refused, what it
//! leaves programmed must be within the instrument's ratings, and a field the
//! instrument's family would ignore is refused rather than silently dropped.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use super::driver::{Driver, Role};
use super::literal::quantity;
use super::wiring::BoardWire;
use crate::diag::{Problem, Problems, SourceFile, Span};
use crate::quantity::Dim;

/// As written under an instrument.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSafeState {
    /// Sources: must be `off`; written only to make the bench file say it.
    #[schemars(with = "Option<crate::schema::Scalar>")]
    output: Option<Spanned<String>>,
    /// Sources: current limit left programmed (`0 A`).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    current_limit: Option<Spanned<String>>,
    /// Sources: sink limit left programmed (`0 A`).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    sink_limit: Option<Spanned<String>>,
    /// Sources: voltage set point left programmed.
    #[schemars(with = "Option<crate::schema::Scalar>")]
    voltage: Option<Spanned<String>>,
    /// Boards: relays by name, `open` (the only safe state of a relay; written to say
    /// so in the bench file).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, crate::schema::Scalar>")]
    relays: BTreeMap<String, Spanned<String>>,
    /// Chambers: the idle set point to leave (`25 degC`).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    setpoint: Option<Spanned<String>>,
    /// Chambers: must be `false` (the default): conditioning is stopped.
    #[schemars(with = "Option<bool>")]
    run: Option<Spanned<bool>>,
}

/// What "safe" means for one instrument: always de-energising. Nothing here can switch
/// anything on: a source's output is off, relays are open, a chamber's conditioning is
/// stopped; what is left programmed (limits, a voltage, a set point) is within the
/// instrument's ratings.
#[derive(Clone, Debug, PartialEq)]
pub enum SafeState {
    /// Output off, then these limits (and optionally this voltage) programmed.
    Source {
        current_limit_a: f64,
        sink_limit_a: f64,
        voltage_v: Option<f64>,
    },
    /// Every relay open. `wired`: every relay the bench wires to the board (numbered as
    /// the board numbers them), for boards whose channels cannot all be opened at once.
    Board { wired: Vec<u16> },
    /// A chamber's conditioning stopped, at this set point (if any).
    Chamber { setpoint_c: Option<f64> },
    /// Nothing to switch (a CAN listener).
    Nothing,
}

pub(super) struct SafeStateContext<'a> {
    pub file: &'a SourceFile,
    pub instrument: &'a str,
    pub driver: Driver,
    pub max_voltage: Option<f64>,
    pub max_current: Option<f64>,
    /// A chamber's rated range, `min_temperature` and `max_temperature`.
    pub temperature: (Option<f64>, Option<f64>),
    /// Relays of the whole bench, to resolve names to this board's channels.
    pub relays: &'a BTreeMap<String, BoardWire>,
}

fn at(file: &SourceFile, field: &Spanned<String>) -> Span {
    Span::of_scalar(&field.referenced, &file.text)
}

impl SafeStateContext<'_> {
    /// `safe_state.<what>` is not a field of this instrument's safe state.
    fn not_for(&self, location: &Location, what: &str, problems: &mut Problems) {
        problems.push(Problem::at(
            self.file,
            Span::of_scalar(location, &self.file.text),
            format!(
                "`safe_state.{what}` does not apply to the `{}` instrument `{}`",
                self.driver.name(),
                self.instrument
            ),
        ));
    }

    /// Refuses every field of `raw` this instrument's family does not take: a field it
    /// would ignore is a safe state the bench file only appears to have.
    fn only(&self, raw: &RawSafeState, takes: &[&str], problems: &mut Problems) {
        for (what, location) in raw.written() {
            if !takes.contains(&what) {
                self.not_for(location, what, problems);
            }
        }
    }
}

impl RawSafeState {
    /// Every field written, with where.
    fn written(&self) -> Vec<(&'static str, &Location)> {
        fn text(f: &Option<Spanned<String>>) -> Option<&Location> {
            f.as_ref().map(|f| &f.referenced)
        }
        [
            ("output", text(&self.output)),
            ("current_limit", text(&self.current_limit)),
            ("sink_limit", text(&self.sink_limit)),
            ("voltage", text(&self.voltage)),
            ("relays", self.relays.values().next().map(|r| &r.referenced)),
            ("setpoint", text(&self.setpoint)),
            ("run", self.run.as_ref().map(|r| &r.referenced)),
        ]
        .into_iter()
        .filter_map(|(what, at)| at.map(|at| (what, at)))
        .collect()
    }
}

pub(super) fn resolve(
    raw: Option<&Spanned<RawSafeState>>,
    cx: &SafeStateContext<'_>,
) -> Result<SafeState, Problems> {
    let empty = RawSafeState::default();
    let raw = raw.map_or(&empty, |r| &r.value);
    let mut problems = Problems::default();
    let state = match cx.driver.role() {
        Role::Source if cx.driver == Driver::ScpiLoad => {
            // A load only sinks: it has no voltage set point and no charge limit.
            cx.only(raw, &["output", "sink_limit"], &mut problems);
            source(raw, cx, &mut problems)
        }
        Role::Source => {
            let fields = ["output", "current_limit", "sink_limit", "voltage"];
            cx.only(raw, &fields, &mut problems);
            source(raw, cx, &mut problems)
        }
        Role::Board => {
            cx.only(raw, &["relays"], &mut problems);
            board(raw, cx, &mut problems)
        }
        Role::Chamber => {
            cx.only(raw, &["setpoint", "run"], &mut problems);
            chamber(raw, cx, &mut problems)
        }
        // Listeners and a write-only console port energise nothing: nothing to switch.
        Role::Can | Role::Rs485 | Role::Rs232 => {
            cx.only(raw, &[], &mut problems);
            SafeState::Nothing
        }
    };
    problems.into_result(state)
}

fn source(raw: &RawSafeState, cx: &SafeStateContext<'_>, problems: &mut Problems) -> SafeState {
    let file = cx.file;
    if let Some(o) = &raw.output
        && o.value != "off"
    {
        problems.push(
            Problem::at(
                file,
                at(file, o),
                "a source's safe state has its output off",
            )
            .help("write `output: off`, or leave it out"),
        );
    }
    let current_limit_a = current(
        &raw.current_limit,
        "`safe_state.current_limit`",
        cx,
        problems,
    );
    let sink_limit_a = current(&raw.sink_limit, "`safe_state.sink_limit`", cx, problems);
    let voltage_v = raw
        .voltage
        .as_ref()
        .filter(|_| cx.driver != Driver::ScpiLoad)
        .and_then(|v| voltage(v, cx, problems));
    SafeState::Source {
        current_limit_a,
        sink_limit_a,
        voltage_v,
    }
}

/// A voltage left programmed: from 0 V to the source's `max_voltage`, which must be
/// rated for a voltage to be left at all.
fn voltage(
    field: &Spanned<String>,
    cx: &SafeStateContext<'_>,
    problems: &mut Problems,
) -> Option<f64> {
    let what = "`safe_state.voltage`";
    let refuse = |message: String, problems: &mut Problems| {
        problems.push(Problem::at(cx.file, at(cx.file, field), message));
        None
    };
    match (quantity(cx.file, field, Dim::Voltage, what), cx.max_voltage) {
        (Err(p), _) => {
            problems.push(p);
            None
        }
        (Ok(v), _) if v < 0.0 => refuse(format!("{what} cannot be negative"), problems),
        (Ok(_), None) => refuse(
            format!("{what} needs the source's `ratings: {{ max_voltage }}` to be checked against"),
            problems,
        ),
        (Ok(v), Some(max)) if v > max => refuse(
            format!("{what} exceeds the source's rating (max_voltage {max} V)"),
            problems,
        ),
        (Ok(v), Some(_)) => Some(v),
    }
}

/// A current limit left programmed: a magnitude within the source's rating; 0 A when
/// not written.
fn current(
    field: &Option<Spanned<String>>,
    what: &str,
    cx: &SafeStateContext<'_>,
    problems: &mut Problems,
) -> f64 {
    let Some(f) = field else { return 0.0 };
    let refuse = |message: String, problems: &mut Problems| {
        problems.push(Problem::at(cx.file, at(cx.file, f), message));
        0.0
    };
    match quantity(cx.file, f, Dim::Current, what) {
        Ok(v) if v < 0.0 => refuse(
            format!("{what} is a magnitude and cannot be negative"),
            problems,
        ),
        Ok(v) if cx.max_current.is_some_and(|m| v > m) => {
            refuse(format!("{what} exceeds the source's rating"), problems)
        }
        Ok(v) => v,
        Err(p) => {
            problems.push(p);
            0.0
        }
    }
}

/// Relays may be named (to say so in the bench file), and only as `open`: the teardown
/// never closes a relay, whatever it is wired to.
fn board(raw: &RawSafeState, cx: &SafeStateContext<'_>, problems: &mut Problems) -> SafeState {
    let file = cx.file;
    let on_this_board = || cx.relays.iter().filter(|(_, w)| w.board == cx.instrument);
    for (name, state) in &raw.relays {
        let wire = cx.relays.get(name).filter(|w| w.board == cx.instrument);
        match (wire, state.value.as_str()) {
            (None, _) => {
                let mine: Vec<&str> = on_this_board().map(|(n, _)| n.as_str()).collect();
                problems.push(
                    Problem::at(
                        file,
                        at(file, state),
                        format!(
                            "the safe state names relay `{name}`, which is not wired to `{}`",
                            cx.instrument
                        ),
                    )
                    .help(if mine.is_empty() {
                        "declare it under `relays:` first".to_string()
                    } else {
                        format!("relays on this board: {}", mine.join(", "))
                    }),
                );
            }
            (Some(_), "open") => {}
            (Some(_), "closed") => problems.push(
                Problem::at(
                    file,
                    at(file, state),
                    format!("relay `{name}` cannot be `closed` in the safe state: the teardown only opens relays"),
                )
                .help("a relay closed on every way out energises what it switches even after a crash; write `open`"),
            ),
            (Some(_), other) => problems.push(Problem::at(
                file,
                at(file, state),
                format!("a relay's safe state is `open`, not `{other}`"),
            )),
        }
    }
    let mut wired: Vec<u16> = on_this_board().map(|(_, w)| w.number).collect();
    wired.sort_unstable();
    wired.dedup();
    SafeState::Board { wired }
}

/// Conditioning stopped (`run: false`, the default), at a set point inside the
/// chamber's rated range.
fn chamber(raw: &RawSafeState, cx: &SafeStateContext<'_>, problems: &mut Problems) -> SafeState {
    if let Some(r) = raw.run.as_ref().filter(|r| r.value) {
        problems.push(
            Problem::at(
                cx.file,
                Span::of_scalar(&r.referenced, &cx.file.text),
                "a chamber's safe state stops its conditioning: `run` cannot be `true`",
            )
            .help("write `run: false`, or leave it out"),
        );
    }
    let setpoint_c = raw.setpoint.as_ref().and_then(|t| {
        let what = "`safe_state.setpoint`";
        let refuse = |message: String, problems: &mut Problems| {
            problems.push(Problem::at(cx.file, at(cx.file, t), message));
            None
        };
        match (quantity(cx.file, t, Dim::Temperature, what), cx.temperature) {
            (Err(p), _) => {
                problems.push(p);
                None
            }
            (Ok(v), (Some(min), _)) if v < min => refuse(
                format!("{what} {v} degC is below the chamber's min_temperature {min} degC"),
                problems,
            ),
            (Ok(v), (_, Some(max))) if v > max => refuse(
                format!("{what} {v} degC is above the chamber's max_temperature {max} degC"),
                problems,
            ),
            (Ok(v), _) => Some(v),
        }
    });
    SafeState::Chamber { setpoint_c }
}
