//! Two runs side by side, for gating a firmware release against the last good one:
//! the verdict of every plan and expectation, every reaction time and every measured
//! value (`measure:`), with what got worse or moved beyond a tolerance.
//!
//! Expectations are matched by plan id and expectation name (names carry their repeat
//! index, `trip 2: ...`), measurements by plan id and measurement name (listed as
//! `measure NAME`); a name used twice in a plan is numbered `#2`, `#3`.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::event::Verdict;
use crate::format;
use crate::run::{PlanData, RunData};

/// A reaction time must grow by more than this as well as by the tolerance to count as
/// a regression: below a millisecond is log resolution, not the DUT.
pub const MIN_DELTA_S: f64 = 1e-3;

/// How a row changed from the baseline to the candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    Same,
    /// Better, or different without being worse (faster, new, fixed).
    Improved,
    /// Changed within tolerance, or a change that neither gates nor helps.
    Changed,
    /// Worse: a release gate stops here.
    Regressed,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub plan: String,
    /// `None` for the plan's own verdict.
    pub expectation: Option<String>,
    pub baseline: Option<Verdict>,
    pub candidate: Option<Verdict>,
    pub baseline_reaction_s: Option<f64>,
    pub candidate_reaction_s: Option<f64>,
    pub limit_s: Option<f64>,
    /// A measurement's values; `None` for plan and expectation rows.
    pub measured: Option<Measured>,
    pub change: Change,
    /// Why the row is not `Same`.
    pub note: String,
}

/// A measurement's value in both runs, in its display unit (`None`: missing or
/// unmeasurable).
#[derive(Clone, Debug, PartialEq)]
pub struct Measured {
    pub unit: String,
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub tolerance_pct: f64,
    pub rows: Vec<Row>,
}

impl Comparison {
    pub fn regressed(&self) -> bool {
        self.rows.iter().any(|r| r.change == Change::Regressed)
    }

    pub fn regressions(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(|r| r.change == Change::Regressed)
    }
}

fn rank(v: Option<Verdict>) -> u8 {
    match v {
        Some(Verdict::Pass) => 0,
        Some(Verdict::Skipped) => 1,
        None => 2,
        Some(Verdict::Fail) => 3,
        Some(Verdict::Error) => 4,
    }
}

fn verdict_change(b: Option<Verdict>, c: Option<Verdict>) -> (Change, String) {
    let word = |v: Option<Verdict>| v.map_or("missing".to_string(), |v| v.to_string());
    if b == c {
        return (Change::Same, String::new());
    }
    let note = format!("{} → {}", word(b), word(c));
    let change = match (rank(b), rank(c)) {
        // A plan or expectation that no longer runs cannot vouch for the release.
        (0 | 1, 2) => Change::Regressed,
        (x, y) if y > x => Change::Regressed,
        _ => Change::Improved,
    };
    (change, note)
}

#[derive(Clone, Copy)]
struct ExpSide {
    verdict: Verdict,
    reaction_s: Option<f64>,
    limit_s: Option<f64>,
}

/// `name`, then `name #2`, `name #3` for the second and third use of one name.
pub(crate) fn numbered<'a>(seen: &mut BTreeMap<&'a str, usize>, name: &'a str) -> String {
    let n = seen.entry(name).or_insert(0);
    *n += 1;
    if *n == 1 {
        name.to_string()
    } else {
        format!("{name} #{n}")
    }
}

fn expectations(plan: &PlanData) -> BTreeMap<String, ExpSide> {
    let mut out = BTreeMap::new();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &plan.detail.expectations {
        let key = numbered(&mut seen, &e.name);
        out.insert(
            key,
            ExpSide {
                verdict: e.verdict,
                reaction_s: e.reaction_s,
                limit_s: e.window_s,
            },
        );
    }
    out
}

/// How much a reaction time may grow (`fraction` of the baseline's) and a measurement
/// may move (of its band width, or of its value without a band), as the user gave it
/// in percent.
#[derive(Clone, Copy)]
pub(crate) struct Tolerance {
    pub(crate) pct: f64,
    pub(crate) fraction: f64,
}

