//! The signal matrix (issue 13): every stop signal at many moments of a run of two
//! plans, from process start through connecting, the steps, the gap between the plans
//! and the teardown. Whatever the moment, the rig must exit 2, every instrument a log
//! shows connected must have reached its safe state, and every log must render.
//!
//! The moments are delays after the spawn, so which phase each one hits depends on
//! the machine's load; the checks hold in every phase, and each case prints the phase
//! it hit (the last event of the log) so a reader of the test output sees the spread.

use crate::soak;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Delays after the spawn, in milliseconds: dense at the start (process start, bench
/// set-up, connect), then across the first plan, the gap and the second plan.
const DELAYS_MS: &[u64] = &[0, 2, 5, 10, 20, 40, 80, 150, 300, 600, 1000, 1500];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("signals-{label}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A short plan that runs before the soak, so some signals land between the two.
fn quick_plan(dir: &Path) -> PathBuf {
    let plan = dir.join("a_quick.yaml");
    std::fs::write(
        &plan,
        "id: a_quick\ntitle: a short charge before the soak\ndut: lesso_lsrr51v100ah\ntimeout: 1 h\nsteps:\n  - name: charge briefly\n    source: { charge: { current: 1 A, to: 54 V }, output: on }\n    wait: 2 min\n",
    )
    .unwrap();
    plan
}

#[test]
fn sigint_at_any_moment_ends_in_safe_state_and_exit_2() {
    matrix("INT", "SIGINT");
}

#[test]
fn sigterm_at_any_moment_ends_in_safe_state_and_exit_2() {
    matrix("TERM", "SIGTERM");
}

#[test]
fn sighup_at_any_moment_ends_in_safe_state_and_exit_2() {
    matrix("HUP", "SIGHUP");
}

#[test]
fn sigquit_at_any_moment_ends_in_safe_state_and_exit_2() {
    matrix("QUIT", "SIGQUIT");
}

fn matrix(signal: &str, name: &str) {
    let dir = scratch(signal);
    let soak = soak::soak_plan(&dir);
    let quick = quick_plan(&dir);
    let mut problems = Vec::new();
    for &delay in DELAYS_MS {
        let out = dir.join(format!("run-{delay}ms"));
        let phase = interrupt_at(&[&quick, &soak], &out, signal, name, delay).unwrap_or_else(|p| {
            problems.push(format!("{name} after {delay} ms: {p}"));
            "-".into()
        });
        eprintln!("{name} after {delay:>4} ms: last event before the stop: {phase}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Run both plans, send the signal after `delay_ms`, and check the outcome; returns
/// the phase the signal hit (the last event before the stop, or "no log yet").
fn interrupt_at(
    plans: &[&Path],
    out: &Path,
    signal: &str,
    name: &str,
    delay_ms: u64,
) -> Result<String, String> {
    let lab = out.with_extension("lab");
    let child = Command::new(env!("CARGO_BIN_EXE_rig"))
        .arg("run")
        .args(plans)
        .args(["--test-threads", "1", "--out"])
        .arg(out)
        .current_dir(repo())
        .env("RIG_LOCK_DIR", lab.join("locks"))
        .env("RIG_RESULTS", lab.join("rig.db"))
        .env_remove("RIG_LAB")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the rig: {e}"))?;
    std::thread::sleep(Duration::from_millis(delay_ms));
    let phase = phase_of(out);
    let killed = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .map_err(|e| format!("kill: {e}"))?;
    if !killed.success() {
        return Err("kill failed: the rig had already ended".into());
    }
    let o = child.wait_with_output().map_err(|e| e.to_string())?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    match o.status.code() {
        Some(2) => {}
        // Before `main` has installed the listener the default action still ends the
        // process; acceptable only while nothing is connected.
        None if !logs_in(out).any(|l| connected(&l).next().is_some()) => {
            return Ok(format!(
                "{phase} (ended by the signal before main listened)"
            ));
        }
        code => return Err(format!("exit {code:?}, not 2: {said}")),
    }
    for log in logs_in(out) {
        check_log(&log, name)?;
    }
    if out.exists() {
        let report = Command::new(env!("CARGO_BIN_EXE_rig"))
            .arg("report")
            .arg(out)
            .output()
            .map_err(|e| e.to_string())?;
        if !report.status.success() && logs_in(out).next().is_some() {
            return Err(format!(
                "rig report failed: {}",
                String::from_utf8_lossy(&report.stderr)
            ));
        }
    }
    Ok(phase)
}

fn logs_in(out: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".events.jsonl"))
}

/// The last event of the newest log in `out` at this moment.
fn phase_of(out: &Path) -> String {
    let mut logs: Vec<PathBuf> = logs_in(out).collect();
    logs.sort();
    let Some(log) = logs.last() else {
        return "no log yet".into();
    };
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let last = text.lines().last().unwrap_or("");
    let event = last
        .split("\"event\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("?");
    format!(
        "{} in {}",
        event,
        log.file_name().unwrap_or_default().to_string_lossy()
    )
}

/// Every log: it ends with a verdict, and every instrument it connected reached its
/// safe state; a plan that ran into the stop says which signal stopped it.
fn check_log(log: &Path, name: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(log).map_err(|e| e.to_string())?;
    let file = log.file_name().unwrap_or_default().to_string_lossy();
    let last = text.lines().last().unwrap_or("");
    if !last.contains("\"event\":\"run_finished\"") {
        return Err(format!("{file} does not end with a verdict: {last}"));
    }
    let passed = last.contains("\"verdict\":\"pass\"");
    if !passed && !text.contains(name) {
        return Err(format!("{file} does not name {name}: {last}"));
    }
    for instrument in connected(log) {
        let safe = format!("\"event\":\"safe_state\",\"instrument\":\"{instrument}\"");
        let made_safe = text
            .lines()
            .any(|l| l.contains(&safe) && l.contains("\"ok\":true"));
        if !made_safe {
            return Err(format!(
                "{file}: {instrument} connected but never made safe"
            ));
        }
    }
    Ok(())
}

/// Links that only carry data (the BMS's CAN, RS485 and RS232 ports) have no safe
/// state; every other instrument a log shows connected must reach one.
const DATA_LINKS: &[&str] = &["bms-can", "pylontech-rs485", "rs232-console"];

/// The instruments of a log that hold energy (sources, loads, relays, chambers).
fn connected(log: &Path) -> impl Iterator<Item = String> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains("\"event\":\"instrument_connected\""))
        .filter(|l| !DATA_LINKS.contains(&field(l, "driver")))
        .map(|l| field(l, "instrument").to_string())
        .collect::<Vec<_>>()
        .into_iter()
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(&format!("\"{key}\":\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("")
}
