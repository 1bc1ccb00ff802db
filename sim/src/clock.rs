//! The twin's only door to time: tokio's clock, never `std::time`.
//!
//! On the rig's paused, auto-advancing runtime this clock is virtual, so hours of
//! simulated charging cost nothing; on a normal runtime it is the wall clock, or, once
//! [`set_speed`] is called (`rig sim serve --speed N`), N times the wall clock: model
//! time runs from the moment the speed was set, and every wait is shortened by N.

use std::future::Future;
use std::sync::OnceLock;

pub(crate) use tokio::time::{Duration, Instant};

/// The speed and the instant model time starts from, once set.
static SPEED: OnceLock<(f64, Instant)> = OnceLock::new();

/// Fastest model time that can be asked for: a day per wall second.
pub const MAX_SPEED: f64 = 86_400.0;

/// Run every twin of this process at `speed` times the wall clock, from now. Set once
/// per process (a served bench's); `Err` with the speed already set, or a speed that is
/// not a number between 0 and [`MAX_SPEED`] (exclusive of 0).
pub fn set_speed(speed: f64) -> Result<(), String> {
    if !(speed > 0.0 && speed <= MAX_SPEED) {
        return Err(format!(
            "speed {speed}: model time runs faster than the wall clock by a factor above 0 and up to {MAX_SPEED}"
        ));
    }
    let origin = Instant::now();
    SPEED
        .set((speed, origin))
        .map_err(|_| "the speed of model time is set once per process".to_string())
}

/// The model time's instant now (the tokio clock's, when no speed is set).
pub fn now() -> Instant {
    let real = Instant::now();
    match SPEED.get() {
        None => real,
        Some(&(speed, origin)) => origin + real.saturating_duration_since(origin).mul_f64(speed),
    }
}

/// The wall-clock instant at which model time reaches `deadline`; rounded up, so a
/// wait never ends just before its model instant.
fn real_instant(deadline: Instant) -> Instant {
    match SPEED.get() {
        None => deadline,
        Some(&(speed, origin)) => {
            origin
                + deadline.saturating_duration_since(origin).div_f64(speed)
                + Duration::from_micros(1)
        }
    }
}

/// A model-time length as a wall-clock one.
fn real_length(length: Duration) -> Duration {
    match SPEED.get() {
        None => length,
        Some(&(speed, _)) => length.div_f64(speed),
    }
}

/// Longest duration the twin accepts from its parameters (ten years). Durations come
/// from a DUT profile as seconds in `f64`; clamping keeps `Instant + Duration` from
/// overflowing whatever the profile says.
const LONGEST: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

pub(crate) async fn sleep_until(deadline: Instant) {
    tokio::time::sleep_until(real_instant(deadline)).await;
}

/// `Ok` with the future's output, `Err(())` when `limit` passed first.
pub(crate) async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, ()> {
    tokio::time::timeout(real_length(limit), future)
        .await
        .map_err(|_| ())
}

/// Seconds as a `Duration`; negative and NaN become zero, huge values [`LONGEST`].
pub(crate) fn secs(seconds: f64) -> Duration {
    if seconds.is_nan() || seconds <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(seconds)
        .unwrap_or(LONGEST)
        .min(LONGEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_from_untrusted_numbers_never_panic() {
        assert_eq!(secs(2.0), Duration::from_secs(2));
        assert_eq!(secs(0.25), Duration::from_millis(250));
        assert_eq!(secs(-1.0), Duration::ZERO);
        assert_eq!(secs(f64::NAN), Duration::ZERO);
        assert_eq!(secs(f64::INFINITY), LONGEST);
        assert_eq!(secs(1e300), LONGEST);
    }
}
