//! Putting instruments into the safe state their bench entries declare, on every way
//! out of a run: sources first (they hold the energy), each bounded in time, with one
//! reconnect for an instrument whose connection broke.

use rig_drivers::chamber::Chamber;
use rig_drivers::traffic::TrafficSink;
use rig_reports::EventKind;

use super::open::{open_board, open_source};
use super::{Connector, Instruments, SharedBoard, SharedChamber, SharedSource};
use crate::bench::{InstrumentSpec, SafeState};
use crate::clock;
use crate::runner::failure::SafeStateError;
use crate::runner::log::EventLog;

/// What was done to make an instrument safe (as the log says it), and whether it worked.
type Attempt = (String, Result<(), SafeStateError>);

impl Instruments {
    /// Put every connected instrument into the safe state its bench entry declares:
    /// sources first (they hold the energy), then the rest in reverse connection order,
    /// each bounded in time. Returns the instruments that could not be made safe.
    pub async fn make_safe(
        &self,
        log: &EventLog,
        connector: &Connector<'_>,
        traffic: &TrafficSink,
    ) -> Vec<String> {
        let mut order: Vec<&String> = self.order.iter().rev().collect();
        order.sort_by_key(|name| self.source.as_ref().is_none_or(|(s, _)| &s.name != *name));
        let mut unsafe_left = Vec::new();
        for name in order {
            let Some((action, result)) = self.make_one_safe(name).await else {
                continue;
            };
            let (action, result) = match result {
                Ok(()) => (action, Ok(())),
                Err(first) => {
                    self.reconnect(name, action, first, connector, traffic)
                        .await
                }
            };
            let ok = result.is_ok();
            if !ok {
                unsafe_left.push(name.clone());
            }
            log.emit(EventKind::SafeState {
                instrument: name.clone(),
                action,
                ok,
                error: result.err().map(|e| e.to_string()),
            });
        }
        unsafe_left
    }

    /// An instrument whose connection broke may still be reachable: reconnect once and
    /// try again (sources and relay boards; a chamber holds no energy of the rig's).
    async fn reconnect(
        &self,
        name: &str,
        action: String,
        first: SafeStateError,
        connector: &Connector<'_>,
        traffic: &TrafficSink,
    ) -> Attempt {
        let retry = if let Some((spec, _)) = self.source.as_ref().filter(|(s, _)| s.name == name) {
            reconnect_source(spec, connector, traffic).await
        } else if let Some((spec, _)) = self.boards.get(name) {
            reconnect_board(spec, connector, traffic).await
        } else {
            return (action, Err(first));
        };
        match retry {
            Ok(()) => (format!("{action}, after reconnecting ({first})"), Ok(())),
            Err(retry) => (
                action,
                Err(SafeStateError::Reconnect {
                    first: Box::new(first),
                    retry: Box::new(retry),
                }),
            ),
        }
    }

    /// The instrument `name` into its safe state; `None` when it has none.
    async fn make_one_safe(&self, name: &str) -> Option<Attempt> {
        if let Some((spec, source)) = self.source.as_ref().filter(|(s, _)| s.name == name) {
            return make_source_safe(spec, source).await;
        }
        if let Some((spec, chamber)) = self.chamber.as_ref().filter(|(s, _)| s.name == name) {
            return make_chamber_safe(spec, chamber).await;
        }
        let (spec, board) = self.boards.get(name)?;
        make_board_safe(spec, board).await
    }

    /// The hard stop after a second signal: only the source's output off, at once.
    pub async fn emergency_output_off(&self, log: &EventLog) -> bool {
        let Some((spec, source)) = &self.source else {
            return true;
        };
        let source = source.clone();
        let r = clock::within(spec.timeout_s, async move {
            source.lock().await.set_output(false).await
        })
        .await;
        let r = r
            .map_err(|()| SafeStateError::TimedOut)
            .and_then(|r| r.map_err(SafeStateError::from));
        let ok = r.is_ok();
        log.emit(EventKind::SafeState {
            instrument: spec.name.clone(),
            action: "hard stop: output off".into(),
            ok,
            error: r.err().map(|e| e.to_string()),
        });
        ok
    }
}

