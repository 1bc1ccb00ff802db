//! The plans' `measure:` values (SPEC-12 §4, §7) in every report, from hand-built logs:
//! the HTML table and plot mark, JUnit test-case properties, summary.json and
//! summary.md, and `rig compare` moving a measurement beyond its tolerance.

use std::path::{Path, PathBuf};

use rig_reports::compare::{Change, Listing, compare, render_listing};
use rig_reports::event::EventKind;
use rig_reports::run::{Options, RunData, write_reports};
use rig_reports::synthetic::{self, Spec, measurement};

fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("measurements-{label}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// A run of plan `cocp` (4 steps of 150 s) that measured `ms`.
fn run_with(label: &str, ms: Vec<EventKind>, fail: bool) -> PathBuf {
    let dir = scratch(label);
    synthetic::write_run(
        &dir,
        &Spec {
            plan_id: "cocp".into(),
            fail,
            measurements: ms,
            ..Spec::default()
        },
    )
    .unwrap();
    dir
}

fn rendered(label: &str, ms: Vec<EventKind>, fail: bool) -> PathBuf {
    let dir = run_with(label, ms, fail);
    let run = RunData::load(&dir).unwrap();
    write_reports(&run, Options::default()).unwrap();
    dir
}

/// A passing delay, a recorded value, and (on the failing last step) an unmeasurable one.
fn three() -> Vec<EventKind> {
    vec![
        measurement(2, "cocp.trip_delay", Some(2.0), Some(1.0), Some(4.0)),
        measurement(3, "cocp.release_time", Some(7.5), None, None),
        measurement(4, "cocp.retrip_delay", None, Some(1.0), Some(4.0)),
    ]
}

#[test]
fn the_html_report_tables_every_measurement_and_marks_it_on_the_plot() {
    let dir = rendered("html", three(), true);
    let html = read(&dir, "report.html");
    let table = &html[html.find("id=\"measurements-cocp\"").unwrap()..];
    let table = &table[..table.find("id=\"reactions-cocp\"").unwrap()];
    for needle in [
        "cocp.trip_delay",
        "(time_to)",
        ">2 s<",
        ">[1, 4] s<",
        ">1 s (33.3 % of the band)<",
        "class=\"v pass\"",
        "testplans/synthetic.yaml:42:9",
        "cocp.release_time",
        ">7.5 s<",
        ">none<",
        "class=\"v recorded\"",
        "cocp.retrip_delay",
        ">unmeasurable<",
        "class=\"v unmeasurable\"",
        "unmeasurable: cocp.retrip_delay: bms.protection_charge_overcurrent never true within 30 s",
    ] {
        assert!(
            table.contains(needle),
            "the measurements table lacks {needle}"
        );
    }
    // The unmeasurable one is among the failures too.
    let failures = &html[html.find("id=\"failures-cocp\"").unwrap()..];
    assert!(failures.contains("measurement cocp.retrip_delay"));
    // The plot names each measurement at its decision (steps end at 300 s and 450 s).
    let plot = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap()];
    let label = |name: &str| format!("fill=\"#8250DF\">\n{name}\n</text>");
    assert!(
        plot.contains(&label("cocp.trip_delay")),
        "no mark named on the plot"
    );
    assert!(plot.contains(&label("cocp.release_time")));
    // At the right edge (600 s) the name goes left of its line, on the second row.
    let retrip = label("cocp.retrip_delay");
    let at = plot
        .find(&retrip)
        .expect("the name at the plot's end is drawn");
    let tag = &plot[plot[..at].rfind("<text").unwrap()..at];
    let x: f64 = tag
        .split("x=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        x + 10.0 * 17.0 * 0.65 < f64::from(rig_reports::plot::PLOT_RIGHT) + 1.0,
        "{tag}"
    );
    // The dashed line at 300 s, the end of step 2: x = 100 + 300/600 * 830 px.
    // (one path, its dashes five pixels on and three off, from the bottom up).
    assert!(plot.contains("stroke=\"#8250DF\" stroke-dasharray=\"5 3\" d=\"M514 199V"));
}

#[test]
fn a_run_without_measurements_says_so() {
    let dir = rendered("none", Vec::new(), false);
    let html = read(&dir, "report.html");
    assert!(html.contains("No measurements in this log."));
    let json: serde_json::Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    assert_eq!(json["measurements"].as_array().unwrap().len(), 0);
    assert!(!read(&dir, "summary.md").contains("### Measurements"));
}

#[test]
fn junit_gives_each_measurement_as_a_property_of_its_step() {
    let dir = rendered("junit", three(), true);
    let xml = read(&dir, "junit.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let props = |case_prefix: &str| -> Vec<(String, String)> {
        let case = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("testcase") && n.attribute("name").unwrap().starts_with(case_prefix)
            })
            .unwrap();
        case.descendants()
            .filter(|n| n.has_tag_name("property"))
            .map(|n| {
                let a = |k| n.attribute(k).unwrap().to_string();
                (a("name"), a("value"))
            })
            .collect()
    };
    assert_eq!(
        props("02 "),
        [(
            "measurement.cocp.trip_delay".to_string(),
            "2.000 s [1.000, 4.000] margin 1.000".to_string()
        )]
    );
    assert_eq!(props("03 ")[0].1, "7.500 s recorded");
    assert!(props("01 ").is_empty());
    let last = props("04 ");
    assert_eq!(last[0].0, "measurement.cocp.retrip_delay");
    assert!(
        last[0].1.starts_with("unmeasurable [1.000, 4.000]"),
        "{last:?}"
    );
}

