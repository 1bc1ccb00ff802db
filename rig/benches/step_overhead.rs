//! Step overhead: what one expectation step costs the engine. A generated plan of N
//! steps, each one expectation that is already true (`that: source.voltage > 0 V`), runs
//! on the virtual bench through the real loader and runner (`load_plan`, `prepare`,
//! `run_plan`: the log, the samplers, the executor, the teardown); a 1-step plan's cost
//! is taken off, so the figure is the steps' own. Each step waits, in virtual time, for
//! the source's next reading (polled every 1 s): the twin's simulation of that second is
//! part of the step's cost, as it is in a real plan.
//!
//! Beside it, OpenHTF running a test of N trivial phases, each with one measurement in
//! its limits (`benches/peers/step_overhead.py`), when `RIG_PYTHON` names an
//! interpreter with it (`.ci/python-venv DIR`).
//!
//! `cargo bench -p rig --bench step_overhead`; `RIG_BENCH_STEPS=N,M` (default
//! 1000,10000), `RIG_BENCH_QUICK=1` for a check that it runs (100 steps, no peer).

#[path = "support/mod.rs"]
mod support;

use std::path::Path;

use rig::bench::Bench;
use rig::plan::load_plan;
use rig::runner::{prepare, run_plan};
use rig_reports::Verdict;
use support::{Timed, peer_output, timed};

/// Runs of the 1-step plan averaged for the fixed cost.
const BASE_RUNS: usize = 5;

/// The DUT profile the generated plans name; copied next to them.
const DUT: &str = "lesso_lsrr51v100ah";

fn main() {
    let quick = std::env::var_os("RIG_BENCH_QUICK").is_some();
    let counts: Vec<usize> = std::env::var("RIG_BENCH_STEPS")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| if quick { vec![100] } else { vec![1000, 10_000] });
    let dir = tempfile::tempdir().expect("a temporary folder");
    let duts = dir.path().join("duts");
    std::fs::create_dir_all(&duts).expect("duts/ made");
    let profile =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../testplans/duts/{DUT}.yaml"));
    std::fs::copy(&profile, duts.join(format!("{DUT}.yaml"))).expect("the DUT profile copied");
    println!("Step overhead, plans of one-expectation steps on the virtual bench, one core:");
    // Clock ticks are 10 ms: the fixed cost is the mean of a few runs.
    let base = mean((0..BASE_RUNS).map(|_| run(dir.path(), 1)));
    println!(
        "  rig, 1 step (the fixed cost)          cpu {:>8.1} ms  wall {:>8.1} ms",
        base.cpu * 1e3,
        base.wall * 1e3
    );
    let mut rig_per_step = Vec::new();
    for &n in &counts {
        let t = run(dir.path(), n);
        let per = per_step(t, base, n);
        println!(
            "  rig, {n:>6} steps                     cpu {:>8.1} us/step  wall {:>8.1} us/step  (total cpu {:.2} s, wall {:.2} s)",
            per.cpu * 1e6,
            per.wall * 1e6,
            t.cpu,
            t.wall
        );
        rig_per_step.push((n, per));
    }
    if quick {
        return;
    }
    peer(&counts, &rig_per_step);
}

/// Load, prepare and run a plan of `n` steps; the plan must pass.
fn run(dir: &Path, n: usize) -> Timed {
    let path = dir.join(format!("steps_{n}.yaml"));
    std::fs::write(&path, plan(n)).expect("the plan written");
    let out = dir.join(format!("out_{n}"));
    let (time, verdict) = timed(|| {
        let bench = Bench::builtin_sim();
        let plan = load_plan(&path, &bench).expect("the generated plan loads");
        let prepared = prepare(&plan, &bench, &[]).expect("the plan prepares");
        run_plan(&plan, &bench, &prepared, &out).verdict
    });
    assert_eq!(verdict, Verdict::Pass, "the {n}-step plan passes");
    time
}

/// A plan of `n` steps, each one expectation that is true on the first reading. The
/// relay board and the RS485 port, which no step reads, are polled once an hour, so a
/// step's cost is the engine's and the source's; a step a line (flow style) keeps 10,000
/// steps under the 1 MB the rig reads of an input file.
fn plan(n: usize) -> String {
    let mut text = format!(
        "id: steps_{n}\ntitle: \"{n} one-expectation steps\"\ndut: {DUT}\ntimeout: 30 d\npoll: {{ io: 1 h, rs485: 1 h }}\nsteps:\n"
    );
    for _ in 0..n {
        text.push_str("  - expect: [{ that: source.voltage > 0 V, within: 10 s }]\n");
    }
    text
}

fn mean(runs: impl Iterator<Item = Timed>) -> Timed {
    let runs: Vec<Timed> = runs.collect();
    let n = runs.len().max(1) as f64;
    Timed {
        cpu: runs.iter().map(|t| t.cpu).sum::<f64>() / n,
        wall: runs.iter().map(|t| t.wall).sum::<f64>() / n,
    }
}

/// The cost of one step beyond the fixed cost of a 1-step plan.
fn per_step(t: Timed, base: Timed, n: usize) -> Timed {
    let extra = (n.max(2) - 1) as f64;
    Timed {
        cpu: (t.cpu - base.cpu) / extra,
        wall: (t.wall - base.wall) / extra,
    }
}

/// OpenHTF on tests of the same sizes, when RIG_PYTHON has it.
fn peer(counts: &[usize], rig: &[(usize, Timed)]) {
    let mut args: Vec<String> = vec!["1".into()];
    args.extend(counts.iter().map(usize::to_string));
    let Some(out) = peer_output("OpenHTF", "step_overhead.py", &args) else {
        return;
    };
    let lines: Vec<Timed> = out
        .lines()
        .filter_map(|line| {
            Some(Timed {
                cpu: support::field(line, "cpu_seconds")?,
                wall: support::field(line, "wall_seconds")?,
            })
        })
        .collect();
    let Some((&base, each)) = lines.split_first() else {
        println!("  peer (OpenHTF): unreadable output {out:?}");
        return;
    };
    println!(
        "  OpenHTF, 1 phase (the fixed cost)     cpu {:>8.1} ms  wall {:>8.1} ms",
        base.cpu * 1e3,
        base.wall * 1e3
    );
    for (&(n, ours), &t) in rig.iter().zip(each) {
        let per = per_step(t, base, n);
        println!(
            "  OpenHTF, {n:>6} phases                cpu {:>8.1} us/step  wall {:>8.1} us/step  (total cpu {:.2} s, wall {:.2} s)",
            per.cpu * 1e6,
            per.wall * 1e6,
            t.cpu,
            t.wall
        );
        println!(
            "  OpenHTF / rig at {n} steps: cpu {:.1}x, wall {:.1}x",
            per.cpu / ours.cpu,
            per.wall / ours.wall
        );
    }
}
