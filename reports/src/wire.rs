//! Wire traffic in the log, compacted without loss: what changes is logged piece by
//! piece (`sent`, `received`), and a stretch of pieces that repeat the ones before them
//! (a poll answered the same way, an unanswered poll of a sleeping pack) becomes one
//! `repeated` event with the count and the span. A 48 h plan's polls would otherwise
//! be nine tenths of its log.
//!
//! The writer ([`Compactor`]) and the reader ([`Expander`]) keep the same short history
//! of each instrument's pieces, so a reader replays a `repeated` event into exactly the
//! pieces it stands for, in their order on that instrument; only their times are
//! spread evenly over the span. A Modbus TCP transaction id, which counts on with every
//! request, is compared as its step from the previous one, so polls over Modbus TCP
//! repeat too.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use crate::event::{After, Event, EventKind, round_time};
use crate::wire_edit::{self, Edit};

/// How many pieces back a repeat is looked for: the longest poll cycle of one
/// instrument (request and answer count as two) that compacts.
const HISTORY: usize = 64;

/// What went over the wire in one piece.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// A line of a text protocol.
    Text(String),
    /// Bytes of a binary protocol (`hex` in the log).
    Bytes(Vec<u8>),
    /// A piece the log holds neither as text nor as hex.
    Empty,
}

/// Which way a piece went: to or from an instrument, or a frame on a CAN bus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Way {
    Sent,
    Received,
    /// A frame with this id; each id is a line of its own (its own history), so one
    /// signal changing does not break the repeats of the others.
    Frame(String),
}

/// One piece of traffic: which way, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub way: Way,
    pub payload: Payload,
}

impl Piece {
    /// The piece a `sent`, `received` or `can_frame` event holds, with its instrument.
    pub fn of(kind: &EventKind) -> Option<(&str, Piece)> {
        let (way, instrument, text, hex) = match kind {
            EventKind::Sent {
                instrument,
                text,
                hex,
            } => (Way::Sent, instrument, text, hex),
            EventKind::Received {
                instrument,
                text,
                hex,
            } => (Way::Received, instrument, text, hex),
            EventKind::CanFrame {
                instrument,
                id,
                data,
            } => {
                let payload = Payload::Text(data.clone());
                let way = Way::Frame(id.clone());
                return Some((instrument, Piece { way, payload }));
            }
            _ => return None,
        };
        let payload = match (text, hex) {
            (Some(t), _) => Payload::Text(t.clone()),
            // Hex the writer did not write (a corrupt line) is kept as text: exact
            // enough for a piece nobody can decode anyway.
            (None, Some(h)) => {
                parse_hex(h).map_or_else(|| Payload::Text(h.clone()), Payload::Bytes)
            }
            (None, None) => Payload::Empty,
        };
        Some((instrument, Piece { way, payload }))
    }

    /// The line of its instrument the piece is compared on: a CAN id, or none.
    fn line(&self) -> &str {
        match &self.way {
            Way::Frame(id) => id,
            Way::Sent | Way::Received => "",
        }
    }

    /// The `sent`, `received` or `can_frame` event of this piece.
    pub fn event(&self, instrument: &str) -> EventKind {
        let instrument = instrument.to_string();
        let (text, hex) = match &self.payload {
            Payload::Text(t) => (Some(t.clone()), None),
            Payload::Bytes(b) => (None, Some(hex(b))),
            Payload::Empty => (None, None),
        };
        match &self.way {
            Way::Sent => EventKind::Sent {
                instrument,
                text,
                hex,
            },
            Way::Received => EventKind::Received {
                instrument,
                text,
                hex,
            },
            Way::Frame(id) => EventKind::CanFrame {
                instrument,
                id: id.clone(),
                data: text.or(hex).unwrap_or_default(),
            },
        }
    }
}

/// Bytes as the log writes them: upper-case hex pairs separated by spaces.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    text.split_whitespace()
        .map(|pair| u8::from_str_radix(pair, 16).ok())
        .collect()
}

