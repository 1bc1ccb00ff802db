//! The progress watchdog on the run clock. The executor waits only in `next()`: for a
//! reading, or until a deadline. An engine that cannot advance shows there as the clock
//! standing still while the executor keeps waking: the same moment reached again and
//! again (a deadline the clock cannot pass, as f64 seconds once made, issue 13), or an
//! endless stream of readings at one moment (a sampler in a hot loop). On the virtual
//! bench the clock then never moves, so no timeout of the plan can fire either; the
//! watchdog turns the spin into a rig error naming the step.
//!
//! A healthy engine wakes at most a few times at one moment (a deadline, then the
//! producers waking with it), and reads at most a few readings per channel there.

use std::time::Duration;

use crate::plan::Step;

/// Wake-ups at one moment beyond which the engine is stuck.
const WAKE_UPS: u32 = 1_000;
/// Readings at one moment beyond which a producer is stuck.
const READINGS: u32 = 100_000;

/// Counts what happens while the clock stands still.
#[derive(Debug, Default)]
pub struct Watchdog {
    /// The step running, if one is: number and name.
    step: Option<(usize, String)>,
    /// The moment the counts are for.
    at: Duration,
    wake_ups: u32,
    readings: u32,
}

/// What the executor's wait ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Woke {
    /// A reading came.
    Reading,
    /// The clock reached the deadline.
    Deadline,
}

/// The engine cannot advance: the clock stayed at `at`.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{}the engine cannot advance: the clock stayed at t={} s through {count} {what}; this is a fault of the rig, not of the DUT",
    where_(.step),
    crate::quantity::trim_float(.at.as_secs_f64())
)]
pub struct Stuck {
    pub step: Option<(usize, String)>,
    pub at: Duration,
    pub count: u32,
    pub what: &'static str,
}

fn where_(step: &Option<(usize, String)>) -> String {
    match step {
        Some((n, name)) => format!("step {n} \"{name}\": "),
        None => "before step 1: ".into(),
    }
}

impl Watchdog {
    /// Waits that follow are `step`'s.
    pub fn enter(&mut self, step: &Step) {
        self.step = Some((step.number, step.name.clone()));
    }

    /// The executor's wait ended at `now` with `woke`; `Err` once the clock has stood
    /// still for too many of them.
    pub fn observe(&mut self, now: Duration, woke: Woke) -> Result<(), Stuck> {
        if now != self.at {
            self.at = now;
            self.wake_ups = 0;
            self.readings = 0;
        }
        let (count, limit, what) = match woke {
            Woke::Reading => {
                self.readings += 1;
                (self.readings, READINGS, "readings")
            }
            Woke::Deadline => {
                self.wake_ups += 1;
                (
                    self.wake_ups,
                    WAKE_UPS,
                    "wake-ups at a deadline already reached",
                )
            }
        };
        if count < limit {
            return Ok(());
        }
        Err(Stuck {
            step: self.step.clone(),
            at: now,
            count,
            what,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_clock_that_moves_is_progress() {
        let mut w = Watchdog::default();
        for i in 0..10 * WAKE_UPS {
            assert_eq!(w.observe(ms(u64::from(i)), Woke::Deadline), Ok(()));
        }
    }

    #[test]
    fn the_same_deadline_reached_again_and_again_is_stuck() {
        let mut w = Watchdog {
            step: Some((4, "step 4".into())),
            ..Watchdog::default()
        };
        for _ in 1..WAKE_UPS {
            assert_eq!(w.observe(ms(3111), Woke::Deadline), Ok(()));
        }
        let stuck = w.observe(ms(3111), Woke::Deadline).unwrap_err();
        assert_eq!(
            stuck.to_string(),
            "step 4 \"step 4\": the engine cannot advance: the clock stayed at t=3.111 s through 1000 wake-ups at a deadline already reached; this is a fault of the rig, not of the DUT"
        );
    }

    #[test]
    fn readings_at_one_moment_are_fine_up_to_a_flood() {
        let mut w = Watchdog::default();
        for _ in 1..READINGS {
            assert_eq!(w.observe(ms(5), Woke::Reading), Ok(()));
        }
        // Wake-ups and readings are counted apart.
        assert_eq!(w.observe(ms(5), Woke::Deadline), Ok(()));
        let stuck = w.observe(ms(5), Woke::Reading).unwrap_err();
        assert_eq!(
            (stuck.count, stuck.what, stuck.step.clone()),
            (READINGS, "readings", None)
        );
        assert!(stuck.to_string().starts_with("before step 1: "), "{stuck}");
        // Once the clock moves, counting starts again.
        assert_eq!(w.observe(ms(6), Woke::Reading), Ok(()));
    }
}
