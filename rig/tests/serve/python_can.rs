//! python-can's socketcand client (with cantools decoding the shipped DBC) against
//! `rig sim serve --speed 60`: the stamps a standard client reads are epoch times that
//! advance about 60 s per wall second (issue 15).
//!
//! The interpreter is `RIG_PYTHON` (the virtualenv `.ci/python-venv` makes, with
//! `.ci/python-requirements.txt`). Without it the test says SKIPPED and why, and passes;
//! with `RIG_REQUIRE_PYTHON=1` (set by `.ci/run`) it fails instead. About 3 s of wall
//! time.

use super::served;

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `RIG_PYTHON`, or `None` after saying why the test is skipped.
fn python() -> Option<String> {
    match std::env::var("RIG_PYTHON") {
        Ok(p) if !p.is_empty() => Some(p),
        _ => {
            let why = "RIG_PYTHON is not set (`.ci/python-venv target/python-venv` makes one)";
            assert!(
                std::env::var_os("RIG_REQUIRE_PYTHON").is_none_or(|v| v != "1"),
                "RIG_REQUIRE_PYTHON=1 but {why}"
            );
            // Past the test harness's capture, so a plain `cargo test` shows it.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED python-can against rig sim serve: {why}"
            );
            None
        }
    }
}

#[test]
fn python_can_reads_epoch_stamps_advancing_60_s_per_wall_second() {
    let Some(python) = python() else { return };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-can");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bench_path = dir.join("bench.yaml");
    let _server = served::start(&bench_path, &["--speed", "60"]);
    let bench = std::fs::read_to_string(&bench_path).unwrap();
    let at = super::socketcand_address(&bench);
    let (host, port) = at.rsplit_once(':').unwrap();
    let o = Command::new(&python)
        .arg(repo().join("rig/tests/python/socketcand_stamps.py"))
        .args([host, port])
        .arg(repo().join("testplans/dbc/pylon_lv.dbc"))
        .output()
        .expect("RIG_PYTHON runs");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&out).expect("the script's JSON");
    let frames = report["frames"].as_array().expect("frames");
    assert!(frames.len() >= 20, "{} frames in 2 s at 60x", frames.len());
    let field = |f: &serde_json::Value, i: usize| f[i].as_f64().unwrap();
    let (first, last) = (&frames[0], &frames[frames.len() - 1]);
    // Epoch time: the twin started moments ago, so at 60x its stamps are at most a few
    // hours ahead of the wall clock.
    let epoch = report["epoch_at_end"].as_f64().unwrap();
    assert!(
        (epoch - 60.0..epoch + 6.0 * 3600.0).contains(&field(first, 1)),
        "{} is not an epoch time near {epoch}",
        field(first, 1)
    );
    let model = field(last, 1) - field(first, 1);
    let wall = field(last, 0) - field(first, 0);
    let ratio = model / wall;
    eprintln!(
        "python-can {} / cantools {}: {} frames, stamps {:.3} .. {:.3}, {model:.1} s of stamps in {wall:.2} s of wall time (ratio {ratio:.1}); decoded {}",
        report["python_can"],
        report["cantools"],
        frames.len(),
        field(first, 1),
        field(last, 1),
        report["decoded"]
    );
    assert!(
        (30.0..=120.0).contains(&ratio),
        "ratio {ratio:.1}, want about 60"
    );
    let decoded = &report["decoded"];
    let soc = decoded["soc"].as_f64().expect("0x355 decoded");
    assert!((0.0..=100.0).contains(&soc), "{decoded}");
    let cvl = decoded["charge_voltage_limit"]
        .as_f64()
        .expect("0x351 decoded");
    assert!((50.0..=60.0).contains(&cvl), "{decoded}");
}
