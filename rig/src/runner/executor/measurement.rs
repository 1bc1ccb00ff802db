//! The arithmetic of one measurement over its window, on the values its expression takes
//! at readings, in time order. It knows nothing of channels or the clock: the executor
//! evaluates the expression on fresh readings and tells the tracker when.
//!
//! Sample and hold over integer time: a value holds from the reading that gave it until
//! the next one (or the window's end), and weighs by the whole nanoseconds it held.
//! Integrals and time-weighted means are sums of `value x nanoseconds`; times (covered,
//! true, between edges) are summed as integers, never as f64 seconds. The hold starts
//! at the first reading inside the window: the time before it, when the value is not
//! yet known, counts for nothing. A reading without a value (a link fell silent)
//! stops the hold until the next value.

use std::time::Duration;

use crate::plan::{Edge, MeasureKind};

/// One value of the measured expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Sample {
    Num(f64),
    Bool(bool),
}

/// Why a measurement has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unmeasurable {
    /// No reading gave the expression a value inside the window.
    NoReading,
    /// `period_of` saw fewer than two rising edges.
    TooFewRises(u64),
}

/// The running sums of one measurement.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    /// The last value and the moment it began to hold; `None` before the first reading
    /// and while a reading has no value.
    held: Option<(Sample, Duration)>,
    /// The last true/false value seen, across gaps: edges compare with it.
    last_bool: Option<bool>,
    /// Any value seen in the window.
    seen: bool,
    /// Sum of value x nanoseconds held.
    weighted: f64,
    /// Nanoseconds a value held, and of those, nanoseconds a condition was true.
    covered_ns: u128,
    true_ns: u128,
    lowest: Option<f64>,
    highest: Option<f64>,
    rising: u64,
    falling: u64,
    first_rise: Option<Duration>,
    last_rise: Option<Duration>,
}

impl Tracker {
    /// The expression read `value` at `t` (`None`: no value).
    pub fn observe(&mut self, t: Duration, value: Option<Sample>) {
        self.hold_until(t);
        let Some(v) = value else {
            self.held = None;
            return;
        };
        self.seen = true;
        match v {
            Sample::Num(x) => {
                self.lowest = Some(self.lowest.map_or(x, |l| l.min(x)));
                self.highest = Some(self.highest.map_or(x, |h| h.max(x)));
            }
            Sample::Bool(b) => self.edge(t, b),
        }
        self.held = Some((v, t));
    }

    /// The held value counts until `t`.
    fn hold_until(&mut self, t: Duration) {
        let Some((v, since)) = self.held else {
            return;
        };
        let ns = t.saturating_sub(since).as_nanos();
        self.covered_ns += ns;
        match v {
            // Nanoseconds up to 2.6e15 (30 days) are exact in an f64.
            Sample::Num(x) => self.weighted += x * ns as f64,
            Sample::Bool(true) => self.true_ns += ns,
            Sample::Bool(false) => {}
        }
        self.held = Some((v, t));
    }

    /// The condition's state as the window opens (on the latest readings): a change on
    /// the window's first reading is then an edge. A channel reported only when it
    /// changes (`bms.online`) would otherwise lose its first change.
    pub fn start_from(&mut self, b: bool) {
        self.last_bool = Some(b);
    }

    fn edge(&mut self, t: Duration, b: bool) {
        match (self.last_bool, b) {
            (Some(false), true) => {
                self.rising += 1;
                self.first_rise.get_or_insert(t);
                self.last_rise = Some(t);
            }
            (Some(true), false) => self.falling += 1,
            _ => {}
        }
        self.last_bool = Some(b);
    }

