//! The rendered reports: JUnit checked against the JUnit XSD's rules and parsed back,
//! the HTML's sections, summary.json and summary.md, a log cut at any byte, min/max
//! decimation, and run comparison.

use std::path::{Path, PathBuf};

use rig_reports::compare::{Change, compare};
use rig_reports::decimate::min_max;
use rig_reports::run::{Options, RunData, write_reports};
use rig_reports::synthetic::{self, Spec};

/// A folder of this test's own under the target directory: the next run of the test
/// replaces it, so nothing piles up in /tmp, and a failed run's files stay for a look.
fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("reports-{label}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn render(dir: &Path) -> RunData {
    let run = RunData::load(dir).expect("the run folder reads");
    write_reports(&run, Options::default()).expect("the reports render");
    run
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

fn failing_run(label: &str) -> PathBuf {
    let dir = scratch(label);
    synthetic::write_run(
        &dir,
        &Spec {
            plan_id: "cycle".into(),
            fail: true,
            ..Spec::default()
        },
    )
    .unwrap();
    synthetic::write_run(
        &dir,
        &Spec {
            plan_id: "steady".into(),
            // A measurement, so the schema check sees a test case's properties.
            measurements: vec![synthetic::measurement(
                2,
                "cocp.trip_delay",
                Some(2.0),
                Some(1.0),
                Some(4.0),
            )],
            ..Spec::default()
        },
    )
    .unwrap();
    dir
}

/// The structure the common JUnit XSD (junit-4.xsd, as Jenkins and GitLab read it)
/// requires: `testsuites` of `testsuite`s with `name` and `tests`, `failures`, `errors`
/// counts that match their `testcase`s; each case has `name`, `classname`, a
/// non-negative `time`, and at most one `failure`, `error` or `skipped`; properties
/// (of a suite or a case) have `name` and `value`; no other elements.
fn elements<'a, 'i>(n: roxmltree::Node<'a, 'i>) -> Vec<roxmltree::Node<'a, 'i>> {
    n.children().filter(|c| c.is_element()).collect()
}

fn check_junit_schema(xml: &str) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let count = |n: roxmltree::Node<'_, '_>, attr: &str| -> usize {
        n.attribute(attr)
            .unwrap_or_else(|| panic!("<{}> lacks {attr}", n.tag_name().name()))
            .parse()
            .unwrap()
    };
    let (mut total, mut total_failures) = (0, 0);
    for suite in elements(root) {
        assert_eq!(suite.tag_name().name(), "testsuite");
        assert!(!suite.attribute("name").unwrap_or("").is_empty());
        let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
        for child in elements(suite) {
            match child.tag_name().name() {
                "properties" => {
                    for p in elements(child) {
                        assert_eq!(p.tag_name().name(), "property");
                        assert!(p.attribute("name").is_some() && p.attribute("value").is_some());
                    }
                }
                "testcase" => {
                    tests += 1;
                    assert!(!child.attribute("name").unwrap_or("").is_empty());
                    assert!(child.attribute("classname").is_some());
                    let time: f64 = child.attribute("time").unwrap().parse().unwrap();
                    assert!(time >= 0.0);
                    let outcomes: Vec<_> = elements(child)
                        .into_iter()
                        .filter(|c| ["failure", "error", "skipped"].contains(&c.tag_name().name()))
                        .collect();
                    assert!(outcomes.len() <= 1);
                    for c in elements(child) {
                        match c.tag_name().name() {
                            "failure" => {
                                failures += 1;
                                assert!(c.attribute("message").is_some());
                                assert!(c.attribute("type").is_some());
                            }
                            "error" => errors += 1,
                            "skipped" => skipped += 1,
                            "system-out" | "system-err" => {}
                            // Test-case properties (the measurements of SPEC-12 §7), as
                            // the later JUnit schemas and GitLab read them.
                            "properties" => {
                                for p in elements(c) {
                                    assert_eq!(p.tag_name().name(), "property");
                                    assert!(p.attribute("name").is_some());
                                    assert!(p.attribute("value").is_some());
                                }
                            }
                            other => panic!("<{other}> is not allowed in a testcase"),
                        }
                    }
                }
                "system-out" | "system-err" => {}
                other => panic!("<{other}> is not allowed in a testsuite"),
            }
        }
        assert_eq!(count(suite, "tests"), tests);
        assert_eq!(count(suite, "failures"), failures);
        assert_eq!(count(suite, "errors"), errors);
        if suite.attribute("skipped").is_some() {
            assert_eq!(count(suite, "skipped"), skipped);
        }
        total += tests;
        total_failures += failures;
    }
    assert_eq!(count(root, "tests"), total);
    assert_eq!(count(root, "failures"), total_failures);
    doc
}

