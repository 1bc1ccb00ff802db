//! The rapid-shutdown input (manual 3.3.3.1 D pins 5-6: "Passive INPUT signal. Rapid
//! Shut Down function for US"), filtered: the output goes off once the input has been
//! closed for the debounce time, and comes back as soon as it opens.

use crate::clock::{Duration, Instant};

#[derive(Clone, Debug)]
pub(super) struct RapidShutdown {
    /// How long the input must stay closed. Assumption: a digital input filter; the
    /// manual gives none.
    debounce: Duration,
    /// Since when the input has been closed.
    closed_since: Option<Instant>,
    active: bool,
}

impl RapidShutdown {
    pub(super) fn new(debounce: Duration) -> Self {
        Self {
            debounce,
            closed_since: None,
            active: false,
        }
    }

    /// The output is off.
    pub(super) fn active(&self) -> bool {
        self.active
    }

    /// The input as wired at `now`.
    pub(super) fn set(&mut self, now: Instant, closed: bool) {
        if closed {
            self.closed_since.get_or_insert(now);
            if self.debounce.is_zero() {
                self.active = true;
            }
        } else {
            self.closed_since = None;
            self.active = false;
        }
    }

    /// Time has reached `to`.
    pub(super) fn advance(&mut self, to: Instant) {
        if let Some(since) = self.closed_since
            && to >= since + self.debounce
        {
            self.active = true;
        }
    }

    /// When the debounce of a closed input runs out.
    pub(super) fn next_deadline(&self) -> Option<Instant> {
        self.closed_since
            .filter(|_| !self.active)
            .map(|since| since + self.debounce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBOUNCE: Duration = Duration::from_millis(100);

    #[test]
    fn acts_once_closed_for_the_debounce() {
        let mut rsd = RapidShutdown::new(DEBOUNCE);
        let t0 = Instant::now();
        rsd.set(t0, true);
        assert!(!rsd.active());
        assert_eq!(rsd.next_deadline(), Some(t0 + DEBOUNCE));
        rsd.advance(t0 + DEBOUNCE / 2);
        // Closing again does not restart the filter.
        rsd.set(t0 + DEBOUNCE / 2, true);
        assert!(!rsd.active());
        rsd.advance(t0 + DEBOUNCE);
        assert!(rsd.active());
        assert_eq!(rsd.next_deadline(), None);
    }

    #[test]
    fn opening_releases_at_once_and_restarts_the_filter() {
        let mut rsd = RapidShutdown::new(DEBOUNCE);
        let t0 = Instant::now();
        rsd.set(t0, true);
        rsd.advance(t0 + DEBOUNCE);
        rsd.set(t0 + DEBOUNCE, false);
        assert!(!rsd.active());
        assert_eq!(rsd.next_deadline(), None);
        let t1 = t0 + 2 * DEBOUNCE;
        rsd.set(t1, true);
        assert_eq!(rsd.next_deadline(), Some(t1 + DEBOUNCE));
    }

    #[test]
    fn without_a_debounce_it_acts_when_closed() {
        let mut rsd = RapidShutdown::new(Duration::ZERO);
        rsd.set(Instant::now(), true);
        assert!(rsd.active());
        assert_eq!(rsd.next_deadline(), None);
    }
}
