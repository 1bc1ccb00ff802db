//! The BMS's CAN frames: logged, decoded with the DBC, and `<link>.online`.

use rig_drivers::can::CanFrame;
use rig_reports::EventKind;
use tokio::sync::mpsc::UnboundedSender;

use super::Feed;
use crate::bench::{ChannelKind, Channels};
use crate::expr::{ChannelId, Value};
use crate::quantity::Quantity;
use crate::runner::instruments::{CanLink, failure};
use crate::runner::log::EventLog;

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
    let mut periods: Vec<(rig_drivers::can::CanId, ChannelId, Option<f64>)> = channels
        .iter()
        .filter_map(|(id, s)| match s.kind {
            ChannelKind::CanPeriod { id: can_id } if s.name.starts_with(&prefix) => {
                Some((can_id, id, None))
            }
            _ => None,
        })
        .collect();
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
        if let Some((_, period_id, last)) = periods.iter_mut().find(|(id, _, _)| *id == frame.id())
            && let Some(previous) = last.replace(t)
            && tx
                .send(Feed::Sample {
                    id: *period_id,
                    value: Value::Num(Quantity::new(t - previous, crate::quantity::Dim::Time)),
                    t,
                })
                .is_err()
        {
            return;
        }
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