#[test]
fn junit_follows_the_junit_schema_and_reads_back() {
    let dir = failing_run("junit");
    render(&dir);
    let xml = read(&dir, "junit.xml");
    let doc = check_junit_schema(&xml);
    let suites: Vec<_> = doc
        .root_element()
        .children()
        .filter(|c| c.has_tag_name("testsuite"))
        .collect();
    assert_eq!(
        suites
            .iter()
            .map(|s| s.attribute("name").unwrap())
            .collect::<Vec<_>>(),
        ["cycle", "steady"]
    );
    let measured = suites[1]
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("02 cycle 2"))
        .expect("step 2 of steady");
    assert!(
        measured
            .descendants()
            .any(|p| p.attribute("name") == Some("measurement.cocp.trip_delay")),
        "{xml}"
    );
    let cycle = suites[0];
    let failure = cycle
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .expect("the failing step has a failure");
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("cycle 4: charge current limit follows")
    );
    let properties: Vec<_> = cycle
        .descendants()
        .filter(|n| n.has_tag_name("property"))
        .map(|p| (p.attribute("name").unwrap(), p.attribute("value").unwrap()))
        .collect();
    assert!(
        properties.contains(&("plan_hash", "0123456789abcdef")),
        "{properties:?}"
    );
    assert!(
        properties
            .iter()
            .any(|(n, v)| *n == "event_log" && v.ends_with("cycle.events.jsonl"))
    );
    let out = cycle
        .descendants()
        .find(|n| n.has_tag_name("system-out"))
        .and_then(|n| n.text())
        .unwrap();
    assert!(
        out.contains("event log: ") && out.contains("cycle.events.jsonl"),
        "{out}"
    );
}

#[test]
fn the_html_report_has_every_section_and_an_inline_plot() {
    let dir = failing_run("html");
    render(&dir);
    let html = read(&dir, "report.html");
    for needle in [
        "<!DOCTYPE html>",
        "id=\"summary\"",
        "id=\"plan-cycle\"",
        "id=\"identity-cycle\"",
        "id=\"bench-cycle\"",
        "id=\"failures-cycle\"",
        "id=\"plot-cycle\"",
        "id=\"steps-cycle\"",
        "id=\"measurements-cycle\"",
        "id=\"markers-cycle\"",
        "<svg",
        "plan content hash",
        "0123456789abcdef",
        "Lesso LSRR51V100AH-LFP",
        "RIG-SIM, SOURCE-SINK-60V-120A",
        "observed: never true",
        "source.voltage",
    ] {
        assert!(html.contains(needle), "report.html lacks {needle}");
    }
    // Self-contained: nothing loaded from elsewhere.
    for external in ["<script", "<link", "src=\"http", "href=\"http", "@import"] {
        assert!(!html.contains(external), "report.html loads {external}");
    }
    assert!(!html.contains("id=\"incomplete\""));
}

