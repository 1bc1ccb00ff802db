//! "Wait until the chamber is within a band of its set point for a hold time."

use std::time::Duration;

use tokio::time::Instant;

use super::{Chamber, ChamberError, ChamberErrorKind};

/// What "stable" means for [`wait_stable`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StabilityCriteria {
    /// Target temperature, °C.
    pub target: f64,
    /// Allowed deviation either side, °C.
    pub band: f64,
    /// How long the temperature must stay in the band.
    pub hold: Duration,
    /// Give up after this long.
    pub timeout: Duration,
    /// How often the process value is read.
    pub poll: Duration,
}

/// Polls the process value until it has stayed within `target ± band` for `hold`,
/// restarting the hold whenever it leaves the band. Returns the last reading, or
/// [`ChamberErrorKind::NotStable`] after `timeout`. Read errors end the wait: an
/// unreachable chamber is a bench error, not a slow one.
pub async fn wait_stable<C: Chamber>(
    chamber: &mut C,
    instrument: &std::sync::Arc<str>,
    criteria: StabilityCriteria,
) -> Result<f64, ChamberError> {
    let start = Instant::now();
    let deadline = start + criteria.timeout;
    let poll = criteria.poll.max(Duration::from_millis(10));
    let mut in_band_since: Option<Instant> = None;
    let last = loop {
        let now = Instant::now();
        let pv = chamber.process_value().await?;
        if (pv - criteria.target).abs() <= criteria.band {
            let since = *in_band_since.get_or_insert(now);
            if now.saturating_duration_since(since) >= criteria.hold {
                return Ok(pv);
            }
        } else {
            in_band_since = None;
        }
        if now + poll > deadline {
            break pv;
        }
        tokio::time::sleep(poll).await;
    };
    Err(ChamberError {
        instrument: std::sync::Arc::clone(instrument),
        operation: "wait for a stable temperature",
        kind: ChamberErrorKind::NotStable {
            target: criteria.target,
            band: criteria.band,
            hold: criteria.hold,
            timeout: criteria.timeout,
            last: Some(last),
        },
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A first-order chamber: approaches the set point with a 60 s time constant.
    struct Model {
        start: Instant,
        from: f64,
        sp: f64,
    }

    impl Chamber for Model {
        async fn set_point(&mut self, celsius: f64) -> Result<(), ChamberError> {
            self.sp = celsius;
            Ok(())
        }
        async fn read_set_point(&mut self) -> Result<f64, ChamberError> {
            Ok(self.sp)
        }
        async fn process_value(&mut self) -> Result<f64, ChamberError> {
            let t = self.start.elapsed().as_secs_f64();
            Ok(self.sp + (self.from - self.sp) * (-t / 60.0).exp())
        }
        async fn set_running(&mut self, _run: bool) -> Result<(), ChamberError> {
            Ok(())
        }
        async fn running(&mut self) -> Result<bool, ChamberError> {
            Ok(true)
        }
    }

    fn criteria(timeout_s: u64) -> StabilityCriteria {
        StabilityCriteria {
            target: 45.0,
            band: 0.5,
            hold: Duration::from_secs(120),
            timeout: Duration::from_secs(timeout_s),
            poll: Duration::from_secs(5),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_band_then_the_hold() {
        let mut chamber = Model {
            start: Instant::now(),
            from: 25.0,
            sp: 45.0,
        };
        let start = Instant::now();
        let pv = wait_stable(&mut chamber, &Arc::from("chamber"), criteria(3600))
            .await
            .unwrap();
        assert!((pv - 45.0).abs() <= 0.5);
        // In band after 60·ln(40) ≈ 221 s, then 120 s of hold, polled every 5 s.
        let waited = start.elapsed().as_secs();
        assert!((340..=350).contains(&waited), "{waited}");
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_with_the_last_reading() {
        let mut chamber = Model {
            start: Instant::now(),
            from: 25.0,
            sp: 45.0,
        };
        let err = wait_stable(&mut chamber, &Arc::from("chamber"), criteria(200))
            .await
            .unwrap_err();
        let ChamberErrorKind::NotStable {
            last: Some(last), ..
        } = err.kind
        else {
            panic!("{err}")
        };
        assert!(last < 44.5);
    }
}
