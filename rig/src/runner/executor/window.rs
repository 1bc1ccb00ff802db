//! The time frame of one step: its expectations' windows open together when the step's
//! actions are done, each closes its length later, and the step's `wait` ends at its own
//! time. The executor sleeps until the earliest of these that is still to come.
//!
//! Times are moments of the run ([`crate::clock::RunClock::now`]), whole nanoseconds;
//! all arithmetic on them for a step happens here, and it is exact: a deadline computed
//! here is an instant the clock reaches.

use std::time::Duration;

use crate::plan::Window;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepWindows {
    /// When the windows opened.
    opened: Duration,
    /// When the step's wait ends.
    wait_ends: Duration,
}

impl StepWindows {
    /// Windows opening at `now`, for a step that waits `wait`.
    pub fn open(now: Duration, wait: Duration) -> StepWindows {
        StepWindows {
            opened: now,
            wait_ends: now.saturating_add(wait),
        }
    }

    pub fn opened(&self) -> Duration {
        self.opened
    }

    /// When a window of `length` closes.
    pub fn closes(&self, length: Duration) -> Duration {
        self.opened.saturating_add(length)
    }

    /// When `window` closes.
    pub fn closes_at(&self, window: Window) -> Duration {
        self.closes(window.length())
    }

    /// How long after the windows opened `t` is (zero before).
    pub fn elapsed(&self, t: Duration) -> Duration {
        t.saturating_sub(self.opened)
    }

    /// Whether a reading at `t` falls inside `window` (its closing instant included).
    pub fn contains(&self, window: Window, t: Duration) -> bool {
        t <= self.closes_at(window)
    }

    /// Whether `window` has closed once the clock reached `deadline`.
    pub fn closed_by(&self, window: Window, deadline: Duration) -> bool {
        self.closes_at(window) <= deadline
    }

    /// The next instant the executor must wake at, `now` being now: the earliest close
    /// of a window still undecided (`pending`, by length), or the end of the step's wait
    /// while it is to come. `None` when there is nothing left to wait for: the step is
    /// over.
    pub fn next_deadline(
        &self,
        now: Duration,
        pending: impl Iterator<Item = Duration>,
    ) -> Option<Duration> {
        pending
            .map(|length| self.closes(length))
            .chain((now < self.wait_ends).then_some(self.wait_ends))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    #[test]
    fn the_earliest_pending_window_is_the_next_deadline() {
        let w = StepWindows::open(s(100), Duration::ZERO);
        let pending = [s(30), s(5), s(60)];
        assert_eq!(w.next_deadline(s(100), pending.into_iter()), Some(s(105)));
    }

    #[test]
    fn the_wait_counts_until_it_has_passed() {
        let w = StepWindows::open(s(10), s(20));
        // Nothing pending: the step still waits for its end.
        assert_eq!(w.next_deadline(s(10), std::iter::empty()), Some(s(30)));
        // A window closing later than the wait: the wait's end comes first.
        let later = [s(50)];
        assert_eq!(w.next_deadline(s(12), later.into_iter()), Some(s(30)));
        // Once the wait is over, only the window remains.
        assert_eq!(w.next_deadline(s(30), later.into_iter()), Some(s(60)));
        // And with nothing pending, the step is over.
        assert_eq!(w.next_deadline(s(30), std::iter::empty()), None);
    }

    /// Issue 13 (2): with f64 seconds the wait ended at 0.20500000000000002 s, which the
    /// clock never reaches, so the step never ended.
    #[test]
    fn a_wait_ends_at_a_moment_the_clock_reaches() {
        let ms = Duration::from_millis;
        let w = StepWindows::open(ms(105), ms(100));
        assert_eq!(w.next_deadline(ms(105), std::iter::empty()), Some(ms(205)));
        assert_eq!(w.next_deadline(ms(205), std::iter::empty()), None);
        let w = StepWindows::open(ms(3111), s(1));
        assert_eq!(w.next_deadline(ms(4111), std::iter::empty()), None);
    }

    #[test]
    fn a_reading_at_the_closing_instant_is_inside_the_window() {
        let w = StepWindows::open(s(10), Duration::ZERO);
        let ms = Duration::from_millis;
        assert!(w.contains(Window::For(s(5)), s(15)));
        assert!(!w.contains(Window::For(s(5)), ms(15_001)));
        assert!(w.closed_by(Window::Within(s(5)), s(15)));
        assert!(!w.closed_by(Window::Within(s(5)), ms(14_999)));
        assert_eq!(w.elapsed(ms(12_500)), ms(2500));
    }
}
