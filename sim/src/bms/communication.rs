//! Whether anyone talks to the pack, for the standby sleep.
//!
//! LOSUN 2.3-3 sleep 4): "Standby time exceeds 24 hours (no communication, no
//! charging/discharging, no grid power)". A pack that an inverter or the rig polls over
//! RS485, or that hears an inverter's CAN frames, is not in standby, however long no
//! current flows. How long after the last frame a pack still counts as "in
//! communication" the manual does not say: [`HOLD`] is an assumption, far longer than
//! any poll interval (the rig polls RS485 every few seconds, an inverter's 0x305
//! keep-alive comes every second).

use crate::clock::{Duration, Instant};

/// How long a frame keeps the pack out of standby. Assumption (see the module doc).
pub(crate) const HOLD: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Communication {
    last_heard: Option<Instant>,
}

impl Communication {
    /// A frame for this pack arrived at `at`.
    pub(crate) fn heard(&mut self, at: Instant) {
        self.last_heard = Some(self.last_heard.map_or(at, |last| last.max(at)));
    }

    /// No frame within [`HOLD`] before `now`.
    pub(crate) fn silent_at(&self, now: Instant) -> bool {
        self.last_heard.is_none_or(|last| now >= last + HOLD)
    }

    /// When the silence begins, if that is after `now`: the standby timer starts then.
    pub(crate) fn next_deadline(&self, now: Instant) -> Option<Instant> {
        self.last_heard.map(|last| last + HOLD).filter(|t| *t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_holds_off_silence_for_the_hold_time() {
        let t0 = Instant::now();
        let mut c = Communication::default();
        assert!(c.silent_at(t0), "never heard: silent");
        assert_eq!(c.next_deadline(t0), None);
        c.heard(t0);
        assert!(!c.silent_at(t0 + HOLD - Duration::from_millis(1)));
        assert!(c.silent_at(t0 + HOLD));
        assert_eq!(c.next_deadline(t0), Some(t0 + HOLD));
        assert_eq!(c.next_deadline(t0 + HOLD), None);
    }

    #[test]
    fn an_older_frame_does_not_shorten_the_hold() {
        let t0 = Instant::now();
        let mut c = Communication::default();
        c.heard(t0 + Duration::from_secs(30));
        c.heard(t0);
        assert!(!c.silent_at(t0 + HOLD));
    }
}
