//! The event-log writer: one JSON line per event, written and handed to the OS at once,
//! so that after a crash or `kill -9` the file is a valid prefix of the run.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rig_reports::event::{Event, EventKind, round_time};

use crate::clock::RunClock;

struct Writer {
    file: File,
    seq: u64,
    failed: Option<String>,
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
        Ok(EventLog {
            inner: Arc::new(Mutex::new(Writer {
                file,
                seq: 0,
                failed: None,
            })),
            clock,
        })
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
        let event = Event {
            seq: w.seq,
            t: round_time(t.as_secs_f64()),
            kind,
        };
        w.seq += 1;
        let mut line = match serde_json::to_string(&event) {
            Ok(l) => l,
            Err(e) => format!("{{\"seq\":{},\"unserialisable\":\"{e}\"}}", event.seq),
        };
        line.push('\n');
        // One write per line, unbuffered: the OS has every finished line.
        if let Err(e) = w.file.write_all(line.as_bytes()) {
            w.failed.get_or_insert_with(|| e.to_string());
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