#[test]
fn summary_json_and_markdown_carry_the_verdicts() {
    let dir = failing_run("json");
    render(&dir);
    let json: serde_json::Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
    assert_eq!(json["verdict"], "fail");
    assert_eq!(json["exit_code"], 1);
    assert_eq!(json["exit_code_observed"], false);
    let plans = json["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0]["plan_id"], "cycle");
    assert_eq!(plans[0]["verdict"], "fail");
    assert_eq!(plans[0]["steps"].as_array().unwrap().len(), 4);
    assert_eq!(json["format_version"], 2);
    let m = &plans[1]["reaction_times"][0];
    assert_eq!(m["value_s"], 2.0);
    assert_eq!(m["limit_s"], 5.0);
    assert_eq!(m["margin_s"], 3.0);
    let md = read(&dir, "summary.md");
    assert!(
        md.contains("| cycle | lesso_lsrr51v100ah | ❌ fail | 3/4 |"),
        "{md}"
    );
    assert!(md.contains("### Failures"), "{md}");
}

#[test]
fn a_log_cut_at_any_byte_still_renders_marked_incomplete() {
    let text = synthetic::log(&Spec {
        plan_id: "cut".into(),
        duration_s: 40.0,
        channels: 6,
        steps: 3,
        ..Spec::default()
    });
    let dir = scratch("cut");
    let log = dir.join("cut.events.jsonl");
    // Every byte of the first lines (header, identities) and of the end, and a stride
    // through the middle: a cut anywhere in a line, including inside UTF-8 and escapes.
    let len = text.len();
    // The last cut keeps all but the final newline: the last line is whole, so that
    // log is complete and is left out.
    let cuts = (0..600.min(len))
        .chain((600..len).step_by(211))
        .chain(len.saturating_sub(300)..len - 1);
    for cut in cuts {
        std::fs::write(&log, &text.as_bytes()[..cut]).unwrap();
        let run = RunData::load(&dir).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        write_reports(&run, Options::default()).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        assert!(run.incomplete(), "cut at {cut}");
        let html = read(&dir, "report.html");
        assert!(html.contains("id=\"incomplete\""), "cut at {cut}");
        let json: serde_json::Value = serde_json::from_str(&read(&dir, "summary.json")).unwrap();
        assert_eq!(json["incomplete"], true, "cut at {cut}");
        check_junit_schema(&read(&dir, "junit.xml"));
    }
}

#[test]
fn garbage_and_hostile_input_render_without_panicking() {
    let dir = scratch("garbage");
    let header = synthetic::log(&Spec {
        duration_s: 3.0,
        channels: 2,
        steps: 1,
        ..Spec::default()
    });
    let first = header.lines().next().unwrap();
    let hostile = [
        String::new(),
        "\u{0}\u{1}not json at all\n{{{{".into(),
        first.replace("\"steps\":1", "\"steps\":18446744073709551615"),
        first.replace("\"t\":0.0", "\"t\":-1e308") + "\n" + &header,
        first.replace(
            "\"plan_id\":\"synthetic\"",
            "\"plan_id\":\"../../etc/<b>x</b>\"",
        ),
        header.replace("\"t\":1.0", "\"t\":1e308"),
        header.replace("within 5 s", "within NaN lightyears"),
    ];
    for (i, text) in hostile.iter().enumerate() {
        std::fs::write(dir.join("p.events.jsonl"), text).unwrap();
        let run = RunData::load(&dir).unwrap();
        write_reports(
            &run,
            Options {
                exit_code: None,
                png: true,
            },
        )
        .unwrap_or_else(|e| panic!("input {i}: {e}"));
        assert!(
            !read(&dir, "report.html").contains("<b>x</b>"),
            "input {i} is escaped"
        );
    }
}

/// xorshift: reproducible random cases without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[test]
fn decimation_keeps_every_buckets_min_and_max() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for case in 0..300 {
        let n = (rng.next() % 5000) as usize;
        let buckets = 1 + (rng.next() % 300) as usize;
        let mut t = 0.0;
        let points: Vec<(f64, f64)> = (0..n)
            .map(|_| {
                t += rng.unit() * 3.0;
                let spike = if rng.next().is_multiple_of(500) {
                    1e3
                } else {
                    0.0
                };
                (t, rng.unit() * 10.0 - 5.0 + spike)
            })
            .collect();
        let end = t.max(1.0);
        let out = min_max(&points, 0.0, end, buckets);
        assert!(out.len() <= 4 * buckets, "case {case}");
        assert!(
            out.windows(2).all(|w| w[0].0 <= w[1].0),
            "case {case}: time order"
        );
        let width = end / buckets as f64;
        let bucket = |t: f64| ((t / width) as usize).min(buckets - 1);
        for b in 0..buckets {
            let values = |ps: &[(f64, f64)]| -> Vec<f64> {
                ps.iter()
                    .filter(|p| bucket(p.0) == b)
                    .map(|p| p.1)
                    .collect()
            };
            let (inp, outp) = (values(&points), values(&out));
            if inp.is_empty() {
                assert!(outp.is_empty(), "case {case}");
                continue;
            }
            let extremes = |v: &[f64]| {
                (
                    v.iter().copied().fold(f64::INFINITY, f64::min),
                    v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                )
            };
            assert_eq!(extremes(&inp), extremes(&outp), "case {case}, bucket {b}");
            assert_eq!(inp.first(), outp.first(), "case {case}, bucket {b}: first");
            assert_eq!(inp.last(), outp.last(), "case {case}, bucket {b}: last");
        }
    }
}

