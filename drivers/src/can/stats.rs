//! Per-ID frame timing: how often the BMS sends each frame, and the longest silence
//! an inverter would have seen (protocols.md §1.7 (c): "measure the battery's frame
//! period and the gap that the inverter would see").
//!
//! Timestamps are given by the caller (tokio's clock in the rig), so the statistics
//! work the same in virtual and real time.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use super::frame::CanId;

/// Timing of one CAN id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeriodStats {
    /// Frames seen.
    pub count: u64,
    /// Shortest interval between consecutive frames; `None` before the second frame.
    pub min_period: Option<Duration>,
    pub mean_period: Option<Duration>,
    /// Longest interval between consecutive frames: the longest gap.
    pub max_period: Option<Duration>,
    /// When the last frame was seen.
    pub last_seen: Instant,
}

impl PeriodStats {
    /// The longest gap including the silence since the last frame up to `now`.
    pub fn longest_gap(&self, now: Instant) -> Duration {
        let silence = now.saturating_duration_since(self.last_seen);
        self.max_period.unwrap_or_default().max(silence)
    }
}

#[derive(Clone, Copy, Debug)]
struct Accumulator {
    count: u64,
    first: Instant,
    last: Instant,
    min: Option<Duration>,
    max: Option<Duration>,
}

/// Timing statistics for every id seen.
#[derive(Clone, Debug, Default)]
pub struct FrameStatistics {
    ids: BTreeMap<CanId, Accumulator>,
}

impl FrameStatistics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one frame of `id` received at `at`. Out-of-order stamps count as a zero
    /// interval rather than a negative one.
    pub fn record(&mut self, id: CanId, at: Instant) {
        match self.ids.get_mut(&id) {
            None => {
                self.ids.insert(
                    id,
                    Accumulator {
                        count: 1,
                        first: at,
                        last: at,
                        min: None,
                        max: None,
                    },
                );
            }
            Some(acc) => {
                let period = at.saturating_duration_since(acc.last);
                acc.count += 1;
                acc.last = acc.last.max(at);
                acc.min = Some(acc.min.map_or(period, |m| m.min(period)));
                acc.max = Some(acc.max.map_or(period, |m| m.max(period)));
            }
        }
    }

    pub fn get(&self, id: CanId) -> Option<PeriodStats> {
        self.ids.get(&id).map(|acc| {
            let intervals = acc.count.saturating_sub(1);
            let mean = (intervals > 0).then(|| {
                let span = acc.last.saturating_duration_since(acc.first);
                Duration::from_secs_f64(span.as_secs_f64() / intervals as f64)
            });
            PeriodStats {
                count: acc.count,
                min_period: acc.min,
                mean_period: mean,
                max_period: acc.max,
                last_seen: acc.last,
            }
        })
    }

    /// Every id seen, in id order.
    pub fn ids(&self) -> impl Iterator<Item = CanId> + '_ {
        self.ids.keys().copied()
    }

    pub fn clear(&mut self) {
        self.ids.clear();
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const ID: CanId = CanId::Standard(0x351);

    #[test]
    fn periods_and_gaps() {
        let t0 = Instant::now();
        let mut stats = FrameStatistics::new();
        assert_eq!(stats.get(ID), None);
        for ms in [0, 1000, 2000, 5000, 5900] {
            stats.record(ID, t0 + Duration::from_millis(ms));
        }
        let s = stats.get(ID).unwrap();
        assert_eq!(s.count, 5);
        assert_eq!(s.min_period, Some(Duration::from_millis(900)));
        assert_eq!(s.max_period, Some(Duration::from_millis(3000)));
        assert_eq!(s.mean_period, Some(Duration::from_millis(1475)));
        assert_eq!(
            s.longest_gap(t0 + Duration::from_millis(10_000)),
            Duration::from_millis(4100)
        );
        assert_eq!(
            s.longest_gap(t0 + Duration::from_millis(6000)),
            Duration::from_millis(3000)
        );
        assert_eq!(stats.ids().collect::<Vec<_>>(), vec![ID]);
    }

    #[test]
    fn a_single_frame_has_no_period() {
        let t0 = Instant::now();
        let mut stats = FrameStatistics::new();
        stats.record(ID, t0);
        let s = stats.get(ID).unwrap();
        assert_eq!(
            (s.min_period, s.mean_period, s.max_period),
            (None, None, None)
        );
    }

    proptest! {
        #[test]
        fn min_mean_max_are_ordered(offsets in proptest::collection::vec(0u64..100_000, 2..50)) {
            let t0 = Instant::now();
            let mut stats = FrameStatistics::new();
            for ms in &offsets {
                stats.record(ID, t0 + Duration::from_millis(*ms));
            }
            let s = stats.get(ID).unwrap();
            prop_assert_eq!(s.count, offsets.len() as u64);
            let (min, max) = (s.min_period.unwrap(), s.max_period.unwrap());
            prop_assert!(min <= max);
        }
    }
}
