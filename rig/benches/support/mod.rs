//! What the benches share: CPU and wall time of a piece of work, and running a Python
//! peer from `benches/peers/` with the interpreter `RIG_PYTHON` names (SKIPPED without it).

// Each bench uses a part of this module.
#![allow(dead_code)]

use std::ffi::{OsStr, OsString};
use std::process::Command;
use std::time::Instant;

/// CPU seconds (user and system, of the whole process) and wall seconds.
#[derive(Clone, Copy, Debug)]
pub struct Timed {
    pub cpu: f64,
    pub wall: f64,
}

impl Timed {
    /// The CPU seconds, or the wall clock's where the CPU time is half a second or less
    /// (its clock ticks are 10 ms, too coarse for a short run) or unknown.
    pub fn cpu_or_wall(self) -> f64 {
        if self.cpu.is_finite() && self.cpu > 0.5 {
            self.cpu
        } else {
            self.wall
        }
    }
}

/// Run `f` and time it.
pub fn timed<T>(f: impl FnOnce() -> T) -> (Timed, T) {
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    let out = std::hint::black_box(f());
    let time = Timed {
        cpu: cpu_seconds() - cpu,
        wall: wall.elapsed().as_secs_f64(),
    };
    (time, out)
}

/// CPU seconds of this process so far (user and system), from /proc: clock ticks of
/// 10 ms, so only runs of a second or more are timed to the percent.
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are 14 and 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // Linux's USER_HZ is 100 on every architecture rig runs on.
    match (ticks(11), ticks(12)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

/// The number after the word `name` in a peer's line (`frames 100 seconds 1.5`).
pub fn field(line: &str, name: &str) -> Option<f64> {
    let mut words = line.split_whitespace();
    words.find(|w| *w == name)?;
    words.next()?.parse().ok()
}

/// What `benches/peers/SCRIPT ARGS` printed, run by RIG_PYTHON; `None` (and a line
/// saying why, under the peer's name `who`) when it is not set or the script failed.
pub fn peer_output(who: &str, script: &str, args: &[impl AsRef<OsStr>]) -> Option<String> {
    run_peer(&python(who)?, who, script, args)
}

/// The interpreter RIG_PYTHON names, for a bench that prepares the peer's input first;
/// `None`, and the peer's line says SKIPPED, when it is not set.
pub fn python(who: &str) -> Option<OsString> {
    let python = std::env::var_os("RIG_PYTHON");
    if python.is_none() {
        println!("  peer ({who}): SKIPPED, RIG_PYTHON is not set (.ci/python-venv DIR prints one)");
    }
    python
}

/// What `python benches/peers/SCRIPT ARGS` printed; `None`, and a line saying why
/// under the peer's name `who`, when it failed.
pub fn run_peer(
    python: &OsStr,
    who: &str,
    script: &str,
    args: &[impl AsRef<OsStr>],
) -> Option<String> {
    let path = format!("{}/benches/peers/{script}", env!("CARGO_MANIFEST_DIR"));
    match Command::new(python).arg(&path).args(args).output() {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).into_owned()),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            println!("  peer ({who}): FAILED: {}", err.trim());
            None
        }
        Err(e) => {
            println!("  peer ({who}): cannot run {python:?}: {e}");
            None
        }
    }
}