/// Compare `candidate` against `baseline`. A reaction time is a regression when it
/// grew by more than `tolerance_pct` percent of the baseline's (and by more than
/// [`MIN_DELTA_S`]); a reaction time that shrank that much is reported, not gated. A
/// measurement is a regression when it moved, either way, by more than `tolerance_pct`
/// percent of its band width (`max − min`), or of the baseline's value when it has one
/// limit or none (see [`crate::compare_measure`]).
pub fn compare(baseline: &RunData, candidate: &RunData, tolerance_pct: f64) -> Comparison {
    let tolerance = Tolerance {
        pct: tolerance_pct,
        fraction: tolerance_pct.max(0.0) / 100.0,
    };
    let mut ids: Vec<&str> = baseline
        .plans
        .iter()
        .chain(&candidate.plans)
        .map(|p| p.summary.plan_id.as_str())
        .collect();
    ids.sort_unstable_by(|a, b| natural_cmp(a, b));
    ids.dedup();
    let mut rows = Vec::new();
    for id in ids {
        let (b, c) = (plan(baseline, id), plan(candidate, id));
        rows.push(plan_row(id, b, c));
        let be = b.map(expectations).unwrap_or_default();
        let ce = c.map(expectations).unwrap_or_default();
        let mut names: Vec<&String> = be.keys().chain(ce.keys()).collect();
        names.sort_unstable_by(|a, b| natural_cmp(a, b));
        names.dedup();
        let cv = c.map(|p| p.summary.verdict);
        for name in names {
            let (b, c) = (be.get(name), ce.get(name));
            rows.push(expectation_row(id, name, (b, c), cv, tolerance));
        }
        rows.extend(crate::compare_measure::rows(id, (b, c), tolerance));
    }
    Comparison {
        tolerance_pct,
        rows,
    }
}

fn plan<'a>(run: &'a RunData, id: &str) -> Option<&'a PlanData> {
    run.plans.iter().find(|p| p.summary.plan_id == id)
}

/// The plan's own verdict, baseline against candidate.
fn plan_row(id: &str, b: Option<&PlanData>, c: Option<&PlanData>) -> Row {
    let bv = b.map(|p| p.summary.verdict);
    let cv = c.map(|p| p.summary.verdict);
    let (mut change, mut note) = verdict_change(bv, cv);
    if b.is_none() {
        (change, note) = (Change::Changed, "new plan".into());
    }
    if let (Some(b), Some(c)) = (b, c)
        && b.summary.plan_hash != c.summary.plan_hash
        && change == Change::Same
    {
        (change, note) = (
            Change::Changed,
            "plan content changed (hash differs)".into(),
        );
    }
    Row {
        plan: id.to_string(),
        expectation: None,
        baseline: bv,
        candidate: cv,
        baseline_reaction_s: None,
        candidate_reaction_s: None,
        limit_s: None,
        measured: None,
        change,
        note,
    }
}

/// One expectation of plan `id`, baseline against candidate; `cv` is the candidate
/// plan's verdict.
fn expectation_row(
    id: &str,
    name: &str,
    (b, c): (Option<&ExpSide>, Option<&ExpSide>),
    cv: Option<Verdict>,
    tolerance: Tolerance,
) -> Row {
    let (mut change, mut note) = item_change(
        "expectation",
        (b.map(|x| x.verdict), c.map(|x| x.verdict)),
        cv,
    );
    let (br, cr) = (b.and_then(|x| x.reaction_s), c.and_then(|x| x.reaction_s));
    if let (Some(br), Some(cr), Change::Same) = (br, cr, change)
        && let Some(reaction) = reaction_change(br, cr, tolerance)
    {
        (change, note) = reaction;
    }
    Row {
        plan: id.to_string(),
        expectation: Some(name.to_string()),
        baseline: b.map(|x| x.verdict),
        candidate: c.map(|x| x.verdict),
        baseline_reaction_s: br,
        candidate_reaction_s: cr,
        limit_s: c.or(b).and_then(|x| x.limit_s),
        measured: None,
        change,
        note,
    }
}

/// How an expectation or a measurement (`what`) changed by its verdicts `(b, c)` in a
/// plan whose candidate verdict is `cv`: one the baseline lacked is new; one the
/// candidate never reached or decided after an earlier failure is already counted in
/// that failure's row.
pub(crate) fn item_change(
    what: &str,
    (b, c): (Option<Verdict>, Option<Verdict>),
    cv: Option<Verdict>,
) -> (Change, String) {
    let (mut change, mut note) = verdict_change(b, c);
    if b.is_none() {
        (change, note) = (Change::Changed, format!("new {what}"));
    }
    let plan_failed = cv.is_some_and(|v| v != Verdict::Pass);
    if c.is_none() && plan_failed && change == Change::Regressed {
        (change, note) = (Change::Changed, "not reached".into());
    }
    if c == Some(Verdict::Skipped) && plan_failed && change == Change::Regressed {
        (change, note) = (
            Change::Changed,
            "not decided: another expectation failed first".into(),
        );
    }
    (change, note)
}

