//! The time frame of one step: its expectations' windows open together when the step's
//! actions are done, each closes its length later, and the step's `wait` ends at its own
//! time. The executor sleeps until the earliest of these that is still to come.
//!
//! Times are seconds since the start of the run (`RunClock::now_s`); all arithmetic on
//! them for a step happens here.

use crate::plan::Window;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepWindows {
    /// When the windows opened.
    opened_s: f64,
    /// When the step's wait ends.
    wait_ends_s: f64,
}

impl StepWindows {
    /// Windows opening at `now_s`, for a step that waits `wait_s`.
    pub fn open(now_s: f64, wait_s: f64) -> StepWindows {
        StepWindows {
            opened_s: now_s,
            wait_ends_s: now_s + wait_s,
        }
    }

    pub fn opened_s(&self) -> f64 {
        self.opened_s
    }

    /// When `window` closes.
    pub fn closes_s(&self, window: Window) -> f64 {
        self.opened_s + window.seconds()
    }

    /// How long after the windows opened `t` is.
    pub fn elapsed_s(&self, t: f64) -> f64 {
        t - self.opened_s
    }

    /// Whether a reading at `t` falls inside `window` (its closing instant included).
    pub fn contains(&self, window: Window, t: f64) -> bool {
        t <= self.closes_s(window)
    }

    /// Whether `window` has closed once the clock reached `deadline_s`.
    pub fn closed_by(&self, window: Window, deadline_s: f64) -> bool {
        self.closes_s(window) <= deadline_s
    }

    /// The next instant the executor must wake at, `now_s` being now: the earliest close
    /// of a window still undecided (`pending`), or the end of the step's wait while it
    /// is to come. `None` when there is nothing left to wait for: the step is over.
    pub fn next_deadline(&self, now_s: f64, pending: impl Iterator<Item = Window>) -> Option<f64> {
        let deadline = pending
            .map(|w| self.closes_s(w))
            .chain((now_s < self.wait_ends_s).then_some(self.wait_ends_s))
            .fold(f64::INFINITY, f64::min);
        (!deadline.is_infinite()).then_some(deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_earliest_pending_window_is_the_next_deadline() {
        let w = StepWindows::open(100.0, 0.0);
        let pending = [Window::For(30.0), Window::Within(5.0), Window::Within(60.0)];
        assert_eq!(w.next_deadline(100.0, pending.into_iter()), Some(105.0));
    }

    #[test]
    fn the_wait_counts_until_it_has_passed() {
        let w = StepWindows::open(10.0, 20.0);
        // Nothing pending: the step still waits for its end.
        assert_eq!(w.next_deadline(10.0, std::iter::empty()), Some(30.0));
        // A window closing later than the wait: the wait's end comes first.
        let later = [Window::For(50.0)];
        assert_eq!(w.next_deadline(12.0, later.into_iter()), Some(30.0));
        // Once the wait is over, only the window remains.
        assert_eq!(w.next_deadline(30.0, later.into_iter()), Some(60.0));
        // And with nothing pending, the step is over.
        assert_eq!(w.next_deadline(30.0, std::iter::empty()), None);
    }

    #[test]
    fn a_reading_at_the_closing_instant_is_inside_the_window() {
        let w = StepWindows::open(10.0, 0.0);
        assert!(w.contains(Window::For(5.0), 15.0));
        assert!(!w.contains(Window::For(5.0), 15.001));
        assert!(w.closed_by(Window::Within(5.0), 15.0));
        assert!(!w.closed_by(Window::Within(5.0), 14.999));
        assert_eq!(w.elapsed_s(12.5), 2.5);
    }
}
