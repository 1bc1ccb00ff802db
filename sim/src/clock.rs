//! The twin's only door to time: tokio's clock, never `std::time`.
//!
//! On the rig's paused, auto-advancing runtime this clock is virtual, so hours of
//! simulated charging cost nothing; on a normal runtime it is the wall clock.

use std::future::Future;

pub(crate) use tokio::time::{Duration, Instant};

/// Longest duration the twin accepts from its parameters (ten years). Durations come
/// from a DUT profile as seconds in `f64`; clamping keeps `Instant + Duration` from
/// overflowing whatever the profile says.
const LONGEST: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

pub(crate) fn now() -> Instant {
    Instant::now()
}

pub(crate) async fn sleep_until(deadline: Instant) {
    tokio::time::sleep_until(deadline).await;
}

/// `Ok` with the future's output, `Err(())` when `limit` passed first.
pub(crate) async fn timeout<F: Future>(limit: Duration, future: F) -> Result<F::Output, ()> {
    tokio::time::timeout(limit, future).await.map_err(|_| ())
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
