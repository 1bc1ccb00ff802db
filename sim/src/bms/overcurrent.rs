//! The over-current protections of manual 3.4, COCP and DOCP:
//!
//! > COCP: The BMS will stop charging when the charging current is higher than the
//! > protection value. And it will release from the protection when the system delays
//! > time is met. Automatic recovery. If locked after three consecutive times, manual
//! > intervention is required.
//!
//! DOCP reads the same with "discharging". DOCP also enforces the peak-discharge limits
//! of manual 3.3.2 ("Peak discharge current 101~119A@5mins 120~200A@15S"): a protection
//! has one or more tiers, each a current and how long it may be exceeded, and trips on
//! the first tier whose time runs out.
//!
//! The manual gives no COCP numbers and no DOCP recovery; the trip currents, delays,
//! the recovery delay and the time that ends a run of "consecutive" trips come from the
//! DUT profile, where they are marked as assumptions.
//!
//! Time is passed in, never read: [`OverCurrent::advance`] is told that a constant
//! current flowed from one instant to another, and [`OverCurrent::next_deadline`] tells
//! the caller where its next step must end so that every timer fires on time. Currents
//! are magnitudes in the protected direction (the firmware negates discharge current).

use crate::clock::{Duration, Instant};

/// One protection value: a current and how long it may be exceeded.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Tier {
    /// Manual 3.4 "the protection value", or a peak limit of 3.3.2.
    pub(crate) current_a: f64,
    /// How long the current may stay above `current_a`.
    pub(crate) delay: Duration,
}

/// How the firmware runs one over-current protection: the profile's numbers, bent by
/// any injected defect.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct OverCurrentPolicy {
    /// Tripping tiers; the protection trips when any tier's delay runs out.
    pub(crate) tiers: Vec<Tier>,
    /// Manual 3.4 "the system delays time" before automatic release (assumption).
    pub(crate) recovery_delay: Duration,
    /// Manual 3.4 "locked after three consecutive times"; `None` never locks.
    pub(crate) lockout_after_trips: Option<u32>,
    /// Manual 3.4 "Automatic recovery".
    pub(crate) auto_recovery: bool,
    /// Trip-free time after a release that ends a run of consecutive trips (assumption).
    pub(crate) counter_clear: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Charging allowed.
    Normal,
    /// Charging stopped; released automatically at `release_at`, if any.
    Tripped { release_at: Option<Instant> },
    /// Charging stopped until a reset (manual 3.4 "manual intervention is required").
    Locked,
}

#[derive(Clone, Debug)]
pub(crate) struct OverCurrent {
    policy: OverCurrentPolicy,
    state: State,
    /// Consecutive trips so far.
    trips: u32,
    /// Per tier: since when the current has been above it.
    over_since: Vec<Option<Instant>>,
    /// When the run of consecutive trips ends if no new trip comes first.
    clear_counter_at: Option<Instant>,
}

impl OverCurrent {
    pub(crate) fn new(policy: OverCurrentPolicy) -> Self {
        Self {
            over_since: vec![None; policy.tiers.len()],
            policy,
            state: State::Normal,
            trips: 0,
            clear_counter_at: None,
        }
    }

    /// Whether the protection lets its MOSFET conduct.
    pub(crate) fn allowed(&self) -> bool {
        self.state == State::Normal
    }

    /// Tripped or locked: the protection is active.
    pub(crate) fn active(&self) -> bool {
        !self.allowed()
    }

    pub(crate) fn locked(&self) -> bool {
        self.state == State::Locked
    }

    pub(crate) fn trips(&self) -> u32 {
        self.trips
    }

    /// The earliest instant after `now` at which COCP changes state by itself, given that
    /// `current_a` (positive = charging) keeps flowing.
    pub(crate) fn next_deadline(&self, now: Instant, current_a: f64) -> Option<Instant> {
        let release = match self.state {
            State::Tripped { release_at } => release_at,
            State::Normal | State::Locked => None,
        };
        let trips = self
            .policy
            .tiers
            .iter()
            .zip(&self.over_since)
            .filter(|(tier, _)| self.state == State::Normal && current_a > tier.current_a)
            .map(|(tier, since)| since.unwrap_or(now) + tier.delay);
        [release, self.clear_counter_at]
            .into_iter()
            .flatten()
            .chain(trips)
            .filter(|t| *t > now)
            .min()
    }

