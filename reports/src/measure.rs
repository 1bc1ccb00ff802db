//! The values a plan measured (`measure:`, SPEC-12 §4), as every report shows them:
//! read from the `measurement` events, with their limits, margin and the words a test
//! engineer reads ("recorded" for a value without limits, "unmeasurable" for one that
//! never came).

use crate::event::{EventKind, LimitBasis, Verdict};
use crate::format;

/// One `measurement` event, placed on the run's time axis.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct MeasurementRecord {
    pub step: usize,
    /// Dotted id (`cocp.trip_delay`).
    pub name: String,
    /// `time_to`, `value_of`, `integral_of`, ...
    pub kind: String,
    /// `None`: unmeasurable (the value never came).
    pub value: Option<f64>,
    /// The display unit of the value, the limits and the margin.
    pub unit: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Distance to the nearest limit: positive inside, negative outside.
    pub margin: Option<f64>,
    pub verdict: Verdict,
    /// The plan line that asked for it (`testplans/x.yaml:40:9`).
    pub location: String,
    pub message: Option<String>,
    /// The profile values its limits read, with their manual clauses.
    pub basis: Vec<LimitBasis>,
    /// When it was decided: seconds since the run started.
    pub t: f64,
}

/// What a measurement came to, in the report's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    /// A value without limits: kept, not judged.
    Recorded,
    /// The value never came.
    Unmeasurable,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Recorded => "recorded",
            Outcome::Unmeasurable => "unmeasurable",
        }
    }
}

impl MeasurementRecord {
    /// From a `measurement` event logged at `t`. Numbers that are not finite (a corrupt
    /// log) are treated as absent.
    pub fn of(t: f64, kind: &EventKind) -> Option<MeasurementRecord> {
        let EventKind::Measurement {
            step,
            name,
            kind,
            value,
            unit,
            min,
            max,
            margin,
            verdict,
            location,
            basis,
            message,
        } = kind
        else {
            return None;
        };
        let finite = |v: &Option<f64>| v.filter(|v| v.is_finite());
        Some(MeasurementRecord {
            step: *step,
            name: name.clone(),
            kind: kind.clone(),
            value: finite(value),
            unit: format::unit(unit).to_string(),
            min: finite(min),
            max: finite(max),
            margin: finite(margin),
            verdict: *verdict,
            location: location.clone(),
            message: message.clone(),
            basis: basis.clone(),
            t,
        })
    }

    pub fn outcome(&self) -> Outcome {
        match (self.value, self.min, self.max, self.verdict) {
            (None, ..) => Outcome::Unmeasurable,
            (Some(_), None, None, Verdict::Pass) => Outcome::Recorded,
            (Some(_), _, _, Verdict::Pass) => Outcome::Pass,
            _ => Outcome::Fail,
        }
    }

    /// `max − min` when both limits exist and the band is not empty.
    pub fn band_width(&self) -> Option<f64> {
        let w = self.max? - self.min?;
        (w > 0.0).then_some(w)
    }

    /// The margin as a percentage of the band width, when there is a band.
    pub fn margin_pct(&self) -> Option<f64> {
        Some(self.margin? / self.band_width()? * 100.0)
    }

    /// `2 s`, `48.1 Ah`, or `unmeasurable`.
    pub fn value_text(&self) -> String {
        match self.value {
            Some(v) => self.with_unit(&format::number(v)),
            None => "unmeasurable".into(),
        }
    }

    /// `[1, 4] s`, `≥ 1 s`, `≤ 4 s`, or `none`.
    pub fn limits_text(&self) -> String {
        let n = format::number;
        match (self.min, self.max) {
            (Some(lo), Some(hi)) => self.with_unit(&format!("[{}, {}]", n(lo), n(hi))),
            (Some(lo), None) => self.with_unit(&format!("≥ {}", n(lo))),
            (None, Some(hi)) => self.with_unit(&format!("≤ {}", n(hi))),
            (None, None) => "none".into(),
        }
    }

