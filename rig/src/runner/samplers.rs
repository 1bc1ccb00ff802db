//! Samplers: tasks that read instruments continuously, independent of the steps, and
//! feed readings (or the failure of an instrument) to the executor.

use rig_drivers::can::CanFrame;
use rig_reports::EventKind;
use tokio::sync::mpsc::UnboundedSender;

use super::instruments::{CanLink, InstrumentFailure, SharedBoard, SharedSource, failure};
use super::log::EventLog;
use crate::bench::{Bench, ChannelKind, Channels};
use crate::expr::{ChannelId, Value};
use crate::quantity::{Dim, Quantity};

/// What samplers send to the executor.
#[derive(Debug)]
pub enum Feed {
    Sample {
        id: ChannelId,
        value: Value,
        t: f64,
    },
    Failed(InstrumentFailure),
    /// A measurement left the envelope; the source's output is already off.
    Violation(InstrumentFailure),
}

/// Measurement noise a reading may show beyond a limit before it counts as a
/// violation: 1 % of the limit, at least 0.1 V or 0.5 A.
fn beyond(value: f64, limit: f64, floor: f64) -> bool {
    value > limit + (limit.abs() * 0.01).max(floor)
}

/// The envelope as the source's sampler checks it on every reading, independent of the
/// steps: a violation switches the output off at once, then aborts the run.
#[derive(Clone, Debug, Default)]
pub struct SourceGuard {
    max_voltage: Option<f64>,
    min_voltage: Option<f64>,
    max_charge_a: Option<f64>,
    max_discharge_a: Option<f64>,
}

impl SourceGuard {
    pub fn of(envelope: &crate::plan::EnvelopeLimits) -> SourceGuard {
        SourceGuard {
            max_voltage: envelope.max_voltage,
            min_voltage: envelope.min_voltage,
            max_charge_a: envelope.max_charge_a,
            max_discharge_a: envelope.max_discharge_a,
        }
    }

    /// What was violated, if anything. Current is positive into the pack.
    pub fn check(&self, volts: f64, amps: f64) -> Option<String> {
        if let Some(max) = self.max_voltage
            && beyond(volts, max, 0.1)
        {
            return Some(format!(
                "pack voltage {volts:.3} V above the envelope's maximum {max} V"
            ));
        }
        if let Some(min) = self.min_voltage
            && beyond(-volts, -min, 0.1)
        {
            return Some(format!(
                "pack voltage {volts:.3} V below the envelope's minimum {min} V"
            ));
        }
        if let Some(max) = self.max_charge_a
            && beyond(amps, max, 0.5)
        {
            return Some(format!(
                "charge current {amps:.2} A above the envelope's maximum {max} A"
            ));
        }
        if let Some(max) = self.max_discharge_a
            && beyond(-amps, max, 0.5)
        {
            return Some(format!(
                "discharge current {:.2} A above the envelope's maximum {max} A",
                -amps
            ));
        }
        None
    }
}

