//! One expectation of a step as a small state machine: it starts pending, and readings,
//! the close of its window or the silence of the link it reads decide it.
//!
//! ```text
//!             reading: true              window closes
//!  within:  Pending ─────────────▶ Passed    Pending ─────────▶ Failed (never true)
//!
//!             reading: false/no data     window closes, judged     not judged
//!  for:     Pending ─────────────▶ Failed    Pending ─────▶ Passed    ─────▶ Failed (unjudged)
//! ```
//!
//! `within` with `after:` also fails on a true reading before `after` (too early);
//! `never:` is `for:` of the negated condition, failing at the first true reading.
//!
//! A decided expectation stays decided. The states know nothing of channels or the
//! clock: the executor judges the condition on fresh readings ([`Judgement::of`]) and
//! tells the state when and where in the window that happened.

use std::time::Duration;

use rig_reports::Verdict;

use crate::expr::Value;
use crate::plan::{Expectation, Window};
use crate::runner::failure::Medium;
use crate::runner::store::Store;

/// What an expectation's condition says on readings taken inside its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judgement {
    True,
    False,
    /// A channel the condition needs has no value (a link fell silent).
    NoData,
    /// The readings give the condition no value: it divides by zero or computes a
    /// number that is not finite. The rig's error, never the DUT's.
    Undefined,
}

impl Judgement {
    /// The condition of `e` on the latest readings, but only once every channel it reads
    /// has a reading that arrived after the window opened (arrival number above
    /// `opened_at`): a reading from before the step's actions says nothing about their
    /// effect. `None` until then.
    pub fn of(e: &Expectation, store: &Store, opened_at: u64) -> Option<Judgement> {
        let fresh = e
            .predicate
            .channels()
            .iter()
            .all(|(id, _)| store.get(*id).is_some_and(|r| r.order > opened_at));
        if !fresh {
            return None;
        }
        let values = |id| store.value(id);
        if crate::expr::undefined(&e.predicate, &values) {
            return Some(Judgement::Undefined);
        }
        Some(match e.predicate.eval(&values) {
            Some(Value::Bool(true)) => Judgement::True,
            None => Judgement::NoData,
            Some(_) => Judgement::False,
        })
    }
}

/// Why an expectation failed. `observed` is what its channels read at that moment;
/// `messages` renders the whole text.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// A `for` condition was false, or had no data, at `at`, inside its window.
    Broken {
        at: Duration,
        no_data: bool,
        observed: String,
    },
    /// A `within` condition was never true before its window closed.
    NeverTrue { observed: String },
    /// A `for` window closed without one reading of every channel inside it.
    Unjudged { observed: String },
    /// The link a `for` condition reads fell silent at `at`, taking its values along.
    FellSilent {
        medium: Medium,
        link: String,
        at: Duration,
    },
    /// The link fell silent at `at` while the same controller still talks on another
    /// link (`alive` says how): the BMS, not the bench, stopped sending.
    SilentWhileAlive {
        medium: Medium,
        link: String,
        at: Duration,
        alive: String,
    },
    /// An `after:` condition was true at `at`, before its window allowed.
    TooEarly { at: Duration, observed: String },
    /// A `never:` condition became true at `at`.
    BecameTrue { at: Duration, observed: String },
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExpectationState {
    /// Not decided. `judged` once the condition was evaluated on readings taken inside
    /// the window (a `for` window with no such reading cannot pass).
    Pending {
        judged: bool,
    },
    /// `reaction`: how long into the window a `within` condition became true.
    Passed {
        reaction: Option<Duration>,
    },
    Failed(Failure),
}

impl ExpectationState {
    /// The state of every expectation when its window opens.
    pub const OPEN: ExpectationState = ExpectationState::Pending { judged: false };

    pub fn is_pending(&self) -> bool {
        matches!(self, ExpectationState::Pending { .. })
    }

    pub fn has_failed(&self) -> bool {
        matches!(self, ExpectationState::Failed(_))
    }

    /// The condition was judged at `at`, `elapsed` into the window. `observed` is
    /// asked only when the expectation fails.
    pub fn on_reading(
        &mut self,
        window: Window,
        judgement: Judgement,
        at: Duration,
        elapsed: Duration,
        observed: impl FnOnce() -> String,
    ) {
        if !self.is_pending() {
            return;
        }
        *self = match (window, judgement) {
            (Window::WithinAfter { after, .. }, Judgement::True) if elapsed < after => {
                ExpectationState::Failed(Failure::TooEarly {
                    at,
                    observed: observed(),
                })
            }
            (Window::Within(_) | Window::WithinAfter { .. }, Judgement::True) => {
                ExpectationState::Passed {
                    reaction: Some(elapsed),
                }
            }
            (Window::Never(_), Judgement::True) => ExpectationState::Failed(Failure::BecameTrue {
                at,
                observed: observed(),
            }),
            // Undefined is the executor's to turn into an error; it decides nothing.
            (Window::Within(_) | Window::WithinAfter { .. }, _)
            | (Window::For(_), Judgement::True | Judgement::Undefined)
            | (Window::Never(_), Judgement::False | Judgement::Undefined) => {
                ExpectationState::Pending { judged: true }
            }
            (Window::For(_), _) | (Window::Never(_), _) => {
                ExpectationState::Failed(Failure::Broken {
                    at,
                    no_data: judgement == Judgement::NoData,
                    observed: observed(),
                })
            }
        };
    }

