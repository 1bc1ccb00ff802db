//! Channel time series from `sample` events, and the trip and wake markers derived from
//! them. Samples are written on change only, so a series is a step function: each value
//! holds until the next one.

use std::collections::HashMap;

use crate::event::SampleValue;
use crate::thinning::ThinSeries;

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

/// Collects samples per channel in first-seen order, each channel thinned as it is read
/// (see [`ThinSeries`]), so memory stays bounded however long the log.
#[derive(Default)]
pub struct SeriesBuilder {
    index: HashMap<String, usize>,
    series: Vec<(Series, ThinSeries)>,
}

impl SeriesBuilder {
    pub fn push(&mut self, channel: &str, unit: &str, t: f64, value: SampleValue) {
        let v = match value {
            SampleValue::Bool(b) => f64::from(u8::from(b)),
            SampleValue::Number(n) => n,
        };
        // The channel is known from its first sample, even an unreadable one: the log
        // gives a channel's unit with its first sample only.
        let i = match self.index.get(channel) {
            Some(&i) => i,
            None => {
                let series = Series {
                    channel: channel.to_string(),
                    unit: unit.to_string(),
                    kind: match value {
                        SampleValue::Bool(_) => SeriesKind::Flag,
                        SampleValue::Number(_) => SeriesKind::Number,
                    },
                    points: Vec::new(),
                };
                self.series.push((series, ThinSeries::default()));
                self.index
                    .insert(channel.to_string(), self.series.len() - 1);
                self.series.len() - 1
            }
        };
        if !t.is_finite() || !v.is_finite() {
            return;
        }
        let thin = &mut self.series[i].1;
        // A log is time-ordered; a sample from the past (corruption) is dropped so the
        // plots stay functions of time.
        if thin.last_t().is_some_and(|last| t < last) {
            return;
        }
        thin.push((t, v));
    }

    pub fn finish(self) -> Vec<Series> {
        self.series
            .into_iter()
            .filter(|(_, thin)| thin.last_t().is_some())
            .map(|(mut s, thin)| {
                s.points = thin.points();
                s
            })
            .collect()
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

/// Trips and releases of every protection, wakes and sleeps of `bms.online`. The first
/// sample of a channel is its initial state, not a transition.
///
/// One protection is often reported on several links (the CAN flag and the RS485
/// alarm, a few hundred milliseconds apart): those flags are one protection, set while
/// any of them is set, so one trip of the pack is one trip marker, not one per link.
pub fn markers(series: &[Series]) -> Vec<Marker> {
    let mut out = Vec::new();
    let mut groups: Vec<(String, Vec<&Series>)> = Vec::new();
    for s in series.iter().filter(|s| s.kind == SeriesKind::Flag) {
        if s.channel == "bms.online" {
            out.extend(edges(&[s], MarkerKind::Wake, MarkerKind::Sleep, ""));
        } else if s.channel.contains("protection") {
            let key = protection_name(&s.channel);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(s),
                None => groups.push((key, vec![s])),
            }
        }
    }
    for (name, members) in &groups {
        out.extend(edges(members, MarkerKind::Trip, MarkerKind::Release, name));
    }
    out.sort_by(|a, b| a.t.total_cmp(&b.t));
    out
}

/// Rising and falling edges of the OR of `members`' flags, labelled with `name`.
fn edges(members: &[&Series], rise: MarkerKind, fall: MarkerKind, name: &str) -> Vec<Marker> {
    let mut samples: Vec<(f64, usize, bool)> = members
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.points.iter().map(move |&(t, v)| (t, i, v != 0.0)))
        .collect();
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut state: Vec<Option<bool>> = vec![None; members.len()];
    let mut out = Vec::new();
    for (t, i, v) in samples {
        let before = state.contains(&Some(true));
        let first = state[i].is_none();
        state[i] = Some(v);
        let after = state.contains(&Some(true));
        if first || before == after {
            continue;
        }
        let kind = if after { rise } else { fall };
        let label = match kind {
            MarkerKind::Trip => format!("{name} trip"),
            MarkerKind::Release => format!("{name} released"),
            MarkerKind::Wake => "wake".to_string(),
            MarkerKind::Sleep => "sleep".to_string(),
        };
        out.push(Marker {
            t,
            kind,
            label,
            channel: members[i].channel.clone(),
        });
    }
    out
}

/// The protection a flag channel reports, the same for every link that reports it:
/// `COCP`, or `pack 2 COCP` for a slave pack read as `rs485.pack2.…`.
pub fn protection_name(channel: &str) -> String {
    let short = short_flag_name(channel);
    match channel.split('.').find(|seg| {
        seg.strip_prefix("pack")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    }) {
        Some(pack) => format!("pack {} {short}", &pack[4..]),
        None => short,
    }
}

/// The manuals' abbreviations for the Pylon protection flags; other flags keep their
/// channel name without the `bms.protection_` prefix.
pub fn short_flag_name(channel: &str) -> String {
    let bare = channel
        .rsplit_once("protection_")
        .or_else(|| channel.rsplit_once("protection."))
        .map_or(channel, |(_, bare)| bare);
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
        // The same protections as the RS485 alarms name them.
        "charge_overtemperature" => "CHTP",
        "discharge_overtemperature" => "DHTP",
        "charge_undertemperature" => "CLTP",
        "discharge_undertemperature" => "DLTP",
        "module_overvoltage" => "POVP",
        "module_undervoltage" => "PUVP",
        "discharge_under_temperature" => "DLTP",
        "short_circuit" => "SCP",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(channel: &str, points: &[(f64, bool)]) -> Series {
        Series {
            channel: channel.into(),
            unit: String::new(),
            kind: SeriesKind::Flag,
            points: points
                .iter()
                .map(|&(t, v)| (t, f64::from(u8::from(v))))
                .collect(),
        }
    }

    #[test]
    fn one_trip_seen_on_can_and_rs485_is_counted_once() {
        // As in cocp_lockout: RS485 shows the alarm 0.6 s before the CAN flag, and
        // clears it 0.6 s before; then a second trip on both links.
        let can = flag(
            "bms.protection_charge_overcurrent",
            &[(0.1, false), (123.0, true), (183.0, false), (186.0, true)],
        );
        let rs485 = flag(
            "rs485.protection_charge_overcurrent",
            &[(0.4, false), (122.4, true), (182.4, false), (186.4, true)],
        );
        let m = markers(&[can, rs485]);
        let trips: Vec<_> = m.iter().filter(|m| m.kind == MarkerKind::Trip).collect();
        assert_eq!(trips.len(), 2, "{m:?}");
        assert_eq!((trips[0].t, trips[0].label.as_str()), (122.4, "COCP trip"));
        assert_eq!(trips[1].t, 186.0);
        let releases: Vec<_> = m.iter().filter(|m| m.kind == MarkerKind::Release).collect();
        assert_eq!(releases.len(), 1);
        assert_eq!(releases[0].t, 183.0);
    }

    #[test]
    fn a_slave_packs_trip_is_its_own_and_a_first_sample_is_no_trip() {
        let master = flag("rs485.protection_charge_overcurrent", &[(0.0, true)]);
        let slave = flag(
            "rs485.pack2.protection_charge_overcurrent",
            &[(0.0, false), (5.0, true)],
        );
        let m = markers(&[master, slave]);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].label, "pack 2 COCP trip");
    }
}
