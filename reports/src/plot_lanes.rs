//! An expectation lane's bars and reaction ticks, merged where the plot cannot tell
//! them apart: consecutive windows of one verdict less than a pixel column apart are
//! one bar, and a pixel column has at most one tick. A `repeat:` of 10,000 steps drew
//! 10,000 bars and ticks in one lane; what is seen is the same with a few.

use crate::detail::ExpectationRecord;
use crate::event::Verdict;

/// One bar of a lane, in the plot's time unit.
#[derive(Debug, PartialEq)]
pub struct Bar {
    pub start: f64,
    pub end: f64,
    pub verdict: Verdict,
}

/// The lane's bars; `px` is the time a pixel column spans. A bar is at least a
/// column wide, so an instant window still shows.
pub fn bars(lane: &[&ExpectationRecord], px: f64) -> Vec<Bar> {
    let mut out: Vec<Bar> = Vec::new();
    for e in lane {
        let (start, end) = (e.start_s, e.end_s().max(e.start_s + px));
        match out.last_mut() {
            Some(last) if last.verdict == e.verdict && start <= last.end + px => {
                last.end = last.end.max(end);
            }
            _ => out.push(Bar {
                start,
                end,
                verdict: e.verdict,
            }),
        }
    }
    out
}

/// Reaction ticks closer than this many pixel columns would run into one another.
const TICK_SPACING_PX: f64 = 3.0;

/// The times of the lane's reaction ticks, at most one per TICK_SPACING_PX columns.
pub fn ticks(lane: &[&ExpectationRecord], px: f64) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::new();
    let mut last_column = None;
    for t in lane.iter().filter_map(|e| Some(e.start_s + e.reaction_s?)) {
        let column = (t / (px * TICK_SPACING_PX)).floor() as i64;
        if last_column != Some(column) {
            out.push(t);
            last_column = Some(column);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detail::WindowKind;

    fn window(start: f64, len: f64, verdict: Verdict, reaction: Option<f64>) -> ExpectationRecord {
        ExpectationRecord {
            step: 1,
            name: "e".into(),
            condition: "c".into(),
            window: format!("within {len} s"),
            window_kind: WindowKind::Within,
            window_s: Some(len),
            location: "p.yaml:1:1".into(),
            verdict,
            reaction_s: reaction,
            message: None,
            start_s: start,
            decided_s: start + len,
        }
    }

    #[test]
    fn windows_closer_than_a_column_merge_and_a_failure_stays_apart() {
        let mut lane: Vec<_> = (0..1000)
            .map(|k| window(f64::from(k), 0.9, Verdict::Pass, Some(0.5)))
            .collect();
        lane[600].verdict = Verdict::Fail;
        let refs: Vec<&ExpectationRecord> = lane.iter().collect();
        let bars = bars(&refs, 1.2);
        let verdicts: Vec<Verdict> = bars.iter().map(|b| b.verdict).collect();
        assert_eq!(verdicts, vec![Verdict::Pass, Verdict::Fail, Verdict::Pass]);
        assert_eq!(bars[1].start, 600.0);
        assert_eq!(bars[0].start, 0.0);
        assert!((bars[2].end - 1000.2).abs() < 1e-9, "{:?}", bars[2]);
    }

    #[test]
    fn windows_apart_by_more_than_a_column_stay_apart() {
        let lane = [
            window(0.0, 1.0, Verdict::Pass, None),
            window(10.0, 1.0, Verdict::Pass, None),
        ];
        let refs: Vec<&ExpectationRecord> = lane.iter().collect();
        assert_eq!(bars(&refs, 1.0).len(), 2);
    }

    #[test]
    fn ticks_keep_their_spacing() {
        let lane: Vec<_> = (0..100)
            .map(|k| window(f64::from(k) * 0.3, 0.05, Verdict::Pass, Some(0.01)))
            .collect();
        let refs: Vec<&ExpectationRecord> = lane.iter().collect();
        // 30 s of ticks; a column per 0.3 s keeps every one, a column per second
        // one per 3 s.
        assert_eq!(ticks(&refs, 0.1).len(), 100);
        assert_eq!(ticks(&refs, 1.0).len(), 10);
    }
}
