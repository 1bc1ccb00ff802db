//! The operator's view from the command line. Diagnostics (`RUST_LOG`, `-v`): off by
//! default, and when asked for, every exchange with an instrument on stderr and in the
//! run folder's `rig.trace.log`, while the event log stays as it is. `rig schema`:
//! the schemas for editors, as committed in `schemas/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A folder of this test's own under the target directory, emptied first.
fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("operator-{label}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `rig run` of the COCP plan on the virtual bench into `out`, with `rust_log`.
fn run_cocp(out: &Path, rust_log: Option<&str>, extra: &[&str]) -> Output {
    let mut cmd = rig_run(out);
    cmd.arg("testplans/cocp_lockout.yaml").args(extra);
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    cmd.output().expect("the rig binary runs")
}

/// `rig run --out OUT` from the repository, with its bench lock and results database
/// in `out` and no diagnostics unless the test asks; plans and options follow.
fn rig_run(out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rig"));
    cmd.args(["run", "--out"])
        .arg(out)
        .current_dir(repo())
        .env("RIG_LOCK_DIR", out.join("locks"))
        .env("RIG_RESULTS", out.join("rig.db"))
        .env_remove("RIG_LAB")
        .env_remove("RUST_LOG");
    cmd
}

#[test]
fn rust_log_shows_each_instruments_exchanges_on_stderr_and_in_the_run_folder() {
    let out = scratch("debug");
    let o = run_cocp(&out, Some("rig=debug"), &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    // A command to the SCPI source and an answer from the Modbus relay board, each
    // inside its plan's span.
    for exchange in [
        "plan{id=cocp_lockout",
        "-> \"SOUR:CURR:LIM:POS",
        "instrument=source",
        "instrument=io",
        "instrument=bms",
    ] {
        assert!(stderr.contains(exchange), "no {exchange} in stderr");
    }
    let file = std::fs::read_to_string(out.join("rig.trace.log")).expect("rig.trace.log");
    assert!(file.contains("instrument=source"), "{file}");
}

#[test]
fn without_rust_log_or_v_stderr_has_no_diagnostics_and_the_log_is_the_same() {
    let quiet = scratch("off");
    let o = run_cocp(&quiet, None, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("instrument="), "{stderr}");
    assert!(!stderr.contains("plan{"), "{stderr}");
    assert!(!quiet.join("rig.trace.log").exists());
    // `-v` is info: plans and steps, no exchanges; the event log is unchanged.
    let verbose = scratch("v");
    let o = run_cocp(&verbose, None, &["-v"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("step started"), "{stderr}");
    assert!(!stderr.contains("instrument="), "{stderr}");
    let log = |dir: &Path| std::fs::read_to_string(dir.join("cocp_lockout.events.jsonl")).unwrap();
    assert_eq!(log(&quiet), log(&verbose));
}

#[test]
fn rig_schema_writes_the_three_schemas_as_committed() {
    let out = scratch("schema");
    let o = Command::new(env!("CARGO_BIN_EXE_rig"))
        .args(["schema", "--out"])
        .arg(&out)
        .output()
        .expect("the rig binary runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for name in ["plan.schema.json", "bench.schema.json", "dut.schema.json"] {
        let written = std::fs::read_to_string(out.join(name)).expect(name);
        let committed = std::fs::read_to_string(repo().join("schemas").join(name)).unwrap();
        assert_eq!(written, committed, "{name}");
    }
}

/// `rig run PLAN` on `bench` into `out`, with `extra` arguments.
fn run_on(bench: &Path, plan: &str, out: &Path, extra: &[&str]) -> Output {
    rig_run(out)
        .args([plan, "--bench"])
        .arg(bench)
        .args(extra)
        .output()
        .expect("the rig binary runs")
}

/// The virtual bench file with `calibration_due: DUE` on its source, in `dir`.
fn sim_bench_with_due(dir: &Path, due: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let sim = std::fs::read_to_string(repo().join("testplans/benches/sim.yaml")).unwrap();
    let with_due = sim.replacen(
        "    resource: sim:source\n",
        &format!("    resource: sim:source\n    calibration_due: {due}\n"),
        1,
    );
    assert_ne!(with_due, sim, "the virtual bench file has a source");
    let bench = dir.join("bench.yaml");
    std::fs::write(&bench, with_due).unwrap();
    bench
}

/// Issue 18: an instrument past its calibration date is flagged; a `cert-precheck` plan
/// refuses it before anything connects unless the command line overrides that, and
/// the report then says so.
#[test]
fn an_expired_calibration_is_flagged_and_refused_by_cert_precheck_plans() {
    let dir = scratch("calibration");
    let bench = sim_bench_with_due(&dir, "2020-01-31");

    // can_limits is tagged cert-precheck: refused, nothing run.
    let refused = dir.join("refused");
    let o = run_on(&bench, "testplans/can_limits.yaml", &refused, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("tagged `cert-precheck`"), "{stderr}");
    assert!(stderr.contains("`source` (due 2020-01-31)"), "{stderr}");
    assert!(stderr.contains("--allow-expired-calibration"), "{stderr}");
    assert!(!refused.join("can_limits.events.jsonl").exists());

    // Another plan runs, flagged in the console and the report.
    let flagged = dir.join("flagged");
    let o = run_on(&bench, "testplans/rs485_turn_off.yaml", &flagged, &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "warning: instrument `source` of bench `sim` is past its calibration date (2020-01-31)"
        ),
        "{stderr}"
    );
    let html = std::fs::read_to_string(flagged.join("report.html")).unwrap();
    assert!(html.contains("Instruments past their calibration date: source (due 2020-01-31)"));

    // Overridden: the cert-precheck plan runs, and its report states the override.
    let allowed = dir.join("allowed");
    let o = run_on(
        &bench,
        "testplans/can_limits.yaml",
        &allowed,
        &["--allow-expired-calibration"],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let html = std::fs::read_to_string(allowed.join("report.html")).unwrap();
    assert!(
        html.contains("source (due 2020-01-31, used on --allow-expired-calibration)"),
        "the report states the override"
    );
    let log = std::fs::read_to_string(allowed.join("can_limits.events.jsonl")).unwrap();
    assert!(log.contains(
        r#""event":"calibration","instrument":"source","due":"2020-01-31","expired":true,"overridden":true"#
    ));
}

/// A due date that is not a date is refused with its place in the bench file.
#[test]
fn a_calibration_due_date_must_be_a_date() {
    let dir = scratch("calibration-bad");
    let bench = sim_bench_with_due(&dir, "next spring");
    let o = run_on(
        &bench,
        "testplans/rs485_turn_off.yaml",
        &dir.join("out"),
        &[],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("bench.yaml:14:22")
            && stderr
                .contains("`calibration_due` must be a date, YYYY-MM-DD (UTC), not `next spring`"),
        "{stderr}"
    );
}
