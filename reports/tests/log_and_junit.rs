//! The log format read back: complete, truncated and corrupted logs, summaries, JUnit.

use rig_reports::event::{Event, EventKind, SampleValue, Verdict};
use rig_reports::log::parse_log;
use rig_reports::summary::PlanSummary;

fn line(seq: u64, t: f64, kind: EventKind) -> String {
    serde_json::to_string(&Event { seq, t, kind }).unwrap() + "\n"
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
