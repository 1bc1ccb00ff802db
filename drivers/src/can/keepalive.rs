//! The inverter keep-alive: 0x305 with eight zero bytes once per second (protocols.md
//! §1.7), started and stopped by the plan so the BMS's reaction to a missing inverter
//! can be tested.
//!
//! The task runs on tokio's clock, so it follows the virtual bench's paused clock. A
//! failed send is counted and the task goes on: a keep-alive that stops on the first
//! hiccup would itself look like an inverter timeout to the BMS.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::frame::CanFrame;
use super::port::CanSender;

/// §1.7: "ID 0x305, 8 data bytes, normally all 0x00, about once per second".
pub const KEEP_ALIVE_ID: u16 = 0x305;
/// §1.7 / DBC cycle time 1000 ms.
pub const KEEP_ALIVE_PERIOD: Duration = Duration::from_secs(1);

/// What the task did, returned by [`KeepAlive::stop`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeepAliveReport {
    pub sent: u64,
    pub failed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    failed: AtomicU64,
}

/// A running keep-alive task; dropping it stops the task.
#[derive(Debug)]
pub struct KeepAlive {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    counters: Arc<Counters>,
}

impl KeepAlive {
    /// Sends the Pylon inverter keep-alive (0x305, zeros) every second, the first one
    /// at once.
    pub fn inverter(sender: CanSender) -> Self {
        let frame = CanFrame::standard(KEEP_ALIVE_ID, &[0; 8]);
        match frame {
            Ok(frame) => Self::start(sender, frame, KEEP_ALIVE_PERIOD),
            Err(_) => unreachable_frame(),
        }
    }

    /// Sends `frame` every `period` (the first at once); each send may take up to
    /// `period` before it counts as failed.
    pub fn start(sender: CanSender, frame: CanFrame, period: Duration) -> Self {
        let period = period.max(Duration::from_millis(1));
        let counters = Arc::new(Counters::default());
        let (stop, mut stopped) = oneshot::channel();
        let task_counters = Arc::clone(&counters);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    // Fixed order, not tokio's random one: a stop at a tick's instant
                    // always wins, so a run on virtual time repeats byte for byte.
                    biased;
                    _ = &mut stopped => break,
                    _ = ticks.tick() => {
                        let counter = match sender.send(&frame, period).await {
                            Ok(()) => &task_counters.sent,
                            Err(_) => &task_counters.failed,
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
        Self {
            stop: Some(stop),
            task: Some(task),
            counters,
        }
    }

    /// Frames sent and failed so far.
    pub fn report(&self) -> KeepAliveReport {
        KeepAliveReport {
            sent: self.counters.sent.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
        }
    }

    /// Stops sending; no frame is sent after this returns.
    pub async fn stop(mut self) -> KeepAliveReport {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.report()
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// 0x305 with 8 bytes is always a valid frame; this keeps `inverter` free of panics.
fn unreachable_frame() -> KeepAlive {
    KeepAlive {
        stop: None,
        task: None,
        counters: Arc::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::can::{CanPort, MemoryCanBus};

    #[tokio::test(start_paused = true)]
    async fn sends_0x305_every_second_until_stopped() {
        let bus = MemoryCanBus::new();
        let inverter = CanPort::Memory(bus.port());
        let mut bms = bus.port();
        let start = tokio::time::Instant::now();
        let keep_alive = KeepAlive::inverter(inverter.sender());
        let mut stamps = Vec::new();
        for _ in 0..4 {
            let frame = bms.recv().await.unwrap();
            assert_eq!(frame.to_string(), "305#0000000000000000");
            stamps.push(start.elapsed());
        }
        assert_eq!(stamps, [0, 1, 2, 3].map(Duration::from_secs).to_vec());
        let report = keep_alive.stop().await;
        assert_eq!(report, KeepAliveReport { sent: 4, failed: 0 });
        let mut bms = CanPort::Memory(bms);
        assert_eq!(
            bms.recv_timeout(Duration::from_secs(5)).await.unwrap(),
            None
        );
    }
}