/// The Modbus TCP transaction id of an ADU: an MBAP header (protocol id 0, a length
/// that matches) before a PDU. Other bytes have none.
fn transaction_id(bytes: &[u8]) -> Option<u16> {
    let header = bytes.get(..6)?;
    let length = usize::from(u16::from_be_bytes([header[4], header[5]]));
    (bytes.len() >= 8 && header[2] == 0 && header[3] == 0 && length == bytes.len() - 6)
        .then(|| u16::from_be_bytes([header[0], header[1]]))
}

/// How a transaction id is remembered: as its step from the previous one, or as itself
/// when there is no previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tid {
    None,
    Absolute(u16),
    Step(u16),
}

/// A piece as compared with the pieces before it: its transaction id, if any, as a step.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Key {
    // Keys are compared field by field: the fingerprint first, so the search for a
    // period over the history mostly compares numbers; then the payload, as on one
    // line the way is nearly always the same.
    fingerprint: u64,
    /// The payload with a transaction id zeroed.
    payload: Payload,
    tid: Tid,
    way: Way,
}

impl Key {
    fn new(way: Way, tid: Tid, payload: Payload) -> Key {
        Key {
            fingerprint: fingerprint(&payload),
            payload,
            tid,
            way,
        }
    }
}

/// FNV-1a of the payload's bytes: equal payloads give equal fingerprints, and unequal
/// ones nearly never do. By hand: a hasher crate for one short loop is not worth it.
fn fingerprint(payload: &Payload) -> u64 {
    let bytes = match payload {
        Payload::Text(t) => t.as_bytes(),
        Payload::Bytes(b) => b,
        Payload::Empty => &[],
    };
    (bytes.iter()).fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One instrument's recent pieces, kept the same way by writer and reader. Shared
/// (`Arc`): a repeat pushes the piece it repeats again, without a copy, and pieces
/// that are one compare equal at once.
#[derive(Default)]
struct Line {
    history: VecDeque<Arc<Key>>,
    last_tid: Option<u16>,
}

impl Line {
    fn key(&self, piece: &Piece) -> Key {
        self.key_of(piece.clone())
    }

    /// [`Line::key`] taking the piece: the writer's hot path clones nothing.
    fn key_of(&self, piece: Piece) -> Key {
        let Piece { way, mut payload } = piece;
        let mut tid = Tid::None;
        if let Payload::Bytes(b) = &mut payload
            && let Some(id) = transaction_id(b)
        {
            tid = match self.last_tid {
                Some(last) => Tid::Step(id.wrapping_sub(last)),
                None => Tid::Absolute(id),
            };
            b[0] = 0;
            b[1] = 0;
        }
        Key::new(way, tid, payload)
    }

    /// The piece `key` stands for after the pieces seen so far.
    fn piece(&self, key: &Key) -> Piece {
        let mut payload = key.payload.clone();
        let id = match key.tid {
            Tid::None => None,
            Tid::Absolute(id) => Some(id),
            Tid::Step(step) => Some(self.last_tid.unwrap_or(0).wrapping_add(step)),
        };
        if let (Payload::Bytes(b), Some(id)) = (&mut payload, id)
            && b.len() >= 2
        {
            b[..2].copy_from_slice(&id.to_be_bytes());
        }
        Piece {
            way: key.way.clone(),
            payload,
        }
    }

    fn push(&mut self, key: Arc<Key>) {
        match key.tid {
            Tid::None => {}
            Tid::Absolute(id) => self.last_tid = Some(id),
            Tid::Step(step) => self.last_tid = Some(self.last_tid.unwrap_or(0).wrapping_add(step)),
        }
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(key);
    }

    /// The piece `period` pieces back, which a repeat of that period comes next
    /// (`None` for 0 and for more than the history holds: a corrupt log).
    fn back(&self, period: usize) -> Option<&Arc<Key>> {
        let i = self.history.len().checked_sub(period)?;
        self.history.get(i).filter(|_| period > 0)
    }

    /// The earlier piece, the same way, that `key` is the shortest edit of, as how far
    /// back it is and the edit; `None` unless the edit is shorter than `key` whole.
    /// Ties go to the nearest. Pieces with a transaction id are always logged whole.
    fn edit_of(&self, key: &Key) -> Option<(usize, Edit)> {
        let whole = wire_edit::whole_len(&key.payload);
        if key.tid != Tid::None || whole < wire_edit::MIN_LEN {
            return None;
        }
        let mut best: Option<(usize, Edit, usize)> = None;
        for (back, base) in (1..).zip(self.history.iter().rev()) {
            if base.way != key.way || base.tid != Tid::None {
                continue;
            }
            if let Some((edit, cost)) = wire_edit::edit(&base.payload, &key.payload)
                && best.as_ref().is_none_or(|b| cost < b.2)
            {
                best = Some((back, edit, cost));
            }
        }
        // A `diff` event spends about eight bytes more than a whole piece on its keys.
        let (back, edit, cost) = best?;
        (cost + 8 < whole).then_some((back, edit))
    }

    /// The period `key` repeats with, if the pieces before it repeat with it too: the
    /// one that agrees for the most periods back (the shortest of equals), so a cycle of
    /// 16 pieces is not taken for its first four, nor a poll whose answer just changed
    /// for the poll that gave that answer long ago (an LED's input: one line a toggle,
    /// not one per poll until the old pattern is past). One piece alone is often chance
    /// (`0` answered to two different questions), so a piece before it must agree as
    /// well, and more than an eighth of the period; the one just before may differ (the
    /// new value that ended the last stretch).
    fn period_of(&self, key: &Key) -> Option<usize> {
        let h = &self.history;
        let n = h.len();
        let agreement = |p: usize| {
            let agrees = |i: &usize| h[n - i] == h[n - i - p];
            let first = usize::from(agrees(&1));
            first + (2..=n - p).take_while(agrees).count()
        };
        // Pieces that agree, the key with them, per piece of the period: compared as
        // `a1 / p` without division.
        let better =
            |(a1, p): (usize, usize), (best_a1, best_p): (usize, usize)| a1 * best_p > best_a1 * p;
        let mut best: Option<(usize, usize)> = None;
        for p in 1..n {
            // The most that can agree at this period (all `n - p`) would not do better.
            if *h[n - p] != *key || best.is_some_and(|b| !better((n - p + 1, p), b)) {
                continue;
            }
            let a = agreement(p);
            let a1 = a + 1;
            if a >= 1 && 8 * a1 > p && best.is_none_or(|b| better((a1, p), b)) {
                best = Some((a1, p));
            }
        }
        best.map(|(_, p)| p)
    }
}

/// A stretch of repeats not yet written.
struct Run {
    period: usize,
    count: u64,
    since: f64,
    last: f64,
}

/// One line as the writer keeps it: its names for the events, its history and the
/// stretch of repeats under way.
struct Writing {
    instrument: String,
    id: String,
    line: Line,
    run: Option<Run>,
}

/// Lines by instrument and CAN id (`""` for an instrument's own traffic), sorted so
/// summaries come out in the same order in every run.
type Lines<T> = BTreeMap<String, BTreeMap<String, T>>;

fn line_mut<'a, T: Default>(lines: &'a mut Lines<T>, instrument: &str, id: &str) -> &'a mut T {
    // Looked up by `&str` first: the entry API would allocate both keys each time.
    if !lines.contains_key(instrument) {
        lines.insert(instrument.to_string(), BTreeMap::new());
    }
    let by_id = lines.get_mut(instrument).expect("inserted above");
    if !by_id.contains_key(id) {
        by_id.insert(id.to_string(), T::default());
    }
    by_id.get_mut(id).expect("inserted above")
}

