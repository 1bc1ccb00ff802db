//! Which steps the HTML step table shows one by one. A `repeat:` of thousands of
//! passing steps made a table of tens of thousands of rows (12.6 MB of report for
//! 10,000 one-second steps), which no one reads; a long run of passing repeats of
//! earlier plan lines is shown by its first and last steps and one row that counts
//! the rest. A failed, errored or unreached step is never folded, and every step
//! stays in `summary.json` and `junit.xml`.

use std::collections::HashMap;

use crate::event::Verdict;
use crate::summary::StepSummary;

/// Steps shown at each end of a folded run.
pub const KEEP: usize = 5;
/// Runs shorter than this are shown whole: folding a few rows saves nothing.
pub const FOLD_FROM: usize = 8 * KEEP;

/// A row of the step table: a step, or the steps folded into one row.
pub enum StepRow<'a> {
    Step(&'a StepSummary),
    Folded(Fold<'a>),
}

/// Consecutive passing steps that repeat earlier plan lines.
pub struct Fold<'a> {
    pub steps: &'a [StepSummary],
}

impl Fold<'_> {
    pub fn first_number(&self) -> usize {
        self.steps.first().map_or(0, |s| s.number)
    }

    pub fn last_number(&self) -> usize {
        self.steps.last().map_or(0, |s| s.number)
    }

    pub fn started_s(&self) -> f64 {
        self.steps.first().map_or(0.0, |s| s.started_s)
    }

    pub fn duration_s(&self) -> f64 {
        self.steps
            .last()
            .map_or(0.0, |s| s.started_s + s.duration_s - self.started_s())
    }

    /// The plan lines the folded steps come from, each once, in their order.
    pub fn locations(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in self.steps {
            if !out.contains(&s.location.as_str()) {
                out.push(&s.location);
            }
        }
        out
    }
}

/// The table's rows for `steps` (in run order).
pub fn rows(steps: &[StepSummary]) -> Vec<StepRow<'_>> {
    let foldable = foldable(steps);
    let mut rows = Vec::new();
    let mut i = 0;
    while i < steps.len() {
        let run = foldable[i..].iter().take_while(|f| **f).count();
        if run >= FOLD_FROM {
            let end = i + run;
            rows.extend(steps[i..i + KEEP].iter().map(StepRow::Step));
            rows.push(StepRow::Folded(Fold {
                steps: &steps[i + KEEP..end - KEEP],
            }));
            rows.extend(steps[end - KEEP..end].iter().map(StepRow::Step));
            i = end;
        } else {
            rows.extend(steps[i..i + run.max(1)].iter().map(StepRow::Step));
            i += run.max(1);
        }
    }
    rows
}

/// The folded steps' numbers, each with the index of its fold among `rows`' folds.
pub fn fold_of(rows: &[StepRow<'_>]) -> HashMap<usize, usize> {
    let folds = rows.iter().filter_map(|r| match r {
        StepRow::Folded(f) => Some(f),
        StepRow::Step(_) => None,
    });
    let mut out = HashMap::new();
    for (k, fold) in folds.enumerate() {
        out.extend(fold.steps.iter().map(|s| (s.number, k)));
    }
    out
}

/// A step may be folded when it passed and an earlier step came from its plan line
/// (it is a second or later pass of a `repeat:`).
fn foldable(steps: &[StepSummary]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    steps
        .iter()
        .map(|s| {
            let repeat = !seen.insert(s.location.as_str());
            repeat && s.reached && s.verdict == Verdict::Pass && s.failures.is_empty()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(number: usize, location: &str, verdict: Verdict) -> StepSummary {
        StepSummary {
            number,
            name: format!("step {number}"),
            location: location.into(),
            verdict,
            started_s: number as f64,
            duration_s: 1.0,
            failures: Vec::new(),
            measurements: Vec::new(),
            reached: true,
        }
    }

    fn shape(rows: &[StepRow<'_>]) -> Vec<String> {
        rows.iter()
            .map(|r| match r {
                StepRow::Step(s) => s.number.to_string(),
                StepRow::Folded(f) => format!("{}..{}", f.first_number(), f.last_number()),
            })
            .collect()
    }

    #[test]
    fn a_long_repeat_keeps_its_ends_and_folds_the_middle() {
        let steps: Vec<_> = (1..=1000)
            .map(|n| step(n, "p.yaml:9:9", Verdict::Pass))
            .collect();
        let rows = rows(&steps);
        let shape = shape(&rows);
        // The first pass is not a repeat; then KEEP, the fold, KEEP.
        assert_eq!(shape.len(), 1 + KEEP + 1 + KEEP, "{shape:?}");
        assert_eq!(shape[0], "1");
        assert_eq!(shape[KEEP + 1], format!("{}..{}", 2 + KEEP, 1000 - KEEP));
        assert_eq!(shape.last().unwrap(), "1000");
        let StepRow::Folded(fold) = &rows[KEEP + 1] else {
            panic!("no fold")
        };
        assert_eq!(fold.locations(), vec!["p.yaml:9:9"]);
        assert_eq!(fold.started_s(), (2 + KEEP) as f64);
        assert_eq!(fold.duration_s(), (1000 - KEEP - (2 + KEEP) + 1) as f64);
    }

    #[test]
    fn a_failed_step_splits_the_run_and_is_shown() {
        let mut steps: Vec<_> = (1..=1000)
            .map(|n| step(n, "p.yaml:9:9", Verdict::Pass))
            .collect();
        steps[499].verdict = Verdict::Fail;
        let shape = shape(&rows(&steps));
        assert!(shape.contains(&"500".to_string()), "{shape:?}");
        assert_eq!(shape.iter().filter(|s| s.contains("..")).count(), 2);
    }

    #[test]
    fn short_runs_and_steps_of_their_own_lines_are_shown_whole() {
        let unique: Vec<_> = (1..=200)
            .map(|n| step(n, &format!("p.yaml:{n}:9"), Verdict::Pass))
            .collect();
        assert_eq!(rows(&unique).len(), 200);
        let short: Vec<_> = (1..=FOLD_FROM)
            .map(|n| step(n, "p.yaml:9:9", Verdict::Pass))
            .collect();
        // FOLD_FROM steps: the first is not a repeat, so the run is one short.
        assert_eq!(rows(&short).len(), FOLD_FROM);
    }

    #[test]
    fn unreached_steps_are_never_folded() {
        let mut steps: Vec<_> = (1..=100)
            .map(|n| step(n, "p.yaml:9:9", Verdict::Pass))
            .collect();
        for s in &mut steps[50..] {
            s.reached = false;
        }
        let shape = shape(&rows(&steps));
        assert!(shape.iter().filter(|s| !s.contains("..")).count() >= 50);
        assert!(shape.contains(&"100".to_string()));
    }
}
