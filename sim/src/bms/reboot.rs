//! The reboot after a reset press (manual 3.3.3 E "reset(6~10s) BMS").
//!
//! A reset restarts the BMS's controller: until it has booted again it runs nothing.
//! Its MOSFET drivers and dry-contact relays fall back to their unpowered state (off,
//! open), the LEDs are dark, and it is silent on CAN and RS485. Neither manual gives
//! the time; the firmware description does (`reset_button.reboot_time`, an assumption
//! of the DUT profile with a band). A reboot time of zero is a reset that takes effect
//! at once and never falls silent.

use crate::clock::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Reboot {
    time: Duration,
    /// While rebooting: when the controller runs again.
    until: Option<Instant>,
}

impl Reboot {
    pub(crate) fn new(time: Duration) -> Self {
        Self { time, until: None }
    }

    /// A reset at `now`: `true` if the controller is down for a while (the reset then
    /// takes effect when [`Reboot::finish`] says so), `false` for an instant reset.
    pub(crate) fn start(&mut self, now: Instant) -> bool {
        if self.time.is_zero() {
            return false;
        }
        self.until = Some(now + self.time);
        true
    }

    /// The controller is down.
    pub(crate) fn active(&self) -> bool {
        self.until.is_some()
    }

    /// When the controller runs again, if that is after `now`.
    pub(crate) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.until.filter(|t| *t > now)
    }

    /// Time has reached `to`: `Some(instant)` the controller booted at, once.
    pub(crate) fn finish(&mut self, to: Instant) -> Option<Instant> {
        let until = self.until.filter(|t| to >= *t)?;
        self.until = None;
        Some(until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reboot_lasts_its_time_and_ends_once() {
        let t0 = Instant::now();
        let mut r = Reboot::new(Duration::from_secs(4));
        assert!(!r.active());
        assert!(r.start(t0));
        assert!(r.active());
        assert_eq!(r.next_deadline(t0), Some(t0 + Duration::from_secs(4)));
        assert_eq!(r.finish(t0 + Duration::from_millis(3999)), None);
        assert!(r.active());
        assert_eq!(
            r.finish(t0 + Duration::from_secs(4)),
            Some(t0 + Duration::from_secs(4))
        );
        assert!(!r.active());
        assert_eq!(r.finish(t0 + Duration::from_secs(5)), None);
        assert_eq!(r.next_deadline(t0), None);
    }

    #[test]
    fn a_zero_reboot_time_is_an_instant_reset() {
        let mut r = Reboot::new(Duration::ZERO);
        assert!(!r.start(Instant::now()));
        assert!(!r.active());
    }
}