/// A line of a [`Compactor`] (an instrument's own traffic, or one CAN id of it), found
/// once with [`Compactor::line`]: a busy bus's frames then skip the lookup by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineId(usize);

/// The writer's side: pieces in, the events to log out.
#[derive(Default)]
pub struct Compactor {
    /// Where each line is in `lines`, by name, in the order summaries are written.
    index: Lines<Option<usize>>,
    lines: Vec<Writing>,
}

impl Compactor {
    /// The line of `instrument`'s CAN id `id` (`""`: its own traffic), made the first
    /// time it is asked for.
    pub fn line(&mut self, instrument: &str, id: &str) -> LineId {
        let slot = line_mut(&mut self.index, instrument, id);
        let i = *slot.get_or_insert_with(|| {
            self.lines.push(Writing {
                instrument: instrument.to_string(),
                id: id.to_string(),
                line: Line::default(),
                run: None,
            });
            self.lines.len() - 1
        });
        LineId(i)
    }

    /// The events to log for `piece` on `instrument` at `t` (seconds): none while it
    /// repeats; else the piece itself, carrying the stretch of repeats it ends (`after`),
    /// or, when the piece starts a new stretch at once, only the old stretch's summary.
    pub fn piece(&mut self, instrument: &str, t: f64, piece: Piece) -> Vec<Logged> {
        let line = self.line(instrument, piece.line());
        self.piece_on(line, t, piece)
    }

