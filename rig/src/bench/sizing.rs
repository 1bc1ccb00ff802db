//! A bench sized to what a plan applies (issue 14). The virtual bench is a twin: its
//! source grows to drive any pack, so a 400 Ah profile's 800 A peak tier runs on it. A
//! real bench's ratings are the user's: a plan that needs more is skipped on it, with
//! the reason, before anything connects (see `plan::trial`).

use super::{Bench, Role};
use crate::plan::{Action, Plan, SourceSettings};

/// How far above what a plan applies a grown virtual source is rated.
pub const HEADROOM: f64 = 1.2;

/// The largest voltage and current a plan's source settings ask for, in its actions
/// and every level of its ramps (0 without any).
pub fn needs(plan: &Plan) -> (f64, f64) {
    let mut most = (0.0_f64, 0.0_f64);
    let mut take = |s: &SourceSettings| {
        most.0 = most.0.max(s.voltage.unwrap_or(0.0));
        let i = s
            .current_limit
            .unwrap_or(0.0)
            .max(s.sink_limit.unwrap_or(0.0));
        most.1 = most.1.max(i);
    };
    for step in &plan.steps {
        for action in &step.actions {
            if let Action::Source(s) = action {
                take(s);
            }
        }
        for level in step.ramp.iter().flat_map(|r| &r.levels) {
            take(level);
        }
    }
    most
}

impl Bench {
    /// The bench with its source unrated: only the profile's limits bound a plan on it,
    /// so loading on it tells a plan the bench cannot drive from a plan that is wrong.
    pub fn unrated(&self) -> Bench {
        let mut b = self.clone();
        for i in b.instruments.values_mut() {
            if i.driver.role() == Role::Source {
                (i.max_voltage, i.max_current) = (None, None);
            }
        }
        b
    }

    /// The virtual bench with its source rated for `(volts, amps)` where its own
    /// ratings are lower; unchanged where they suffice (a plan within them runs on the
    /// bench as written, and its log stays the same). A grown rating has
    /// [`HEADROOM`]: the source's over-current protection is set from its rating, and
    /// a unit limiting at exactly its OCP would trip on its own set point.
    pub fn sized_for(&self, (volts, amps): (f64, f64)) -> Bench {
        let grown = |rated: f64, need: f64| {
            if need > rated { need * HEADROOM } else { rated }
        };
        let mut b = self.clone();
        for i in b.instruments.values_mut() {
            if i.driver.role() == Role::Source {
                i.max_voltage = i.max_voltage.map(|v| grown(v, volts));
                i.max_current = i.max_current.map(|a| grown(a, amps));
            }
        }
        b
    }

    /// The source's ratings, for a skip's reason.
    pub fn source_ratings(&self) -> Option<(String, Option<f64>, Option<f64>)> {
        self.instruments
            .values()
            .find(|i| i.driver.role() == Role::Source)
            .map(|i| (i.name.clone(), i.max_voltage, i.max_current))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_virtual_source_grows_to_what_is_needed_and_never_shrinks() {
        let sim = Bench::builtin_sim();
        let (name, v, a) = sim.source_ratings().unwrap();
        assert_eq!((name.as_str(), v, a), ("source", Some(60.0), Some(120.0)));
        let big = sim.sized_for((57.6, 800.0));
        assert_eq!(big.source_ratings().unwrap().2, Some(800.0 * HEADROOM));
        assert_eq!(big.source_ratings().unwrap().1, Some(60.0));
        let small = sim.sized_for((50.0, 10.0));
        assert_eq!(small.source_ratings().unwrap().2, Some(120.0));
        let none = sim.unrated();
        assert_eq!(none.source_ratings().unwrap().2, None);
    }
}