    /// The window closed with the expectation still pending.
    pub fn at_deadline(&mut self, window: Window, observed: impl FnOnce() -> String) {
        let ExpectationState::Pending { judged } = *self else {
            return;
        };
        *self = match window {
            w if w.holds() && judged => ExpectationState::Passed { reaction: None },
            w if w.holds() => ExpectationState::Failed(Failure::Unjudged {
                observed: observed(),
            }),
            _ => ExpectationState::Failed(Failure::NeverTrue {
                observed: observed(),
            }),
        };
    }

    /// The link whose signals the condition reads fell silent at `at`: a `for` (or
    /// `never`) condition cannot hold on values that are gone. A `within` condition may still
    /// become true once the link is back.
    pub fn on_silence(&mut self, window: Window, medium: Medium, link: &str, at: Duration) {
        if window.holds() && self.is_pending() {
            *self = ExpectationState::Failed(Failure::FellSilent {
                medium,
                link: link.to_string(),
                at,
            });
        }
    }

    /// The link whose signals the condition reads fell silent at `at` while the pack
    /// still talks on another link: whatever its window, the condition was waiting on
    /// a BMS that stopped reporting, which is the DUT's failure.
    pub fn on_silence_while_alive(
        &mut self,
        medium: Medium,
        link: &str,
        at: Duration,
        alive: &str,
    ) {
        if self.is_pending() {
            *self = ExpectationState::Failed(Failure::SilentWhileAlive {
                medium,
                link: link.to_string(),
                at,
                alive: alive.to_string(),
            });
        }
    }

    /// The verdict and the reaction time. Still pending at the end of a step: not
    /// decided because another expectation of the step failed first.
    pub fn verdict(&self) -> (Verdict, Option<Duration>) {
        match self {
            ExpectationState::Passed { reaction } => (Verdict::Pass, *reaction),
            ExpectationState::Failed(_) => (Verdict::Fail, None),
            ExpectationState::Pending { .. } => (Verdict::Skipped, None),
        }
    }