/// Poll the source's measurements every `period_s`.
pub async fn source(
    source: SharedSource,
    name: String,
    channels: Channels,
    period_s: f64,
    guard: SourceGuard,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let find = |kind: ChannelKind| {
        channels
            .iter()
            .find(|(_, s)| s.kind == kind && s.name.starts_with(&format!("{name}.")))
            .map(|(id, _)| id)
    };
    let (v_id, i_id, o_id) = (
        find(ChannelKind::SourceVoltage),
        find(ChannelKind::SourceCurrent),
        find(ChannelKind::SourceOutput),
    );
    let clock = log.clock();
    let mut next = clock.now_s();
    loop {
        let reading = {
            let mut s = source.lock().await;
            let reading = async {
                let v = s.measure_voltage().await?;
                let i = s.measure_current().await?;
                let o = s.output().await?;
                Ok::<_, rig_drivers::scpi::ScpiError>((v, i, o))
            }
            .await;
            if let Ok((v, i, _)) = reading
                && let Some(violation) = guard.check(v, i)
            {
                // Off first, while the lock is held: nothing else gets a command in.
                let off = s.set_output(false).await;
                let message = match off {
                    Ok(()) => format!("envelope violation: {violation}; output switched off"),
                    Err(e) => format!(
                        "envelope violation: {violation}; switching the output off failed: {e}"
                    ),
                };
                let _ = tx.send(Feed::Violation(failure(&name, message)));
                return;
            }
            reading
        };
        let t = clock.now_s();
        match reading {
            Ok((v, i, o)) => {
                for (id, value) in [
                    (v_id, Value::Num(Quantity::new(v, Dim::Voltage))),
                    (i_id, Value::Num(Quantity::new(i, Dim::Current))),
                    (o_id, Value::Bool(o)),
                ] {
                    if let Some(id) = id
                        && tx.send(Feed::Sample { id, value, t }).is_err()
                    {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = tx.send(Feed::Failed(failure(&name, e)));
                return;
            }
        }
        next += period_s;
        clock.sleep_until_s(next.max(clock.now_s())).await;
    }
}

/// Poll a relay board's relays and inputs every `period_s`.
pub async fn board(
    board: SharedBoard,
    name: String,
    bench: Bench,
    channels: Channels,
    period_s: f64,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let relays: Vec<(ChannelId, usize, bool)> = bench
        .relays
        .iter()
        .filter(|(_, w)| w.board == name)
        .filter_map(|(n, w)| {
            channels
                .find(&format!("relays.{n}"))
                .map(|(id, _)| (id, usize::from(w.number - 1), w.invert))
        })
        .collect();
    let inputs: Vec<(ChannelId, usize, bool)> = bench
        .inputs
        .iter()
        .filter(|(_, w)| w.board == name)
        .filter_map(|(n, w)| {
            channels
                .find(&format!("dio.{n}"))
                .map(|(id, _)| (id, usize::from(w.number - 1), w.invert))
        })
        .collect();
    let clock = log.clock();
    let mut next = clock.now_s();
    loop {
        let reading = {
            let mut b = board.lock().await;
            async {
                let r = if relays.is_empty() {
                    [false; 8]
                } else {
                    b.read_relays().await?
                };
                let i = if inputs.is_empty() {
                    [false; 8]
                } else {
                    b.read_inputs().await?
                };
                Ok::<_, rig_drivers::modbus::RelayBoardError>((r, i))
            }
            .await
        };
        let t = clock.now_s();
        match reading {
            Ok((r, i)) => {
                for (id, index, invert) in relays
                    .iter()
                    .map(|&(id, n, inv)| (id, r[n], inv))
                    .chain(inputs.iter().map(|&(id, n, inv)| (id, i[n], inv)))
                {
                    if tx
                        .send(Feed::Sample {
                            id,
                            value: Value::Bool(index != invert),
                            t,
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = tx.send(Feed::Failed(failure(&name, e)));
                return;
            }
        }
        next += period_s;
        clock.sleep_until_s(next.max(clock.now_s())).await;
    }
}

/// Receive the BMS's frames, log each, and decode them into channels with the DBC.
/// `<link>.online` is true from a frame until `silence_s` passes without one.
pub async fn can(
    mut link: CanLink,
    channels: Channels,
    silence_s: f64,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let prefix = format!("{}.", link.name);
    let ids: Vec<(String, ChannelId, crate::expr::Type)> = channels
        .iter()
        .filter_map(|(id, s)| match &s.kind {
            ChannelKind::CanSignal { signal } if s.name.starts_with(&prefix) => {
                Some((signal.clone(), id, s.ty))
            }
            _ => None,
        })
        .collect();
    let online = channels
        .iter()
        .find(|(_, s)| s.kind == ChannelKind::CanOnline && s.name.starts_with(&prefix))
        .map(|(id, _)| id);
    let clock = log.clock();
    let mut last_frame = clock.now_s();
    let mut is_online = false;
    if let Some(id) = online
        && tx
            .send(Feed::Sample {
                id,
                value: Value::Bool(false),
                t: last_frame,
            })
            .is_err()
    {
        return;
    }
    loop {
        // Online: wait for a frame until the silence ends. Offline: say so again every
        // `silence_s`, so expectations on `online` get fresh readings while it sleeps.
        let deadline = if is_online {
            last_frame + silence_s
        } else {
            clock.now_s() + silence_s
        };
        let received = tokio::select! {
            biased;
            r = link.port.recv() => Some(r),
            () = clock.sleep_until_s(deadline) => None,
        };
        let frame: CanFrame = match received {
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                let _ = tx.send(Feed::Failed(failure(&link.name, e)));
                return;
            }
            None => {
                is_online = false;
                if let Some(id) = online
                    && tx
                        .send(Feed::Sample {
                            id,
                            value: Value::Bool(false),
                            t: clock.now_s(),
                        })
                        .is_err()
                {
                    return;
                }
                continue;
            }
        };
        let t = clock.now_s();
        last_frame = t;
        is_online = true;
        log.emit_at(
            t,
            EventKind::CanFrame {
                instrument: link.name.clone(),
                id: frame.id().to_string(),
                data: frame.data_hex(),
            },
        );
        if let Some(id) = online
            && tx
                .send(Feed::Sample {
                    id,
                    value: Value::Bool(true),
                    t,
                })
                .is_err()
        {
            return;
        }
        // Frames the DBC does not describe are logged above and otherwise ignored.
        let Ok(decoded) = link.db.decode(&frame) else {
            continue;
        };
        for signal in decoded.signals {
            let Some((_, id, ty)) = ids.iter().find(|(n, _, _)| *n == signal.name) else {
                continue;
            };
            let value = match ty {
                crate::expr::Type::Bool => Value::Bool(signal.value != 0.0),
                crate::expr::Type::Num(dim) => Value::Num(Quantity::new(signal.value, *dim)),
            };
            if tx.send(Feed::Sample { id: *id, value, t }).is_err() {
                return;
            }
        }
    }
}

/// Poll a chamber's air temperature and set point every `period_s`.
pub async fn chamber(
    chamber: super::instruments::SharedChamber,
    name: String,
    channels: Channels,
    period_s: f64,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    use rig_drivers::chamber::Chamber;
    let find = |kind: ChannelKind| {
        channels
            .iter()
            .find(|(_, s)| s.kind == kind && s.name.starts_with(&format!("{name}.")))
            .map(|(id, _)| id)
    };
    let (pv_id, sp_id) = (
        find(ChannelKind::ChamberTemperature),
        find(ChannelKind::ChamberSetpoint),
    );
    let clock = log.clock();
    let mut next = clock.now_s();
    loop {
        let reading = {
            let mut c = chamber.lock().await;
            async {
                let pv = c.process_value().await?;
                let sp = c.read_set_point().await?;
                Ok::<_, rig_drivers::chamber::ChamberError>((pv, sp))
            }
            .await
        };
        let t = clock.now_s();
        match reading {
            Ok((pv, sp)) => {
                for (id, v) in [(pv_id, pv), (sp_id, sp)] {
                    if let Some(id) = id
                        && tx
                            .send(Feed::Sample {
                                id,
                                value: Value::Num(Quantity::new(v, Dim::Temperature)),
                                t,
                            })
                            .is_err()
                    {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = tx.send(Feed::Failed(failure(&name, e)));
                return;
            }
        }
        next += period_s;
        clock.sleep_until_s(next.max(clock.now_s())).await;
    }
}