    /// `current_a` flowed from `from` to `to` (`from == to` evaluates the instant).
    /// Timers that expire at or before `to` take effect at `to`; callers end their steps
    /// at [`OverCurrent::next_deadline`], so that is exactly when they expire.
    pub(crate) fn advance(&mut self, from: Instant, to: Instant, current_a: f64) {
        if let State::Tripped {
            release_at: Some(release_at),
        } = self.state
            && to >= release_at
        {
            self.state = State::Normal;
            self.over_since.fill(None);
            self.clear_counter_at = Some(release_at + self.policy.counter_clear);
        }
        if self.clear_counter_at.is_some_and(|at| to >= at) {
            self.trips = 0;
            self.clear_counter_at = None;
        }
        if self.state != State::Normal {
            return;
        }
        let mut expired = false;
        for (tier, since) in self.policy.tiers.iter().zip(self.over_since.iter_mut()) {
            if current_a > tier.current_a {
                let since = *since.get_or_insert(from);
                expired |= to >= since + tier.delay;
            } else {
                *since = None;
            }
        }
        if expired {
            self.trip(to);
        }
    }

    /// A BMS reset: protection released, counter cleared.
    pub(crate) fn reset(&mut self) {
        self.state = State::Normal;
        self.trips = 0;
        self.over_since.fill(None);
        self.clear_counter_at = None;
    }

