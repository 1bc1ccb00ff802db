//! A gate's judgement for the CI job: a JUnit file (one test case per plan verdict and
//! per measurement) and a Markdown summary for the job page.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::gate::{Judgement, Outcome, fmt};

pub fn junit(j: &Judgement, baseline: &str) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("rig gate");
    let mut suite = TestSuite::new(format!("gate {} vs {baseline}", j.candidate));
    suite.add_property(("candidate", j.candidate.as_str()));
    suite.add_property(("baseline", baseline));
    suite.add_property(("baseline_runs", j.baseline_runs.join(",").as_str()));
    for p in &j.plans {
        let mut case = TestCase::new(format!("verdict {}", p.plan_id), status(&p.outcome));
        case.set_classname(p.plan_id.clone());
        case.set_system_out(format!(
            "candidate: {}\nbaseline: {}",
            p.candidate.as_deref().unwrap_or("not run"),
            p.baseline.join(", ")
        ));
        suite.add_test_case(case);
    }
    for m in &j.measurements {
        let row = &m.measurement;
        let mut case = TestCase::new(format!("measurement {}", row.name), status(&m.outcome));
        case.set_classname(m.plan_id.clone());
        let spread = m.spread.as_ref().map_or("no baseline".into(), |s| {
            format!(
                "baseline: mean {} sd {} over {} runs, allowed {} .. {} {}",
                fmt(s.mean),
                fmt(s.sd),
                s.n,
                fmt(s.low),
                fmt(s.high),
                row.unit
            )
        });
        case.set_system_out(format!(
            "value: {} {} limits [{}, {}]\n{spread}",
            row.value.map_or("unmeasurable".into(), fmt),
            row.unit,
            row.min.map_or("-".into(), fmt),
            row.max.map_or("-".into(), fmt),
        ));
        suite.add_test_case(case);
    }
    report.add_test_suite(suite);
    report.to_string()
}

fn status(outcome: &Outcome) -> TestCaseStatus {
    match outcome {
        Outcome::Pass => TestCaseStatus::success(),
        // Not gated, but shown: CI pages list skipped cases with their message.
        Outcome::Note(text) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(text.as_str());
            s
        }
        Outcome::Regression(text) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(text.as_str());
            s.set_type("regression");
            s
        }
    }
}

/// The Markdown summary: the verdict, the regressions, the notes, every measurement.
pub fn markdown(j: &Judgement, baseline: &str) -> String {
    let mut out = String::new();
    let regressions = j.plans.iter().filter(|p| p.outcome.is_regression()).count()
        + j.measurements
            .iter()
            .filter(|m| m.outcome.is_regression())
            .count();
    out.push_str(&if j.passed() {
        format!(
            "## rig gate: ✅ pass\n\nCandidate `{}` against `{baseline}`",
            j.candidate
        )
    } else {
        format!(
            "## rig gate: ❌ {regressions} regression{}\n\nCandidate `{}` against `{baseline}`",
            if regressions == 1 { "" } else { "s" },
            j.candidate
        )
    });
    out.push_str(&format!(
        " ({} baseline run{}; a measurement moved when outside mean ± max({}σ, {} % of its band)).\n\n",
        j.baseline_runs.len(),
        if j.baseline_runs.len() == 1 { "" } else { "s" },
        j.options.sigma,
        j.options.tolerance_pct
    ));
    out.push_str("| plan | check | candidate | baseline | outcome |\n|---|---|---|---|---|\n");
    for p in &j.plans {
        out.push_str(&format!(
            "| {} | verdict | {} | {} | {} |\n",
            p.plan_id,
            p.candidate.as_deref().unwrap_or("not run"),
            summarise(&p.baseline),
            outcome_cell(&p.outcome)
        ));
    }
    for m in &j.measurements {
        let row = &m.measurement;
        out.push_str(&format!(
            "| {} | `{}` | {} | {} | {} |\n",
            m.plan_id,
            row.name,
            row.value.map_or("unmeasurable".into(), |v| format!(
                "{} {}",
                fmt(v),
                row.unit
            )),
            m.spread.as_ref().map_or("none".into(), |s| format!(
                "{} .. {} {} (n={})",
                fmt(s.low),
                fmt(s.high),
                row.unit,
                s.n
            )),
            outcome_cell(&m.outcome)
        ));
    }
    out
}

fn outcome_cell(o: &Outcome) -> String {
    match o {
        Outcome::Pass => "✅ pass".into(),
        Outcome::Note(t) => format!("ℹ️ {}", t.replace('|', "\\|")),
        Outcome::Regression(t) => format!("❌ {}", t.replace('|', "\\|").replace('\n', " ")),
    }
}

/// `10 pass` or `8 pass, 2 fail`.
fn summarise(verdicts: &[String]) -> String {
    if verdicts.is_empty() {
        return "none".into();
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for v in verdicts {
        match counts.iter_mut().find(|(k, _)| k == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