    /// The window ends at `t`: the value of `kind` in its base unit.
    pub fn close(&mut self, t: Duration, kind: &MeasureKind) -> Result<f64, Unmeasurable> {
        self.hold_until(t);
        if !self.seen {
            return Err(Unmeasurable::NoReading);
        }
        let covered = self.covered_ns;
        let per_covered = |x: f64| match covered {
            0 => Err(Unmeasurable::NoReading),
            n => Ok(x / n as f64),
        };
        match kind {
            MeasureKind::IntegralOf { factor, .. } => Ok(self.weighted / 1e9 * factor),
            MeasureKind::MeanOf(_) => per_covered(self.weighted),
            MeasureKind::DutyOf(_) => per_covered(100.0 * self.true_ns as f64),
            MeasureKind::MinOf(_) => self.lowest.ok_or(Unmeasurable::NoReading),
            MeasureKind::MaxOf(_) => self.highest.ok_or(Unmeasurable::NoReading),
            MeasureKind::EdgesOf { edge, .. } => Ok(match edge {
                Edge::Rising => self.rising,
                Edge::Falling => self.falling,
                Edge::Any => self.rising + self.falling,
            } as f64),
            MeasureKind::PeriodOf(_) => match (self.first_rise, self.last_rise) {
                (Some(first), Some(last)) if self.rising >= 2 => {
                    let span = (last - first).as_nanos();
                    Ok(span as f64 / (self.rising - 1) as f64 / 1e9)
                }
                _ => Err(Unmeasurable::TooFewRises(self.rising)),
            },
            // Decided at a reading, never by the close of a window.
            MeasureKind::TimeTo(_) | MeasureKind::ValueOf { .. } => Err(Unmeasurable::NoReading),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{BoundExpr, Type, bound::BoundKind};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn any() -> BoundExpr {
        BoundExpr {
            kind: BoundKind::Const(crate::expr::Value::Bool(true)),
            ty: Type::Bool,
        }
    }

    fn run(
        kind: &MeasureKind,
        readings: &[(u64, Option<Sample>)],
        end: u64,
    ) -> Result<f64, Unmeasurable> {
        let mut t = Tracker::default();
        for (at, v) in readings {
            t.observe(ms(*at), *v);
        }
        t.close(ms(end), kind)
    }

    fn num(x: f64) -> Option<Sample> {
        Some(Sample::Num(x))
    }

    fn flag(b: bool) -> Option<Sample> {
        Some(Sample::Bool(b))
    }

    #[test]
    fn an_integral_holds_each_value_until_the_next_reading() {
        // 20 A for 1 h then 10 A for 30 min: 25 Ah (A x s / 3600).
        let kind = MeasureKind::IntegralOf {
            of: any(),
            factor: 1.0 / 3600.0,
        };
        let got = run(&kind, &[(0, num(20.0)), (3_600_000, num(10.0))], 5_400_000).unwrap();
        assert!((got - 25.0).abs() < 1e-12, "{got}");
        // The value at the closing instant holds for no time.
        let got = run(&kind, &[(0, num(20.0)), (1000, num(1e6))], 1000).unwrap();
        assert!((got - 20.0 / 3600.0).abs() < 1e-15, "{got}");
    }

    #[test]
    fn time_is_summed_in_whole_nanoseconds() {
        // A million readings 1 ns apart: f64 seconds would drift, integers do not.
        let mut t = Tracker::default();
        for i in 0..1_000_000u64 {
            t.observe(Duration::from_nanos(i), num(1.0));
        }
        assert_eq!(
            t.close(Duration::from_nanos(1_000_000), &MeasureKind::MeanOf(any())),
            Ok(1.0)
        );
        assert_eq!(t.covered_ns, 1_000_000);
    }

    #[test]
    fn a_mean_is_weighted_by_time_not_by_readings() {
        // 10 V for 9 s, then 20 V read three times in the last second.
        let readings = [
            (0, num(10.0)),
            (9000, num(20.0)),
            (9500, num(20.0)),
            (9900, num(20.0)),
        ];
        assert_eq!(
            run(&MeasureKind::MeanOf(any()), &readings, 10_000),
            Ok(11.0)
        );
        assert_eq!(run(&MeasureKind::MinOf(any()), &readings, 10_000), Ok(10.0));
        assert_eq!(run(&MeasureKind::MaxOf(any()), &readings, 10_000), Ok(20.0));
    }

    #[test]
    fn time_without_a_value_counts_for_nothing() {
        // 10 A for 1 s, no value for 8 s, 30 A for 1 s: the mean is 20 A over 2 s.
        let readings = [(0, num(10.0)), (1000, None), (9000, num(30.0))];
        assert_eq!(
            run(&MeasureKind::MeanOf(any()), &readings, 10_000),
            Ok(20.0)
        );
        assert_eq!(
            run(&MeasureKind::MeanOf(any()), &[(0, None)], 10_000),
            Err(Unmeasurable::NoReading)
        );
        assert_eq!(
            run(&MeasureKind::MaxOf(any()), &[], 10_000),
            Err(Unmeasurable::NoReading)
        );
    }

    #[test]
    fn edges_count_changes_between_readings() {
        // off, on, on, off, on: two rising, one falling.
        let readings = [
            (0, flag(false)),
            (1000, flag(true)),
            (2000, flag(true)),
            (3000, flag(false)),
            (4000, flag(true)),
        ];
        let edges = |edge| run(&MeasureKind::EdgesOf { of: any(), edge }, &readings, 5000);
        assert_eq!(edges(Edge::Rising), Ok(2.0));
        assert_eq!(edges(Edge::Falling), Ok(1.0));
        assert_eq!(edges(Edge::Any), Ok(3.0));
        // The first reading is the starting state, not an edge.
        assert_eq!(
            run(
                &MeasureKind::EdgesOf {
                    of: any(),
                    edge: Edge::Any
                },
                &[(0, flag(true))],
                5000
            ),
            Ok(0.0)
        );
    }

    #[test]
    fn with_the_state_at_the_start_the_first_reading_can_be_an_edge() {
        let mut t = Tracker::default();
        t.start_from(true);
        t.observe(Duration::from_secs(1), Some(Sample::Bool(false)));
        let falling = MeasureKind::EdgesOf {
            of: any(),
            edge: Edge::Falling,
        };
        assert_eq!(t.close(Duration::from_secs(2), &falling), Ok(1.0));
    }

    #[test]
    fn a_period_is_the_mean_time_between_rising_edges() {
        // A LED on for 250 ms every 4 s, from t=1 s: rises at 1, 5, 9 s.
        let mut readings = vec![(0, flag(false))];
        for k in 0..3u64 {
            readings.push((1000 + 4000 * k, flag(true)));
            readings.push((1250 + 4000 * k, flag(false)));
        }
        assert_eq!(
            run(&MeasureKind::PeriodOf(any()), &readings, 12_000),
            Ok(4.0)
        );
        // Duty over 12 s: 3 x 250 ms true = 6.25 %.
        assert_eq!(
            run(&MeasureKind::DutyOf(any()), &readings, 12_000),
            Ok(6.25)
        );
        let one = [(0, flag(false)), (1000, flag(true))];
        assert_eq!(
            run(&MeasureKind::PeriodOf(any()), &one, 12_000),
            Err(Unmeasurable::TooFewRises(1))
        );
    }
}
