//! A history of 20 runs: trend, plot and gate. The measurement half imports run
//! folders whose logs carry SPEC-12 `measurement` events (synthetic logs: the engine
//! does not write them yet); the verdict half is made of real `rig run` runs on the
//! virtual bench, with defects standing in for firmware versions.

use std::path::Path;

use rig::results::info::RunInfo;
use rig_reports::synthetic::{Spec, write_run};

use super::common::{Lab, labs, text};

const T0: i64 = 1_793_000_000;

/// A run folder of one synthetic plan whose log records `cocp.trip_delay` = `delay`.
fn synthetic_run(dir: &Path, id: &str, started: i64, firmware: &str, delay: f64) {
    let spec = Spec {
        plan_id: "cocp_synthetic".into(),
        duration_s: 60.0,
        channels: 8,
        steps: 2,
        ..Spec::default()
    };
    let log = write_run(dir, &spec).unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut last: serde_json::Value = serde_json::from_str(&lines.pop().unwrap()).unwrap();
    let seq = last["seq"].as_u64().unwrap();
    last["seq"] = (seq + 1).into();
    let inside = (1.0..=4.0).contains(&delay);
    lines.push(
        serde_json::json!({
            "seq": seq, "t": 59.0, "event": "measurement", "step": 2,
            "name": "cocp.trip_delay", "kind": "time_to", "value": delay, "unit": "s",
            "min": 1.0, "max": 4.0, "margin": (delay - 1.0).min(4.0 - delay),
            "verdict": if inside { "pass" } else { "fail" },
            "location": "testplans/cocp_synthetic.yaml:40:9", "message": null
        })
        .to_string(),
    );
    lines.push(last.to_string());
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    RunInfo {
        format_version: 1,
        run_id: id.into(),
        station: Some("bench-pc".into()),
        user: Some("qa".into()),
        bench: "sim".into(),
        firmware_label: Some(firmware.into()),
        rig_version: "0.1.0".into(),
        started_unix: started,
        finished_unix: Some(started + 60),
        exit_code: Some(0),
        duts: Default::default(),
    }
    .write(dir)
    .unwrap();
}

fn count_line(o: &std::process::Output) -> String {
    text(o)
        .lines()
        .find(|l| l.ends_with(" runs") || l.ends_with(" run") || l.contains(" values of "))
        .unwrap_or_default()
        .to_string()
}

