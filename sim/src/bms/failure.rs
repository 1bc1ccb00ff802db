//! The latching failures of Lesso manual 3.4, which no delay releases:
//!
//! > SCP Reversed polarity: The BMS will stop charging when detect short circuit or
//! > reversed polarity. — Charge to release. Manual press reset.
//! > Temperature, Voltage, Current sensor failure: Enter the failure mode, manual
//! > intervention is required no charging and discharging. — Manual intervention.
//!
//! The LED table (3.3.3.4, "Failure ... Reversed polarity/SCP ... Stop
//! charging/discharging") says both directions stop, so each failure opens both MOSFETs.
//! SCP trips when the discharge current stays above the SCP current for the SCP delay
//! (both assumptions from the DUT profile). Reversed polarity is a terminal voltage
//! below zero, seen at once (the BMS checks polarity before its MOSFETs conduct). Both
//! latch until a charger of the right polarity pushes the terminals above the cell
//! stack ("Charge to release") or a reset press ("Manual press reset"); a reversal
//! still present is seen again at once. The sensor failure (an open NTC lead) latches
//! after the sensor failure delay until a reset press ("manual intervention"), also
//! once the sensor reads again; a reset with the lead still open starts the delay anew.

use crate::clock::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FailurePolicy {
    /// Discharge current above which the SCP timer runs, A.
    pub(crate) scp_current_a: f64,
    pub(crate) scp_delay: Duration,
    /// Defect `scp_auto_release`: SCP releases by itself this long after it tripped (a
    /// firmware retrying into the short), a reversal as soon as it is gone.
    pub(crate) auto_release: Option<Duration>,
    /// Defect `reverse_polarity_ignored`.
    pub(crate) detect_reverse: bool,
    pub(crate) sensor_delay: Duration,
    /// Defect `sensor_failure_not_latched`: the failure mode ends with its cause.
    pub(crate) latch_sensor: bool,
}

/// What the failure detection looks at during a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct FailureInputs {
    /// Positive = charging, A.
    pub(crate) current_a: f64,
    /// Cell-stack voltage, V.
    pub(crate) pack_v: f64,
    /// Voltage something outside holds at the terminals (negative: reversed), if any.
    pub(crate) terminal_v: Option<f64>,
}

impl FailureInputs {
    fn reversed(&self) -> bool {
        self.terminal_v.is_some_and(|v| v < 0.0)
    }

