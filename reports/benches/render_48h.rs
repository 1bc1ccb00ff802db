//! The size budget: a 48 h run sampled at 1 Hz on 20 channels must render to a
//! report under 5 MB. Generates such a log, renders every report from it, and prints the
//! sizes and times. `cargo bench -p rig-reports` (harness = false: a plain program).

use std::time::Instant;

use rig_reports::run::{Options, RunData, write_reports};
use rig_reports::synthetic::{Spec, write_run};

fn main() {
    let hours: f64 = std::env::var("RIG_BENCH_HOURS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(48.0);
    let dir = std::env::temp_dir().join(format!("rig-bench-48h-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let spec = Spec {
        plan_id: "soak_48h".into(),
        duration_s: hours * 3600.0,
        sample_period_s: 1.0,
        channels: 20,
        steps: 48,
        ..Spec::default()
    };
    let started = Instant::now();
    let log = write_run(&dir, &spec).expect("write the synthetic log");
    let log_size = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
    println!(
        "synthetic log: {} h at 1 Hz on {} channels, {:.1} MB, generated in {:.2} s",
        hours,
        spec.channels,
        log_size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let run = RunData::load(&dir).expect("read the log back");
    let read_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    write_reports(&run, Options::default()).expect("render the reports");
    let render_s = started.elapsed().as_secs_f64();
    for name in rig_reports::run::REPORT_FILES {
        let size = std::fs::metadata(dir.join(name))
            .map(|m| m.len())
            .unwrap_or(0);
        println!("{name:<13} {:>10.3} MB", size as f64 / 1e6);
    }
    let html = std::fs::metadata(dir.join("report.html"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!("read the log: {read_s:.2} s; render all reports: {render_s:.2} s");
    let budget = 5_000_000;
    println!(
        "report.html {} the 5 MB budget ({:.2} MB)",
        if html < budget {
            "is within"
        } else {
            "EXCEEDS"
        },
        html as f64 / 1e6
    );
    // RIG_BENCH_KEEP=1 keeps the run folder, to time `rig report` on it (BENCHMARKS.md).
    if std::env::var_os("RIG_BENCH_KEEP").is_some() {
        println!("kept the run folder {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if html >= budget {
        std::process::exit(1);
    }
}
