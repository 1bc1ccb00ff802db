//! The safe state each instrument is put into on every way out of a run, as the bench
//! file declares it (`safe_state:`), with safe defaults when it says nothing: a source's
//! output off with both current limits at zero, every relay open.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::file::{BoardWire, Driver, Role};
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

pub(super) fn resolve(
    raw: Option<&Spanned<RawSafeState>>,
    cx: &SafeStateContext<'_>,
) -> Result<SafeState, Problems> {
    let empty = RawSafeState::default();
    let raw = raw.map_or(&empty, |r| &r.value);
    let mut problems = Problems::default();
    let file = cx.file;
    let not_for = |field: &Spanned<String>, what: &str, problems: &mut Problems| {
        problems.push(Problem::at(
            file,
            at(file, field),
            format!(
                "`safe_state.{what}` does not apply to the `{}` instrument `{}`",
                cx.driver.name(),
                cx.instrument
            ),
        ));
    };
    let state = match cx.driver.role() {
        Role::Source => {
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
            let mut current = |f: &Option<Spanned<String>>, what: &str| -> f64 {
                let Some(f) = f else { return 0.0 };
                match super::file::quantity(file, f, Dim::Current, what) {
                    Ok(v) if v < 0.0 => {
                        problems.push(Problem::at(
                            file,
                            at(file, f),
                            format!("{what} is a magnitude and cannot be negative"),
                        ));
                        0.0
                    }
                    Ok(v) if cx.max_current.is_some_and(|m| v > m) => {
                        problems.push(Problem::at(
                            file,
                            at(file, f),
                            format!("{what} exceeds the source's rating"),
                        ));
                        0.0
                    }
                    Ok(v) => v,
                    Err(p) => {
                        problems.push(p);
                        0.0
                    }
                }
            };
            let current_limit_a = current(&raw.current_limit, "`safe_state.current_limit`");
            let sink_limit_a = current(&raw.sink_limit, "`safe_state.sink_limit`");
            let voltage_v = raw.voltage.as_ref().and_then(|v| {
                match super::file::quantity(file, v, Dim::Voltage, "`safe_state.voltage`") {
                    Ok(x) => Some(x),
                    Err(p) => {
                        problems.push(p);
                        None
                    }
                }
            });
            if let Some((_, r)) = raw.relays.iter().next() {
                not_for(r, "relays", &mut problems);
            }
            if let Some(t) = &raw.setpoint {
                not_for(t, "setpoint", &mut problems);
            }
            if cx.driver == Driver::ScpiLoad {
                // A load only sinks: it has no voltage set point and no charge limit.
                if let Some(v) = &raw.voltage {
                    not_for(v, "voltage", &mut problems);
                }
                if let Some(c) = &raw.current_limit {
                    not_for(c, "current_limit", &mut problems);
                }
            }
            SafeState::Source {
                current_limit_a,
                sink_limit_a,
                voltage_v,
            }
        }
        Role::Board => {
            for (field, what) in [
                (&raw.output, "output"),
                (&raw.current_limit, "current_limit"),
                (&raw.sink_limit, "sink_limit"),
                (&raw.voltage, "voltage"),
            ] {
                if let Some(f) = field {
                    not_for(f, what, &mut problems);
                }
            }
            let mut closed = Vec::new();
            for (name, state) in &raw.relays {
                let wire = cx.relays.get(name).filter(|w| w.board == cx.instrument);
                match (wire, state.value.as_str()) {
                    (None, _) => {
                        let mine: Vec<&str> = cx
                            .relays
                            .iter()
                            .filter(|(_, w)| w.board == cx.instrument)
                            .map(|(n, _)| n.as_str())
                            .collect();
                        problems.push(
                            Problem::at(file, at(file, state), format!("the safe state names relay `{name}`, which is not wired to `{}`", cx.instrument))
                                .help(if mine.is_empty() { "declare it under `relays:` first".to_string() } else { format!("relays on this board: {}", mine.join(", ")) }),
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
            let mut wired: Vec<u16> = cx
                .relays
                .values()
                .filter(|w| w.board == cx.instrument)
                .map(|w| w.number)
                .collect();
            wired.sort_unstable();
            wired.dedup();
            SafeState::Board { closed, wired }
        }
        Role::Chamber => {
            for (field, what) in [
                (&raw.output, "output"),
                (&raw.current_limit, "current_limit"),
                (&raw.sink_limit, "sink_limit"),
                (&raw.voltage, "voltage"),
            ] {
                if let Some(f) = field {
                    not_for(f, what, &mut problems);
                }
            }
            let setpoint_c = raw.setpoint.as_ref().and_then(|t| {
                match super::file::quantity(file, t, Dim::Temperature, "`safe_state.setpoint`") {
                    Ok(x) => Some(x),
                    Err(p) => {
                        problems.push(p);
                        None
                    }
                }
            });
            SafeState::Chamber {
                setpoint_c,
                run: raw.run.as_ref().is_some_and(|r| r.value),
            }
        }
        // Listeners and a write-only console port energise nothing: nothing to switch.
        Role::Can | Role::Rs485 | Role::Rs232 => {
            for (field, what) in [
                (&raw.output, "output"),
                (&raw.current_limit, "current_limit"),
                (&raw.sink_limit, "sink_limit"),
                (&raw.voltage, "voltage"),
            ] {
                if let Some(f) = field {
                    not_for(f, what, &mut problems);
                }
            }
            if let Some((_, r)) = raw.relays.iter().next() {
                not_for(r, "relays", &mut problems);
            }
            SafeState::Nothing
        }
    };
    problems.into_result(state)
}
