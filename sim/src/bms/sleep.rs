//! Sleep (low-power mode) and wake-up, LOSUN manual 2.3-3 "Sleep Mode/Wake up":
//!
//! > When any of the following conditions are met, the system enters low-power mode:
//! > 1) Over-discharge protection for a single cell or the entire pack remains
//! > unresolved for 30 seconds. 2) Pressing and releasing the button (3~6 seconds).
//! > [...] 4) Standby time exceeds 24 hours (no communication, no charging/discharging,
//! > no grid power).
//!
//! > Wake-up: 1) Charger is connected, and the charger output voltage is greater than
//! > 48V. 2) Pressing and releasing the button (3~6 seconds). [...]
//! > Note: After entering low-power mode due to over-discharge protection, the system
//! > wakes up every 4 hours, activating the charge/discharge MOS. If charging is
//! > possible, it exits sleep mode and enters normal charging. If it fails to charge
//! > after 10 consecutive automatic wake-ups, it will no longer wake up automatically.
//!
//! The Lesso manual 3.4 ("Sleep mode ... Charge, press reset or restart to activate")
//! names the same behaviour without numbers; its profile borrows LOSUN's, marked as
//! assumptions. An automatic wake-up is a normal awake period: the MOSFETs follow the
//! protections, so a charger can push current and the charge current releases CUVP
//! (manual 3.4 "or there is efficient charge current"). If under-voltage is still
//! unresolved after the sleep delay, rule 1 puts the pack back to sleep and the wake
//! counts as failed. Wakes are `auto_wake_interval` apart, wake to wake. Rule 4's
//! standby counts only while nobody talks to the pack (`communication`): no current, no
//! charger, and no RS485 request or CAN frame for it within a minute.

use crate::clock::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SleepPolicy {
    /// Rule 1: "remains unresolved for 30 seconds"; `None` never sleeps on it.
    pub(crate) under_voltage_delay: Option<Duration>,
    /// Note: "wakes up every 4 hours".
    pub(crate) auto_wake_interval: Duration,
    /// Note: "after 10 consecutive automatic wake-ups"; `None` wakes forever.
    pub(crate) max_failed_wakes: Option<u32>,
    /// Wake-up 1: "charger output voltage is greater than 48V"; `None` ignores chargers.
    pub(crate) charger_wake_v: Option<f64>,
    /// Rule 4: "Standby time exceeds 24 hours".
    pub(crate) standby: Duration,
    /// Note: "If charging is possible, it exits sleep mode": `false` (a defect) takes
    /// every automatic wake-up for a failed one, charging or not.
    pub(crate) charge_ends_auto_wake: bool,
    /// Note: "10 consecutive automatic wake-ups": a wake-up that charges ends the run of
    /// failed ones; `false` (a defect) carries the count on.
    pub(crate) charge_resets_failed_wakes: bool,
}

/// What the sleep logic looks at during a step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct SleepInputs {
    /// CUVP or PUVP active.
    pub(crate) under_voltage: bool,
    /// No current beyond the dead band and no charger connected.
    pub(crate) idle: bool,
    /// Voltage a connected charger applies to the terminals, if any.
    pub(crate) charger_v: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Awake,
    Asleep { next_wake: Option<Instant> },
}

#[derive(Clone, Debug)]
pub(crate) struct Sleep {
    policy: SleepPolicy,
    mode: Mode,
    under_voltage_since: Option<Instant>,
    idle_since: Option<Instant>,
    /// When the present awake period is an automatic wake-up: when it began.
    auto_woken_at: Option<Instant>,
    failed_wakes: u32,
    auto_wakes: u32,
}

impl Sleep {
    pub(crate) fn new(policy: SleepPolicy) -> Self {
        Self {
            policy,
            mode: Mode::Awake,
            under_voltage_since: None,
            idle_since: None,
            auto_woken_at: None,
            failed_wakes: 0,
            auto_wakes: 0,
        }
    }

    pub(crate) fn asleep(&self) -> bool {
        self.mode != Mode::Awake
    }

    /// Automatic wake-ups so far.
    pub(crate) fn auto_wakes(&self) -> u32 {
        self.auto_wakes
    }

    pub(crate) fn next_deadline(&self, now: Instant, inputs: &SleepInputs) -> Option<Instant> {
        let p = &self.policy;
        let candidates = match self.mode {
            Mode::Asleep { next_wake } => [next_wake, None],
            Mode::Awake => [
                p.under_voltage_delay
                    .filter(|_| inputs.under_voltage)
                    .map(|d| self.under_voltage_since.unwrap_or(now) + d),
                inputs
                    .idle
                    .then(|| self.idle_since.unwrap_or(now) + p.standby),
            ],
        };
        candidates.into_iter().flatten().filter(|t| *t > now).min()
    }