/// A reaction time that moved from `br` to `cr` under an unchanged verdict; `None`
/// when it did not move at all.
fn reaction_change(br: f64, cr: f64, tolerance: Tolerance) -> Option<(Change, String)> {
    let delta = cr - br;
    let allowed = tolerance.fraction * br.abs();
    if delta > allowed && delta > MIN_DELTA_S {
        Some((
            Change::Regressed,
            format!(
                "reaction {} → {} (+{}, tolerance {}%)",
                format::duration(br),
                format::duration(cr),
                format::duration(delta),
                format::number(tolerance.pct)
            ),
        ))
    } else if -delta > allowed && -delta > MIN_DELTA_S {
        Some((
            Change::Improved,
            format!(
                "reaction {} → {} (faster)",
                format::duration(br),
                format::duration(cr)
            ),
        ))
    } else if delta != 0.0 {
        Some((Change::Changed, "reaction within tolerance".into()))
    } else {
        None
    }
}

/// Names in the order a reader counts: digit runs compare as numbers, so `step 2`
/// comes before `step 10` and `trip 9: …` before `trip 10: …`.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        let (Some(ca), Some(cb)) = (a.chars().next(), b.chars().next()) else {
            return a.len().cmp(&b.len());
        };
        let ord = if ca.is_ascii_digit() && cb.is_ascii_digit() {
            let ea = a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len());
            let eb = b.find(|c: char| !c.is_ascii_digit()).unwrap_or(b.len());
            let (na, nb) = (
                a[..ea].trim_start_matches('0'),
                b[..eb].trim_start_matches('0'),
            );
            let ord = na.len().cmp(&nb.len()).then_with(|| na.cmp(nb));
            (a, b) = (&a[ea..], &b[eb..]);
            ord
        } else {
            (a, b) = (&a[ca.len_utf8()..], &b[cb.len_utf8()..]);
            ca.cmp(&cb)
        };
        if ord.is_ne() {
            return ord;
        }
    }
}

/// What [`render_text`] lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// Only the plans and expectations that changed (the default).
    Changed,
    /// Every plan and expectation.
    All,
}

/// A plain-text table of the plans and expectations that changed (or of all of them),
/// then the regressions.
pub fn render_text(cmp: &Comparison, baseline: &str, candidate: &str) -> String {
    render_listing(cmp, baseline, candidate, Listing::Changed)
}