#[test]
fn a_one_sample_spike_in_a_long_run_reaches_the_plot() {
    let spec = Spec {
        duration_s: 6.0 * 3600.0,
        channels: 5,
        steps: 2,
        ..Spec::default()
    };
    let dir = scratch("spike");
    synthetic::write_run(&dir, &spec).unwrap();
    let run = RunData::load(&dir).unwrap();
    let voltage = run.plans[0]
        .detail
        .series
        .iter()
        .find(|s| s.channel == "source.voltage")
        .unwrap();
    // 21,600 samples, thinned while read to at most four points a bucket.
    let kept = voltage.points.len();
    assert!(
        kept <= 4 * rig_reports::thinning::MAX_BUCKETS,
        "{kept} points"
    );
    let out = min_max(&voltage.points, 0.0, spec.duration_s, 1100);
    assert!(out.len() < 4400, "{} points", out.len());
    assert!(out.contains(&(synthetic::spike_time(&spec), synthetic::SPIKE_V)));
}

fn run_with(label: &str, plan: &str, fail: bool, reaction_s: f64) -> PathBuf {
    let dir = scratch(label);
    synthetic::write_run(
        &dir,
        &Spec {
            plan_id: plan.into(),
            fail,
            reaction_s,
            duration_s: 120.0,
            channels: 4,
            ..Spec::default()
        },
    )
    .unwrap();
    dir
}

#[test]
fn compare_flags_a_changed_verdict_and_a_slower_reaction() {
    let base = RunData::load(&run_with("cmp-base", "p", false, 2.0)).unwrap();
    let same = RunData::load(&run_with("cmp-same", "p", false, 2.1)).unwrap();
    let slower = RunData::load(&run_with("cmp-slow", "p", false, 2.5)).unwrap();
    let failed = RunData::load(&run_with("cmp-fail", "p", true, 2.0)).unwrap();

    let c = compare(&base, &same, 10.0);
    assert!(!c.regressed(), "5 % slower is within 10 %: {:#?}", c.rows);

    let c = compare(&base, &slower, 10.0);
    assert!(c.regressed());
    let r: Vec<_> = c.regressions().collect();
    assert_eq!(r.len(), 4, "every step's reaction got 25 % slower");
    assert!(r[0].note.contains("reaction 2 s → 2.5 s"), "{}", r[0].note);
    assert!(!compare(&base, &slower, 30.0).regressed());

    let c = compare(&base, &failed, 10.0);
    assert!(c.regressed());
    let plan = c.rows.iter().find(|r| r.expectation.is_none()).unwrap();
    assert_eq!(plan.change, Change::Regressed);
    assert_eq!(plan.note, "pass → fail");
    // The other way round is a fix, not a regression.
    assert!(!compare(&failed, &base, 10.0).regressed());
    let text = rig_reports::compare::render_text(&c, "base", "cand");
    assert!(text.contains("REGRESSED"), "{text}");
}

#[test]
fn compare_counts_a_vanished_plan_as_a_regression() {
    let base = RunData::load(&run_with("cmp-two", "p", false, 2.0)).unwrap();
    let other = RunData::load(&run_with("cmp-other", "q", false, 2.0)).unwrap();
    let c = compare(&base, &other, 10.0);
    assert!(c.regressed());
    assert!(
        c.regressions()
            .any(|r| r.plan == "p" && r.note == "pass → missing")
    );
}

#[test]
fn compare_lists_only_what_changed_unless_asked_for_all() {
    use rig_reports::compare::{Listing, render_listing, render_text};
    let base = RunData::load(&run_with("cmp-list-base", "p", false, 2.0)).unwrap();
    let same = RunData::load(&run_with("cmp-list-same", "p", false, 2.0)).unwrap();
    let failed = RunData::load(&run_with("cmp-list-failed", "p", true, 2.0)).unwrap();
    let unchanged = compare(&base, &same, 10.0);
    let text = render_text(&unchanged, "base", "cand");
    assert!(text.contains("nothing changed"), "{text}");
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with('p')),
        "{text}"
    );
    let all = render_listing(&unchanged, "base", "cand", Listing::All);
    assert!(
        all.lines().any(|l| l.trim_start().starts_with("p ")),
        "{all}"
    );
    let changed = compare(&base, &failed, 10.0);
    let text = render_text(&changed, "base", "cand");
    // Every row listed has a change mark, and every changed row is listed.
    let marks = ["REGRESSED ", "changed ", "improved "];
    let listed = text
        .lines()
        .filter(|l| marks.iter().any(|m| l.starts_with(m)))
        .count();
    let rows = changed
        .rows
        .iter()
        .filter(|r| r.change != Change::Same)
        .count();
    assert_eq!(listed, rows, "{text}");
    assert!(rows >= 1);
    assert!(
        render_listing(&changed, "base", "cand", Listing::All)
            .lines()
            .count()
            > text.lines().count()
    );
}

