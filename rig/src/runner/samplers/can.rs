//! The BMS's CAN frames: logged, decoded with the DBC, and `<link>.online`.

use std::time::Duration;

use rig_drivers::can::{CanDatabase, CanFrame, CanId, CanPort, MAX_DATA_LEN};
use rig_reports::wire::{LineId, Payload, Piece, Way};
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
    let CanLink { name, port, db } = link;
    let mut sampler = CanSampler {
        clock: log.clock(),
        port,
        ingest: FrameIngest::new(name, db, &channels, log, tx),
    };
    // Both ends are quiet ones: the executor has gone, or the link failed (and said so).
    let _ended = sampler.run(silence).await;
}

/// The executor is gone (a send failed): the sampler has no one to feed.
pub(crate) struct Ended;

/// The channel (and its type) of each signal of a message, by the signal's index.
type Route = Vec<Option<(ChannelId, Type)>>;

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
    port: CanPort,
    clock: RunClock,
    ingest: FrameIngest,
}

/// What one received frame costs: its period, the log, `online`, and the signals the
/// DBC decodes into channels. The sampler runs it for every frame, and so does the CAN
/// ingest benchmark ([`crate::runner::CanIngest`]).
pub(crate) struct FrameIngest {
    name: String,
    db: CanDatabase,
    channels: LinkChannels,
    log: EventLog,
    tx: UnboundedSender<Feed>,
    /// Each frame id seen, in a list: a bus carries a handful of ids, found sooner by
    /// comparing than by hashing.
    routes: Vec<KnownId>,
}

/// A frame id seen, with what its frames need found once: the channel (and its type)
/// of each of its message's signals by index, so a frame's signals are not looked up
/// by name, and its text and line for the log.
struct KnownId {
    id: CanId,
    text: String,
    line: Option<LineId>,
    route: Route,
}

impl CanSampler {
    async fn run(&mut self, silence: Duration) -> Result<(), Ended> {
        let clock = self.clock;
        let mut last_frame = clock.now();
        let mut is_online = false;
        self.ingest.online(false, last_frame)?;
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
                r = self.port.recv() => Some(r),
                () = clock.sleep_until(deadline) => None,
            };
            match received {
                Some(Ok(frame)) => {
                    last_frame = clock.now();
                    self.ingest.frame(&frame, last_frame)?;
                    is_online = true;
                }
                Some(Err(e)) => {
                    let failure = InstrumentFailure::new(&self.ingest.name, e);
                    let _ = self.ingest.tx.send(Feed::Failed(failure));
                    return Ok(());
                }
                None => {
                    is_online = false;
                    self.ingest.online(false, clock.now())?;
                }
            }
        }
    }
}

impl FrameIngest {
    pub(crate) fn new(
        name: String,
        db: CanDatabase,
        channels: &Channels,
        log: EventLog,
        tx: UnboundedSender<Feed>,
    ) -> FrameIngest {
        FrameIngest {
            channels: LinkChannels::of(channels, &name),
            name,
            db,
            log,
            tx,
            routes: Vec::new(),
        }
    }

    /// A frame at `t`: its period, the log, `online`, and the signals the DBC decodes,
    /// sent to the executor in that order as one message.
    pub(crate) fn frame(&mut self, frame: &CanFrame, t: Duration) -> Result<(), Ended> {
        let i = self.route(frame.id());
        // The period, `online` and each signal: one allocation a frame.
        let mut values = Vec::with_capacity(self.routes[i].route.len() + 2);
        if let Some((_, period_id, last)) = self
            .channels
            .periods
            .iter_mut()
            .find(|(id, _, _)| *id == frame.id())
            && let Some(previous) = last.replace(t)
        {
            let seconds = t.saturating_sub(previous).as_secs_f64();
            values.push((*period_id, Value::Num(Quantity::new(seconds, Dim::Time))));
        }
        // CAN frames bypass the drivers' traffic reports (they are logged here), so
        // their diagnostic is here too.
        tracing::debug!(instrument = %self.name, "<- {frame}");
        let known = &self.routes[i];
        // Frames that repeat their data are counted, not written (rig_reports::wire).
        let mut hex = [0; 2 * MAX_DATA_LEN];
        let hex = frame.data_hex_in(&mut hex);
        let piece = || Piece {
            way: Way::Frame(known.text.clone()),
            payload: Payload::Text(hex.to_string()),
        };
        // No line only when the log's lock was poisoned: the log takes nothing then.
        if let Some(line) = known.line {
            self.log.frame_at(t, line, hex, piece);
        }
        let route = &known.route;
        values.extend(self.channels.online.map(|id| (id, Value::Bool(true))));
        // Frames the DBC does not describe are logged above and otherwise ignored.
        let _unknown = self.db.decode_each(frame, |index, _, value| {
            let Some(Some((id, ty))) = route.get(index) else {
                return;
            };
            let value = match ty {
                Type::Bool => Value::Bool(value != 0.0),
                Type::Num(dim) => Value::Num(Quantity::new(value, *dim)),
            };
            values.push((*id, value));
        });
        if values.is_empty() {
            return Ok(());
        }
        (self.tx.send(Feed::Samples { t, values })).map_err(|_closed| Ended)
    }

    /// Where in `routes` the route of the frame id's signals is, made the first time
    /// the id is seen.
    fn route(&mut self, id: CanId) -> usize {
        match self.routes.iter().position(|known| known.id == id) {
            Some(i) => i,
            None => {
                let text = id.to_string();
                self.routes.push(KnownId {
                    id,
                    line: self.log.can_line(&self.name, &text),
                    route: self.route_of(id),
                    text,
                });
                self.routes.len() - 1
            }
        }
    }

    /// The channel of each signal of the frame's message, by the signal's index.
    fn route_of(&self, id: CanId) -> Route {
        (self.db.signal_names(id).into_iter())
            .map(|name| {
                (self.channels.signals.iter())
                    .find(|(n, _, _)| n == name)
                    .map(|(_, id, ty)| (*id, *ty))
            })
            .collect()
    }

    fn online(&self, online: bool, t: Duration) -> Result<(), Ended> {
        match self.channels.online {
            Some(id) => self.send(id, Value::Bool(online), t),
            None => Ok(()),
        }
    }

    fn send(&self, id: ChannelId, value: Value, t: Duration) -> Result<(), Ended> {
        send(&self.tx, id, value, t)
    }
}

fn send(tx: &UnboundedSender<Feed>, id: ChannelId, value: Value, t: Duration) -> Result<(), Ended> {
    tx.send(Feed::Sample { id, value, t })
        .map_err(|_closed| Ended)
}
