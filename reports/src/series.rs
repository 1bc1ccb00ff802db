//! Channel time series from `sample` events, and the trip and wake markers derived from
//! them. Samples are written on change only, so a series is a step function: each value
//! holds until the next one.

use std::collections::HashMap;

use crate::event::SampleValue;

/// Numbers in a unit, or a flag (0 or 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesKind {
    Number,
    Flag,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub channel: String,
    pub unit: String,
    pub kind: SeriesKind,
    /// Time-ordered `(t, value)`; flags are 0.0 or 1.0.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// The value changes after the first sample.
    pub fn changes(&self) -> bool {
        self.points.windows(2).any(|w| w[0].1 != w[1].1)
    }

    /// Intervals during which a flag is set, up to `end`.
    pub fn true_intervals(&self, end: f64) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        let mut since: Option<f64> = None;
        for &(t, v) in &self.points {
            match (since, v != 0.0) {
                (None, true) => since = Some(t),
                (Some(s), false) => {
                    out.push((s, t));
                    since = None;
                }
                _ => {}
            }
        }
        if let Some(s) = since {
            out.push((s, end.max(s)));
        }
        out
    }
}

/// Collects samples per channel in first-seen order.
#[derive(Default)]
pub struct SeriesBuilder {
    index: HashMap<String, usize>,
    series: Vec<Series>,
}

impl SeriesBuilder {
    pub fn push(&mut self, channel: &str, unit: &str, t: f64, value: SampleValue) {
        let v = match value {
            SampleValue::Bool(b) => f64::from(u8::from(b)),
            SampleValue::Number(n) => n,
        };
        if !t.is_finite() || !v.is_finite() {
            return;
        }
        let i = match self.index.get(channel) {
            Some(&i) => i,
            None => {
                self.series.push(Series {
                    channel: channel.to_string(),
                    unit: unit.to_string(),
                    kind: match value {
                        SampleValue::Bool(_) => SeriesKind::Flag,
                        SampleValue::Number(_) => SeriesKind::Number,
                    },
                    points: Vec::new(),
                });
                self.index
                    .insert(channel.to_string(), self.series.len() - 1);
                self.series.len() - 1
            }
        };
        let s = &mut self.series[i];
        // A log is time-ordered; a sample from the past (corruption) is dropped so the
        // plots stay functions of time.
        if s.points.last().is_some_and(|&(last, _)| t < last) {
            return;
        }
        s.points.push((t, v));
    }

    pub fn finish(self) -> Vec<Series> {
        self.series
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkerKind {
    /// A protection flag was set.
    Trip,
    /// A protection flag was cleared.
    Release,
    /// The BMS came back on the bus (`bms.online` rose).
    Wake,
    /// The BMS went quiet (`bms.online` fell).
    Sleep,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Marker {
    pub t: f64,
    pub kind: MarkerKind,
    /// `COCP trip`, `wake`.
    pub label: String,
    pub channel: String,
}

/// Trips and releases of every `protection` flag, wakes and sleeps of `bms.online`.
/// The first sample of a channel is its initial state, not a transition.
pub fn markers(series: &[Series]) -> Vec<Marker> {
    let mut out = Vec::new();
    for s in series.iter().filter(|s| s.kind == SeriesKind::Flag) {
        let (rise, fall, name) = if s.channel == "bms.online" {
            (MarkerKind::Wake, MarkerKind::Sleep, String::new())
        } else if s.channel.contains("protection") {
            (
                MarkerKind::Trip,
                MarkerKind::Release,
                short_flag_name(&s.channel),
            )
        } else {
            continue;
        };
        for w in s.points.windows(2) {
            let kind = match (w[0].1 != 0.0, w[1].1 != 0.0) {
                (false, true) => rise,
                (true, false) => fall,
                _ => continue,
            };
            let label = match kind {
                MarkerKind::Trip => format!("{name} trip"),
                MarkerKind::Release => format!("{name} released"),
                MarkerKind::Wake => "wake".to_string(),
                MarkerKind::Sleep => "sleep".to_string(),
            };
            out.push(Marker {
                t: w[1].0,
                kind,
                label,
                channel: s.channel.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// The manuals' abbreviations for the Pylon protection flags; other flags keep their
/// channel name without the `bms.protection_` prefix.
pub fn short_flag_name(channel: &str) -> String {
    let bare = channel
        .trim_start_matches("bms.")
        .trim_start_matches("protection_")
        .trim_start_matches("protection.");
    match bare {
        "charge_overcurrent" => "COCP",
        "discharge_overcurrent" => "DOCP",
        "cell_overvoltage" => "COVP",
        "cell_undervoltage" => "CUVP",
        "pack_overvoltage" => "POVP",
        "pack_undervoltage" => "PUVP",
        "over_temperature" => "OTP",
        "under_temperature" => "UTP",
        "charge_over_temperature" => "CHTP",
        "discharge_over_temperature" => "DHTP",
        "charge_under_temperature" => "CLTP",
        "discharge_under_temperature" => "DLTP",
        "short_circuit" => "SCP",
        other => other,
    }
    .to_string()
}
