//! The firmware's timers by name, and the one that runs out first.
//!
//! The world steps the twin from deadline to deadline, so a timer left out here would
//! fire late (at whatever step comes next). [`Deadlines::earliest_after`] destructures
//! the struct without `..`: a timer added as a field and not to the list does not
//! compile.

use crate::clock::Instant;

/// When each of the firmware's timers runs out, if it runs at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Deadlines {
    /// CHTP, DHTP, CLTP, DLTP trip delays (manual 3.4).
    pub(super) chtp: Option<Instant>,
    pub(super) dhtp: Option<Instant>,
    pub(super) cltp: Option<Instant>,
    pub(super) dltp: Option<Instant>,
    /// COCP and DOCP: a tier's delay, the recovery, the counter clear (manual 3.4).
    pub(super) cocp: Option<Instant>,
    pub(super) docp: Option<Instant>,
    /// COVP/POVP and CUVP/PUVP trip delays (manual 3.4).
    pub(super) over_voltage: Option<Instant>,
    pub(super) under_voltage: Option<Instant>,
    /// The SOC calibration hold (manual 5 FAQ Q1).
    pub(super) soc_calibration: Option<Instant>,
    /// The rapid-shutdown input's debounce.
    pub(super) rapid_shutdown: Option<Instant>,
    /// SCP, reversed polarity, sensor failure (manual 3.4).
    pub(super) failures: Option<Instant>,
    /// The pre-charge and its retry (Lesso 3.2).
    pub(super) precharge: Option<Instant>,
    /// Sleep and wake: under-voltage, standby, the automatic wake-up (LOSUN 2.3-3).
    pub(super) sleep: Option<Instant>,
    /// The forced recharge's standby (LOSUN 2.3-3).
    pub(super) recharge: Option<Instant>,
    /// The end of a conversation, which starts the standby timer.
    pub(super) silence: Option<Instant>,
}

impl Deadlines {
    /// The earliest deadline after `now`.
    pub(super) fn earliest_after(&self, now: Instant) -> Option<Instant> {
        let Deadlines {
            chtp,
            dhtp,
            cltp,
            dltp,
            cocp,
            docp,
            over_voltage,
            under_voltage,
            soc_calibration,
            rapid_shutdown,
            failures,
            precharge,
            sleep,
            recharge,
            silence,
        } = *self;
        [
            chtp,
            dhtp,
            cltp,
            dltp,
            cocp,
            docp,
            over_voltage,
            under_voltage,
            soc_calibration,
            rapid_shutdown,
            failures,
            precharge,
            sleep,
            recharge,
            silence,
        ]
        .into_iter()
        .flatten()
        .filter(|t| *t > now)
        .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Duration;

    /// One setter per timer, so that each can be tried alone.
    type Setter = fn(&mut Deadlines, Instant);

    const TIMERS: [(&str, Setter); 15] = [
        ("chtp", |d, t| d.chtp = Some(t)),
        ("dhtp", |d, t| d.dhtp = Some(t)),
        ("cltp", |d, t| d.cltp = Some(t)),
        ("dltp", |d, t| d.dltp = Some(t)),
        ("cocp", |d, t| d.cocp = Some(t)),
        ("docp", |d, t| d.docp = Some(t)),
        ("over_voltage", |d, t| d.over_voltage = Some(t)),
        ("under_voltage", |d, t| d.under_voltage = Some(t)),
        ("soc_calibration", |d, t| d.soc_calibration = Some(t)),
        ("rapid_shutdown", |d, t| d.rapid_shutdown = Some(t)),
        ("failures", |d, t| d.failures = Some(t)),
        ("precharge", |d, t| d.precharge = Some(t)),
        ("sleep", |d, t| d.sleep = Some(t)),
        ("recharge", |d, t| d.recharge = Some(t)),
        ("silence", |d, t| d.silence = Some(t)),
    ];

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn no_timer_no_deadline() {
        assert_eq!(Deadlines::default().earliest_after(Instant::now()), None);
    }

    #[test]
    fn each_timer_alone_is_the_deadline() {
        let now = Instant::now();
        for (name, set) in TIMERS {
            let mut d = Deadlines::default();
            set(&mut d, now + secs(7));
            assert_eq!(d.earliest_after(now), Some(now + secs(7)), "{name}");
        }
    }

    #[test]
    fn each_timer_wins_when_it_is_the_earliest() {
        let now = Instant::now();
        for (winner, (name, set_winner)) in TIMERS.iter().enumerate() {
            let mut d = Deadlines::default();
            for (i, (_, set)) in TIMERS.iter().enumerate() {
                // Every other timer later, some before it in the list, some after.
                set(&mut d, now + secs(10 + i as u64));
            }
            set_winner(&mut d, now + secs(3));
            assert_eq!(
                d.earliest_after(now),
                Some(now + secs(3)),
                "{name} ({winner})"
            );
        }
    }

    #[test]
    fn deadlines_at_or_before_now_are_passed_over() {
        let now = Instant::now() + secs(100);
        let d = Deadlines {
            cocp: Some(now - secs(1)),
            sleep: Some(now),
            recharge: Some(now + secs(30)),
            ..Deadlines::default()
        };
        assert_eq!(d.earliest_after(now), Some(now + secs(30)));
    }
}