    /// `inputs` held from `from` to `to`.
    pub(crate) fn advance(&mut self, from: Instant, to: Instant, inputs: &SleepInputs) {
        match self.mode {
            Mode::Asleep { next_wake } => {
                let charger = self
                    .policy
                    .charger_wake_v
                    .zip(inputs.charger_v)
                    .is_some_and(|(wake_v, v)| v > wake_v);
                if charger {
                    self.wake();
                } else if let Some(at) = next_wake.filter(|at| to >= *at) {
                    // The count of failed wakes carries on through an automatic wake-up.
                    self.mode = Mode::Awake;
                    self.under_voltage_since = None;
                    self.idle_since = None;
                    self.auto_woken_at = Some(at);
                    self.auto_wakes = self.auto_wakes.saturating_add(1);
                }
            }
            Mode::Awake => self.advance_awake(from, to, inputs),
        }
    }

    /// Button 3~6 s (LOSUN 2.3-3 sleep 2 / wake-up 2; Lesso 3.3.3 E "sleep(3s)/awake(3s)").
    pub(crate) fn toggle(&mut self) {
        if self.asleep() {
            self.wake();
        } else {
            self.mode = Mode::Asleep { next_wake: None };
        }
    }

    /// Low-power mode on command (LOSUN 2.3-3 sleep 5), forced shutdown by software):
    /// like the button, no automatic wake-ups.
    pub(crate) fn enter(&mut self) {
        self.mode = Mode::Asleep { next_wake: None };
        self.under_voltage_since = None;
        self.idle_since = None;
    }

    /// A BMS reset (Lesso 3.3.3 E) wakes the pack and forgets the wake-up history.
    pub(crate) fn reset(&mut self) {
        self.wake();
    }

    fn advance_awake(&mut self, from: Instant, to: Instant, inputs: &SleepInputs) {
        let p = &self.policy;
        let failing_wake = self.auto_woken_at.is_some() && !p.charge_ends_auto_wake;
        match p.under_voltage_delay {
            Some(delay) if inputs.under_voltage || failing_wake => {
                let since = *self.under_voltage_since.get_or_insert(from);
                if to >= since + delay {
                    self.under_voltage_sleep(to);
                    return;
                }
            }
            _ => {
                self.under_voltage_since = None;
                if !inputs.under_voltage && self.auto_woken_at.is_some() {
                    // "If charging is possible, it exits sleep mode and enters normal charging."
                    self.auto_woken_at = None;
                    if p.charge_resets_failed_wakes {
                        self.failed_wakes = 0;
                    }
                }
            }
        }
        if inputs.idle {
            let since = *self.idle_since.get_or_insert(from);
            if to >= since + p.standby {
                self.mode = Mode::Asleep { next_wake: None };
                self.idle_since = None;
            }
        } else {
            self.idle_since = None;
        }
    }

    fn under_voltage_sleep(&mut self, at: Instant) {
        let anchor = match self.auto_woken_at.take() {
            Some(woken) => {
                self.failed_wakes = self.failed_wakes.saturating_add(1);
                woken
            }
            None => at,
        };
        let exhausted = self
            .policy
            .max_failed_wakes
            .is_some_and(|max| self.failed_wakes >= max);
        self.mode = Mode::Asleep {
            next_wake: (!exhausted).then(|| anchor + self.policy.auto_wake_interval),
        };
        self.under_voltage_since = None;
        self.idle_since = None;
    }

