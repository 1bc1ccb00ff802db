//! Charge complete and the forced recharge, LOSUN manual 2.3-3:
//!
//! > When the system is defined as charging complete, if it remains in standby for 2
//! > days (standby time set value) without reaching the recovery voltage, it forcefully
//! > resumes charging until charging is complete again.
//!
//! Choices where the manual leaves room: "charging complete" is the SOC calibration to
//! 100 % (Lesso FAQ Q1's cut-off current after the float time, or COVP). From then on the
//! BMS holds charging off: charge MOSFET open, 0x35C charge enable cleared, 0x351 CCL 0,
//! so neither an inverter nor a source that ignores CAN can keep charging a full pack.
//! At or below the recovery voltage charging is allowed again as usual. Standby is no
//! current beyond the reporting dead band; any current restarts the count. When the
//! standby time has passed, asleep or awake, the BMS wakes and forces the recharge:
//! charging allowed, the 0x35C "request full charge" bit (protocols.md 1.5 bit 3, the
//! bit for "the battery wants a full charge") set, the SOC calibration started over,
//! until the next calibration ends it and the count begins anew.

use crate::clock::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RechargePolicy {
    /// "2 days (standby time set value)"; `None`: never forced (defect
    /// `forced_recharge_never`).
    pub(crate) standby: Option<Duration>,
    /// "the recovery voltage", pack, V.
    pub(crate) recovery_v: f64,
}

/// What the rule looks at during a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RechargeInputs {
    /// No current beyond the dead band.
    pub(crate) standby: bool,
    /// Pack voltage, V.
    pub(crate) pack_v: f64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Charging,
    /// Complete since the calibration; standby counted from `standby_since`.
    Complete {
        standby_since: Option<Instant>,
    },
    Forcing,
}

#[derive(Clone, Debug)]
pub(crate) struct ForcedRecharge {
    /// `None`: a pack that does not promise the rule (charging is never held off).
    policy: Option<RechargePolicy>,
    state: State,
}

impl ForcedRecharge {
    pub(crate) fn new(policy: Option<RechargePolicy>) -> Self {
        Self {
            policy,
            state: State::Charging,
        }
    }

    /// Charging held off because the pack is complete.
    pub(crate) fn holds_charging(&self) -> bool {
        matches!(self.state, State::Complete { .. })
    }

    /// The forced recharge is under way (0x35C request full charge).
    pub(crate) fn forcing(&self) -> bool {
        self.state == State::Forcing
    }

    /// The SOC calibrated to 100 % at `now`: charging complete.
    pub(crate) fn complete(&mut self, now: Instant) {
        if self.policy.is_some() {
            self.state = State::Complete {
                standby_since: Some(now),
            };
        }
    }

    pub(crate) fn next_deadline(&self, now: Instant, i: &RechargeInputs) -> Option<Instant> {
        let standby = self.policy.as_ref()?.standby?;
        match self.state {
            State::Complete { standby_since } if i.standby => {
                Some(standby_since.unwrap_or(now) + standby).filter(|t| *t > now)
            }
            _ => None,
        }
    }

    /// `i` held from `from` to `to`. Returns `true` when the recharge is forced now (the
    /// firmware then wakes and restarts the SOC calibration).
    pub(crate) fn advance(&mut self, from: Instant, to: Instant, i: &RechargeInputs) -> bool {
        let Some(policy) = &self.policy else {
            return false;
        };
        let State::Complete { standby_since } = &mut self.state else {
            return false;
        };
        if i.pack_v <= policy.recovery_v {
            self.state = State::Charging;
            return false;
        }
        if !i.standby {
            *standby_since = None;
            return false;
        }
        let since = *standby_since.get_or_insert(from);
        if policy.standby.is_some_and(|d| to >= since + d) {
            self.state = State::Forcing;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn policy() -> RechargePolicy {
        RechargePolicy {
            standby: Some(2 * DAY),
            recovery_v: 53.6,
        }
    }

    const REST: RechargeInputs = RechargeInputs {
        standby: true,
        pack_v: 54.4,
    };

    #[test]
    fn complete_holds_charging_and_forces_after_exactly_two_days() {
        let mut r = ForcedRecharge::new(Some(policy()));
        let t0 = Instant::now();
        assert!(!r.holds_charging());
        r.complete(t0);
        assert!(r.holds_charging());
        assert_eq!(r.next_deadline(t0, &REST), Some(t0 + 2 * DAY));
        let almost = t0 + 2 * DAY - Duration::from_millis(1);
        assert!(!r.advance(t0, almost, &REST));
        assert!(r.holds_charging() && !r.forcing());
        assert!(r.advance(almost, t0 + 2 * DAY, &REST));
        assert!(r.forcing() && !r.holds_charging());
        r.complete(t0 + 3 * DAY);
        assert!(r.holds_charging() && !r.forcing(), "complete again");
    }

    #[test]
    fn the_recovery_voltage_ends_the_hold_without_forcing() {
        let mut r = ForcedRecharge::new(Some(policy()));
        let t0 = Instant::now();
        r.complete(t0);
        let low = RechargeInputs {
            standby: true,
            pack_v: 53.6,
        };
        assert!(!r.advance(t0, t0 + DAY, &low));
        assert!(!r.holds_charging() && !r.forcing());
        assert_eq!(r.next_deadline(t0 + DAY, &REST), None);
    }

    #[test]
    fn current_restarts_the_standby_count() {
        let mut r = ForcedRecharge::new(Some(policy()));
        let t0 = Instant::now();
        r.complete(t0);
        let t1 = t0 + DAY;
        r.advance(t0, t1, &REST);
        let busy = RechargeInputs {
            standby: false,
            ..REST
        };
        r.advance(t1, t1, &busy);
        assert_eq!(r.next_deadline(t1, &busy), None);
        assert_eq!(r.next_deadline(t1, &REST), Some(t1 + 2 * DAY));
        assert!(!r.advance(t1, t1 + 2 * DAY - Duration::from_secs(1), &REST));
    }

    #[test]
    fn without_the_rule_nothing_is_held_or_forced() {
        for policy in [
            None,
            Some(RechargePolicy {
                standby: None,
                ..policy()
            }),
        ] {
            let present = policy.is_some();
            let mut r = ForcedRecharge::new(policy);
            let t0 = Instant::now();
            r.complete(t0);
            assert_eq!(r.holds_charging(), present);
            assert!(!r.advance(t0, t0 + 30 * DAY, &REST));
            assert!(!r.forcing());
        }
    }
}
