//! `summary.md`: a few lines for a CI job page.

use std::fmt::Write;

use crate::clauses::Grounds;
use crate::event::Verdict;
use crate::format;
use crate::run::{ExitCode, RunData};

pub fn render(run: &RunData, exit: ExitCode) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## rig run: {} (exit code {}{})\n",
        verdict_word(run.verdict()),
        exit.code,
        if exit.observed {
            ""
        } else {
            ", from the verdicts"
        }
    );
    if run.incomplete() {
        md.push_str("> **Incomplete:** at least one log ends before the run finished (killed or crashed).\n\n");
    }
    // Over several profiles, the matrix first: the long table below has a row a trial.
    md.push_str(&matrix(run));
    md.push_str(
        "| plan | DUT | verdict | steps passed | duration | log |\n|---|---|---|---|---|---|\n",
    );
    for p in &run.plans {
        let s = &p.summary;
        let passed = s
            .steps
            .iter()
            .filter(|st| st.verdict == Verdict::Pass)
            .count();
        let _ = writeln!(
            md,
            "| {} | {} | {}{} | {}/{} | {} | `{}` |",
            cell(&s.plan_id),
            cell(&s.dut_id),
            verdict_word(s.verdict),
            if s.incomplete { " (incomplete)" } else { "" },
            passed,
            s.steps.len(),
            format::duration(s.duration_s),
            cell(&p.log_name),
        );
    }
    md.push_str(&measurements(run));
    md.push_str(&clauses(run));
    let failures = failures(run);
    if !failures.is_empty() {
        md.push_str("\n### Failures\n\n");
        md.push_str(&failures);
    }
    md.push_str("\nFull report with plots: `report.html` in the run folder.\n");
    md
}

/// Failed expectations and measurements, and the rig's errors, a line each.
fn failures(run: &RunData) -> String {
    let mut failures = String::new();
    for p in &run.plans {
        for e in p
            .detail
            .expectations
            .iter()
            .filter(|e| e.verdict == Verdict::Fail)
        {
            let _ = writeln!(
                failures,
                "- **{}** step {}, *{}* ({}, `{}`): {}",
                cell(&p.summary.plan_id),
                e.step,
                cell(&e.name),
                cell(&e.window),
                cell(&e.location),
                cell(e.message.as_deref().unwrap_or("failed")),
            );
        }
        for m in p
            .detail
            .measurements
            .iter()
            .filter(|m| m.verdict == Verdict::Fail)
        {
            let _ = writeln!(
                failures,
                "- **{}** step {}, measurement *{}* (`{}`): {}",
                cell(&p.summary.plan_id),
                m.step,
                cell(&m.name),
                cell(&m.location),
                cell(m.message.as_deref().unwrap_or(&m.property_text())),
            );
        }
        for err in &p.summary.errors {
            let _ = writeln!(
                failures,
                "- **{}** rig error: {}",
                cell(&p.summary.plan_id),
                cell(err)
            );
        }
    }
    failures
}

/// The plans x profiles matrix, when the run covers several profiles; a column a
/// profile, with its counts in the last row.
fn matrix(run: &RunData) -> String {
    let Some(m) = crate::matrix::Matrix::of(run) else {
        return String::new();
    };
    let mut md = String::from("### Plans x DUT profiles\n\n| plan |");
    for d in &m.duts {
        let _ = write!(md, " {} |", cell(d));
    }
    md.push_str("\n|---|");
    md.push_str(&"---|".repeat(m.duts.len()));
    md.push('\n');
    for plan in &m.plans {
        let _ = write!(md, "| {} |", cell(plan));
        for d in &m.duts {
            let word = m.cell(plan, d).map_or("–", |c| verdict_word(c.verdict));
            let _ = write!(md, " {word} |");
        }
        md.push('\n');
    }
    md.push_str("| **passed / failed / skipped** |");
    for d in &m.duts {
        let n = |v| m.count(d, v);
        let _ = write!(
            md,
            " {} / {} / {} |",
            n(Verdict::Pass),
            n(Verdict::Fail) + n(Verdict::Error),
            n(Verdict::Skipped)
        );
    }
    md.push_str("\n\n### Trials\n\n");
    md
}

/// Every plan's `measure:` values, when the run has any.
fn measurements(run: &RunData) -> String {
    let mut md = String::new();
    for p in &run.plans {
        for m in &p.detail.measurements {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&p.summary.plan_id),
                cell(&m.name),
                cell(&m.value_text()),
                cell(&m.limits_text()),
                cell(&m.margin_text()),
                m.outcome().word(),
            );
        }
    }
    if md.is_empty() {
        return md;
    }
    "\n### Measurements\n\n| plan | measurement | value | limits | margin | verdict |\n|---|---|---|---|---|---|\n".to_string() + &md
}

/// The measurements by manual clause (see [`crate::clauses`]), when any was judged.
fn clauses(run: &RunData) -> String {
    let rows = crate::clauses::rows(run);
    if rows.is_empty() {
        return String::new();
    }
    let mut md = String::from(
        "\n### Manual clauses checked\n\n| DUT | clause | profile value | grounds | plan | measurement | value | limits | margin | verdict |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in &rows {
        let m = r.measurement;
        let grounds = match r.grounds() {
            Grounds::Manual(q) => q.to_string(),
            Grounds::Assumption(a) => format!("assumption: {a}"),
            Grounds::Plan => "limits written in the plan".to_string(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(r.dut),
            cell(r.clause.as_deref().unwrap_or("–")),
            r.basis
                .map_or(String::new(), |b| format!("`{}`", cell(&b.value))),
            cell(&grounds),
            cell(r.plan),
            cell(&m.name),
            cell(&m.value_text()),
            cell(&m.limits_text()),
            cell(&m.margin_text()),
            m.outcome().word(),
        );
    }
    md
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅ pass",
        Verdict::Fail => "❌ fail",
        Verdict::Error => "⚠️ error",
        Verdict::Skipped => "skipped",
    }
}

/// Text safe inside a Markdown table cell, its units spelled as every report spells them.
fn cell(s: &str) -> String {
    format::units_in_text(s)
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_spells_units_as_the_report_does_and_keeps_to_one_cell() {
        assert_eq!(cell("0x356, 0.1 degC | a\nb"), "0x356, 0.1 °C \\| a b");
    }
}
