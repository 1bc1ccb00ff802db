//! The BMS's CAN frames: logged, decoded with the DBC, and `<link>.online`.

use std::time::Duration;

use rig_drivers::can::{CanFrame, CanId};
use rig_reports::wire::{Payload, Piece, Way};
use tokio::sync::mpsc::UnboundedSender;

use super::Feed;
use crate::bench::{ChannelKind, Channels};
use crate::clock::RunClock;
use crate::expr::{ChannelId, Type, Value};
use crate::quantity::{Dim, Quantity};
use crate::runner::failure::InstrumentFailure;
use crate::runner::instruments::CanLink;
use crate::runner::log::EventLog;

/// Receive the BMS's frames, log each, and decode them into channels with the DBC.
/// `<link>.online` is true from a frame until `silence` passes without one.
pub async fn can(
    link: CanLink,
    channels: Channels,
    silence: Duration,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let mut sampler = CanSampler {
        channels: LinkChannels::of(&channels, &link.name),
        clock: log.clock(),
        link,
        log,
        tx,
    };
    // Both ends are quiet ones: the executor has gone, or the link failed (and said so).
    let _ended = sampler.run(silence).await;
}

/// The executor is gone (a send failed): the sampler has no one to feed.
struct Ended;

/// The channels one CAN link feeds.
struct LinkChannels {
    /// DBC signal name, channel and its type.
    signals: Vec<(String, ChannelId, Type)>,
    online: Option<ChannelId>,
    /// Frame id, the channel of its period, and when it was last seen.
    periods: Vec<(CanId, ChannelId, Option<Duration>)>,
}

impl LinkChannels {
    fn of(channels: &Channels, link: &str) -> LinkChannels {
        let prefix = format!("{link}.");
        let mine = || channels.iter().filter(|(_, s)| s.name.starts_with(&prefix));
        LinkChannels {
            signals: mine()
                .filter_map(|(id, s)| match &s.kind {
                    ChannelKind::CanSignal { signal } => Some((signal.clone(), id, s.ty)),
                    _ => None,
                })
                .collect(),
            online: mine()
                .find(|(_, s)| s.kind == ChannelKind::CanOnline)
                .map(|(id, _)| id),
            periods: mine()
                .filter_map(|(id, s)| match s.kind {
                    ChannelKind::CanPeriod { id: can_id } => Some((can_id, id, None)),
                    _ => None,
                })
                .collect(),
        }
    }
}

struct CanSampler {
    link: CanLink,
    channels: LinkChannels,
    clock: RunClock,
    log: EventLog,
    tx: UnboundedSender<Feed>,
}

impl CanSampler {
    async fn run(&mut self, silence: Duration) -> Result<(), Ended> {
        let clock = self.clock;
        let mut last_frame = clock.now();
        let mut is_online = false;
        self.online(false, last_frame)?;
        loop {
            // Online: wait for a frame until the silence ends. Offline: say so again every
            // `silence`, so expectations on `online` get fresh readings while it sleeps.
            let deadline = if is_online {
                last_frame + silence
            } else {
                clock.now() + silence
            };
            let received = tokio::select! {
                biased;
                r = self.link.port.recv() => Some(r),
                () = clock.sleep_until(deadline) => None,
            };
            match received {
                Some(Ok(frame)) => {
                    last_frame = clock.now();
                    self.on_frame(&frame, last_frame)?;
                    is_online = true;
                }
                Some(Err(e)) => {
                    let _ = self
                        .tx
                        .send(Feed::Failed(InstrumentFailure::new(&self.link.name, e)));
                    return Ok(());
                }
                None => {
                    is_online = false;
                    self.online(false, clock.now())?;
                }
            }
        }
    }

    /// A frame at `t`: its period, the log, `online`, and the signals the DBC decodes.
    fn on_frame(&mut self, frame: &CanFrame, t: Duration) -> Result<(), Ended> {
        if let Some((_, period_id, last)) = self
            .channels
            .periods
            .iter_mut()
            .find(|(id, _, _)| *id == frame.id())
            && let Some(previous) = last.replace(t)
        {
            let seconds = t.saturating_sub(previous).as_secs_f64();
            let period = Value::Num(Quantity::new(seconds, Dim::Time));
            let id = *period_id;
            self.send(id, period, t)?;
        }
        // Frames that repeat their data are counted, not written (rig_reports::wire).
        let piece = Piece {
            way: Way::Frame(frame.id().to_string()),
            payload: Payload::Text(frame.data_hex()),
        };
        self.log.wire_at(t, &self.link.name, piece);
        self.online(true, t)?;
        // Frames the DBC does not describe are logged above and otherwise ignored.
        let Ok(decoded) = self.link.db.decode(frame) else {
            return Ok(());
        };
        for signal in decoded.signals {
            let Some((_, id, ty)) = self
                .channels
                .signals
                .iter()
                .find(|(n, _, _)| *n == signal.name)
            else {
                continue;
            };
            let value = match ty {
                Type::Bool => Value::Bool(signal.value != 0.0),
                Type::Num(dim) => Value::Num(Quantity::new(signal.value, *dim)),
            };
            self.send(*id, value, t)?;
        }
        Ok(())
    }

    fn online(&self, online: bool, t: Duration) -> Result<(), Ended> {
        match self.channels.online {
            Some(id) => self.send(id, Value::Bool(online), t),
            None => Ok(()),
        }
    }

    fn send(&self, id: ChannelId, value: Value, t: Duration) -> Result<(), Ended> {
        self.tx
            .send(Feed::Sample { id, value, t })
            .map_err(|_closed| Ended)
    }
}
