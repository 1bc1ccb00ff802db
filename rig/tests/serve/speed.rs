//! `rig sim serve --speed N`: model time N times the wall clock, socketcand stamps in
//! epoch plus model time, and a rig in real mode following with `clock: { scale: N }`.
//! The wall-clock checks are loose ratios: a loaded machine must not fail them.

use super::served;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn scratch(label: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("speed-{label}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Read up to the next `>` (one socketcand element).
fn element(tcp: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b">") {
        assert_eq!(tcp.read(&mut byte).expect("an element"), 1, "closed");
        out.push(byte[0]);
    }
    String::from_utf8(out).unwrap()
}

/// The stamp of the next frame, in seconds.
fn next_stamp(tcp: &mut TcpStream) -> f64 {
    let frame = element(tcp);
    frame
        .split_whitespace()
        .nth(3)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no timestamp in {frame}"))
}

#[test]
fn socketcand_stamps_advance_with_the_model_time_from_the_epoch() {
    let dir = scratch("stamps");
    let bench_path = dir.join("bench.yaml");
    let _server = served::start(&bench_path, &["--speed", "60"]);
    let bench = std::fs::read_to_string(&bench_path).unwrap();
    assert!(bench.contains("clock: { scale: 60 }"), "{bench}");
    let at = super::socketcand_address(&bench);
    let mut can = TcpStream::connect(&at).unwrap();
    can.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    assert_eq!(element(&mut can), "< hi >");
    can.write_all(b"< open can0 >< rawmode >").unwrap();
    assert_eq!(element(&mut can), "< ok >");
    assert_eq!(element(&mut can), "< ok >");
    let (first, wall) = (next_stamp(&mut can), Instant::now());
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    // Epoch time: the server started moments ago, so its model time is at most a few
    // hours ahead of the wall clock even at 60x on a slow machine.
    assert!(
        (epoch - 60.0..epoch + 6.0 * 3600.0).contains(&first),
        "{first} is not an epoch time near {epoch}"
    );
    // Read on for a second and a half: reading all along, no frame waits long in the
    // socket, so a frame's stamp is its model time as it is read.
    let mut last = first;
    while wall.elapsed() < Duration::from_millis(1500) {
        last = next_stamp(&mut can);
    }
    let ratio = (last - first) / wall.elapsed().as_secs_f64();
    assert!(
        (30.0..=120.0).contains(&ratio),
        "stamps advanced {:.1} s in {:.2} s of wall time (ratio {ratio:.1}, want about 60)",
        last - first,
        wall.elapsed().as_secs_f64()
    );
}

#[test]
fn a_plan_passes_in_real_mode_against_a_twin_served_60_times_faster() {
    let dir = scratch("plan");
    let bench_path = dir.join("bench.yaml");
    let server = served::start(&bench_path, &["--speed", "60"]);
    // A CAN link is silent for 3 s of model time (50 ms of wall time here) before it
    // counts as offline: wide enough for a loaded machine only when raised.
    let bench = std::fs::read_to_string(&bench_path)
        .unwrap()
        .replace("dbc: pylon_lv\n", "dbc: pylon_lv\n    silence: 1 min\n");
    std::fs::write(&bench_path, bench).unwrap();
    let started = Instant::now();
    let o = Command::new(env!("CARGO_BIN_EXE_rig"))
        .args(["run", "tests/fixtures/loopback/scaled_hold.yaml", "--bench"])
        .arg(&bench_path)
        .arg("--out")
        .arg(dir.join("run"))
        .current_dir(repo())
        .env("RIG_LOCK_DIR", dir.join("locks"))
        .env("RIG_RESULTS", dir.join("rig.db"))
        .env_remove("RIG_LAB")
        .output()
        .expect("the rig binary runs");
    let wall = started.elapsed().as_secs_f64();
    drop(server);
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(0), "{out}");
    // The log's times are the model's: the 5 min hold is in it, though the run took
    // seconds (unscaled, it alone would take five minutes).
    let log = std::fs::read_to_string(dir.join("run/scaled_hold.events.jsonl")).unwrap();
    let end: f64 = log
        .lines()
        .last()
        .and_then(|l| l.split("\"t\":").nth(1))
        .and_then(|t| t.split(',').next())
        .and_then(|t| t.parse().ok())
        .expect("the last event's time");
    assert!(end >= 300.0, "the run ended at {end} s of model time");
    assert!(
        wall < 150.0,
        "{wall:.1} s of wall time for {end:.0} s of model time"
    );
}
