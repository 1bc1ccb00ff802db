//! The one door to time. Engine code reads and waits on tokio's clock only through this
//! module, so the same code runs on wall-clock time with a real bench and on the paused,
//! auto-advancing clock of the virtual bench (where four hours cost nothing).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// Time since the start of a run.
#[derive(Clone, Copy, Debug)]
pub struct RunClock {
    start: Instant,
}

impl RunClock {
    pub fn start() -> RunClock {
        RunClock {
            start: Instant::now(),
        }
    }

    /// Seconds since the start of the run.
    pub fn now_s(&self) -> f64 {
        Instant::now().duration_since(self.start).as_secs_f64()
    }

    /// The instant `seconds` after the start of the run.
    pub fn at(&self, seconds: f64) -> Instant {
        self.start + secs(seconds)
    }

    pub async fn sleep_until_s(&self, seconds: f64) {
        tokio::time::sleep_until(self.at(seconds)).await;
    }
}

/// A non-negative duration from seconds (negative and NaN become zero).
pub fn secs(seconds: f64) -> Duration {
    if seconds.is_finite() && seconds > 0.0 {
        Duration::from_secs_f64(seconds)
    } else {
        Duration::ZERO
    }
}

pub async fn sleep(seconds: f64) {
    tokio::time::sleep(secs(seconds)).await;
}

/// `Err(())` when the future did not finish within `seconds`.
pub async fn within<F: Future>(seconds: f64, f: F) -> Result<F::Output, ()> {
    tokio::time::timeout(secs(seconds), f).await.map_err(|_| ())
}

/// A tokio runtime for one plan: current-thread so that a run is deterministic; on the
/// virtual bench its clock starts paused and auto-advances whenever all tasks wait.
pub fn runtime(virtual_time: bool) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if virtual_time {
        builder.start_paused(true);
    }
    builder.build()
}
