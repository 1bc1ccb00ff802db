//! `rig compare` between two runs of the binary.

use super::*;

#[test]
fn compare_finds_a_regression_between_two_runs() {
    let base = scratch("cmp-base");
    let cand = scratch("cmp-cand");
    assert_eq!(
        rig(&[
            "run",
            "testplans/cocp_lockout.yaml",
            "--out",
            base.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(
        rig(&[
            "run",
            "testplans/cocp_lockout.yaml",
            "--defect",
            "cocp_no_lockout",
            "--out",
            cand.to_str().unwrap()
        ])
        .status
        .code(),
        Some(1)
    );
    let same = rig(&["compare", base.to_str().unwrap(), base.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert!(text(&same).contains("nothing changed"), "{}", text(&same));
    let all = rig(&[
        "compare",
        "--all",
        base.to_str().unwrap(),
        base.to_str().unwrap(),
    ]);
    assert!(text(&all).contains("cocp_lockout"), "{}", text(&all));
    // The candidate stopped at step 11: its later steps are named from the plan, so
    // JUnit has the same test cases in both runs.
    let cases = |dir: &std::path::Path| -> Vec<String> {
        let xml = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
        xml.split("<testcase name=\"")
            .skip(1)
            .map(|c| c.split('"').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(cases(&cand), cases(&base));
    assert_eq!(cases(&base).len(), 16);
    let html = std::fs::read_to_string(cand.join("report.html")).unwrap();
    assert!(
        html.contains("not reached"),
        "the report lists unreached steps"
    );
    let worse = rig(&["compare", base.to_str().unwrap(), cand.to_str().unwrap()]);
    assert_eq!(worse.status.code(), Some(1), "{}", text(&worse));
    assert!(
        text(&worse).contains("locked out well past the recovery delay"),
        "{}",
        text(&worse)
    );
}

#[test]
fn compare_gates_a_measurement_that_moved_inside_its_limits() {
    use rig_reports::synthetic::{Spec, measurement, write_run};
    let run = |label: &str, delay: f64| {
        let dir = scratch(label);
        let spec = Spec {
            plan_id: "cocp".into(),
            duration_s: 60.0,
            channels: 4,
            measurements: vec![measurement(
                2,
                "cocp.trip_delay",
                Some(delay),
                Some(1.0),
                Some(4.0),
            )],
            ..Spec::default()
        };
        write_run(&dir, &spec).unwrap();
        dir
    };
    let (base, cand) = (run("measure-base", 2.0), run("measure-cand", 2.5));
    let (b, c) = (base.to_str().unwrap(), cand.to_str().unwrap());
    // Both pass; 0.5 s is more than 10 % of the 3 s band.
    let o = rig(&["compare", b, c]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("REGRESSED"), "{out}");
    assert!(out.contains("measure cocp.trip_delay"), "{out}");
    assert!(out.contains("moved 2 s → 2.5 s"), "{out}");
    // 20 % of the band (0.6 s) lets it through, listed as a change.
    let o = rig(&["compare", "--tolerance", "20", b, c]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("changed"), "{}", text(&o));
    let o = rig(&["compare", "--tolerance=-5", b, c]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}