    /// [`Compactor::piece`] on a line found before; `piece` must be of that line.
    pub fn piece_on(&mut self, line: LineId, t: f64, piece: Piece) -> Vec<Logged> {
        let Some(Writing {
            instrument,
            id,
            line,
            run,
        }) = self.lines.get_mut(line.0)
        else {
            return Vec::new();
        };
        debug_assert_eq!(piece.line(), id.as_str(), "a piece of another line");
        let key = line.key_of(piece);
        if let Some(r) = run
            && let Some(next) = line.back(r.period).filter(|k| ***k == key).cloned()
        {
            r.count += 1;
            r.last = t;
            line.push(next);
            return Vec::new();
        }
        let ended = run.take();
        let mut out = Vec::new();
        if let Some(period) = line.period_of(&key) {
            out.extend(ended.map(|r| summary(instrument, id, r)));
            *run = Some(Run {
                period,
                count: 1,
                since: t,
                last: t,
            });
        } else {
            let kind = match line.edit_of(&key) {
                Some((back, edit)) => EventKind::Diff {
                    instrument: instrument.clone(),
                    id: (!id.is_empty()).then(|| id.clone()),
                    back,
                    edit,
                },
                // The piece itself, as the key gives it back before it is pushed.
                None => line.piece(&key).event(instrument),
            };
            let after =
                ended.map(|r| After(r.period, r.count, round_time(r.since), round_time(r.last)));
            out.push(Logged { t, kind, after });
        }
        line.push(Arc::new(key));
        out
    }

    /// Counts a CAN frame with the data `hex` on `line` as a repeat when it is the piece
    /// the stretch of repeats under way comes to next (true: nothing to log); false
    /// otherwise, and the frame is then handed over whole ([`Compactor::piece_on`]).
    /// Borrowed, so the frames a busy bus repeats build no piece at all.
    pub fn repeat_frame(&mut self, line: LineId, t: f64, hex: &str) -> bool {
        let Some(Writing { line, run, .. }) = self.lines.get_mut(line.0) else {
            return false;
        };
        let Some(r) = run else {
            return false;
        };
        // Every piece of a CAN id's line is a frame of that id: the payload decides.
        let next = line.back(r.period).filter(|k| {
            matches!(k.way, Way::Frame(_))
                && k.tid == Tid::None
                && matches!(&k.payload, Payload::Text(text) if text == hex)
        });
        let Some(next) = next.cloned() else {
            return false;
        };
        r.count += 1;
        r.last = t;
        line.push(next);
        true
    }

    /// Every stretch of repeats not yet written, as events (the history stays: the next
    /// repeat starts a new stretch at once).
    pub fn drain(&mut self) -> Vec<Logged> {
        let mut out = Vec::new();
        for i in self
            .index
            .values()
            .flat_map(|by_id| by_id.values().flatten())
        {
            if let Some(w) = self.lines.get_mut(*i) {
                out.extend(w.run.take().map(|r| summary(&w.instrument, &w.id, r)));
            }
        }
        out
    }
}