/// [`render_text`] with the choice of rows.
pub fn render_listing(
    cmp: &Comparison,
    baseline: &str,
    candidate: &str,
    listing: Listing,
) -> String {
    let mut out = String::new();
    let v = |v: Option<Verdict>| v.map_or("-".to_string(), |v| v.to_string());
    let r = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{} s", format::number(r)));
    // The value columns: a reaction time, or a measurement's value in its unit.
    let values = |row: &Row| match &row.measured {
        Some(m) => (
            crate::compare_measure::value_text(m.baseline, &m.unit),
            crate::compare_measure::value_text(m.candidate, &m.unit),
        ),
        None => (r(row.baseline_reaction_s), r(row.candidate_reaction_s)),
    };
    let _ = writeln!(
        out,
        "baseline:  {baseline}\ncandidate: {candidate}\ntolerance: {}%\n",
        format::number(cmp.tolerance_pct)
    );
    let _ = writeln!(
        out,
        "{:<9} {:<60} {:>8} {:>8} {:>10} {:>10}  note",
        "change", "plan / expectation", "base", "cand", "base value", "cand value"
    );
    let shown: Vec<&Row> = cmp
        .rows
        .iter()
        .filter(|r| listing == Listing::All || r.change != Change::Same)
        .collect();
    if shown.is_empty() {
        out.push_str("(nothing changed; --all lists every plan and expectation)\n");
    }
    for row in shown {
        let name = match &row.expectation {
            None => row.plan.clone(),
            Some(e) => format!("  {e}"),
        };
        let mark = match row.change {
            Change::Same => "",
            Change::Improved => "improved",
            Change::Changed => "changed",
            Change::Regressed => "REGRESSED",
        };
        let (bval, cval) = values(row);
        let _ = writeln!(
            out,
            "{mark:<9} {:<60} {:>8} {:>8} {:>10} {:>10}  {}",
            truncate(&name, 60),
            v(row.baseline),
            v(row.candidate),
            bval,
            cval,
            row.note
        );
    }
    let regressions: Vec<&Row> = cmp.regressions().collect();
    if regressions.is_empty() {
        out.push_str("\nno regression\n");
    } else {
        let _ = writeln!(out, "\n{} regression(s):", regressions.len());
        for row in regressions {
            let _ = writeln!(
                out,
                "  {} / {}: {}",
                row.plan,
                row.expectation.as_deref().unwrap_or("(plan verdict)"),
                row.note
            );
        }
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let cut: String = s.chars().take(n - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_with_their_numbers_as_numbers() {
        let mut names = vec![
            "step 10",
            "step 2",
            "trip 10: x",
            "trip 9: x",
            "step 02a",
            "a",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "a",
                "step 2",
                "step 02a",
                "step 10",
                "trip 9: x",
                "trip 10: x"
            ]
        );
    }

    const TEN_PERCENT: Tolerance = Tolerance {
        pct: 10.0,
        fraction: 0.1,
    };

    fn side(verdict: Verdict, reaction_s: Option<f64>) -> ExpSide {
        ExpSide {
            verdict,
            reaction_s,
            limit_s: Some(5.0),
        }
    }

    #[test]
    fn a_reaction_time_is_gated_only_beyond_the_tolerance() {
        let (change, note) = reaction_change(2.0, 2.5, TEN_PERCENT).unwrap();
        assert_eq!(change, Change::Regressed);
        assert!(note.contains("tolerance 10%"), "{note}");
        assert_eq!(
            reaction_change(2.0, 1.5, TEN_PERCENT).map(|r| r.0),
            Some(Change::Improved)
        );
        assert_eq!(
            reaction_change(2.0, 2.1, TEN_PERCENT),
            Some((Change::Changed, "reaction within tolerance".into()))
        );
        assert_eq!(reaction_change(2.0, 2.0, TEN_PERCENT), None);
        // Zero tolerance still lets log resolution through.
        let exact = Tolerance {
            pct: 0.0,
            fraction: 0.0,
        };
        assert_eq!(
            reaction_change(2.0, 2.0005, exact).map(|r| r.0),
            Some(Change::Changed)
        );
    }

    #[test]
    fn an_expectation_that_got_worse_regresses() {
        let (pass, fail) = (side(Verdict::Pass, Some(1.0)), side(Verdict::Fail, None));
        let row = expectation_row(
            "p",
            "e",
            (Some(&pass), Some(&fail)),
            Some(Verdict::Fail),
            TEN_PERCENT,
        );
        assert_eq!(
            (row.change, row.note.as_str()),
            (Change::Regressed, "pass → fail")
        );
        assert_eq!(row.limit_s, Some(5.0));
    }

    #[test]
    fn an_expectation_after_an_earlier_failure_is_not_counted_twice() {
        let pass = side(Verdict::Pass, Some(1.0));
        let failed_plan = Some(Verdict::Fail);
        let missing = expectation_row("p", "e", (Some(&pass), None), failed_plan, TEN_PERCENT);
        assert_eq!(
            (missing.change, missing.note.as_str()),
            (Change::Changed, "not reached")
        );
        let skipped = side(Verdict::Skipped, None);
        let undecided = expectation_row(
            "p",
            "e",
            (Some(&pass), Some(&skipped)),
            failed_plan,
            TEN_PERCENT,
        );
        assert_eq!(undecided.change, Change::Changed);
        // The plan passed: a vanished expectation is a regression.
        let vanished = expectation_row(
            "p",
            "e",
            (Some(&pass), None),
            Some(Verdict::Pass),
            TEN_PERCENT,
        );
        assert_eq!(vanished.change, Change::Regressed);
    }

    #[test]
    fn a_new_expectation_is_a_change_not_a_regression() {
        let fail = side(Verdict::Fail, None);
        let row = expectation_row(
            "p",
            "e",
            (None, Some(&fail)),
            Some(Verdict::Fail),
            TEN_PERCENT,
        );
        assert_eq!(
            (row.change, row.note.as_str()),
            (Change::Changed, "new expectation")
        );
    }
}
