//! A step's measurements while it runs: each reading of a channel they read feeds their
//! trackers (`measurement.rs`), a condition that turns true or the close of a window
//! decides them, and each writes its one `measurement` event at its decision: the value
//! in its display unit, its limits, the margin to the nearest limit and the verdict.

use std::time::Duration;

use rig_reports::{EventKind, LimitBasis, Verdict};

use super::measurement::{Sample, Tracker, Unmeasurable};
use super::messages::{fmt_length, fmt_t};
use super::window::StepWindows;
use crate::dut::Provenance;
use crate::expr::{BoundExpr, ChannelId, Value};
use crate::plan::{MeasureKind, MeasureWindow, Measurement, Step};
use crate::quantity::{format_duration, trim_float};
use crate::runner::log::EventLog;
use crate::runner::store::Store;

/// How a measurement was decided.
enum Decision {
    /// The value, in its dimension's base unit.
    Value(f64),
    /// Why no value came.
    Unmeasurable(String),
}

struct Item<'p> {
    m: &'p Measurement,
    tracker: Tracker,
    /// For `value_of`: its value on the readings before the current instant.
    before: ValueBefore,
    decided: bool,
    /// The failure's text, once decided outside its limits or unmeasurable.
    failure: Option<String>,
}

/// The measurements of one step, in the order the plan lists them.
pub struct Measures<'p> {
    step: usize,
    items: Vec<Item<'p>>,
}

/// What `e` reads on the latest readings: `None` while a channel it reads still holds
/// a reading from before the window opened (arrival number `opened_at` or below);
/// `Some(None)` when a channel has no value, or the value is undefined.
fn evaluate(e: &BoundExpr, store: &Store, opened_at: u64) -> Option<Option<Sample>> {
    let channels = e.channels();
    if (channels.iter()).any(|(id, _)| store.get(*id).is_some_and(|r| r.order <= opened_at)) {
        return None;
    }
    let values = |id| store.value(id);
    if crate::expr::undefined(e, &values) {
        return Some(None);
    }
    Some(match e.eval(&values) {
        Some(Value::Bool(b)) => Some(Sample::Bool(b)),
        Some(Value::Num(q)) if q.value.is_finite() => Some(Sample::Num(q.value)),
        _ => None,
    })
}

/// Whether `e` reads channel `id`.
pub(super) fn reads(e: &BoundExpr, id: ChannelId) -> bool {
    e.channels().iter().any(|(c, _)| *c == id)
}

/// Whether `e` is true on fresh readings.
pub(super) fn turned_true(e: &BoundExpr, store: &Store, opened_at: u64) -> bool {
    evaluate(e, store, opened_at) == Some(Some(Sample::Bool(true)))
}

impl<'p> Measures<'p> {
    pub fn open(step: &'p Step) -> Measures<'p> {
        let items = (step.measurements.iter())
            .map(|m| Item {
                m,
                tracker: Tracker::default(),
                before: ValueBefore::default(),
                decided: false,
                failure: None,
            })
            .collect();
        Measures {
            step: step.number,
            items,
        }
    }

    /// The windows open at `now`: `value_of` starts from the latest readings, and
    /// `edges_of` / `period_of` from the condition's state on them.
    pub fn start(&mut self, store: &Store, now: Duration) {
        for item in &mut self.items {
            match &item.m.kind {
                MeasureKind::ValueOf { value, .. } => {
                    item.before.latest = Some((now, number(value, store)));
                }
                MeasureKind::EdgesOf { of, .. } | MeasureKind::PeriodOf(of) => {
                    if let Some(Value::Bool(b)) = of.eval(&|id| store.value(id)) {
                        item.tracker.start_from(b);
                    }
                }
                _ => {}
            }
        }
    }

    pub fn has_failed(&self) -> bool {
        self.items.iter().any(|i| i.failure.is_some())
    }

    /// The window lengths of the measurements still undecided.
    pub fn pending(&self) -> impl Iterator<Item = Duration> + '_ {
        (self.items.iter())
            .filter(|i| !i.decided)
            .map(|i| i.m.window.length())
    }