    /// `1 s (33.3 % of the band)`, or empty without a margin.
    pub fn margin_text(&self) -> String {
        let Some(m) = self.margin else {
            return String::new();
        };
        match self.margin_pct() {
            Some(pct) => format!(
                "{} ({} % of the band)",
                self.with_unit(&format::number(m)),
                format::number((pct * 10.0).round() / 10.0)
            ),
            None => self.with_unit(&format::number(m)),
        }
    }

    /// The JUnit property value (SPEC-12 §7): `2.000 s [1.000, 4.000] margin 1.000`;
    /// `≥ 1.000` or `≤ 4.000` for one limit, `recorded` without limits,
    /// `unmeasurable` (and why) without a value.
    pub fn property_text(&self) -> String {
        let n = |v: f64| format!("{v:.3}");
        let limits = match (self.min, self.max) {
            (Some(lo), Some(hi)) => format!("[{}, {}]", n(lo), n(hi)),
            (Some(lo), None) => format!("≥ {}", n(lo)),
            (None, Some(hi)) => format!("≤ {}", n(hi)),
            (None, None) => "recorded".into(),
        };
        let Some(value) = self.value else {
            let why = self.message.as_deref().unwrap_or("the value never came");
            return format!("unmeasurable {limits}: {why}");
        };
        let mut text = format!("{} {limits}", self.with_unit(&n(value)));
        if let Some(m) = self.margin {
            text += &format!(" margin {}", n(m));
        }
        text
    }

    fn with_unit(&self, number: &str) -> String {
        if self.unit.is_empty() {
            number.to_string()
        } else {
            format!("{number} {}", self.unit)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: Option<f64>, min: Option<f64>, max: Option<f64>) -> MeasurementRecord {
        MeasurementRecord {
            step: 2,
            name: "cocp.trip_delay".into(),
            kind: "time_to".into(),
            value,
            unit: "s".into(),
            min,
            max,
            margin: value.and_then(|v| match (min, max) {
                (Some(lo), Some(hi)) => Some((v - lo).min(hi - v)),
                (Some(lo), None) => Some(v - lo),
                (None, Some(hi)) => Some(hi - v),
                (None, None) => None,
            }),
            verdict: Verdict::Pass,
            location: "testplans/cocp.yaml:40:9".into(),
            message: None,
            basis: Vec::new(),
            t: 12.0,
        }
    }

    #[test]
    fn the_junit_property_reads_as_the_spec_writes_it() {
        let m = record(Some(2.0), Some(1.0), Some(4.0));
        assert_eq!(m.property_text(), "2.000 s [1.000, 4.000] margin 1.000");
        let one_sided = record(Some(2.0), None, Some(4.0));
        assert_eq!(one_sided.property_text(), "2.000 s ≤ 4.000 margin 2.000");
        assert_eq!(
            record(Some(2.0), None, None).property_text(),
            "2.000 s recorded"
        );
        let mut never = record(None, Some(1.0), Some(4.0));
        never.verdict = Verdict::Fail;
        never.message = Some("unmeasurable: waited 30 s".into());
        assert_eq!(
            never.property_text(),
            "unmeasurable [1.000, 4.000]: unmeasurable: waited 30 s"
        );
    }

    #[test]
    fn outcome_margin_and_band_percentage() {
        let m = record(Some(2.0), Some(1.0), Some(4.0));
        assert_eq!(m.outcome(), Outcome::Pass);
        assert_eq!(m.margin_text(), "1 s (33.3 % of the band)");
        assert_eq!(m.limits_text(), "[1, 4] s");
        assert_eq!(record(Some(2.0), None, None).outcome(), Outcome::Recorded);
        assert_eq!(record(Some(2.0), Some(1.0), None).margin_text(), "1 s");
        let mut never = record(None, Some(1.0), Some(4.0));
        never.verdict = Verdict::Fail;
        assert_eq!(never.outcome(), Outcome::Unmeasurable);
        assert_eq!(never.value_text(), "unmeasurable");
        let mut out = record(Some(5.0), Some(1.0), Some(4.0));
        out.verdict = Verdict::Fail;
        assert_eq!(out.outcome(), Outcome::Fail);
        assert!((out.margin_pct().unwrap() + 100.0 / 3.0).abs() < 1e-9);
    }
}