    pub fn failure(&self) -> Option<&Failure> {
        match self {
            ExpectationState::Failed(f) => Some(f),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITHIN: Window = Window::Within(Duration::from_secs(5));
    const FOR: Window = Window::For(Duration::from_secs(5));

    /// Seconds as a moment or a length, for short test lines.
    fn secs(seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds)
    }

    fn seen() -> String {
        "bms.soc = 50 % (since t=0 s)".into()
    }

    fn never_asked() -> String {
        panic!("observed is asked for only on a failure")
    }

    #[test]
    fn within_passes_at_the_first_true_reading_with_its_reaction_time() {
        let mut s = ExpectationState::OPEN;
        s.on_reading(WITHIN, Judgement::False, secs(11.0), secs(1.0), never_asked);
        assert_eq!(s, ExpectationState::Pending { judged: true });
        s.on_reading(
            WITHIN,
            Judgement::NoData,
            secs(12.0),
            secs(2.0),
            never_asked,
        );
        assert_eq!(s, ExpectationState::Pending { judged: true });
        s.on_reading(WITHIN, Judgement::True, secs(13.5), secs(3.5), never_asked);
        assert_eq!(s.verdict(), (Verdict::Pass, Some(secs(3.5))));
        // Decided: a later false reading changes nothing.
        s.on_reading(WITHIN, Judgement::False, secs(14.0), secs(4.0), never_asked);
        assert_eq!(s.verdict(), (Verdict::Pass, Some(secs(3.5))));
    }

    #[test]
    fn within_that_never_became_true_fails_when_its_window_closes() {
        let mut s = ExpectationState::OPEN;
        s.on_reading(WITHIN, Judgement::False, secs(11.0), secs(1.0), never_asked);
        s.at_deadline(WITHIN, seen);
        assert_eq!(
            s,
            ExpectationState::Failed(Failure::NeverTrue { observed: seen() })
        );
        assert_eq!(s.verdict(), (Verdict::Fail, None));
    }

    #[test]
    fn for_fails_on_a_false_reading_in_its_window() {
        let mut s = ExpectationState::OPEN;
        s.on_reading(FOR, Judgement::True, secs(10.0), secs(0.0), never_asked);
        assert_eq!(s, ExpectationState::Pending { judged: true });
        s.on_reading(FOR, Judgement::False, secs(12.0), secs(2.0), seen);
        assert_eq!(
            s,
            ExpectationState::Failed(Failure::Broken {
                at: secs(12.0),
                no_data: false,
                observed: seen()
            })
        );
        // The window's close cannot turn a failure into a pass.
        s.at_deadline(FOR, never_asked);
        assert!(s.has_failed());
    }

    #[test]
    fn for_fails_on_a_reading_without_data() {
        let mut s = ExpectationState::OPEN;
        s.on_reading(FOR, Judgement::NoData, secs(12.0), secs(2.0), seen);
        assert!(matches!(
            s.failure(),
            Some(Failure::Broken { no_data: true, .. })
        ));
    }

    #[test]
    fn for_passes_when_its_window_closes_after_true_readings() {
        let mut s = ExpectationState::OPEN;
        s.on_reading(FOR, Judgement::True, secs(10.0), secs(0.0), never_asked);
        s.on_reading(FOR, Judgement::True, secs(14.0), secs(4.0), never_asked);
        s.at_deadline(FOR, never_asked);
        assert_eq!(s.verdict(), (Verdict::Pass, None));
    }

    #[test]
    fn for_without_a_judged_reading_in_its_window_fails_as_unjudged() {
        let mut s = ExpectationState::OPEN;
        s.at_deadline(FOR, seen);
        assert_eq!(
            s,
            ExpectationState::Failed(Failure::Unjudged { observed: seen() })
        );
    }

    #[test]
    fn within_after_fails_on_a_true_reading_before_after() {
        let window = Window::WithinAfter {
            after: secs(2.0),
            within: secs(5.0),
        };
        let mut early = ExpectationState::OPEN;
        early.on_reading(window, Judgement::False, secs(10.5), secs(0.5), never_asked);
        early.on_reading(window, Judgement::True, secs(11.999), secs(1.999), seen);
        assert_eq!(
            early.failure(),
            Some(&Failure::TooEarly {
                at: secs(11.999),
                observed: seen()
            })
        );
        let mut in_time = ExpectationState::OPEN;
        in_time.on_reading(window, Judgement::True, secs(12.0), secs(2.0), never_asked);
        assert_eq!(in_time.verdict(), (Verdict::Pass, Some(secs(2.0))));
        let mut late = ExpectationState::OPEN;
        late.on_reading(window, Judgement::False, secs(14.0), secs(4.0), never_asked);
        late.at_deadline(window, seen);
        assert!(matches!(late.failure(), Some(Failure::NeverTrue { .. })));
    }

    #[test]
    fn never_fails_at_the_first_true_reading_and_passes_when_judged_false() {
        let never = Window::Never(secs(5.0));
        let mut s = ExpectationState::OPEN;
        s.on_reading(never, Judgement::False, secs(10.0), secs(0.0), never_asked);
        s.on_reading(never, Judgement::True, secs(13.0), secs(3.0), seen);
        assert_eq!(
            s.failure(),
            Some(&Failure::BecameTrue {
                at: secs(13.0),
                observed: seen()
            })
        );
        let mut held = ExpectationState::OPEN;
        held.on_reading(never, Judgement::False, secs(10.0), secs(0.0), never_asked);
        held.at_deadline(never, never_asked);
        assert_eq!(held.verdict(), (Verdict::Pass, None));
        let mut unjudged = ExpectationState::OPEN;
        unjudged.at_deadline(never, seen);
        assert!(matches!(unjudged.failure(), Some(Failure::Unjudged { .. })));
        let mut silent = ExpectationState::OPEN;
        silent.on_silence(never, Medium::Can, "bms", secs(1.0));
        assert!(matches!(silent.failure(), Some(Failure::FellSilent { .. })));
    }

    #[test]
    fn silence_fails_a_pending_for_but_not_a_within() {
        let mut for_ = ExpectationState::OPEN;
        for_.on_silence(FOR, Medium::Can, "bms", secs(20.0));
        assert_eq!(
            for_.failure(),
            Some(&Failure::FellSilent {
                medium: Medium::Can,
                link: "bms".into(),
                at: secs(20.0)
            })
        );
        let mut within = ExpectationState::OPEN;
        within.on_silence(WITHIN, Medium::Can, "bms", secs(20.0));
        assert_eq!(within, ExpectationState::OPEN);
        let mut passed = ExpectationState::Passed { reaction: None };
        passed.on_silence(FOR, Medium::Can, "bms", secs(20.0));
        assert_eq!(passed.verdict(), (Verdict::Pass, None));
    }

    #[test]
    fn an_undecided_expectation_is_skipped() {
        assert_eq!(ExpectationState::OPEN.verdict(), (Verdict::Skipped, None));
        assert_eq!(ExpectationState::OPEN.failure(), None);
    }
}
