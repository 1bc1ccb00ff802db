//! The event-log writer: one JSON line per event, buffered and handed to the OS whole
//! lines at a time, at least once a second of wall time and at once at every verdict,
//! error, safe state and the run's end. After a crash or `kill -9` the file is a valid
//! prefix of the run, at most a second behind it. Wire traffic goes through a
//! [`Compactor`]: what repeats is written as `repeated` events when the repetition
//! ends, at every verdict and at least once a minute. Samples of one moment are one
//! `samples` line (log format 4).

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use rig_reports::event::{Event, EventKind, SampleValue, round_time};
use rig_reports::wire::{Compactor, LineId, Logged, Piece};

use crate::clock::RunClock;
use crate::ui::Feed;

/// The longest the OS may go without the lines written (wall time).
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// A buffer this full is handed over at once, whatever the time.
const FLUSH_BYTES: usize = 64 * 1024;
/// A busy bus's frames read the clock for [`Writer::flush_if_due`] only every this
/// many frames (the flush thread reads it four times a second anyway).
const FRAMES_PER_CLOCK: u32 = 32;
/// The longest a stretch of repeated traffic waits unwritten (wall time), so a killed
/// run's log still counts its polls up to a minute before the kill.
const REPEATS_EVERY: Duration = Duration::from_secs(60);

struct Writer {
    file: File,
    /// Whole lines not yet written. A `Vec` rather than a `BufWriter`: a `BufWriter`
    /// writes whenever it is full, mid-line, and a kill then would leave half a line.
    pending: Vec<u8>,
    last_flush: Instant,
    last_repeats: Instant,
    wire: Compactor,
    seq: u64,
    failed: Option<String>,
    /// The live page's feed and the plan's id there (`rig run --ui`): every line the
    /// page wants goes there too, as written.
    tee: Option<(Feed, String)>,
    /// Samples of the last moment, not yet written.
    group: Option<Group>,
    /// CAN frames since the clock was last read for them.
    frames: u32,
}

/// Samples of one moment waiting to be one line; its seq is taken when the first came,
/// and any other line writes it first, so seqs stay in the order of the lines.
struct Group {
    seq: u64,
    t: f64,
    values: Vec<(String, SampleValue)>,
}

impl Writer {
    fn line(&mut self, t: f64, kind: EventKind) {
        self.logged(Logged {
            t,
            kind,
            after: None,
        });
    }

    fn logged(&mut self, Logged { t, kind, after }: Logged) {
        let t = round_time(t);
        let Some(kind) = self.grouped(t, kind) else {
            return;
        };
        self.write_group();
        let event = Event {
            after,
            ..Event::new(self.seq, t, kind)
        };
        self.seq += 1;
        self.write(&event, true);
    }

    /// A sample without a unit joins the other samples of its moment (one `samples`
    /// line, log format 4: an RS485 answer is twenty channels at once); anything else
    /// is handed back to be written. The page still gets each sample as a line.
    fn grouped(&mut self, t: f64, kind: EventKind) -> Option<EventKind> {
        let EventKind::Sample {
            channel,
            value,
            unit,
        } = kind
        else {
            return Some(kind);
        };
        if !unit.is_empty() {
            return Some(EventKind::Sample {
                channel,
                value,
                unit,
            });
        }
        let joins = (self.group.as_ref())
            .is_some_and(|g| g.t == t && g.values.iter().all(|(c, _)| *c != channel));
        if !joins {
            self.write_group();
            self.group = Some(Group {
                seq: self.seq,
                t,
                values: Vec::new(),
            });
            self.seq += 1;
        }
        let seq = self.group.as_ref().map_or(self.seq, |g| g.seq);
        if self.tee.is_some() {
            let kind = EventKind::Sample {
                channel: channel.clone(),
                value,
                unit: String::new(),
            };
            self.publish(&Event::new(seq, t, kind));
        }
        if let Some(g) = &mut self.group {
            g.values.push((channel, value));
        }
        None
    }

    /// The samples of the last moment, as one line (a lone sample as a `sample` line).
    fn write_group(&mut self) {
        let Some(mut g) = self.group.take() else {
            return;
        };
        let kind = match (g.values.len(), g.values.pop()) {
            (1, Some((channel, value))) => EventKind::Sample {
                channel,
                value,
                unit: String::new(),
            },
            (_, last) => {
                g.values.extend(last);
                EventKind::Samples {
                    values: g.values.into_iter().collect(),
                }
            }
        };
        // Its samples went to the page one by one as they came.
        self.write(&Event::new(g.seq, g.t, kind), false);
    }

    fn write(&mut self, event: &Event, tee: bool) {
        let start = self.pending.len();
        if let Err(e) = serde_json::to_writer(&mut self.pending, event) {
            let line = format!("{{\"seq\":{},\"unserialisable\":\"{e}\"}}", event.seq);
            self.pending.extend_from_slice(line.as_bytes());
        }
        if tee
            && let Some((feed, plan)) = &self.tee
            && Feed::wants(&event.kind)
            && !matches!(event.kind, EventKind::Diff { .. })
            && let Ok(line) = std::str::from_utf8(&self.pending[start..])
        {
            feed.publish(plan, line);
        }
        self.pending.push(b'\n');
    }

