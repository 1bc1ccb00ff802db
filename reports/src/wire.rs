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
    // The payload first: keys are compared field by field, and on one line the way
    // is nearly always the same.
    /// The payload with a transaction id zeroed.
    payload: Payload,
    tid: Tid,
    way: Way,
}

/// One instrument's recent pieces, kept the same way by writer and reader.
#[derive(Default)]
struct Line {
    history: VecDeque<Key>,
    last_tid: Option<u16>,
}

impl Key {
    /// The line of its instrument the key's piece is on (see [`Piece::line`]).
    fn line(&self) -> &str {
        match &self.way {
            Way::Frame(id) => id,
            Way::Sent | Way::Received => "",
        }
    }
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
        Key { way, tid, payload }
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

    fn push(&mut self, key: Key) {
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
    fn back(&self, period: usize) -> Option<&Key> {
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
            if h[n - p] != *key || best.is_some_and(|b| !better((n - p + 1, p), b)) {
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

#[derive(Default)]
struct Writing {
    line: Line,
    run: Option<Run>,
}

/// Lines by instrument and CAN id (`""` for an instrument's own traffic), sorted so
/// summaries come out in the same order in every run.
type Lines<T> = BTreeMap<String, BTreeMap<String, T>>;

fn line_mut<'a, T: Default>(lines: &'a mut Lines<T>, instrument: &str, id: &str) -> &'a mut T {
    // Looked up by `&str` first: a busy CAN bus calls this for every frame, and the
    // entry API would allocate both keys each time.
    if !lines.contains_key(instrument) {
        lines.insert(instrument.to_string(), BTreeMap::new());
    }
    let by_id = lines.get_mut(instrument).expect("inserted above");
    if !by_id.contains_key(id) {
        by_id.insert(id.to_string(), T::default());
    }
    by_id.get_mut(id).expect("inserted above")
}

/// The writer's side: pieces in, the events to log out.
#[derive(Default)]
pub struct Compactor {
    lines: Lines<Writing>,
}

impl Compactor {
    /// The events to log for `piece` on `instrument` at `t` (seconds): none while it
    /// repeats; else the piece itself, carrying the stretch of repeats it ends (`after`),
    /// or, when the piece starts a new stretch at once, only the old stretch's summary.
    pub fn piece(&mut self, instrument: &str, t: f64, piece: Piece) -> Vec<Logged> {
        let w = line_mut(&mut self.lines, instrument, piece.line());
        let key = w.line.key_of(piece);
        if let Some(run) = &mut w.run
            && w.line.back(run.period) == Some(&key)
        {
            run.count += 1;
            run.last = t;
            w.line.push(key);
            return Vec::new();
        }
        let id = key.line();
        let ended = w.run.take();
        let mut out = Vec::new();
        if let Some(period) = w.line.period_of(&key) {
            out.extend(ended.map(|r| summary(instrument, id, r)));
            w.run = Some(Run {
                period,
                count: 1,
                since: t,
                last: t,
            });
        } else {
            let kind = match w.line.edit_of(&key) {
                Some((back, edit)) => EventKind::Diff {
                    instrument: instrument.to_string(),
                    id: (!id.is_empty()).then(|| id.to_string()),
                    back,
                    edit,
                },
                // The piece itself, as the key gives it back before it is pushed.
                None => w.line.piece(&key).event(instrument),
            };
            let after =
                ended.map(|r| After(r.period, r.count, round_time(r.since), round_time(r.last)));
            out.push(Logged { t, kind, after });
        }
        w.line.push(key);
        out
    }

    /// Every stretch of repeats not yet written, as events (the history stays: the next
    /// repeat starts a new stretch at once).
    pub fn drain(&mut self) -> Vec<Logged> {
        let mut out = Vec::new();
        for (instrument, by_id) in &mut self.lines {
            for (id, w) in by_id {
                out.extend(w.run.take().map(|r| summary(instrument, id, r)));
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
        line.push(key);
    }

    /// The next piece a `repeated` event on `instrument` (and CAN `id`) with `period`
    /// stands for; `None` when the log has too few pieces before it (a corrupt log).
    pub fn replay(&mut self, instrument: &str, id: Option<&str>, period: usize) -> Option<Piece> {
        let line = self.lines.get_mut(instrument)?.get_mut(id.unwrap_or(""))?;
        let key = line.back(period)?.clone();
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
        let key = Key {
            way: base.way.clone(),
            tid: base.tid,
            payload: wire_edit::apply(&base.payload, edit)?,
        };
        let piece = line.piece(&key);
        line.push(key);
        Some(piece)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn way(sent: bool) -> Way {
        if sent { Way::Sent } else { Way::Received }
    }

    fn text(sent: bool, s: &str) -> Piece {
        Piece {
            way: way(sent),
            payload: Payload::Text(s.into()),
        }
    }

    fn bytes(sent: bool, b: &[u8]) -> Piece {
        Piece {
            way: way(sent),
            payload: Payload::Bytes(b.to_vec()),
        }
    }

    fn frame(id: &str, data: &str) -> Piece {
        Piece {
            way: Way::Frame(id.into()),
            payload: Payload::Text(data.into()),
        }
    }

    /// Write `pieces` through a compactor (draining at the end) and read them back.
    /// The pieces as a reader gives them back.
    fn owned(pieces: &[(&str, Piece)]) -> Vec<(String, Piece)> {
        (pieces.iter())
            .map(|(i, p)| (i.to_string(), p.clone()))
            .collect()
    }

    fn round_trip(pieces: &[(&str, Piece)]) -> (Vec<Event>, Vec<(String, Piece)>) {
        let mut c = Compactor::default();
        let mut log = Vec::new();
        for (i, (instrument, p)) in pieces.iter().enumerate() {
            log.extend(c.piece(instrument, i as f64, p.clone()));
        }
        log.extend(c.drain());
        let events: Vec<Event> = (log.into_iter())
            .map(|l| Event {
                after: l.after,
                ..Event::new(0, l.t, l.kind)
            })
            .collect();
        let mut x = Expander::default();
        let mut back = Vec::new();
        for e in &events {
            let (instrument, _) = line_of(&e.kind).unwrap();
            let instrument = instrument.to_string();
            back.extend(x.expand(e).into_iter().map(|p| (instrument.clone(), p)));
        }
        (events, back)
    }

    fn by_instrument(pieces: &[(String, Piece)], name: &str) -> Vec<Piece> {
        pieces
            .iter()
            .filter(|(i, _)| i == name)
            .map(|(_, p)| p.clone())
            .collect()
    }

    #[test]
    fn unanswered_polls_become_one_event_and_read_back_whole() {
        let poll = text(true, "~20024642E00202FD33");
        let pieces: Vec<_> = (0..1000).map(|_| ("rs485", poll.clone())).collect();
        let (events, back) = round_trip(&pieces);
        assert_eq!(events.len(), 3, "{events:?}");
        assert!(matches!(
            events[2].kind,
            EventKind::Repeated {
                period: 1,
                count: 998,
                ..
            }
        ));
        assert_eq!(back.len(), 1000);
        assert!(back.iter().all(|(i, p)| i == "rs485" && *p == poll));
    }

    #[test]
    fn what_changes_is_logged_in_full_and_the_order_on_each_line_survives() {
        let mut pieces = Vec::new();
        for i in 0..50 {
            let volts = if i < 20 { "51.84" } else { "51.90" };
            for (q, a) in [("MEAS:VOLT?", volts), ("OUTP?", "1"), ("SYST:ERR?", "0")] {
                pieces.push(("source", text(true, q)));
                pieces.push(("source", text(false, a)));
                pieces.push(("io", bytes(true, &[1, 1, 0, 0, 0, 8, 0x3D, 0xCC])));
            }
        }
        let (events, back) = round_trip(&pieces);
        assert!(events.len() < 40, "{} events", events.len());
        assert!(
            events.iter().any(
                |e| matches!(&e.kind, EventKind::Received { text: Some(t), .. } if t == "51.90")
            ),
            "the new voltage is logged in full"
        );
        let original = owned(&pieces);
        for name in ["source", "io"] {
            assert_eq!(
                by_instrument(&back, name),
                by_instrument(&original, name),
                "{name}"
            );
        }
    }

    #[test]
    fn modbus_tcp_polls_repeat_though_their_transaction_ids_count_on() {
        let mut pieces = Vec::new();
        for tid in 0xFFF0u16..=0xFFFF {
            for tid in [tid, tid.wrapping_add(0x10)] {
                let [hi, lo] = tid.to_be_bytes();
                pieces.push((
                    "chamber",
                    bytes(true, &[hi, lo, 0, 0, 0, 6, 1, 3, 0x0B, 4, 0, 2]),
                ));
                pieces.push((
                    "chamber",
                    bytes(false, &[hi, lo, 0, 0, 0, 7, 1, 3, 4, 0, 0, 0x41, 0xC8]),
                ));
            }
        }
        let (events, back) = round_trip(&pieces);
        assert!(events.len() < 10, "{events:?}");
        assert_eq!(back, owned(&pieces));
    }

    #[test]
    fn a_repeat_broken_after_one_piece_still_reads_back_in_order() {
        // The set point acknowledgements: `SYST:ERR?` and `0` recur between commands.
        let mut pieces = Vec::new();
        for cmd in [
            "SOUR:VOLT 54",
            "SOUR:CURR:LIM:POS 50",
            "SOUR:CURR:LIM:NEG 50",
            "OUTP ON",
        ] {
            pieces.push(("source", text(true, cmd)));
            pieces.push(("source", text(true, "SYST:ERR?")));
            pieces.push(("source", text(false, "0,\"No error\"")));
        }
        let (_, back) = round_trip(&pieces);
        assert_eq!(back, owned(&pieces));
    }

    #[test]
    fn a_poll_cycle_longer_than_its_first_pieces_compacts_whole() {
        // Four polls every quarter second and a fifth every second: a cycle of 18.
        let mut pieces = Vec::new();
        for i in 0..400 {
            pieces.push(("io", text(true, "coils?")));
            pieces.push(("io", text(false, "00")));
            pieces.push(("io", text(true, "inputs?")));
            pieces.push(("io", text(false, "37")));
            if i % 4 == 0 {
                pieces.push(("io", text(true, "relays?")));
                pieces.push(("io", text(false, "01")));
            }
        }
        let (events, back) = round_trip(&pieces);
        assert!(events.len() < 30, "{events:?}");
        assert_eq!(back, owned(&pieces));
    }

    #[test]
    fn a_toggling_input_costs_one_event_a_toggle() {
        // An LED read every poll: lit for 10 polls of every 40, 20 toggles in all.
        let mut pieces = Vec::new();
        for i in 0..400 {
            let lit = if i % 40 < 10 { "37" } else { "33" };
            pieces.push(("io", text(true, "coils?")));
            pieces.push(("io", text(false, "00")));
            pieces.push(("io", text(true, "inputs?")));
            pieces.push(("io", text(false, lit)));
        }
        let (events, back) = round_trip(&pieces);
        // The first five pieces whole, then a line per toggle (19) carrying the polls
        // before it, and the last stretch.
        assert_eq!(events.len(), 5 + 19 + 1, "{events:?}");
        assert_eq!(back, owned(&pieces));
    }

    #[test]
    fn each_can_id_repeats_on_its_own() {
        let mut pieces = Vec::new();
        for i in 0..300 {
            // The voltage frame changes every 50 frames; the others never.
            let volts = format!("{:02X} 14", i / 50);
            pieces.push(("bms", frame("0x356", &volts)));
            pieces.push(("bms", frame("0x351", "30 02 F4 01")));
            if i % 10 == 0 {
                pieces.push(("bms", frame("0x35E", "50 59 4C 4F 4E")));
            }
        }
        let (events, back) = round_trip(&pieces);
        assert!(events.len() < 40, "{} events: {events:?}", events.len());
        assert!(
            events
                .iter()
                .any(|e| matches!(&e.kind, EventKind::CanFrame { data, .. } if data == "05 14")),
            "each new value is logged in full"
        );
        let original = owned(&pieces);
        for id in ["0x356", "0x351", "0x35E"] {
            let of = |v: &[(String, Piece)]| -> Vec<Piece> {
                v.iter()
                    .filter(|(_, p)| p.way == Way::Frame(id.into()))
                    .map(|(_, p)| p.clone())
                    .collect()
            };
            assert_eq!(of(&back), of(&original), "{id}");
        }
    }

    #[test]
    fn a_changed_answer_is_logged_as_an_edit_of_the_last_answer_to_its_poll() {
        let answer = |cell: u32| {
            format!("~20024600B07E110210{cell:04X}{cell:04X}{cell:04X}0BA50BA5000000C350E016")
        };
        let mut pieces = Vec::new();
        for i in 0..40u32 {
            pieces.push(("rs485", text(true, "~20024642E00202FD33")));
            pieces.push(("rs485", text(false, &answer(3300 + i % 7))));
            pieces.push(("rs485", text(true, "~20024644E00202FD31")));
            pieces.push(("rs485", text(false, "~20024600A04211021000000000F11C")));
        }
        let (events, back) = round_trip(&pieces);
        let diffs = events
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Diff { back: 4, .. }))
            .count();
        assert!(diffs >= 5, "{events:?}");
        assert_eq!(back, owned(&pieces));
    }

    #[test]
    fn a_diff_without_its_base_or_that_does_not_fit_reads_as_nothing() {
        let mut x = Expander::default();
        let edit = vec![(0, "A".to_string())];
        assert_eq!(x.diff("rs485", None, 1, &edit), None);
        x.seen("rs485", &text(false, "abc"));
        assert_eq!(x.diff("rs485", None, 2, &edit), None);
        assert_eq!(x.diff("rs485", None, 0, &edit), None);
        assert_eq!(x.replay("rs485", None, 0), None);
        assert_eq!(x.diff("rs485", None, 1, &vec![(3, "A".into())]), None);
        assert_eq!(x.diff("rs485", None, 1, &edit), Some(text(false, "Abc")));
    }

    #[test]
    fn hex_reads_back_as_written() {
        assert_eq!(hex(&[0x01, 0xAB, 0x0F]), "01 AB 0F");
        assert_eq!(hex(&[]), "");
        assert_eq!(parse_hex("01 AB 0F"), Some(vec![1, 0xAB, 0x0F]));
        assert_eq!(parse_hex("zz"), None);
    }

    #[test]
    fn only_an_mbap_header_carries_a_transaction_id() {
        assert_eq!(transaction_id(&[0, 0xD4, 0, 0, 0, 2, 1, 3]), Some(0xD4));
        // Modbus RTU: a length that does not match.
        assert_eq!(transaction_id(&[1, 1, 0, 0, 0, 8, 0x3D, 0xCC]), None);
        assert_eq!(transaction_id(&[0, 1, 0, 0]), None);
    }
}