    fn trip(&mut self, at: Instant) {
        self.trips = self.trips.saturating_add(1);
        self.over_since.fill(None);
        self.clear_counter_at = None;
        let lock = self
            .policy
            .lockout_after_trips
            .is_some_and(|limit| self.trips >= limit);
        self.state = if lock {
            State::Locked
        } else {
            State::Tripped {
                release_at: self
                    .policy
                    .auto_recovery
                    .then(|| at + self.policy.recovery_delay),
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVER: f64 = 80.0;
    const UNDER: f64 = 50.0;

    fn policy() -> OverCurrentPolicy {
        OverCurrentPolicy {
            tiers: vec![Tier {
                current_a: 75.0,
                delay: Duration::from_secs(2),
            }],
            recovery_delay: Duration::from_secs(60),
            lockout_after_trips: Some(3),
            auto_recovery: true,
            counter_clear: Duration::from_secs(60),
        }
    }

    /// Drives an `OverCurrent` the way the world does: steps of at most one second that end at
    /// every deadline, with the current the charger pushes blocked while tripped.
    struct Bench {
        cocp: OverCurrent,
        now: Instant,
    }

    impl Bench {
        fn new(policy: OverCurrentPolicy) -> Self {
            Self {
                cocp: OverCurrent::new(policy),
                now: Instant::now(),
            }
        }

        fn run(&mut self, pushed_a: f64, seconds: f64) {
            let end = self.now + Duration::from_secs_f64(seconds);
            while self.now < end {
                let current = if self.cocp.allowed() { pushed_a } else { 0.0 };
                self.cocp.advance(self.now, self.now, current);
                let current = if self.cocp.allowed() { pushed_a } else { 0.0 };
                let mut to = end.min(self.now + Duration::from_secs(1));
                if let Some(deadline) = self.cocp.next_deadline(self.now, current) {
                    to = to.min(deadline);
                }
                self.cocp.advance(self.now, to, current);
                self.now = to;
            }
        }
    }

    #[test]
    fn trips_after_the_delay_and_not_before() {
        let mut b = Bench::new(policy());
        b.run(OVER, 1.999);
        assert!(b.cocp.allowed());
        b.run(OVER, 0.001);
        assert!(b.cocp.active());
        assert_eq!(b.cocp.trips(), 1);
    }

    #[test]
    fn a_current_dip_restarts_the_trip_delay() {
        let mut b = Bench::new(policy());
        b.run(OVER, 1.5);
        b.run(UNDER, 0.1);
        b.run(OVER, 1.9);
        assert!(b.cocp.allowed());
        b.run(OVER, 0.1);
        assert!(b.cocp.active());
    }

    #[test]
    fn recovers_after_the_recovery_delay() {
        let mut b = Bench::new(policy());
        b.run(OVER, 2.0);
        b.run(UNDER, 59.9);
        assert!(b.cocp.active());
        b.run(UNDER, 0.1);
        assert!(b.cocp.allowed());
        assert_eq!(b.cocp.trips(), 1);
    }

    #[test]
    fn locks_on_the_third_consecutive_trip_and_stays_locked() {
        let mut b = Bench::new(policy());
        b.run(OVER, 2.0 + 60.0 + 2.0 + 60.0 + 1.9);
        assert_eq!(b.cocp.trips(), 2);
        assert!(!b.cocp.locked());
        b.run(OVER, 0.1);
        assert_eq!(b.cocp.trips(), 3);
        assert!(b.cocp.locked());
        b.run(UNDER, 3600.0);
        assert!(b.cocp.locked());
        assert_eq!(b.cocp.next_deadline(b.now, 0.0), None);
    }

    #[test]
    fn the_counter_clears_after_a_trip_free_interval() {
        let mut b = Bench::new(policy());
        b.run(OVER, 2.0 + 60.0);
        b.run(UNDER, 59.0);
        assert_eq!(b.cocp.trips(), 1);
        b.run(UNDER, 1.0);
        assert_eq!(b.cocp.trips(), 0);
    }

    #[test]
    fn without_a_lockout_limit_it_never_locks() {
        let mut b = Bench::new(OverCurrentPolicy {
            lockout_after_trips: None,
            ..policy()
        });
        b.run(OVER, 10.0 * 62.0);
        assert!(b.cocp.trips() >= 9);
        assert!(!b.cocp.locked());
    }

    #[test]
    fn without_auto_recovery_it_holds_until_reset() {
        let mut b = Bench::new(OverCurrentPolicy {
            auto_recovery: false,
            ..policy()
        });
        b.run(OVER, 3600.0);
        assert!(b.cocp.active());
        assert!(!b.cocp.locked());
        assert_eq!(b.cocp.trips(), 1);
        b.cocp.reset();
        assert!(b.cocp.allowed());
        assert_eq!(b.cocp.trips(), 0);
    }

    #[test]
    fn a_zero_trip_delay_trips_at_once() {
        let mut b = Bench::new(OverCurrentPolicy {
            tiers: vec![Tier {
                current_a: 75.0,
                delay: Duration::ZERO,
            }],
            ..policy()
        });
        let t = b.now;
        b.cocp.advance(t, t, OVER);
        assert!(b.cocp.active());
    }

    /// Manual 3.3.2 "Peak discharge current 101~119A@5mins 120~200A@15S".
    fn peak_policy() -> OverCurrentPolicy {
        OverCurrentPolicy {
            tiers: vec![
                Tier {
                    current_a: 100.0,
                    delay: Duration::from_secs(300),
                },
                Tier {
                    current_a: 119.0,
                    delay: Duration::from_secs(15),
                },
            ],
            ..policy()
        }
    }

    #[test]
    fn peak_tiers_each_run_their_own_time() {
        let mut b = Bench::new(peak_policy());
        b.run(110.0, 299.9);
        assert!(b.cocp.allowed());
        b.run(110.0, 0.1);
        assert!(b.cocp.active());

        let mut b = Bench::new(peak_policy());
        b.run(150.0, 14.9);
        assert!(b.cocp.allowed());
        b.run(150.0, 0.1);
        assert!(b.cocp.active());

        let mut b = Bench::new(peak_policy());
        b.run(100.0, 3600.0);
        assert!(b.cocp.allowed(), "the rated maximum is not a peak");
    }
}