    /// One event to the page only.
    fn publish(&self, event: &Event) {
        if let Some((feed, plan)) = &self.tee
            && let Ok(line) = serde_json::to_string(event)
        {
            feed.publish(plan, &line);
        }
    }

    /// Hand every finished line to the OS in one write, so the file ends on a line.
    fn flush(&mut self) {
        self.write_group();
        self.last_flush = Instant::now();
        if self.pending.is_empty() {
            return;
        }
        if let Err(e) = self.file.write_all(&self.pending) {
            self.failed.get_or_insert_with(|| e.to_string());
        }
        self.pending.clear();
    }

    fn flush_if_due(&mut self) {
        // One reading of the clock for both: a busy bus calls this for every frame.
        let now = Instant::now();
        if now.duration_since(self.last_repeats) >= REPEATS_EVERY {
            self.repeats();
        }
        if self.pending.len() >= FLUSH_BYTES || now.duration_since(self.last_flush) >= FLUSH_EVERY {
            self.flush();
        }
    }

    /// The repeated traffic not yet written.
    fn repeats(&mut self) {
        self.last_repeats = Instant::now();
        for logged in self.wire.drain() {
            self.logged(logged);
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.repeats();
        self.flush();
    }
}

/// Events after which the log is on disk at once: verdicts, errors, the safe state and
/// the run's end, so a kill right after one still shows it.
fn flushes_at_once(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Expectation { .. }
            | EventKind::Measurement { .. }
            | EventKind::StepFinished { .. }
            | EventKind::SafeState { .. }
            | EventKind::Error { .. }
            | EventKind::RunFinished { .. }
    )
}

/// A cloneable handle; every task of a run writes through it.
#[derive(Clone)]
pub struct EventLog {
    inner: Arc<Mutex<Writer>>,
    clock: RunClock,
}

impl EventLog {
    pub fn create(path: &Path, clock: RunClock) -> std::io::Result<EventLog> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = File::create(path)?;
        let inner = Arc::new(Mutex::new(Writer {
            file,
            pending: Vec::with_capacity(FLUSH_BYTES),
            last_flush: Instant::now(),
            last_repeats: Instant::now(),
            wire: Compactor::default(),
            seq: 0,
            failed: None,
            tee: None,
            group: None,
            frames: 0,
        }));
        spawn_flusher(Arc::downgrade(&inner));
        Ok(EventLog { inner, clock })
    }

    /// From now on, also publish the lines the live page shows to `feed`, as the plan `plan`.
    pub fn tee(&self, feed: Feed, plan: &str) {
        if let Ok(mut w) = self.inner.lock() {
            w.tee = Some((feed, plan.to_string()));
        }
    }

    /// Write an event stamped now.
    pub fn emit(&self, kind: EventKind) {
        self.emit_at(self.clock.now(), kind);
    }

    /// Write an event that happened at the moment `t` of the run (a sample measured a
    /// moment ago). The log keeps `t` in seconds.
    pub fn emit_at(&self, t: Duration, kind: EventKind) {
        let Ok(mut w) = self.inner.lock() else {
            return;
        };
        let now = flushes_at_once(&kind);
        if now {
            w.repeats();
        }
        w.line(t.as_secs_f64(), kind);
        if now {
            w.flush();
        } else {
            w.flush_if_due();
        }
    }

    /// Log a piece of wire traffic stamped now: in full if it is new, else counted
    /// into a `repeated` event.
    pub fn wire(&self, instrument: &str, piece: Piece) {
        self.wire_at(self.clock.now(), instrument, piece);
    }

    /// [`EventLog::wire`] for a piece that went at the moment `t` of the run.
    pub fn wire_at(&self, t: Duration, instrument: &str, piece: Piece) {
        let Ok(mut w) = self.inner.lock() else {
            return;
        };
        for logged in w.wire.piece(instrument, t.as_secs_f64(), piece) {
            w.logged(logged);
        }
        w.flush_if_due();
    }

    /// The log's line of `instrument`'s CAN id `id`, for [`EventLog::frame_at`].
    pub fn can_line(&self, instrument: &str, id: &str) -> Option<LineId> {
        let mut w = self.inner.lock().ok()?;
        Some(w.wire.line(instrument, id))
    }

    /// A CAN frame with the data `hex` on `line` at the moment `t` of the run: counted
    /// when it repeats, else logged as the piece `piece` makes. A busy bus repeats most
    /// of its frames, and those then cost no piece.
    pub fn frame_at(&self, t: Duration, line: LineId, hex: &str, piece: impl FnOnce() -> Piece) {
        let Ok(mut w) = self.inner.lock() else {
            return;
        };
        let t = t.as_secs_f64();
        if !w.wire.repeat_frame(line, t, hex) {
            for logged in w.wire.piece_on(line, t, piece()) {
                w.logged(logged);
            }
        }
        w.frames += 1;
        if w.frames >= FRAMES_PER_CLOCK || w.pending.len() >= FLUSH_BYTES {
            w.frames = 0;
            w.flush_if_due();
        }
    }

    /// The first write error, if writing the log failed.
    pub fn failure(&self) -> Option<String> {
        self.inner.lock().ok().and_then(|w| w.failed.clone())
    }

    pub fn clock(&self) -> RunClock {
        self.clock
    }
}

