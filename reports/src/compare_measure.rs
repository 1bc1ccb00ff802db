//! The measurements (`measure:`) of one plan in two runs, for [`crate::compare`]. A
//! measurement that got worse by its verdict regresses as an expectation does; one that
//! passes in both runs still regresses when its value moved, up or down, by more than
//! the tolerance: a DUT whose trip delay wandered from the middle of its band to near
//! its edge has changed, even inside the limits (SPEC-12 §7).

use std::collections::BTreeMap;

use crate::compare::{Change, Measured, Row, Tolerance, item_change, natural_cmp};
use crate::event::Verdict;
use crate::format;
use crate::measure::MeasurementRecord;
use crate::run::PlanData;

/// The plan's measurements by name (`name #2` for a second use of one name).
fn by_name(plan: &PlanData) -> BTreeMap<String, &MeasurementRecord> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    plan.detail
        .measurements
        .iter()
        .map(|m| (crate::compare::numbered(&mut seen, &m.name), m))
        .collect()
}

/// One row per measurement either run of plan `id` has, in natural name order.
pub(crate) fn rows(
    id: &str,
    (b, c): (Option<&PlanData>, Option<&PlanData>),
    tolerance: Tolerance,
) -> Vec<Row> {
    let bm = b.map(by_name).unwrap_or_default();
    let cm = c.map(by_name).unwrap_or_default();
    let mut names: Vec<&String> = bm.keys().chain(cm.keys()).collect();
    names.sort_unstable_by(|a, b| natural_cmp(a, b));
    names.dedup();
    let cv = c.map(|p| p.summary.verdict);
    names
        .into_iter()
        .map(|name| {
            row(
                id,
                name,
                (bm.get(name).copied(), cm.get(name).copied()),
                cv,
                tolerance,
            )
        })
        .collect()
}

fn row(
    id: &str,
    name: &str,
    (b, c): (Option<&MeasurementRecord>, Option<&MeasurementRecord>),
    cv: Option<Verdict>,
    tolerance: Tolerance,
) -> Row {
    let (mut change, mut note) = item_change(
        "measurement",
        (b.map(|m| m.verdict), c.map(|m| m.verdict)),
        cv,
    );
    if let (Some(b), Some(c), Change::Same) = (b, c, change)
        && let Some(moved) = value_change(b, c, tolerance)
    {
        (change, note) = moved;
    }
    let unit = c.or(b).map(|m| m.unit.clone()).unwrap_or_default();
    Row {
        plan: id.to_string(),
        expectation: Some(format!("measure {name}")),
        baseline: b.map(|m| m.verdict),
        candidate: c.map(|m| m.verdict),
        baseline_reaction_s: None,
        candidate_reaction_s: None,
        limit_s: None,
        measured: Some(Measured {
            unit,
            baseline: b.and_then(|m| m.value),
            candidate: c.and_then(|m| m.value),
        }),
        change,
        note,
    }
}

/// How far a measurement may move: the tolerance of its band width (the candidate's
/// limits), or of the baseline's value when it has one limit or none.
fn allowed(c: &MeasurementRecord, base: f64, tolerance: Tolerance) -> (f64, String) {
    let pct = format::number(tolerance.pct);
    match c.band_width() {
        Some(w) => (
            tolerance.fraction * w,
            format!(
                "tolerance {pct}% of the band width {}",
                with_unit(w, &c.unit)
            ),
        ),
        None => (
            tolerance.fraction * base.abs(),
            format!("tolerance {pct}% of the value"),
        ),
    }
}

/// A value that moved under an unchanged verdict; `None` when it did not move.
fn value_change(
    b: &MeasurementRecord,
    c: &MeasurementRecord,
    tolerance: Tolerance,
) -> Option<(Change, String)> {
    let (bv, cv) = (b.value?, c.value?);
    if b.unit != c.unit {
        return Some((
            Change::Changed,
            format!("unit {} → {}: values not compared", b.unit, c.unit),
        ));
    }
    let delta = cv - bv;
    if delta == 0.0 {
        return None;
    }
    let (allowed, why) = allowed(c, bv, tolerance);
    let moved = format!(
        "{} → {} ({}{})",
        with_unit(bv, &b.unit),
        with_unit(cv, &c.unit),
        if delta > 0.0 { "+" } else { "" },
        with_unit(delta, &c.unit)
    );
    if delta.abs() > allowed {
        Some((Change::Regressed, format!("moved {moved}, {why}")))
    } else {
        Some((Change::Changed, format!("{moved} within {why}")))
    }
}

fn with_unit(v: f64, unit: &str) -> String {
    if unit.is_empty() {
        format::number(v)
    } else {
        format!("{} {unit}", format::number(v))
    }
}

/// A value column of the listing: `2.5 s`, or `-` when missing or unmeasurable.
pub(crate) fn value_text(v: Option<f64>, unit: &str) -> String {
    v.map_or("-".to_string(), |v| with_unit(v, unit))
}
