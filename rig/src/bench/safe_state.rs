//! The safe state each instrument is put into on every way out of a run, as the bench
//! file declares it (`safe_state:`), with safe defaults when it says nothing: a source's
//! output off with both current limits at zero, every relay open.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::driver::{Driver, Role};
use super::literal::quantity;
use super::wiring::BoardWire;
use crate::diag::{Problem, Problems, SourceFile, Span};
use crate::quantity::Dim;

/// As written under an instrument.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSafeState {
    /// Sources: must be `off`; written only to make the bench file say it.
    output: Option<Spanned<String>>,
    /// Sources: current limit left programmed (`0 A`).
    current_limit: Option<Spanned<String>>,
    /// Sources: sink limit left programmed (`0 A`).
    sink_limit: Option<Spanned<String>>,
    /// Sources: voltage set point left programmed.
    voltage: Option<Spanned<String>>,
    /// Boards: relays by name, `open` or `closed` (e.g. keep rapid shutdown asserted).
    #[serde(default)]
    relays: BTreeMap<String, Spanned<String>>,
    /// Chambers: the idle set point to leave (`25 degC`).
    setpoint: Option<Spanned<String>>,
    /// Chambers: leave conditioning running (`true`) or stopped (`false`, the default).
    run: Option<Spanned<bool>>,
}

/// What "safe" means for one instrument.
#[derive(Clone, Debug, PartialEq)]
pub enum SafeState {
    /// Output off, then these limits (and optionally this voltage) programmed.
    Source {
        current_limit_a: f64,
        sink_limit_a: f64,
        voltage_v: Option<f64>,
    },
    /// These channels closed, every other channel open (numbered as the board numbers
    /// them). `wired`: every relay the bench wires to the board, for boards whose
    /// channels cannot all be switched at once.
    Board { closed: Vec<u16>, wired: Vec<u16> },
    /// A chamber at this set point (if any), conditioning running or stopped.
    Chamber { setpoint_c: Option<f64>, run: bool },
    /// Nothing to switch (a CAN listener).
    Nothing,
}

pub(super) struct SafeStateContext<'a> {
    pub file: &'a SourceFile,
    pub instrument: &'a str,
    pub driver: Driver,
    pub max_current: Option<f64>,
    /// Relays of the whole bench, to resolve names to this board's channels.
    pub relays: &'a BTreeMap<String, BoardWire>,
}

fn at(file: &SourceFile, field: &Spanned<String>) -> Span {
    Span::of_scalar(&field.referenced, &file.text)
}

impl SafeStateContext<'_> {
    /// `safe_state.<what>` is not a field of this instrument's safe state.
    fn not_for(&self, field: &Spanned<String>, what: &str, problems: &mut Problems) {
        problems.push(Problem::at(
            self.file,
            at(self.file, field),
            format!(
                "`safe_state.{what}` does not apply to the `{}` instrument `{}`",
                self.driver.name(),
                self.instrument
            ),
        ));
    }

    /// Refuses the source's fields (`output`, the limits, `voltage`) where written.
    fn no_source_fields(&self, raw: &RawSafeState, problems: &mut Problems) {
        for (field, what) in [
            (&raw.output, "output"),
            (&raw.current_limit, "current_limit"),
            (&raw.sink_limit, "sink_limit"),
            (&raw.voltage, "voltage"),
        ] {
            if let Some(f) = field {
                self.not_for(f, what, problems);
            }
        }
    }

    /// Refuses `relays` (the first one written).
    fn no_relays(&self, raw: &RawSafeState, problems: &mut Problems) {
        if let Some((_, r)) = raw.relays.iter().next() {
            self.not_for(r, "relays", problems);
        }
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
        Role::Source => source(raw, cx, &mut problems),
        Role::Board => {
            cx.no_source_fields(raw, &mut problems);
            board(raw, cx, &mut problems)
        }
        Role::Chamber => {
            cx.no_source_fields(raw, &mut problems);
            chamber(raw, cx, &mut problems)
        }
        // Listeners and a write-only console port energise nothing: nothing to switch.
        Role::Can | Role::Rs485 | Role::Rs232 => {
            cx.no_source_fields(raw, &mut problems);
            cx.no_relays(raw, &mut problems);
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
    let voltage_v = raw.voltage.as_ref().and_then(|v| {
        quantity(file, v, Dim::Voltage, "`safe_state.voltage`")
            .map_err(|p| problems.push(p))
            .ok()
    });
    cx.no_relays(raw, problems);
    if let Some(t) = &raw.setpoint {
        cx.not_for(t, "setpoint", problems);
    }
    if cx.driver == Driver::ScpiLoad {
        // A load only sinks: it has no voltage set point and no charge limit.
        if let Some(v) = &raw.voltage {
            cx.not_for(v, "voltage", problems);
        }
        if let Some(c) = &raw.current_limit {
            cx.not_for(c, "current_limit", problems);
        }
    }
    SafeState::Source {
        current_limit_a,
        sink_limit_a,
        voltage_v,
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

fn board(raw: &RawSafeState, cx: &SafeStateContext<'_>, problems: &mut Problems) -> SafeState {
    let file = cx.file;
    let on_this_board = || cx.relays.iter().filter(|(_, w)| w.board == cx.instrument);
    let mut closed = Vec::new();
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
            (Some(w), "closed") => closed.push(w.number),
            (Some(_), "open") => {}
            (Some(_), other) => problems.push(Problem::at(
                file,
                at(file, state),
                format!("a relay is `open` or `closed`, not `{other}`"),
            )),
        }
    }
    closed.sort_unstable();
    let mut wired: Vec<u16> = on_this_board().map(|(_, w)| w.number).collect();
    wired.sort_unstable();
    wired.dedup();
    SafeState::Board { closed, wired }
}

fn chamber(raw: &RawSafeState, cx: &SafeStateContext<'_>, problems: &mut Problems) -> SafeState {
    let setpoint_c = raw.setpoint.as_ref().and_then(|t| {
        quantity(cx.file, t, Dim::Temperature, "`safe_state.setpoint`")
            .map_err(|p| problems.push(p))
            .ok()
    });
    SafeState::Chamber {
        setpoint_c,
        run: raw.run.as_ref().is_some_and(|r| r.value),
    }
}
