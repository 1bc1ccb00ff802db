//! The `rig` binary as a user runs it: exit codes, what it writes, what it touches.

use crate::{served, soak};

mod compare;
mod probe;
mod selection;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rig(args: &[&str]) -> Output {
    // Each call gets its own bench-lock folder and results database (issue 17), so
    // tests on one bench file do not reserve it from each other and write nothing
    // outside their scratch folders.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let lab = scratch(&format!("lab-{n}"));
    std::fs::create_dir_all(&lab).unwrap();
    Command::new(env!("CARGO_BIN_EXE_rig"))
        .args(args)
        .current_dir(repo())
        // `rig probe`'s log and `rig sim matrix`'s runs go to the temporary folder.
        .env("TMPDIR", &lab)
        .env("RIG_LOCK_DIR", lab.join("locks"))
        .env("RIG_RESULTS", lab.join("rig.db"))
        .env_remove("RIG_LAB")
        .output()
        .expect("the rig binary runs")
}

/// A folder of this test's own under the target directory: the next run of the test
/// replaces it, so nothing piles up in /tmp, and a failed run's files stay for a look.
fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{label}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn run_without_plans_runs_testplans_on_the_sim_and_passes() {
    let out = scratch("pass");
    let o = rig(&["run", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(out.join("cocp_lockout.events.jsonl").is_file());
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<testsuite name=\"cocp_lockout\""),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");
}

#[test]
fn an_injected_defect_fails_with_exit_code_1_and_names_the_expectation() {
    let out = scratch("defect");
    let o = rig(&[
        "run",
        "testplans/cocp_lockout.yaml",
        "--defect",
        "cocp_no_lockout",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("locked out well past the recovery delay"), "{t}");
    assert!(t.contains("testplans/cocp_lockout.yaml:"), "{t}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("<failure"), "{junit}");
}

#[test]
fn an_unknown_defect_is_invalid_input() {
    let o = rig(&[
        "run",
        "--defect",
        "cocp_no_lokout",
        "--out",
        scratch("baddefect").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    // Said once, not once for every plan (issue 13).
    assert_eq!(
        text(&o).matches("did you mean cocp_no_lockout").count(),
        1,
        "{}",
        text(&o)
    );
}

/// A bench whose source is a TCP listener on loopback, so a connection attempt would show.
fn tcp_bench(dir: &Path, port: u16) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let bench = dir.join("bench.yaml");
    std::fs::write(
        &bench,
        format!(
            "name: loopback\ninstruments:\n  source:\n    driver: scpi-source\n    resource: TCPIP::127.0.0.1::{port}::SOCKET\n    ratings: {{ max_voltage: 60 V, max_current: 120 A }}\n    timeout: 1 s\n"
        ),
    )
    .unwrap();
    bench
}

#[test]
fn invalid_plans_exit_3_with_line_and_column_and_connect_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let dir = scratch("invalid");
    let bench = tcp_bench(&dir, listener.local_addr().unwrap().port());
    let out = dir.join("run");
    for (fixture, at) in [
        ("typo_field.yaml", "typo_field.yaml:7:5"),
        ("unknown_instrument.yaml", "unknown_instrument.yaml:8:15"),
        ("volts_for_amps.yaml", "volts_for_amps.yaml:7:45"),
        ("overvoltage.yaml", "overvoltage.yaml:7:24"),
    ] {
        let plan = format!("tests/fixtures/invalid/{fixture}");
        let o = rig(&[
            "run",
            &plan,
            "--bench",
            bench.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(3), "{fixture}: {}", text(&o));
        assert!(text(&o).contains(at), "{fixture}: {}", text(&o));
        assert!(text(&o).contains("nothing was connected"), "{}", text(&o));
    }
    assert!(
        matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "an invalid plan made the rig connect to the source"
    );
    assert!(!out.exists(), "an invalid plan created a run folder");
}

#[test]
fn an_instrument_that_hangs_up_is_a_rig_error_with_exit_2_naming_it() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hang up at once, like a crashed instrument.
    let server = std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            drop(stream);
        }
    });
    let dir = scratch("hangup");
    let bench = tcp_bench(&dir, port);
    let plan = dir.join("watch.yaml");
    std::fs::create_dir_all(dir.join("duts")).unwrap();
    std::fs::copy(
        repo().join("testplans/duts/lesso_lsrr51v100ah.yaml"),
        dir.join("duts/lesso_lsrr51v100ah.yaml"),
    )
    .unwrap();
    std::fs::write(
        &plan,
        "id: watch\ntitle: watch the source\ndut: lesso_lsrr51v100ah\ntimeout: 1 min\nsteps:\n  - name: watch\n    expect:\n      - that: source.voltage > 40 V\n        within: 5 s\n",
    )
    .unwrap();
    let out = dir.join("run");
    let o = rig(&[
        "run",
        plan.to_str().unwrap(),
        "--bench",
        bench.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    server.join().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("ERROR (the rig or bench, not the DUT): source"),
        "{}",
        text(&o)
    );
    let log = std::fs::read_to_string(out.join("watch.events.jsonl")).unwrap();
    assert!(
        log.contains("\"event\":\"run_finished\",\"verdict\":\"error\""),
        "{log}"
    );
}

#[test]
fn completions_cover_the_subcommands_and_their_options() {
    let o = rig(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let script = String::from_utf8_lossy(&o.stdout);
    for word in ["validate", "--test-threads", "--make-safe", "--defect"] {
        assert!(script.contains(word), "no `{word}` in the bash completions");
    }
    let o = rig(&["completions", "tcsh"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn sim_defects_prints_the_catalogue() {
    let o = rig(&["sim", "defects"]);
    assert_eq!(o.status.code(), Some(0));
    for d in ["cocp_no_lockout", "reset_ignored", "dry_contact_stuck"] {
        assert!(text(&o).contains(d), "{}", text(&o));
    }
    // The parametric ones with the firmware number they move.
    assert!(
        text(&o).contains("cocp_trips_at_55a")
            && text(&o).contains("parametric: moves cocp.trip_current_a"),
        "{}",
        text(&o)
    );
}

#[test]
fn sigint_during_a_run_reaches_the_safe_state_and_exits_2() {
    interrupt_a_run("INT", "SIGINT");
}

#[test]
fn sigterm_during_a_run_reaches_the_safe_state_and_exits_2() {
    interrupt_a_run("TERM", "SIGTERM");
}

fn interrupt_a_run(signal: &str, name: &str) {
    let dir = scratch(&format!("sig{signal}"));
    let plan = soak::soak_plan(&dir);
    let out = dir.join("run");
    let child = Command::new(env!("CARGO_BIN_EXE_rig"))
        .args([
            "run",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(repo())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let log = out.join("soak.events.jsonl");
    // Wait (bounded) until the output is on, then interrupt.
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("output on")
    {
        assert!(
            started.elapsed().as_secs() < 60,
            "the run never switched the output on"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains(&format!("interrupted by {name}")), "{log}");
    assert!(log.contains("\"event\":\"safe_state\",\"instrument\":\"source\",\"action\":\"output off, current limit 0 A, sink limit 0 A\",\"ok\":true"));
    assert!(log.contains(
        "\"event\":\"safe_state\",\"instrument\":\"io\",\"action\":\"all relays open\",\"ok\":true"
    ));
    assert!(
        log.lines()
            .last()
            .unwrap()
            .contains("\"event\":\"run_finished\",\"verdict\":\"error\"")
    );
}

#[test]
fn a_run_killed_with_sigkill_leaves_a_log_that_rig_report_renders() {
    let dir = scratch("sigkill");
    let plan = soak::soak_plan(&dir);
    let out = dir.join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_rig"))
        .args([
            "run",
            plan.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .current_dir(repo())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let log = out.join("soak.events.jsonl");
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .count()
        < 2000
    {
        assert!(started.elapsed().as_secs() < 60, "the run wrote too little");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no handler runs, nothing is flushed on the way out.
    child.wait().unwrap();
    let text_log = std::fs::read_to_string(&log).unwrap();
    assert!(
        !text_log.contains("run_finished"),
        "a killed run cannot have finished"
    );
    let o = rig(&["report", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("soak"), "the report names the plan");
    assert!(
        html.to_lowercase().contains("incomplete"),
        "the report marks the run incomplete"
    );
}

/// Issue 3: a plan that passes on the virtual bench passes unchanged when the bench
/// file points the same instruments at real endpoints on loopback (`rig sim serve`:
/// SCPI over TCP, Modbus RTU frames over TCP, CAN through socketcand). Real time.
#[test]
fn a_plan_passes_unchanged_on_real_loopback_endpoints() {
    let plan = "tests/fixtures/loopback/charge_and_rsd.yaml";
    let on_sim = rig(&["run", plan, "--out", scratch("lb-sim").to_str().unwrap()]);
    assert_eq!(on_sim.status.code(), Some(0), "{}", text(&on_sim));

    let dir = scratch("lb-real");
    std::fs::create_dir_all(&dir).unwrap();
    let bench = dir.join("bench.yaml");
    let server = served::start(&bench, &[]);
    let bench_text = std::fs::read_to_string(&bench).unwrap();
    assert!(
        bench_text.contains("socketcand://127.0.0.1:"),
        "{bench_text}"
    );
    let on_loopback = rig(&[
        "run",
        plan,
        "--bench",
        bench.to_str().unwrap(),
        "--out",
        dir.join("run").to_str().unwrap(),
    ]);
    drop(server);
    assert_eq!(on_loopback.status.code(), Some(0), "{}", text(&on_loopback));
    let log = std::fs::read_to_string(dir.join("run/charge_and_rsd.events.jsonl")).unwrap();
    assert!(
        log.contains("\"clock\":\"real\""),
        "the loopback run is on the wall clock"
    );
    assert!(log.contains("TCPIP::127.0.0.1::"), "{log}");
}

#[test]
fn a_plan_for_three_packs_is_skipped_on_a_one_pack_bench_and_the_run_exits_0() {
    let out = scratch("skip");
    let bench = "testplans/benches/lab_keysight.yaml";
    let o = rig(&[
        "validate",
        "--bench",
        bench,
        "testplans/parallel_packs.yaml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("skipped: needs 3 packs in parallel; bench lab-keysight has 1"),
        "{}",
        text(&o)
    );
    // A real bench: had the plan not been skipped, connecting to the lab would fail (2).
    let o = rig(&[
        "run",
        "--bench",
        bench,
        "testplans/parallel_packs.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("skipped needs 3 packs in parallel; bench lab-keysight has 1"),
        "{t}"
    );
    assert!(t.contains("1 plan skipped"), "{t}");
    let log = std::fs::read_to_string(out.join("parallel_packs.events.jsonl")).unwrap();
    assert!(log.contains("\"verdict\":\"skipped\""), "{log}");
    assert!(!log.contains("instrument_connected"), "{log}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("<skipped"), "{junit}");
    assert!(
        !junit.contains("<failure") && !junit.contains("<error"),
        "{junit}"
    );
}

/// Issue 13: `--out` followed symbolic links and overwrote their targets.
#[test]
fn out_through_a_symbolic_link_is_refused_and_the_target_kept() {
    let dir = scratch("symlink");
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("precious.txt");
    std::fs::write(&target, "keep").unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(&target, out.join("cocp_lockout.events.jsonl")).unwrap();
    let o = rig(&[
        "run",
        "testplans/cocp_lockout.yaml",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("is a symbolic link"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 14: `--dut all` runs a plan once per profile, as `PLAN::PROFILE` in the
/// console, the logs and JUnit; a profile that does not promise what the plan tests is
/// skipped with the reason, and the run exits 0.
#[test]
fn dut_all_runs_a_plan_per_profile_and_skips_with_the_reason() {
    let out = scratch("dut-all");
    let o = rig(&[
        "run",
        "--dut",
        "all",
        "rs232_wake",
        "--out",
        out.to_str().unwrap(),
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(0), "{t}");
    assert!(
        t.contains("rs232_wake::lesso_lsrr51v200ah skipped the profile `lesso_lsrr51v200ah` does not promise `dut.sleep.rs232_wake` (false: §3.2"),
        "{t}"
    );
    assert!(t.contains("rs232_wake::losun_ls_btn0_p0548100 pass"), "{t}");
    assert!(t.contains("4 plans skipped"), "{t}");
    // libtest's line counts the skipped trials as ignored, never as passed.
    assert!(t.contains("1 passed; 0 failed; 4 ignored"), "{t}");
    // summary.md leads with the plans x profiles matrix.
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("| rs232_wake | skipped | skipped | skipped | skipped | ✅ pass |"),
        "{md}"
    );
    assert!(
        md.contains("| **passed / failed / skipped** | 0 / 0 / 1 |"),
        "{md}"
    );
    let log =
        std::fs::read_to_string(out.join("rs232_wake.lesso_lsrr51v100ah.events.jsonl")).unwrap();
    assert!(
        log.contains("\"plan_id\":\"rs232_wake::lesso_lsrr51v100ah\""),
        "{log}"
    );
    assert!(!log.contains("instrument_connected"), "{log}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains("<testsuite name=\"rs232_wake::losun_ls_btn0_p0548100\""),
        "{junit}"
    );
    assert!(
        junit.contains("<skipped message=\"the profile `lesso_lsrr51v400ah` does not promise"),
        "{junit}"
    );
    // The partitions of the matrix are disjoint and together the whole of it.
    let listed = |args: &[&str]| -> Vec<String> {
        let o = rig(args);
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| l.strip_suffix(": test").map(String::from))
            .collect()
    };
    let whole = listed(&["run", "--list", "--dut", "all", "rs485"]);
    assert_eq!(whole.len(), 10, "{whole:?}"); // rs485_monitoring, rs485_turn_off x 5
    let mut union = Vec::new();
    for k in 1..=4 {
        let part = format!("{k}/4");
        union.extend(listed(&[
            "run",
            "--list",
            "--dut",
            "all",
            "--partition",
            &part,
            "rs485",
        ]));
    }
    union.sort();
    let mut sorted = whole.clone();
    sorted.sort();
    assert_eq!(union, sorted);
}

#[test]
fn sim_matrix_runs_the_plans_and_says_what_catches_what() {
    let plan = "testplans/reset_button_windows.yaml";
    let o = rig(&[
        "sim",
        "matrix",
        plan,
        "--defect",
        "reset_from_5s",
        "--defect",
        "cocp_no_lockout",
    ]);
    let out = text(&o);
    // cocp_no_lockout is not what this plan tests: caught by no plan, exit 1.
    assert_eq!(o.status.code(), Some(1), "{out}");
    let row = |d: &str| out.lines().find(|l| l.starts_with(d)).unwrap_or_default();
    let caught = "reset_button_windows (press.short_of_reset.wakeups)";
    assert!(row("reset_from_5s").contains(caught), "{out}");
    assert!(row("cocp_no_lockout").contains("NOT CAUGHT"), "{out}");
    assert!(out.contains("caught by no plan: cocp_no_lockout"), "{out}");
    let o = rig(&["sim", "matrix", plan, "--defect", "no_such_defect"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
}