    /// A reading of channel `id` at `t`: feed or decide the measurements that read it.
    pub fn on_reading(
        &mut self,
        at: (ChannelId, Duration),
        store: &Store,
        opened_at: u64,
        windows: &StepWindows,
        log: &EventLog,
    ) {
        let (id, t) = at;
        let step = self.step;
        for item in self.items.iter_mut().filter(|i| !i.decided) {
            let m = item.m;
            if t > windows.closes(m.window.length()) {
                continue;
            }
            if let MeasureKind::ValueOf { value, .. } = &m.kind
                && reads(value, id)
            {
                item.before.read(t, number(value, store));
            }
            let decision = match (&m.kind, &m.window) {
                (MeasureKind::TimeTo(c), _) => (reads(c, id) && turned_true(c, store, opened_at))
                    .then(|| Decision::Value(windows.elapsed(t).as_secs_f64())),
                (MeasureKind::ValueOf { when, .. }, _) => (reads(when, id)
                    && turned_true(when, store, opened_at))
                .then(|| value_at(m, item.before.at(t))),
                (_, MeasureWindow::Until { until, .. })
                    if reads(until, id) && turned_true(until, store, opened_at) =>
                {
                    Some(closed(item, t, windows))
                }
                (kind, _) => {
                    let e = kind.exprs()[0];
                    if reads(e, id)
                        && let Some(v) = evaluate(e, store, opened_at)
                    {
                        item.tracker.observe(t, v);
                    }
                    None
                }
            };
            if let Some(d) = decision {
                item.decide(d, step, log);
            }
        }
    }

    /// The clock reached `deadline`: decide the measurements whose windows closed.
    pub fn at_deadline(&mut self, deadline: Duration, windows: &StepWindows, log: &EventLog) {
        let step = self.step;
        for item in self.items.iter_mut().filter(|i| !i.decided) {
            let m = item.m;
            let closes = windows.closes(m.window.length());
            if closes > deadline {
                continue;
            }
            let decision = match &m.window {
                MeasureWindow::For(_) => closed(item, closes, windows),
                MeasureWindow::Within(d) => {
                    let cond = match &m.kind {
                        MeasureKind::ValueOf { when_text, .. } => when_text,
                        _ => &m.text,
                    };
                    Decision::Unmeasurable(format!(
                        "waited {} (from {} to {}) for `{cond}` to become true; it never did",
                        format_duration(d.as_secs_f64()),
                        fmt_t(windows.opened()),
                        fmt_t(closes)
                    ))
                }
                MeasureWindow::Until { text, within, .. } => Decision::Unmeasurable(format!(
                    "the window's end, `{text}`, never came: waited {} (from {} to {})",
                    format_duration(within.as_secs_f64()),
                    fmt_t(windows.opened()),
                    fmt_t(closes)
                )),
            };
            item.decide(decision, step, log);
        }
    }

    /// The step ends: log the measurements left undecided (another failed first) as
    /// skipped, and return the first failure's text.
    pub fn finish(&mut self, log: &EventLog) -> Option<String> {
        let step = self.step;
        for item in self.items.iter_mut().filter(|i| !i.decided) {
            item.decided = true;
            log.emit(item.event(step, None, Verdict::Skipped, None));
        }
        self.items.iter().find_map(|i| i.failure.clone())
    }
}

/// The value of `value_of` at the reading where its condition turned true.
fn value_at(m: &Measurement, before: Option<f64>) -> Decision {
    match before {
        Some(v) => Decision::Value(v),
        None => Decision::Unmeasurable(format!(
            "`{}` had no value when its condition turned true",
            m.text
        )),
    }
}

/// A number expression on the latest readings, if it has a finite value.
fn number(e: &BoundExpr, store: &Store) -> Option<f64> {
    match e.eval(&|id| store.value(id)) {
        Some(Value::Num(q)) if q.value.is_finite() => Some(q.value),
        _ => None,
    }
}