fn gate(lab: &Lab, candidate: &str, baseline: &str) -> (Option<i32>, String, String, String) {
    let (junit, md) = (lab.path("gate.xml"), lab.path("gate.md"));
    let o = lab.rig(&[
        "gate",
        "--candidate",
        candidate,
        "--baseline",
        baseline,
        "--last",
        "10",
        "--results",
        &lab.results,
        "--junit",
        junit.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    (
        o.status.code(),
        text(&o),
        std::fs::read_to_string(junit).unwrap_or_default(),
        std::fs::read_to_string(md).unwrap_or_default(),
    )
}

#[test]
fn a_measurement_history_gives_a_trend_plot_and_a_gate_that_catches_a_move() {
    for lab in labs("a_measurement_history_gives_a_trend_plot_and_a_gate_that_catches_a_move") {
        let mut dirs = Vec::new();
        let noise = [0.01, -0.02, 0.03, 0.0, -0.01, 0.02, -0.03, 0.01, 0.0, -0.02];
        for i in 0..20 {
            let (firmware, delay) = match i {
                0..12 => ("1.4.2", 2.0 + noise[i % 10]),
                12..18 => ("1.4.3", 2.0 + noise[(i + 3) % 10]),
                18 => ("1.5.0", 2.02),
                _ => ("1.5.1", 3.1),
            };
            let name = format!("run{i:02}");
            let dir = lab.path(&format!("runs/{name}"));
            synthetic_run(
                &dir,
                &format!("synthetic-{name}"),
                T0 + i as i64 * 86_400,
                firmware,
                delay,
            );
            dirs.push(dir.display().to_string());
        }
        let mut import = vec!["results", "import", "--results", &lab.results];
        import.extend(dirs.iter().map(String::as_str));
        let o = lab.rig(&import);
        assert_eq!(o.status.code(), Some(0), "{}: {}", lab.name, text(&o));

        let history = |extra: &[&str]| {
            let mut args = vec!["history", "--results", &lab.results];
            args.extend(extra);
            let o = lab.rig(&args);
            assert_eq!(o.status.code(), Some(0), "{}", text(&o));
            o
        };
        assert_eq!(count_line(&history(&[])), "20 runs");
        assert_eq!(count_line(&history(&["--firmware", "1.4.2"])), "12 runs");
        let newest = history(&["--last", "3"]);
        assert_eq!(count_line(&newest), "3 runs");
        assert!(text(&newest).contains("synthetic-run17") && !text(&newest).contains("run16"));
        let since = rig::results::wallclock::iso(T0 + 15 * 86_400);
        assert_eq!(count_line(&history(&["--since", &since[..10]])), "5 runs");
        assert_eq!(count_line(&history(&["--until", &since[..10]])), "16 runs");

        let plots = lab.path("plots");
        let o = history(&[
            "--measurement",
            "cocp.trip_delay",
            "--plot-dir",
            plots.to_str().unwrap(),
        ]);
        assert_eq!(count_line(&o), "20 values of cocp.trip_delay");
        assert!(text(&o).contains("synthetic-run19"), "{}", text(&o));
        let svg = std::fs::read_to_string(plots.join("trend-cocp.trip_delay.svg")).unwrap();
        for firmware in ["1.4.2", "1.4.3", "1.5.0", "1.5.1"] {
            assert!(svg.contains(&format!("firmware {firmware}")), "{firmware}");
        }
        let png = std::fs::read(plots.join("trend-cocp.trip_delay.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG"));

        let steady = lab.path("runs/run18").display().to_string();
        let (code, out, junit, md) = gate(&lab, &steady, "firmware=1.4.2");
        assert_eq!(code, Some(0), "{}: {out}", lab.name);
        assert!(md.starts_with("## rig gate: ✅ pass"), "{md}");
        assert!(md.contains("(10 baseline runs;"), "{md}");
        assert!(junit.contains("measurement cocp.trip_delay") && !junit.contains("<failure"));

        // 3.1 s is inside the limits [1 s, 4 s], but has moved from ~2.0 s.
        let (code, out, junit, md) = gate(&lab, "synthetic-run19", "firmware=1.4.2");
        assert_eq!(code, Some(1), "{}: {out}", lab.name);
        assert!(
            md.contains("❌ moved: 3.100 s outside the baseline's"),
            "{md}"
        );
        assert!(junit.contains("<failure") && junit.contains("type=\"regression\""));
    }
}

/// `rig run` of the COCP plan, labelled; `defect` stands in for a firmware's bug.
fn run(lab: &Lab, n: usize, firmware: &str, defect: Option<&str>) -> String {
    let out = lab.path(&format!("runs/{n:02}"));
    let mut args = vec![
        "run",
        "testplans/cocp_lockout.yaml",
        "--out",
        out.to_str().unwrap(),
        "--results",
        &lab.results,
        "--firmware-label",
        firmware,
    ];
    if let Some(d) = defect {
        args.extend(["--defect", d]);
    }
    let o = lab.rig(&args);
    let expected = if defect.is_some() { 1 } else { 0 };
    assert_eq!(
        o.status.code(),
        Some(expected),
        "{}: {}",
        lab.name,
        text(&o)
    );
    out.display().to_string()
}

#[test]
fn real_runs_gate_a_verdict_change_and_pass_a_clean_candidate() {
    for lab in labs("real_runs_gate_a_verdict_change_and_pass_a_clean_candidate") {
        for n in 0..18 {
            match n {
                0..10 => run(&lab, n, "1.4.2", None),
                10..14 => run(&lab, n, "1.4.3", Some("cocp_lockout_after_four")),
                _ => run(&lab, n, "1.4.4", None),
            };
        }
        let good = run(&lab, 18, "1.5.0", None);
        let bad = run(&lab, 19, "1.5.1", Some("cocp_no_lockout"));
        let history = |extra: &[&str]| {
            let mut args = vec!["history", "--results", &lab.results];
            args.extend(extra);
            count_line(&lab.rig(&args))
        };
        assert_eq!(history(&[]), "20 runs");
        assert_eq!(history(&["--verdict", "fail"]), "5 runs");
        assert_eq!(
            history(&["--firmware", "1.4.3", "--plan", "cocp_lockout"]),
            "4 runs"
        );

        let (code, out, _, md) = gate(&lab, &good, "firmware=1.4.2");
        assert_eq!(code, Some(0), "{}: {out}", lab.name);
        assert!(
            md.contains("| cocp_lockout | verdict | pass | 10 pass | ✅ pass |"),
            "{md}"
        );

        let (code, out, junit, md) = gate(&lab, &bad, "firmware=1.4.2");
        assert_eq!(code, Some(1), "{}: {out}", lab.name);
        assert!(
            md.contains("❌ fail now; passed in all 10 baseline runs"),
            "{md}"
        );
        assert!(junit.contains("verdict cocp_lockout") && junit.contains("<failure"));

        // Against the buggy 1.4.3 the same failure is no change.
        let (code, _, _, md) = gate(&lab, &bad, "firmware=1.4.3");
        assert_eq!(code, Some(0), "{md}");
    }
}
