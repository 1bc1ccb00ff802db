//! The CAN sampler's per-frame work on its own, for the CAN ingest benchmark
//! (`cargo bench -p rig --bench can_ingest`): a BMS link named `bms` on the built-in
//! virtual bench's channels, its frames decoded with a DBC and written to an event log,
//! the samples taken off the executor's channel as it would.

use std::path::Path;
use std::time::Duration;

use rig_drivers::can::{CanDatabase, CanFrame};
use tokio::sync::mpsc::unbounded_channel;

use super::log::EventLog;
use super::samplers::{FrameIngest, Inbox};
use crate::bench::{Bench, Channels};
use crate::clock::RunClock;

/// Samples left on the channel before they are taken off: the executor drains it
/// between its own steps, not after every frame.
const DRAIN_EVERY: usize = 1024;

pub struct CanIngest {
    ingest: FrameIngest,
    rx: Inbox,
    frames: usize,
    samples: usize,
}

impl CanIngest {
    /// The ingest of the link `bms`, logging to `log` (a new file), with the DBC `dbc`.
    pub fn new(log: &Path, dbc: &str) -> Result<CanIngest, String> {
        let db = CanDatabase::parse(dbc).map_err(|e| e.to_string())?;
        let channels = Channels::of(&Bench::builtin_sim(), 1);
        let log = EventLog::create(log, RunClock::start())
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let (tx, rx) = unbounded_channel();
        Ok(CanIngest {
            ingest: FrameIngest::new("bms".into(), db, &channels, log, tx),
            rx: Inbox::new(rx),
            frames: 0,
            samples: 0,
        })
    }

    /// One frame received at `t` of the run.
    pub fn frame(&mut self, frame: &CanFrame, t: Duration) {
        // The receiver is ours: the send cannot fail while it lives.
        let _ = self.ingest.frame(frame, t);
        self.frames += 1;
        if self.frames.is_multiple_of(DRAIN_EVERY) {
            self.drain();
        }
    }

    fn drain(&mut self) {
        // Through the executor's own inbox, which hands a frame's batch out a sample at
        // a time.
        while self.rx.try_recv().is_ok() {
            self.samples += 1;
        }
    }

    /// The frames and the samples they gave; the log is written out.
    pub fn finish(mut self) -> (usize, usize) {
        self.drain();
        (self.frames, self.samples)
    }
}