/// An event for the log, with the repeats before it when it carries them.
#[derive(Clone, Debug, PartialEq)]
pub struct Logged {
    pub t: f64,
    pub kind: EventKind,
    pub after: Option<After>,
}

fn summary(instrument: &str, id: &str, run: Run) -> Logged {
    Logged {
        t: run.last,
        kind: EventKind::Repeated {
            instrument: instrument.to_string(),
            id: (!id.is_empty()).then(|| id.to_string()),
            period: run.period,
            count: run.count,
            since: run.since,
        },
        after: None,
    }
}

/// The instrument and CAN id (`None` for an instrument's own traffic) a wire event is
/// on; `None` for other events.
pub fn line_of(kind: &EventKind) -> Option<(&str, Option<&str>)> {
    match kind {
        EventKind::Sent { instrument, .. } | EventKind::Received { instrument, .. } => {
            Some((instrument, None))
        }
        EventKind::CanFrame { instrument, id, .. } => Some((instrument, Some(id))),
        EventKind::Repeated { instrument, id, .. } | EventKind::Diff { instrument, id, .. } => {
            Some((instrument, id.as_deref()))
        }
        _ => None,
    }
}

/// The reader's side: `sent`, `received` and `can_frame` events in (to follow each
/// line), `repeated` events replayed into the pieces they stand for.
#[derive(Default)]
pub struct Expander {
    lines: Lines<Line>,
}

impl Expander {
    /// Follow a piece read from the log.
    pub fn seen(&mut self, instrument: &str, piece: &Piece) {
        let line = line_mut(&mut self.lines, instrument, piece.line());
        let key = line.key(piece);
        line.push(Arc::new(key));
    }

    /// The next piece a `repeated` event on `instrument` (and CAN `id`) with `period`
    /// stands for; `None` when the log has too few pieces before it (a corrupt log).
    pub fn replay(&mut self, instrument: &str, id: Option<&str>, period: usize) -> Option<Piece> {
        let line = self.lines.get_mut(instrument)?.get_mut(id.unwrap_or(""))?;
        let key = Arc::clone(line.back(period)?);
        let piece = line.piece(&key);
        line.push(key);
        Some(piece)
    }

    /// Every piece `event` stands for, in order: the repeats it comes `after`, then
    /// itself; none for an event that is not wire traffic, and as many as fit the
    /// pieces before it for a corrupt log.
    pub fn expand(&mut self, event: &Event) -> Vec<Piece> {
        let mut out = Vec::new();
        let Some((instrument, id)) = line_of(&event.kind) else {
            return out;
        };
        let mut replay = |x: &mut Expander, period: usize, count: u64| {
            for _ in 0..count {
                let Some(piece) = x.replay(instrument, id, period) else {
                    break;
                };
                out.push(piece);
            }
        };
        if let Some(After(period, count, ..)) = event.after {
            replay(self, period, count);
        }
        match &event.kind {
            EventKind::Repeated { period, count, .. } => replay(self, *period, *count),
            EventKind::Diff { back, edit, .. } => {
                out.extend(self.diff(instrument, id, *back, edit))
            }
            kind => {
                if let Some((instrument, piece)) = Piece::of(kind) {
                    self.seen(instrument, &piece);
                    out.push(piece);
                }
            }
        }
        out
    }

    /// The piece a `diff` event on `instrument` (and CAN `id`) stands for; `None` when
    /// the log has no such piece before it or the edit does not fit it (a corrupt log).
    pub fn diff(
        &mut self,
        instrument: &str,
        id: Option<&str>,
        back: usize,
        edit: &Edit,
    ) -> Option<Piece> {
        let line = self.lines.get_mut(instrument)?.get_mut(id.unwrap_or(""))?;
        let base = line.back(back)?;
        let payload = wire_edit::apply(&base.payload, edit)?;
        let key = Key::new(base.way.clone(), base.tid, payload);
        let piece = line.piece(&key);
        line.push(Arc::new(key));
        Some(piece)
    }
}

#[cfg(test)]
mod tests;
