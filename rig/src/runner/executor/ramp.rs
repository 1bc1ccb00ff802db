//! A step's `ramp:` while it runs: which level is applied, when the next is due, and
//! whether its `until` condition has ended it. The executor applies the levels; this
//! only keeps the count, in whole nanoseconds of the run's clock like every window.

use std::time::Duration;

use super::measuring::{reads, turned_true};
use crate::expr::ChannelId;
use crate::plan::{Ramp, SourceSettings};
use crate::runner::store::Store;

pub struct RampRun<'p> {
    ramp: &'p Ramp,
    /// The level applied last.
    level: usize,
    /// When it was applied: its hold counts from here.
    since: Duration,
    /// Readings that arrived up to this arrival number predate the ramp and cannot end it.
    began_at: u64,
    /// `until` became true, or the last level's hold is over.
    done: bool,
}

impl<'p> RampRun<'p> {
    /// The ramp with its first level applied at `now`; `began_at` is the store's
    /// arrival count then.
    pub fn begin(ramp: &'p Ramp, now: Duration, began_at: u64) -> RampRun<'p> {
        RampRun {
            ramp,
            level: 0,
            since: now,
            began_at,
            done: ramp.levels.is_empty(),
        }
    }

    /// When the applied level's hold ends (the next level, or the ramp's end), while
    /// the ramp runs.
    pub fn due(&self) -> Option<Duration> {
        (!self.done).then(|| self.since.saturating_add(self.ramp.hold))
    }

    /// A reading of `id`: the ramp ends if it makes `until` true.
    pub fn on_reading(&mut self, id: ChannelId, store: &Store) {
        if let Some((until, _)) = &self.ramp.until
            && !self.done
            && reads(until, id)
            && turned_true(until, store, self.began_at)
        {
            self.done = true;
        }
    }

    /// The clock reached `now`: the next level to apply if its time has come, or the
    /// ramp's end after the last level's hold.
    pub fn step_at(&mut self, now: Duration) -> Option<&'p SourceSettings> {
        if self.due().is_none_or(|due| now < due) {
            return None;
        }
        if self.level + 1 >= self.ramp.levels.len() {
            self.done = true;
            return None;
        }
        self.level += 1;
        self.since = now;
        self.ramp.levels.get(self.level)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp(levels: &[f64], hold_s: u64) -> Ramp {
        Ramp {
            levels: levels
                .iter()
                .map(|&a| SourceSettings {
                    current_limit: Some(a),
                    ..SourceSettings::default()
                })
                .collect(),
            hold: Duration::from_secs(hold_s),
            until: None,
        }
    }

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn levels_follow_each_other_a_hold_apart_and_the_last_hold_ends_the_ramp() {
        let r = ramp(&[70.0, 71.0, 72.0], 3);
        let mut run = RampRun::begin(&r, s(10), 0);
        assert_eq!(run.due(), Some(s(13)));
        assert_eq!(run.step_at(s(12)), None, "not before the hold is over");
        assert_eq!(run.step_at(s(13)).and_then(|l| l.current_limit), Some(71.0));
        assert_eq!(run.due(), Some(s(16)));
        assert_eq!(run.step_at(s(16)).and_then(|l| l.current_limit), Some(72.0));
        assert_eq!(run.due(), Some(s(19)), "the last level is held too");
        assert_eq!(run.step_at(s(19)), None);
        assert_eq!(run.due(), None, "the ramp is over");
    }
}
