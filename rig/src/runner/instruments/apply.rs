//! What the safe state of one instrument of each role is, as commands and then as the
//! instrument reads it back: a source's output off (and its limits, and a voltage if the
//! bench leaves one), every relay of a board open, a chamber's conditioning stopped
//! (at a set point if the bench gives one). An attempt is logged `ok` only when the
//! read-back agrees: an instrument that took the commands and holds something else is
//! not safe.

use futures::FutureExt;
use rig_drivers::chamber::Chamber;
use rig_drivers::scpi::Parameter;
use rig_drivers::traffic::TrafficSink;

use super::open::{open_board, open_chamber, open_source};
use super::{Connector, Opening, SharedBoard, SharedChamber, SharedSource};
use crate::bench::{InstrumentSpec, SafeState};
use crate::clock;
use crate::runner::failure::SafeStateError;
use crate::runner::roles::{BoardRole, ChamberRole, SourceRole};

/// What was done to make an instrument safe (as the log says it), and whether it worked.
pub(super) type Attempt = (String, Result<(), SafeStateError>);

/// Read-backs agree within this (an instrument rounds to its resolution).
const READBACK_TOLERANCE: f64 = 0.01;

/// Exchanges of each role's safe state, with its read-back, each bounded by the
/// instrument's timeout: the bound of the whole attempt.
const SOURCE_EXCHANGES: f64 = 12.0;
const CHAMBER_EXCHANGES: f64 = 8.0;

/// A safe-state attempt that may time out.
fn bounded(r: Result<Result<(), SafeStateError>, ()>) -> Result<(), SafeStateError> {
    r.map_err(|()| SafeStateError::TimedOut).and_then(|r| r)
}

/// A board's bound: an exchange per wired relay, and one per read-back.
fn board_exchanges(wired: &[u16]) -> f64 {
    4.0 + 2.0 * wired.len() as f64
}

pub(super) async fn source(spec: &InstrumentSpec, source: &SharedSource) -> Option<Attempt> {
    let SafeState::Source { .. } = spec.safe_state else {
        return None;
    };
    let (state, source) = (spec.safe_state.clone(), source.clone());
    let r = clock::within(spec.timeout_s * SOURCE_EXCHANGES, async move {
        source_to_safe(&mut *source.lock().await, &state).await
    })
    .await;
    Some((describe(&spec.safe_state), bounded(r)))
}

pub(super) async fn chamber(spec: &InstrumentSpec, chamber: &SharedChamber) -> Option<Attempt> {
    let SafeState::Chamber { .. } = spec.safe_state else {
        return None;
    };
    let (state, chamber) = (spec.safe_state.clone(), chamber.clone());
    let r = clock::within(spec.timeout_s * CHAMBER_EXCHANGES, async move {
        chamber_to_safe(&mut *chamber.lock().await, &state).await
    })
    .await;
    Some((describe(&spec.safe_state), bounded(r)))
}

pub(super) async fn board(spec: &InstrumentSpec, board: &SharedBoard) -> Option<Attempt> {
    let SafeState::Board { wired } = &spec.safe_state else {
        return None;
    };
    let (wired, board) = (wired.clone(), board.clone());
    let bound = spec.timeout_s * board_exchanges(&wired);
    let r = clock::within(bound, async move {
        board_to_safe(&mut *board.lock().await, &wired).await
    })
    .await;
    Some((describe(&spec.safe_state), bounded(r)))
}

/// The instrument of `spec` into its safe state over a new connection: opened as
/// `opening` says (a run's opening switches a source's output off by itself), then
/// the same commands and read-back as a connected one.
pub(super) async fn fresh(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
    opening: Opening,
) -> Attempt {
    let state = &spec.safe_state;
    let connect_failed =
        |f: crate::runner::failure::InstrumentFailure| SafeStateError::Connect(f.cause);
    let (exchanges, attempt) = match state {
        SafeState::Source { .. } => (
            SOURCE_EXCHANGES + 6.0,
            async {
                let (mut s, _) = open_source(spec, connector, traffic, opening)
                    .await
                    .map_err(connect_failed)?;
                source_to_safe(&mut s, state).await
            }
            .boxed_local(),
        ),
        SafeState::Chamber { .. } => (
            CHAMBER_EXCHANGES + 3.0,
            async {
                let (mut c, _) = open_chamber(spec, connector, traffic)
                    .await
                    .map_err(connect_failed)?;
                chamber_to_safe(&mut c, state).await
            }
            .boxed_local(),
        ),
        SafeState::Board { wired } => (
            board_exchanges(wired) + 10.0,
            async {
                let (mut b, _) = open_board(spec, connector, traffic, opening)
                    .await
                    .map_err(connect_failed)?;
                board_to_safe(&mut b, wired).await
            }
            .boxed_local(),
        ),
        SafeState::Nothing => return (describe(state), Ok(())),
    };
    let r = clock::within(spec.timeout_s * exchanges, attempt).await;
    (describe(state), bounded(r))
}