/// A thread that writes out lines left waiting when the run goes quiet (a real bench
/// between two slow polls): the tokio clock may be virtual, so this one is the wall
/// clock's. It ends when the log is dropped.
fn spawn_flusher(writer: Weak<Mutex<Writer>>) {
    let spawned = std::thread::Builder::new()
        .name("event-log flush".into())
        .spawn(move || {
            loop {
                std::thread::sleep(FLUSH_EVERY / 4);
                let Some(writer) = writer.upgrade() else {
                    return;
                };
                if let Ok(mut w) = writer.lock() {
                    w.flush_if_due();
                }
            }
        });
    // Without the thread the log is still flushed at every event that is due and at
    // every verdict; a machine out of threads is no reason to stop a run.
    drop(spawned);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(step: usize) -> EventKind {
        EventKind::Action {
            step,
            description: "x".into(),
        }
    }

    fn text(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn a_verdict_puts_every_line_before_it_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.events.jsonl");
        let log = EventLog::create(&path, RunClock::start()).unwrap();
        log.emit_at(Duration::ZERO, action(1));
        log.emit_at(
            Duration::from_secs(1),
            EventKind::StepFinished {
                step: 1,
                verdict: rig_reports::Verdict::Pass,
            },
        );
        let written = text(&path);
        assert_eq!(written.lines().count(), 2, "{written}");
        assert!(written.ends_with('\n'));
    }

    #[test]
    fn a_quiet_log_is_on_disk_within_about_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.events.jsonl");
        let log = EventLog::create(&path, RunClock::start()).unwrap();
        log.emit_at(Duration::ZERO, action(1));
        let start = Instant::now();
        while text(&path).is_empty() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the line never reached the file"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(text(&path).ends_with('\n'));
        drop(log);
    }

    #[test]
    fn samples_of_one_moment_are_one_line_and_read_back_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.events.jsonl");
        let log = EventLog::create(&path, RunClock::start()).unwrap();
        let sample = |channel: &str, x: f64, unit: &str| EventKind::Sample {
            channel: channel.into(),
            value: SampleValue::Number(x),
            unit: unit.into(),
        };
        let at = Duration::from_millis;
        log.emit_at(at(0), sample("a", 1.0, "V"));
        log.emit_at(at(0), sample("b", 2.0, ""));
        log.emit_at(at(0), sample("c", 3.0, ""));
        log.emit_at(at(0), sample("b", 4.0, ""));
        log.emit_at(at(500), sample("b", 5.0, ""));
        log.emit_at(at(500), action(1));
        drop(log);
        let start = Instant::now();
        while !text(&path).contains("\"event\":\"action\"") {
            assert!(start.elapsed() < Duration::from_secs(5), "nothing written");
            std::thread::sleep(Duration::from_millis(10));
        }
        let written = text(&path);
        let kinds: Vec<&str> = (written.lines())
            .map(|l| {
                l.split("\"event\":\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap()
            })
            .collect();
        // A unit's first sample alone; a channel twice in one moment: two lines.
        assert_eq!(kinds, ["sample", "samples", "sample", "sample", "action"]);
        let events = rig_reports::log::parse_log(&written).events;
        let got: Vec<(u64, f64, &str, String)> = (events.iter())
            .map(|e| match &e.kind {
                EventKind::Sample { channel, value, .. } => {
                    (e.seq, e.t, &channel[..], format!("{value:?}"))
                }
                _ => (e.seq, e.t, "action", String::new()),
            })
            .collect();
        let n = |x: f64| format!("{:?}", SampleValue::Number(x));
        assert_eq!(
            got,
            [
                (0, 0.0, "a", n(1.0)),
                (1, 0.0, "b", n(2.0)),
                (1, 0.0, "c", n(3.0)),
                (2, 0.0, "b", n(4.0)),
                (3, 0.5, "b", n(5.0)),
                (4, 0.5, "action", String::new()),
            ]
        );
    }

    #[test]
    fn dropping_the_log_writes_what_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.events.jsonl");
        let log = EventLog::create(&path, RunClock::start()).unwrap();
        log.emit_at(Duration::ZERO, action(1));
        drop(log);
        // The flush thread may hold the writer a moment longer; it writes on its drop.
        let start = Instant::now();
        while !text(&path).contains("\"event\":\"action\"") {
            assert!(start.elapsed() < Duration::from_secs(5), "nothing written");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