    /// "Charge to release": a charger of the right polarity above the cell stack.
    fn charger(&self) -> bool {
        self.terminal_v.is_some_and(|v| v > self.pack_v)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Failures {
    policy: FailurePolicy,
    over_current_since: Option<Instant>,
    /// When SCP tripped, while it holds.
    scp_at: Option<Instant>,
    reverse: bool,
    /// Since when the NTC lead has been open, while it is.
    sensor_open_since: Option<Instant>,
    sensor_open: bool,
    sensor_failure: bool,
}

impl Failures {
    pub(crate) fn new(policy: FailurePolicy) -> Self {
        Self {
            policy,
            over_current_since: None,
            scp_at: None,
            reverse: false,
            sensor_open_since: None,
            sensor_open: false,
            sensor_failure: false,
        }
    }

    pub(crate) fn scp(&self) -> bool {
        self.scp_at.is_some()
    }

    pub(crate) fn reverse_polarity(&self) -> bool {
        self.reverse
    }

    pub(crate) fn sensor_failure(&self) -> bool {
        self.sensor_failure
    }

    /// Any failure holding both MOSFETs off.
    pub(crate) fn any(&self) -> bool {
        self.scp() || self.reverse || self.sensor_failure
    }

    /// The NTC lead as wired at `now` (`true` = open circuit).
    pub(crate) fn set_sensor_open(&mut self, now: Instant, open: bool) {
        self.sensor_open = open;
        self.sensor_open_since = open.then_some(now);
        if !open && !self.policy.latch_sensor {
            self.sensor_failure = false;
        }
    }

    pub(crate) fn next_deadline(&self, now: Instant, i: &FailureInputs) -> Option<Instant> {
        let scp = (!self.scp() && -i.current_a > self.policy.scp_current_a)
            .then(|| self.over_current_since.unwrap_or(now) + self.policy.scp_delay);
        let retry = self
            .scp_at
            .zip(self.policy.auto_release)
            .map(|(at, d)| at + d);
        let sensor = self
            .sensor_open_since
            .filter(|_| !self.sensor_failure)
            .map(|since| since + self.policy.sensor_delay);
        [scp, retry, sensor]
            .into_iter()
            .flatten()
            .filter(|t| *t > now)
            .min()
    }

    /// `i` held from `from` to `to`.
    pub(crate) fn advance(&mut self, from: Instant, to: Instant, i: &FailureInputs) {
        if -i.current_a > self.policy.scp_current_a {
            let since = *self.over_current_since.get_or_insert(from);
            if self.scp_at.is_none() && to >= since + self.policy.scp_delay {
                self.scp_at = Some(since + self.policy.scp_delay);
            }
        } else {
            self.over_current_since = None;
        }
        if self.policy.detect_reverse && i.reversed() {
            self.reverse = true;
        }
        if let Some((at, d)) = self.scp_at.zip(self.policy.auto_release)
            && to >= at + d
        {
            self.scp_at = None;
            self.over_current_since = None;
        }
        if self.policy.auto_release.is_some() && !i.reversed() {
            self.reverse = false;
        }
        if i.charger() {
            self.scp_at = None;
            self.reverse = false;
        }
        if let Some(since) = self.sensor_open_since
            && to >= since + self.policy.sensor_delay
        {
            self.sensor_failure = true;
        }
    }

    /// "Manual press reset" / "Manual intervention"; a cause still present is seen again.
    pub(crate) fn reset(&mut self, now: Instant) {
        self.scp_at = None;
        self.reverse = false;
        self.over_current_since = None;
        self.sensor_failure = false;
        self.sensor_open_since = self.sensor_open.then_some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> FailurePolicy {
        FailurePolicy {
            scp_current_a: 500.0,
            scp_delay: Duration::from_micros(300),
            auto_release: None,
            detect_reverse: true,
            sensor_delay: Duration::from_secs(2),
            latch_sensor: true,
        }
    }

    fn inputs(current_a: f64, terminal_v: Option<f64>) -> FailureInputs {
        FailureInputs {
            current_a,
            pack_v: 52.0,
            terminal_v,
        }
    }

    #[test]
    fn scp_trips_after_its_delay_and_holds_without_the_short() {
        let mut f = Failures::new(policy());
        let t0 = Instant::now();
        let short = inputs(-2000.0, None);
        assert_eq!(
            f.next_deadline(t0, &short),
            Some(t0 + Duration::from_micros(300))
        );
        f.advance(t0, t0 + Duration::from_micros(299), &short);
        assert!(!f.scp());
        f.advance(t0, t0 + Duration::from_micros(300), &short);
        assert!(f.scp() && f.any());
        let t1 = t0 + Duration::from_secs(3600);
        f.advance(t0, t1, &inputs(0.0, None));
        assert!(f.scp(), "no release without charge or reset");
    }

    #[test]
    fn a_short_below_the_scp_current_never_trips() {
        let mut f = Failures::new(policy());
        let t0 = Instant::now();
        f.advance(t0, t0 + Duration::from_secs(60), &inputs(-499.0, None));
        assert!(!f.scp());
    }

    #[test]
    fn charge_releases_scp_and_so_does_a_reset() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        let mut f = Failures::new(policy());
        f.advance(t0, t1, &inputs(-2000.0, None));
        f.advance(t1, t1, &inputs(0.0, Some(51.0)));
        assert!(f.scp(), "a charger below the stack does not charge");
        f.advance(t1, t1, &inputs(0.0, Some(56.0)));
        assert!(!f.scp());
        f.advance(t0, t1, &inputs(-2000.0, None));
        f.reset(t1);
        assert!(!f.scp());
    }

    #[test]
    fn reversed_polarity_latches_until_charged_and_is_seen_again_after_a_reset() {
        let mut f = Failures::new(policy());
        let t = Instant::now();
        f.advance(t, t, &inputs(0.0, Some(-56.0)));
        assert!(f.reverse_polarity());
        f.reset(t);
        f.advance(t, t, &inputs(0.0, Some(-56.0)));
        assert!(f.reverse_polarity(), "still reversed");
        f.advance(t, t, &inputs(0.0, None));
        assert!(
            f.reverse_polarity(),
            "removing the reversal does not release"
        );
        f.advance(t, t, &inputs(0.0, Some(56.0)));
        assert!(!f.reverse_polarity());
    }

    #[test]
    fn the_auto_release_defect_retries_scp_and_drops_a_removed_reversal() {
        let mut f = Failures::new(FailurePolicy {
            auto_release: Some(Duration::from_secs(10)),
            ..policy()
        });
        let t0 = Instant::now();
        let tripped = t0 + Duration::from_micros(300);
        f.advance(t0, t0 + Duration::from_secs(1), &inputs(-2000.0, None));
        assert!(f.scp());
        let idle = inputs(0.0, None);
        assert_eq!(
            f.next_deadline(t0 + Duration::from_secs(1), &idle),
            Some(tripped + Duration::from_secs(10))
        );
        f.advance(t0, tripped + Duration::from_secs(10), &idle);
        assert!(!f.scp());
        f.advance(t0, t0, &inputs(0.0, Some(-56.0)));
        assert!(f.reverse_polarity());
        f.advance(t0, t0, &idle);
        assert!(!f.reverse_polarity());
    }

    #[test]
    fn an_open_sensor_latches_the_failure_mode_until_a_reset() {
        let mut f = Failures::new(policy());
        let t0 = Instant::now();
        let idle = inputs(0.0, None);
        f.set_sensor_open(t0, true);
        assert_eq!(
            f.next_deadline(t0, &idle),
            Some(t0 + Duration::from_secs(2))
        );
        f.advance(t0, t0 + Duration::from_millis(1999), &idle);
        assert!(!f.sensor_failure());
        let t1 = t0 + Duration::from_secs(2);
        f.advance(t0, t1, &idle);
        assert!(f.sensor_failure());
        f.set_sensor_open(t1, false);
        f.advance(t1, t1 + Duration::from_secs(600), &idle);
        assert!(f.sensor_failure(), "restored, still latched");
        f.reset(t1);
        assert!(!f.sensor_failure());
    }

    #[test]
    fn a_reset_with_the_sensor_still_open_fails_again_after_the_delay() {
        let mut f = Failures::new(policy());
        let t0 = Instant::now();
        let idle = inputs(0.0, None);
        f.set_sensor_open(t0, true);
        let t1 = t0 + Duration::from_secs(5);
        f.advance(t0, t1, &idle);
        f.reset(t1);
        assert!(!f.sensor_failure());
        assert_eq!(
            f.next_deadline(t1, &idle),
            Some(t1 + Duration::from_secs(2))
        );
        f.advance(t1, t1 + Duration::from_secs(2), &idle);
        assert!(f.sensor_failure());
    }

    #[test]
    fn the_not_latched_defect_ends_the_failure_with_the_sensor() {
        let mut f = Failures::new(FailurePolicy {
            latch_sensor: false,
            ..policy()
        });
        let t0 = Instant::now();
        f.set_sensor_open(t0, true);
        f.advance(t0, t0 + Duration::from_secs(3), &inputs(0.0, None));
        assert!(f.sensor_failure());
        f.set_sensor_open(t0 + Duration::from_secs(3), false);
        assert!(!f.sensor_failure());
    }
}