    fn wake(&mut self) {
        self.mode = Mode::Awake;
        self.auto_woken_at = None;
        self.failed_wakes = 0;
        self.under_voltage_since = None;
        self.idle_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn policy() -> SleepPolicy {
        SleepPolicy {
            under_voltage_delay: Some(Duration::from_secs(30)),
            auto_wake_interval: 4 * HOUR,
            max_failed_wakes: Some(10),
            charger_wake_v: Some(48.0),
            standby: 24 * HOUR,
            charge_ends_auto_wake: true,
            charge_resets_failed_wakes: true,
        }
    }

    fn inputs(under_voltage: bool, charger_v: Option<f64>) -> SleepInputs {
        SleepInputs {
            under_voltage,
            idle: false,
            charger_v,
        }
    }

    /// Runs to `end` with steps that end at every deadline; records wake-up instants.
    fn run(s: &mut Sleep, now: &mut Instant, end: Instant, i: SleepInputs) -> Vec<Instant> {
        let mut wakes = Vec::new();
        while *now < end {
            let was_asleep = s.asleep();
            s.advance(*now, *now, &i);
            if was_asleep && !s.asleep() {
                wakes.push(*now);
            }
            let to = s.next_deadline(*now, &i).map_or(end, |d| d.min(end));
            let was_asleep = s.asleep();
            s.advance(*now, to, &i);
            if was_asleep && !s.asleep() {
                wakes.push(to);
            }
            *now = to;
        }
        wakes
    }

    #[test]
    fn unresolved_under_voltage_sleeps_after_30_s() {
        let mut s = Sleep::new(policy());
        let t0 = Instant::now();
        let mut t = t0;
        run(
            &mut s,
            &mut t,
            t0 + Duration::from_secs(29),
            inputs(true, None),
        );
        assert!(!s.asleep());
        run(
            &mut s,
            &mut t,
            t0 + Duration::from_secs(30),
            inputs(true, None),
        );
        assert!(s.asleep());
    }

    #[test]
    fn ten_failed_wakes_four_hours_apart_then_none() {
        let mut s = Sleep::new(policy());
        let t0 = Instant::now();
        let mut t = t0;
        let wakes = run(&mut s, &mut t, t0 + 96 * HOUR, inputs(true, None));
        let asleep_at = t0 + Duration::from_secs(30);
        let expected: Vec<Instant> = (1..=10).map(|k| asleep_at + k * 4 * HOUR).collect();
        assert_eq!(wakes, expected);
        assert!(s.asleep());
        assert_eq!(s.auto_wakes(), 10);
        assert_eq!(s.next_deadline(t, &inputs(true, None)), None);
    }

    #[test]
    fn charging_during_an_auto_wake_ends_sleep_and_the_count() {
        let mut s = Sleep::new(policy());
        let t0 = Instant::now();
        let mut t = t0;
        run(&mut s, &mut t, t0 + 9 * HOUR, inputs(true, None));
        assert!(s.asleep());
        assert_eq!(s.auto_wakes(), 2);
        let woke = t0 + Duration::from_secs(30) + 12 * HOUR;
        run(&mut s, &mut t, woke, inputs(true, None));
        assert!(!s.asleep());
        run(&mut s, &mut t, woke + HOUR, inputs(false, None));
        assert!(!s.asleep());
        assert_eq!(s.failed_wakes, 0);
    }

    #[test]
    fn without_charge_ending_it_a_charging_auto_wake_sleeps_again() {
        let mut s = Sleep::new(SleepPolicy {
            charge_ends_auto_wake: false,
            ..policy()
        });
        let t0 = Instant::now();
        let mut t = t0;
        run(&mut s, &mut t, t0 + 5 * HOUR, inputs(true, None));
        assert_eq!(s.auto_wakes(), 1);
        let woke = t0 + Duration::from_secs(30) + 4 * HOUR;
        run(&mut s, &mut t, woke + HOUR, inputs(false, None));
        assert!(s.asleep());
        assert_eq!(s.failed_wakes, 1);
    }

    /// Note: "10 consecutive automatic wake-ups": two failed, then one that charges;
    /// the count restarts, unless the defect keeps it.
    #[test]
    fn a_charging_auto_wake_restarts_the_count_of_failed_ones() {
        for (resets, failed) in [(true, 0), (false, 2)] {
            let mut s = Sleep::new(SleepPolicy {
                charge_resets_failed_wakes: resets,
                ..policy()
            });
            let t0 = Instant::now();
            let mut t = t0;
            run(&mut s, &mut t, t0 + 9 * HOUR, inputs(true, None));
            assert_eq!((s.auto_wakes(), s.failed_wakes), (2, 2));
            let woke = t0 + Duration::from_secs(30) + 12 * HOUR;
            run(&mut s, &mut t, woke, inputs(true, None));
            run(&mut s, &mut t, woke + HOUR, inputs(false, None));
            assert!(!s.asleep());
            assert_eq!(s.failed_wakes, failed, "resets: {resets}");
        }
    }

    #[test]
    fn a_charger_above_48_v_wakes_and_below_does_not() {
        let mut s = Sleep::new(policy());
        let mut t = Instant::now();
        let end = t + Duration::from_secs(60);
        run(&mut s, &mut t, end, inputs(true, None));
        assert!(s.asleep());
        let end = t + Duration::from_secs(60);
        run(&mut s, &mut t, end, inputs(true, Some(48.0)));
        assert!(s.asleep(), "48 V is not greater than 48 V");
        s.advance(t, t, &inputs(true, Some(48.5)));
        assert!(!s.asleep());
    }

    #[test]
    fn a_day_of_standby_sleeps_without_auto_wake() {
        let mut s = Sleep::new(policy());
        let t0 = Instant::now();
        let mut t = t0;
        let idle = SleepInputs {
            under_voltage: false,
            idle: true,
            charger_v: None,
        };
        run(
            &mut s,
            &mut t,
            t0 + 24 * HOUR - Duration::from_secs(1),
            idle,
        );
        assert!(!s.asleep());
        run(&mut s, &mut t, t0 + 24 * HOUR, idle);
        assert!(s.asleep());
        assert_eq!(s.next_deadline(t, &idle), None);
    }

    #[test]
    fn the_button_toggles() {
        let mut s = Sleep::new(policy());
        s.toggle();
        assert!(s.asleep());
        s.toggle();
        assert!(!s.asleep());
    }
}