#[test]
fn a_failed_measurement_gives_its_step_failure_message() {
    let ms = vec![measurement(
        4,
        "cocp.trip_delay",
        Some(5.0),
        Some(1.0),
        Some(4.0),
    )];
    // The plan fails on step 4 (its expectation fails too: the measurement comes first).
    let dir = rendered("junit-fail", ms, true);
    let xml = read(&dir, "junit.xml");
    assert!(
        xml.contains("message=\"measurement cocp.trip_delay = 5 s outside its limits\""),
        "{xml}"
    );
    let md = read(&dir, "summary.md");
    assert!(
        md.contains("measurement *cocp.trip_delay* (`testplans/synthetic.yaml:44:9`)"),
        "{md}"
    );
}

#[test]
fn summary_json_and_markdown_list_the_measurements() {
    let dir = rendered("json", three(), true);
    let json: serde_json::Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    let ms = json["measurements"].as_array().unwrap();
    assert_eq!(ms.len(), 3);
    let m = &ms[0];
    assert_eq!(m["plan"], "cocp");
    assert_eq!(m["name"], "cocp.trip_delay");
    assert_eq!(m["value"], 2.0);
    assert_eq!(m["unit"], "s");
    assert_eq!(
        (m["min"].clone(), m["max"].clone()),
        (1.0.into(), 4.0.into())
    );
    assert_eq!(m["margin"], 1.0);
    assert_eq!(m["verdict"], "pass");
    assert_eq!(ms[1]["outcome"], "recorded");
    assert_eq!(ms[2]["value"], serde_json::Value::Null);
    assert_eq!(ms[2]["outcome"], "unmeasurable");
    let md = read(&dir, "summary.md");
    assert!(md.contains("### Measurements"), "{md}");
    assert!(
        md.contains(
            "| cocp | cocp.trip_delay | 2 s | [1, 4] s | 1 s (33.3 % of the band) | pass |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| cocp | cocp.release_time | 7.5 s | none |  | recorded |"),
        "{md}"
    );
}

fn delay(value: f64) -> Vec<EventKind> {
    vec![measurement(
        2,
        "cocp.trip_delay",
        Some(value),
        Some(1.0),
        Some(4.0),
    )]
}

fn compared(label: &str, base: Vec<EventKind>, cand: Vec<EventKind>, pct: f64) -> (Change, String) {
    let b = RunData::load(&run_with(&format!("{label}-base"), base, false)).unwrap();
    let c = RunData::load(&run_with(&format!("{label}-cand"), cand, false)).unwrap();
    let cmp = compare(&b, &c, pct);
    let row = cmp
        .rows
        .iter()
        .find(|r| r.expectation.as_deref() == Some("measure cocp.trip_delay"))
        .expect("a row for the measurement");
    (
        row.change,
        render_listing(&cmp, "base", "cand", Listing::Changed),
    )
}

#[test]
fn compare_gates_a_measurement_that_moved_beyond_the_band_tolerance() {
    // Both pass; the band is 3 s wide, so 10 % is 0.3 s.
    let (change, text) = compared("moved", delay(2.0), delay(2.5), 10.0);
    assert_eq!(change, Change::Regressed);
    assert!(text.contains("REGRESSED"), "{text}");
    assert!(text.contains("measure cocp.trip_delay"), "{text}");
    assert!(text.contains("2 s → 2.5 s"), "{text}");
    assert!(text.contains("1 regression(s)"), "{text}");
    // Down counts too: the DUT changed.
    assert_eq!(
        compared("down", delay(2.0), delay(1.6), 10.0).0,
        Change::Regressed
    );
    // Within 10 % of the band: listed as a change, not gated.
    let (change, text) = compared("within", delay(2.0), delay(2.2), 10.0);
    assert_eq!(change, Change::Changed);
    assert!(text.contains("no regression"), "{text}");
    // A wider tolerance lets the 0.5 s through.
    assert_eq!(
        compared("wide", delay(2.0), delay(2.5), 20.0).0,
        Change::Changed
    );
    let (change, text) = compared("same", delay(2.0), delay(2.0), 10.0);
    assert_eq!(change, Change::Same);
    assert!(!text.contains("cocp.trip_delay"), "{text}");
}

#[test]
fn compare_takes_the_tolerance_of_the_value_without_a_band() {
    let one = |v: f64| {
        vec![measurement(
            2,
            "cocp.trip_delay",
            Some(v),
            None,
            Some(100.0),
        )]
    };
    // 10 % of the baseline's 20 s is 2 s.
    assert_eq!(
        compared("one-in", one(20.0), one(21.5), 10.0).0,
        Change::Changed
    );
    assert_eq!(
        compared("one-out", one(20.0), one(22.5), 10.0).0,
        Change::Regressed
    );
    let none = |v: f64| vec![measurement(2, "cocp.trip_delay", Some(v), None, None)];
    assert_eq!(
        compared("rec", none(20.0), none(23.0), 10.0).0,
        Change::Regressed
    );
}

#[test]
fn compare_gates_a_measurement_that_failed_or_vanished() {
    let (change, text) = compared("failed", delay(2.0), delay(4.5), 10.0);
    assert_eq!(change, Change::Regressed);
    assert!(text.contains("pass → fail"), "{text}");
    let (change, _) = compared("gone", delay(2.0), Vec::new(), 10.0);
    assert_eq!(change, Change::Regressed);
    let (change, text) = compared("new", Vec::new(), delay(2.0), 10.0);
    assert_eq!(change, Change::Changed);
    assert!(text.contains("new measurement"), "{text}");
}
