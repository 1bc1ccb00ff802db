//! The one door to time. Engine code reads and waits on tokio's clock only through this
//! module, so the same code runs on wall-clock time with a real bench and on the paused,
//! auto-advancing clock of the virtual bench (where four hours cost nothing).
//!
//! All engine time is integer. A moment of a run is a [`Duration`] since its start (whole
//! nanoseconds), a deadline is a moment plus a `Duration`, and nothing is ever a sum of
//! `f64` seconds: `0.105 + 0.1` is `0.20500000000000002`, an instant the clock, which
//! moves in whole nanoseconds (and tokio's timers in whole milliseconds), never reaches,
//! so a loop waiting for it spins for ever. Seconds as `f64` appear only where a time is
//! shown (the log's `t`, messages).

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// The longest duration the engine deals in: 30 days. Plans are validated against it,
/// and [`secs`] saturates at it, so no duration can overflow an instant.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Time since the start of a run.
#[derive(Clone, Copy, Debug)]
pub struct RunClock {
    start: Instant,
    /// Run time per tokio-clock time: 1, or a real bench's `clock: { scale }` (a served
    /// twin running that much faster than the wall clock).
    scale: f64,
}

impl RunClock {
    pub fn start() -> RunClock {
        RunClock::scaled(1.0)
    }

    /// A clock that runs `scale` times faster than tokio's (a scale that is not a
    /// positive number counts as 1).
    pub fn scaled(scale: f64) -> RunClock {
        RunClock {
            start: Instant::now(),
            scale: if scale > 0.0 && scale.is_finite() {
                scale
            } else {
                1.0
            },
        }
    }

    /// The moment of the run it is now: the time since its start.
    pub fn now(&self) -> Duration {
        let elapsed = Instant::now().saturating_duration_since(self.start);
        // Unscaled, time stays integer (see the module doc); scaled, the clock is the
        // wall clock's, which no deadline is exact on anyway.
        if self.scale == 1.0 {
            elapsed
        } else {
            elapsed.mul_f64(self.scale).min(MAX_DURATION)
        }
    }

    /// A length of run time as tokio-clock time, rounded up so a wait for a moment
    /// never ends before it.
    fn real(&self, length: Duration) -> Duration {
        if self.scale == 1.0 {
            length
        } else {
            length.div_f64(self.scale) + Duration::from_micros(1)
        }
    }

    /// `Err(())` when the future did not finish within `limit` of run time.
    pub async fn timeout<F: Future>(&self, limit: Duration, f: F) -> Result<F::Output, ()> {
        timeout(self.real(limit.min(MAX_DURATION)), f).await
    }

    /// Seconds since the start of the run, for the log and messages.
    pub fn now_s(&self) -> f64 {
        self.now().as_secs_f64()
    }

    /// The instant of the moment `at` of the run.
    pub fn instant(&self, at: Duration) -> Instant {
        self.start
            .checked_add(self.real(at.min(MAX_DURATION)))
            .unwrap_or_else(|| self.start + MAX_DURATION)
    }

    /// Wait until the moment `at` of the run (at once if it has passed).
    pub async fn sleep_until(&self, at: Duration) {
        tokio::time::sleep_until(self.instant(at)).await;
    }
}

/// The wall time one pacing step stands for: the virtual clock is held back this often.
const PACE_STEP: Duration = Duration::from_millis(50);

/// Hold a virtual run to at most `factor` times the wall clock (`rig run --pace`), for
/// as long as the run's runtime lives. Every `factor` × 50 ms of run time this task
/// wakes and, if the run is ahead of the wall clock, blocks the plan's thread until it
/// is not: the runtime is current-thread, so the whole plan waits, and the paused
/// clock cannot advance while nothing runs. Wall time never speeds a run up.
pub async fn pace(clock: RunClock, factor: f64) {
    let wall_start = std::time::Instant::now();
    let step = secs(factor * PACE_STEP.as_secs_f64()).max(Duration::from_millis(1));
    let mut at = clock.now();
    loop {
        at = at.saturating_add(step);
        if at >= MAX_DURATION {
            return;
        }
        clock.sleep_until(at).await;
        let due = secs(at.as_secs_f64() / factor);
        if let Some(ahead) = due.checked_sub(wall_start.elapsed()) {
            std::thread::sleep(ahead);
        }
    }
}

/// A duration from seconds written outside a plan (a bench file's `timeout`, a fixed
/// grace period): negative and NaN become zero, and anything beyond [`MAX_DURATION`]
/// (infinity included) saturates at it, so no value can panic a conversion.
pub fn secs(seconds: f64) -> Duration {
    if seconds.is_nan() || seconds <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(seconds).map_or(MAX_DURATION, |d| d.min(MAX_DURATION))
}

pub async fn sleep(length: Duration) {
    tokio::time::sleep(length).await;
}

/// `Err(())` when the future did not finish within `limit`.
pub async fn timeout<F: Future>(limit: Duration, f: F) -> Result<F::Output, ()> {
    tokio::time::timeout(limit.min(MAX_DURATION), f)
        .await
        .map_err(|_| ())
}

/// [`timeout`] for a limit in seconds of a bench file or a fixed grace period (see
/// [`secs`]).
pub async fn within<F: Future>(seconds: f64, f: F) -> Result<F::Output, ()> {
    timeout(secs(seconds), f).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_from_outside_a_plan_never_panic() {
        assert_eq!(secs(0.25), Duration::from_millis(250));
        assert_eq!(secs(-1.0), Duration::ZERO);
        assert_eq!(secs(f64::NAN), Duration::ZERO);
        assert_eq!(secs(1e20), MAX_DURATION);
        assert_eq!(secs(1e300), MAX_DURATION);
        assert_eq!(secs(f64::INFINITY), MAX_DURATION);
    }

    #[test]
    fn a_paced_run_keeps_to_the_wall_clock() {
        let runtime = runtime(true).unwrap();
        let wall = std::time::Instant::now();
        runtime.block_on(async {
            let clock = RunClock::start();
            tokio::spawn(pace(clock, 10.0));
            // 3 s of run time at 10 times the wall clock: 0.3 s, not at once.
            clock.sleep_until(Duration::from_secs(3)).await;
        });
        let took = wall.elapsed();
        assert!(took >= Duration::from_millis(240), "too fast: {took:?}");
        assert!(took < Duration::from_secs(3), "too slow: {took:?}");
    }

    #[test]
    fn a_moment_of_the_run_is_exact() {
        let runtime = runtime(true).unwrap();
        runtime.block_on(async {
            let clock = RunClock::start();
            let end = Duration::from_millis(105) + Duration::from_millis(100);
            clock.sleep_until(end).await;
            assert_eq!(clock.now(), Duration::from_millis(205));
            assert!(
                clock.now() >= end,
                "the deadline is reached, not missed by a bit"
            );
            // A moment beyond any instant saturates instead of panicking.
            let _ = clock.instant(Duration::MAX);
        });
    }
}
