//! The log format read back: complete, truncated and corrupted logs, summaries, JUnit.

use rig_reports::event::{Event, EventKind, SampleValue, Verdict};
use rig_reports::log::parse_log;
use rig_reports::summary::PlanSummary;

fn line(seq: u64, t: f64, kind: EventKind) -> String {
    serde_json::to_string(&Event::new(seq, t, kind)).unwrap() + "\n"
}

fn started(steps: usize) -> EventKind {
    EventKind::RunStarted {
        format_version: rig_reports::event::LOG_FORMAT_VERSION,
        rig_version: "0.1.0".into(),
        clock: rig_reports::Clock::Virtual,
        plan_id: "p".into(),
        plan_title: "a plan".into(),
        plan_file: "testplans/p.yaml".into(),
        plan_hash: "0".into(),
        tags: vec![],
        dut_id: "dut".into(),
        dut_model: "M".into(),
        bench: "sim".into(),
        defects: vec![],
        steps,
    }
}

fn failing_log() -> String {
    let mut s = line(0, 0.0, started(3));
    s += &line(
        1,
        0.0,
        EventKind::StepStarted {
            step: 1,
            name: "charge".into(),
            location: "p.yaml:5:5".into(),
        },
    );
    s += &line(
        2,
        1.5,
        EventKind::Sample {
            channel: "bms.soc".into(),
            value: SampleValue::Number(50.0),
            unit: "%".into(),
        },
    );
    s += &line(
        3,
        2.0,
        EventKind::StepFinished {
            step: 1,
            verdict: Verdict::Pass,
        },
    );
    s += &line(
        4,
        2.0,
        EventKind::StepStarted {
            step: 2,
            name: "trip".into(),
            location: "p.yaml:9:5".into(),
        },
    );
    s += &line(
        5,
        7.0,
        EventKind::Expectation {
            step: 2,
            name: "flag on CAN".into(),
            condition: "bms.flag".into(),
            window: "within 5 s".into(),
            location: "p.yaml:12:9".into(),
            verdict: Verdict::Fail,
            reaction_s: None,
            message: Some("expectation \"flag on CAN\" failed".into()),
        },
    );
    s += &line(
        6,
        7.0,
        EventKind::StepFinished {
            step: 2,
            verdict: Verdict::Fail,
        },
    );
    s += &line(
        7,
        7.0,
        EventKind::RunFinished {
            verdict: Verdict::Fail,
            message: Some("step 2".into()),
        },
    );
    s
}

#[test]
fn events_round_trip_through_json() {
    let text = failing_log();
    let log = parse_log(&text);
    assert_eq!(log.events.len(), 8);
    assert!(!log.incomplete);
    assert!(log.bad_lines.is_empty());
    let again: String = log
        .events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    assert_eq!(again, text);
}

#[test]
fn summary_names_failures_and_skips_unreached_steps() {
    let s = PlanSummary::from_log(&parse_log(&failing_log())).unwrap();
    assert_eq!(s.verdict, Verdict::Fail);
    assert_eq!(s.steps.len(), 3);
    assert_eq!(s.steps[0].verdict, Verdict::Pass);
    assert_eq!(s.steps[1].verdict, Verdict::Fail);
    assert_eq!(
        s.steps[1].failures,
        vec!["expectation \"flag on CAN\" failed".to_string()]
    );
    assert_eq!(s.steps[2].verdict, Verdict::Skipped);
    assert_eq!(s.duration_s, 7.0);
}

#[test]
fn a_log_cut_at_any_byte_still_reads_and_is_marked_incomplete() {
    let text = failing_log();
    for cut in 1..text.len() - 1 {
        let log = parse_log(&text[..cut]);
        assert!(log.incomplete, "cut at {cut}");
        if let Some(s) = PlanSummary::from_log(&log) {
            assert_eq!(s.verdict, Verdict::Error, "cut at {cut}");
            assert!(s.incomplete);
        }
    }
}

#[test]
fn garbage_lines_are_counted_not_fatal() {
    let text = failing_log().replace("\"seq\":3,", "garbage");
    let log = parse_log(&text);
    assert_eq!(log.bad_lines, vec![4]);
    assert_eq!(log.events.len(), 7);
}