/// The value of an expression on the readings before the current instant: a reading
/// at the instant the condition turns true may already show its effect (the current
/// is 0 A once COCP has opened the MOSFET), so `value_of` takes the value before it.
#[derive(Clone, Copy, Debug, Default)]
struct ValueBefore {
    /// The value as last evaluated, and when.
    latest: Option<(Duration, Option<f64>)>,
    /// The value at the end of the instant before `latest`'s.
    settled: Option<f64>,
}

impl ValueBefore {
    fn read(&mut self, t: Duration, value: Option<f64>) {
        if let Some((at, v)) = self.latest
            && at < t
        {
            self.settled = v;
        }
        self.latest = Some((t, value));
    }

    /// The value on the readings before `t`.
    fn at(&self, t: Duration) -> Option<f64> {
        match self.latest {
            Some((at, v)) if at < t => v,
            _ => self.settled,
        }
    }
}

/// Close `item`'s window at `t` and take its value.
fn closed(item: &mut Item<'_>, t: Duration, windows: &StepWindows) -> Decision {
    match item.tracker.close(t, &item.m.kind) {
        Ok(v) => Decision::Value(v),
        Err(Unmeasurable::NoReading) => Decision::Unmeasurable(format!(
            "no reading gave `{}` a value in its window, from {} to {}",
            item.m.text,
            fmt_t(windows.opened()),
            fmt_t(t)
        )),
        Err(Unmeasurable::TooFewRises(n)) => Decision::Unmeasurable(format!(
            "`{}` rose {n} time(s) in its {} window; a period needs two rising edges",
            item.m.text,
            fmt_length(windows.elapsed(t))
        )),
    }
}

/// Rounded to a millionth of the display unit, so logs print the same digits everywhere.
fn round6(x: f64) -> f64 {
    // `+ 0.0` turns -0 (a negated 0 A) into 0.
    (x * 1e6).round() / 1e6 + 0.0
}

impl Item<'_> {
    /// Judge the decision against the limits, log the event, keep a failure's text.
    fn decide(&mut self, d: Decision, step: usize, log: &EventLog) {
        self.decided = true;
        let m = self.m;
        let (value, verdict, margin, message) = match d {
            Decision::Value(base) => {
                let value = m.unit.show(base);
                let margin = margin(m, value);
                let inside = margin.is_none_or(|x| x >= 0.0);
                let verdict = if inside { Verdict::Pass } else { Verdict::Fail };
                let message = (!inside).then(|| outside(m, value, margin.unwrap_or(0.0)));
                (Some(value), verdict, margin, message)
            }
            Decision::Unmeasurable(why) => (
                None,
                Verdict::Fail,
                None,
                Some(format!(
                    "{}\n  expected: {}\n  unmeasurable: {why}",
                    head(m),
                    expected(m)
                )),
            ),
        };
        self.failure = message.clone().filter(|_| verdict == Verdict::Fail);
        log.emit(
            self.event(step, value, verdict, margin)
                .with_message(message),
        );
    }

    fn event(
        &self,
        step: usize,
        value: Option<f64>,
        verdict: Verdict,
        margin: Option<f64>,
    ) -> EventKind {
        let m = self.m;
        let show = |x: Option<f64>| x.map(|b| round6(m.unit.show(b)));
        EventKind::Measurement {
            step,
            name: m.name.clone(),
            kind: m.kind.key().to_string(),
            value: value.map(round6),
            unit: m.unit.name.clone(),
            min: show(m.min),
            max: show(m.max),
            margin: margin.map(round6),
            verdict,
            location: m.location.to_string(),
            basis: m.basis.iter().map(limit_basis).collect(),
            message: None,
        }
    }
}

/// A profile value the limits read, as the event carries it.
fn limit_basis((path, provenance): &(String, Provenance)) -> LimitBasis {
    let (source, assumption) = match provenance {
        Provenance::Manual(s) => (Some(s.clone()), None),
        Provenance::Assumption(a) => (None, Some(a.clone())),
    };
    LimitBasis {
        value: format!("dut.{path}"),
        source,
        assumption,
    }
}