/// The log's words for a safe state.
fn describe(state: &SafeState) -> String {
    match state {
        SafeState::Source {
            current_limit_a,
            sink_limit_a,
            voltage_v,
        } => {
            let mut action = format!(
                "output off, current limit {current_limit_a} A, sink limit {sink_limit_a} A"
            );
            if let Some(v) = voltage_v {
                action.push_str(&format!(", voltage {v} V"));
            }
            action
        }
        SafeState::Board { .. } => "all relays open".to_string(),
        SafeState::Chamber {
            setpoint_c: Some(t),
        } => format!("set point {t} degC, conditioning stopped"),
        SafeState::Chamber { setpoint_c: None } => "conditioning stopped".to_string(),
        SafeState::Nothing => "nothing to switch".to_string(),
    }
}

/// Output off first (whatever fails after it, nothing is energised), then the limits
/// and the voltage; then the output and every setting the dialect can ask are read
/// back.
async fn source_to_safe(s: &mut SourceRole, state: &SafeState) -> Result<(), SafeStateError> {
    let SafeState::Source {
        current_limit_a,
        sink_limit_a,
        voltage_v,
    } = *state
    else {
        return Ok(());
    };
    s.set_output(false).await?;
    s.set_current_limit(current_limit_a).await?;
    s.set_sink_limit(sink_limit_a).await?;
    if let Some(v) = voltage_v {
        s.set_voltage(v).await?;
    }
    if s.output().await? {
        return Err(read_back("the output", "off", "on"));
    }
    let mut settings = vec![
        (
            Parameter::CurrentLimit,
            "the current limit",
            current_limit_a,
        ),
        (Parameter::SinkLimit, "the sink limit", sink_limit_a),
    ];
    settings.extend(voltage_v.map(|v| (Parameter::Voltage, "the voltage", v)));
    for (parameter, what, wanted) in settings {
        if let Some(read) = s.setting(parameter).await?
            && (read - wanted).abs() > READBACK_TOLERANCE * wanted.abs().max(1.0)
        {
            return Err(read_back(what, &format!("{wanted}"), &format!("{read}")));
        }
    }
    Ok(())
}

/// The set point (if any), conditioning stopped, then both read back.
async fn chamber_to_safe(c: &mut ChamberRole, state: &SafeState) -> Result<(), SafeStateError> {
    let SafeState::Chamber { setpoint_c } = *state else {
        return Ok(());
    };
    if let Some(t) = setpoint_c {
        c.set_point(t).await?;
    }
    c.set_running(false).await?;
    if c.running().await? {
        return Err(read_back("the conditioning", "stopped", "running"));
    }
    if let Some(t) = setpoint_c {
        let read = c.read_set_point().await?;
        if (read - t).abs() > 0.05 + READBACK_TOLERANCE * t.abs() {
            return Err(read_back(
                "the set point",
                &format!("{t} degC"),
                &format!("{read} degC"),
            ));
        }
    }
    Ok(())
}

/// Every relay open, then every relay the board can read back confirmed open.
async fn board_to_safe(b: &mut BoardRole, wired: &[u16]) -> Result<(), SafeStateError> {
    b.open_all(wired).await?;
    let closed = b.still_closed(wired).await?;
    if closed.is_empty() {
        return Ok(());
    }
    let channels: Vec<String> = closed.iter().map(u16::to_string).collect();
    Err(read_back(
        "relays",
        "all open",
        &format!("channel {} closed", channels.join(", ")),
    ))
}

fn read_back(setting: &'static str, wanted: &str, read: &str) -> SafeStateError {
    SafeStateError::ReadBack {
        setting,
        wanted: wanted.to_string(),
        read: read.to_string(),
    }
}