#[test]
fn junit_has_a_suite_per_plan_and_a_case_per_step() {
    let s = PlanSummary::from_log(&parse_log(&failing_log())).unwrap();
    let xml = rig_reports::junit::render("rig", &[(s, "runs/x/p.events.jsonl".into())]).unwrap();
    assert!(xml.contains("<testsuite name=\"p\" tests=\"3\""), "{xml}");
    assert!(xml.contains("failures=\"1\""), "{xml}");
    assert!(xml.contains("skipped=\"1\""), "{xml}");
    assert!(
        xml.contains("<failure message=\"expectation &quot;flag on CAN&quot; failed\""),
        "{xml}"
    );
    assert!(xml.contains("runs/x/p.events.jsonl"), "{xml}");
}

#[test]
fn a_plan_the_bench_skips_gives_its_reason_in_junit() {
    let reason = "needs 3 packs in parallel; bench lab has 1";
    let mut log = line(0, 0.0, started(2));
    log += &line(
        1,
        0.0,
        EventKind::RunFinished {
            verdict: Verdict::Skipped,
            message: Some(reason.into()),
        },
    );
    let s = PlanSummary::from_log(&parse_log(&log)).unwrap();
    assert_eq!(s.verdict, Verdict::Skipped);
    let xml = rig_reports::junit::render("rig", &[(s, "runs/x/p.events.jsonl".into())]).unwrap();
    assert!(xml.contains("skipped=\"2\""), "{xml}");
    assert_eq!(
        xml.matches(&format!("<skipped message=\"{reason}\""))
            .count(),
        2,
        "{xml}"
    );
    assert!(!xml.contains("an earlier step"), "{xml}");
}

/// The test-case names of a JUnit report, in order.
fn case_names(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap().to_string())
        .collect()
}

#[test]
fn a_run_that_stopped_early_has_the_same_junit_cases_as_a_passing_one() {
    use rig_reports::summary::PlannedStep;
    let plan = [
        PlannedStep {
            number: 1,
            name: "charge".into(),
            location: "p.yaml:5:5".into(),
        },
        PlannedStep {
            number: 2,
            name: "trip".into(),
            location: "p.yaml:9:5".into(),
        },
        PlannedStep {
            number: 3,
            name: "recover".into(),
            location: "p.yaml:14:5".into(),
        },
    ];
    // The passing run: every step started, so the log names them all.
    let mut passing = line(0, 0.0, started(3));
    for step in &plan {
        let t = step.number as f64;
        passing += &line(
            2 * step.number as u64 - 1,
            t,
            EventKind::StepStarted {
                step: step.number,
                name: step.name.clone(),
                location: step.location.clone(),
            },
        );
        passing += &line(
            2 * step.number as u64,
            t + 0.5,
            EventKind::StepFinished {
                step: step.number,
                verdict: Verdict::Pass,
            },
        );
    }
    passing += &line(
        7,
        4.0,
        EventKind::RunFinished {
            verdict: Verdict::Pass,
            message: None,
        },
    );
    let passing = PlanSummary::from_log(&parse_log(&passing)).unwrap();
    // The failing run stopped in step 2: step 3 is named from the plan.
    let mut failing = PlanSummary::from_log(&parse_log(&failing_log())).unwrap();
    assert_eq!(
        failing.steps[2].name, "step 3",
        "the log alone cannot name it"
    );
    failing.name_unreached(&plan);
    assert_eq!(
        (failing.steps[2].name.as_str(), failing.steps[2].reached),
        ("recover", false)
    );
    let render = |s: &PlanSummary| {
        rig_reports::junit::render("rig", &[(s.clone(), "p.events.jsonl".into())]).unwrap()
    };
    let (pass_xml, fail_xml) = (render(&passing), render(&failing));
    assert_eq!(
        case_names(&pass_xml),
        ["01 charge", "02 trip", "03 recover"]
    );
    assert_eq!(case_names(&fail_xml), case_names(&pass_xml));
    assert!(fail_xml.contains("not reached"), "{fail_xml}");
}