/// A safe-state attempt that may time out.
fn bounded(r: Result<Result<(), SafeStateError>, ()>) -> Result<(), SafeStateError> {
    r.map_err(|()| SafeStateError::TimedOut).and_then(|r| r)
}

async fn make_source_safe(spec: &InstrumentSpec, source: &SharedSource) -> Option<Attempt> {
    let SafeState::Source {
        current_limit_a,
        sink_limit_a,
        voltage_v,
    } = spec.safe_state
    else {
        return None;
    };
    let source = source.clone();
    let r = clock::within(spec.timeout_s * 5.0, async move {
        let mut s = source.lock().await;
        // Output off first: whatever fails after it, nothing is energised.
        s.set_output(false).await?;
        s.set_current_limit(current_limit_a).await?;
        s.set_sink_limit(sink_limit_a).await?;
        if let Some(v) = voltage_v {
            s.set_voltage(v).await?;
        }
        Ok::<(), SafeStateError>(())
    })
    .await;
    let mut action =
        format!("output off, current limit {current_limit_a} A, sink limit {sink_limit_a} A");
    if let Some(v) = voltage_v {
        action.push_str(&format!(", voltage {v} V"));
    }
    Some((action, bounded(r)))
}

async fn make_chamber_safe(spec: &InstrumentSpec, chamber: &SharedChamber) -> Option<Attempt> {
    let SafeState::Chamber { setpoint_c, run } = spec.safe_state else {
        return None;
    };
    let chamber = chamber.clone();
    let r = clock::within(spec.timeout_s * 4.0, async move {
        let mut c = chamber.lock().await;
        if let Some(t) = setpoint_c {
            c.set_point(t).await?;
        }
        Ok::<(), SafeStateError>(c.set_running(run).await?)
    })
    .await;
    let mut action = if run {
        "conditioning on".to_string()
    } else {
        "conditioning stopped".to_string()
    };
    if let Some(t) = setpoint_c {
        action = format!("set point {t} degC, {action}");
    }
    Some((action, bounded(r)))
}

async fn make_board_safe(spec: &InstrumentSpec, board: &SharedBoard) -> Option<Attempt> {
    let SafeState::Board { closed, wired } = &spec.safe_state else {
        return None;
    };
    let board = board.clone();
    let (closed, wired) = (closed.clone(), wired.clone());
    let action = if closed.is_empty() {
        "all relays open".to_string()
    } else {
        format!("relays open except channel {:?} closed", closed)
    };
    let r = clock::within(spec.timeout_s * 10.0, async move {
        let mut b = board.lock().await;
        Ok::<(), SafeStateError>(b.apply_safe(&closed, &wired).await?)
    })
    .await;
    Some((action, bounded(r)))
}

/// Open a fresh connection to a source and switch its output off (opening does that),
/// then program its safe limits.
async fn reconnect_source(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
) -> Result<(), SafeStateError> {
    let SafeState::Source {
        current_limit_a,
        sink_limit_a,
        ..
    } = spec.safe_state
    else {
        return Ok(());
    };
    let attempt = async {
        let (mut source, _) = open_source(spec, connector, traffic)
            .await
            .map_err(|f| SafeStateError::Connect(f.cause))?;
        source.set_output(false).await?;
        source.set_current_limit(current_limit_a).await?;
        Ok::<(), SafeStateError>(source.set_sink_limit(sink_limit_a).await?)
    };
    clock::within(spec.timeout_s * 6.0, attempt)
        .await
        .map_err(|()| SafeStateError::TimedOut)?
}

/// Open a fresh connection to a relay board and set its relays to the safe state.
async fn reconnect_board(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
) -> Result<(), SafeStateError> {
    let SafeState::Board { closed, wired } = &spec.safe_state else {
        return Ok(());
    };
    let attempt = async {
        let (mut board, _) = open_board(spec, connector, traffic)
            .await
            .map_err(|f| SafeStateError::Connect(f.cause))?;
        Ok::<(), SafeStateError>(board.apply_safe(closed, wired).await?)
    };
    clock::within(spec.timeout_s * 12.0, attempt)
        .await
        .map_err(|()| SafeStateError::TimedOut)?
}
