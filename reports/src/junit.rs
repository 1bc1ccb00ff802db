//! JUnit XML for CI servers (quick-junit, nextest's writer): one test suite per plan,
//! one test case per step, named `NN step name` after the plan's step, so a passing and
//! a failing run of a plan have the same test cases (see
//! [`crate::summary::PlanSummary::name_unreached`] for steps a run never reached).
//! A step's measurements are properties of its test case.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::event::Verdict;
use crate::summary::{PlanSummary, StepSummary};

/// Render the JUnit report of a run: each plan with the path of its event log.
pub fn render(
    run_name: &str,
    plans: &[(PlanSummary, String)],
) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new(run_name);
    for (plan, log_path) in plans {
        let mut suite = suite_of(plan, log_path);
        for step in &plan.steps {
            suite.add_test_case(step_case(plan, step, log_path));
        }
        // A plan skipped before its steps were resolved (its profile does not promise
        // what it tests) has no steps: one skipped case carries the reason.
        if plan.steps.is_empty()
            && plan.verdict == Verdict::Skipped
            && let Some(why) = &plan.message
        {
            let mut status = TestCaseStatus::skipped();
            status.set_message(why.as_str());
            let mut case = TestCase::new("00 not run", status);
            case.set_classname(plan.plan_id.clone());
            case.set_system_out(format!("event log: {log_path}"));
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string()
}

/// A plan's suite with its properties, before its cases.
fn suite_of(plan: &PlanSummary, log_path: &str) -> TestSuite {
    let mut suite = TestSuite::new(plan.plan_id.clone());
    suite.set_time(seconds(plan.duration_s));
    suite.add_property(("dut", plan.dut_id.as_str()));
    suite.add_property(("dut_model", plan.dut_model.as_str()));
    suite.add_property(("plan_hash", plan.plan_hash.as_str()));
    if plan.incomplete {
        suite.add_property(("incomplete", "true"));
    }
    suite.add_property(("bench", plan.bench.as_str()));
    suite.add_property(("plan_file", plan.plan_file.as_str()));
    suite.add_property(("event_log", log_path));
    if !plan.defects.is_empty() {
        suite.add_property(("defects", plan.defects.join(",").as_str()));
    }
    suite
}

/// One step as a test case: its status, measurements, time and where it is written.
fn step_case(plan: &PlanSummary, step: &StepSummary, log_path: &str) -> TestCase {
    let mut case = TestCase::new(
        format!("{:02} {}", step.number, step.name),
        step_status(plan, step),
    );
    case.set_classname(plan.plan_id.clone());
    // SPEC-12 §7: each value the step measured, `measurement.NAME`.
    for m in &step.measurements {
        case.add_property((
            format!("measurement.{}", m.name).as_str(),
            m.property_text().as_str(),
        ));
    }
    case.set_time(seconds(step.duration_s));
    case.set_system_out(if step.location.is_empty() {
        format!("event log: {log_path}")
    } else {
        format!("plan line: {}\nevent log: {log_path}", step.location)
    });
    case
}

fn step_status(plan: &PlanSummary, step: &StepSummary) -> TestCaseStatus {
    match step.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Skipped => {
            let mut s = TestCaseStatus::skipped();
            // A plan the bench cannot run says why; otherwise an earlier step ended it.
            match (plan.verdict, &plan.message) {
                (Verdict::Skipped, Some(why)) => s.set_message(why.as_str()),
                _ if !step.reached => s.set_message(
                    "not reached: the run stopped before this step (an earlier step did not pass)",
                ),
                _ => s.set_message("not run: an earlier step did not pass"),
            };
            s
        }
        Verdict::Fail => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(
                step.failures
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "failed".into()),
            );
            s.set_type("expectation");
            s.set_description(step.failures.join("\n\n"));
            s
        }
        Verdict::Error => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(
                plan.message
                    .clone()
                    .unwrap_or_else(|| "rig or bench error".into()),
            );
            s.set_type("rig-error");
            s.set_description(plan.errors.join("\n"));
            s
        }
    }
}

/// A duration for the XML; a negative, NaN or absurd value from a corrupt log becomes 0.
fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or_default()
}