/// The CSS inside `@media print{…}`.
fn print_css(html: &str) -> &str {
    let start = html.find("@media print{").expect("a print stylesheet") + 13;
    let mut depth = 1;
    for (i, c) in html[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return &html[start..start + i];
        }
    }
    panic!("the print stylesheet is not closed");
}

#[test]
fn the_report_prints_and_heads_with_the_dut_saying_what_the_log_lacks() {
    let dir = failing_run("print");
    render(&dir);
    let html = read(&dir, "report.html");
    let print = print_css(&html);
    for rule in [
        "nav.index{display:none}",
        "break-before:page",
        ".plot svg{width:100%;max-width:100%;height:auto}",
        "color:#000 !important",
        "background:#fff !important",
    ] {
        assert!(print.contains(rule), "the print stylesheet lacks {rule}");
    }
    // The header: the model from the log, serial and firmware the synthetic log does
    // not carry are "not recorded".
    let dut = &html[html.find("id=\"dut\"").expect("a DUT header")..];
    let dut = &dut[..dut.find("</table>").unwrap()];
    assert!(dut.contains("Lesso LSRR51V100AH-LFP"), "{dut}");
    for field in ["serial number", "firmware"] {
        let row = &dut[dut.find(field).unwrap()..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains("not recorded"), "{row}");
    }
    // The plan index is a wrapping list, one item a plan.
    assert!(html.contains("nav.index ul{display:flex;flex-wrap:wrap"));
    let nav = &html[html.find("<nav class=\"index\">").unwrap()..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    assert_eq!(nav.matches("<li>").count(), 2, "{nav}");
}

/// A measurement event whose limits read the profile value `value`, cited by `source`.
fn resting_on(mut e: rig_reports::EventKind, value: &str, source: &str) -> rig_reports::EventKind {
    if let rig_reports::EventKind::Measurement { basis, .. } = &mut e {
        basis.push(rig_reports::LimitBasis {
            value: value.into(),
            source: Some(source.into()),
            assumption: None,
        });
    }
    e
}

#[test]
fn the_report_lists_each_manual_clause_with_what_was_measured_against_it() {
    let dir = scratch("clauses");
    let m = |step, name, v| synthetic::measurement(step, name, Some(v), Some(1.0), Some(4.0));
    synthetic::write_run(
        &dir,
        &Spec {
            plan_id: "cocp".into(),
            measurements: vec![
                resting_on(
                    m(1, "cocp.trip_delay", 5.0),
                    "dut.cocp.trip_delay",
                    "§3.10 COCP: 'delay 1~4 s'",
                ),
                m(2, "own.limits", 2.0),
                resting_on(
                    m(3, "cocp.trip_current", 2.5),
                    "dut.cocp.trip_current",
                    "§3.4 Protection function: 'stop charging'",
                ),
            ],
            ..Spec::default()
        },
    )
    .unwrap();
    render(&dir);
    let html = read(&dir, "report.html");
    let table = &html[html.find("id=\"clauses\"").expect("a clause table")..];
    let table = &table[..table.find("</table>").unwrap()];
    // Natural order (§3.4 before §3.10), the plan's own limits last.
    let at = |s: &str| {
        table
            .find(s)
            .unwrap_or_else(|| panic!("{s} missing: {table}"))
    };
    assert!(at("§3.4 Protection function") < at("§3.10 COCP"));
    assert!(at("§3.10 COCP") < at("own.limits"));
    assert!(table.contains("'stop charging'") && table.contains("dut.cocp.trip_current"));
    // The failing one: its value, limits, margin and verdict.
    let row = &table[at("§3.10 COCP")..];
    let row = &row[..row.find("</tr>").unwrap()];
    for cell in ["5 s", "[1, 4] s", "-1 s", "fail"] {
        assert!(row.contains(cell), "{cell} missing: {row}");
    }
    // On A4 the table keeps its columns inside the page.
    assert!(print_css(&html).contains("table.clauses{font-size:9px;table-layout:fixed}"));
    let md = read(&dir, "summary.md");
    let md = &md[md
        .find("### Manual clauses checked")
        .expect("a clause table in summary.md")..];
    assert!(md.contains("| lesso_lsrr51v100ah | §3.4 Protection function | `dut.cocp.trip_current` | 'stop charging' | cocp | cocp.trip_current |"), "{md}");
}