/// Set the message of a measurement event.
trait WithMessage {
    fn with_message(self, message: Option<String>) -> Self;
}

impl WithMessage for EventKind {
    fn with_message(mut self, text: Option<String>) -> Self {
        if let EventKind::Measurement { message, .. } = &mut self {
            *message = text;
        }
        self
    }
}

/// The distance from `value` (display unit) to the nearest limit: positive inside.
fn margin(m: &Measurement, value: f64) -> Option<f64> {
    let below_max = m.max.map(|hi| m.unit.show(hi) - value);
    let above_min = m.min.map(|lo| value - m.unit.show(lo));
    match (above_min, below_max) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A quantity in the display unit: `96.2 Ah`, `3` (a count).
fn shown(m: &Measurement, value: f64) -> String {
    match m.unit.name.as_str() {
        "" => trim_float(value),
        unit => format!("{} {unit}", trim_float(value)),
    }
}

/// `measurement "name" failed (file:line:col)`.
fn head(m: &Measurement) -> String {
    format!("measurement \"{}\" failed ({})", m.name, m.location)
}

/// What was measured against which limits.
fn expected(m: &Measurement) -> String {
    let window = match &m.window {
        MeasureWindow::Within(d) => format!("within {}", format_duration(d.as_secs_f64())),
        MeasureWindow::For(d) => format!("for {}", format_duration(d.as_secs_f64())),
        MeasureWindow::Until { text, within, .. } => format!(
            "until {text}, within {}",
            format_duration(within.as_secs_f64())
        ),
    };
    let limit = |x: f64| shown(m, m.unit.show(x));
    let limits = match (m.min, m.max) {
        (Some(lo), Some(hi)) => format!("between {} and {}", limit(lo), limit(hi)),
        (Some(lo), None) => format!("at least {}", limit(lo)),
        (None, Some(hi)) => format!("at most {}", limit(hi)),
        (None, None) => "recorded".into(),
    };
    format!("{} {} {window}: {limits}", m.kind.key(), m.text)
}

/// The failure text of a value outside its limits, with the limit it broke and the margin.
fn outside(m: &Measurement, value: f64, margin: f64) -> String {
    let broke = match (m.min, m.max) {
        (Some(lo), _) if value < m.unit.show(lo) => {
            format!("below its min {}", shown(m, m.unit.show(lo)))
        }
        (_, Some(hi)) => format!("above its max {}", shown(m, m.unit.show(hi))),
        _ => "outside its limits".into(),
    };
    let band = match (m.min, m.max) {
        (Some(lo), Some(hi)) if hi > lo => format!(
            ", {} % of the band",
            trim_float(
                (margin / (m.unit.show(hi) - m.unit.show(lo)) * 100.0 * 10.0).round() / 10.0
            )
        ),
        _ => String::new(),
    };
    format!(
        "{}\n  expected: {}\n  measured: {}, {broke} (margin {}{band})",
        head(m),
        expected(m),
        shown(m, value),
        shown(m, margin)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn value_of_takes_the_value_before_the_instant_its_condition_turned_true() {
        let mut v = ValueBefore::default();
        v.read(s(1), Some(80.0));
        v.read(s(2), Some(80.0));
        // At t=3 s the current reads 0 A (the MOSFET opened) just before the flag.
        v.read(s(3), Some(0.0));
        assert_eq!(v.at(s(3)), Some(80.0));
        // A condition turning true later sees the 0 A reading as the one before.
        assert_eq!(v.at(s(4)), Some(0.0));
        // Several readings at one instant: still the value before that instant.
        v.read(s(4), Some(5.0));
        v.read(s(4), Some(6.0));
        assert_eq!(v.at(s(4)), Some(0.0));
        assert_eq!(ValueBefore::default().at(s(1)), None);
    }

    #[test]
    fn logged_values_are_rounded_to_a_millionth() {
        assert_eq!(round6(97.321_638_9), 97.321_639);
        assert_eq!(round6(-1.000_000_4), -1.0);
    }
}
