//! End-to-end tests of `rig` on the virtual bench, one libtest-mimic harness:
//!
//! - every plan in `testplans/` passes on the twin without defects;
//! - every defect of the twin's catalogue is caught by the plan and expectation the
//!   catalogue below names ([`catalogue`]);
//! - two runs of the same plan write byte-identical event logs;
//! - invalid plans are rejected with file, line and column ([`invalid`]);
//! - every way out of a run leaves the instruments safe ([`safety`]);
//! - injected instrument faults end as rig errors naming the instrument ([`faults`]);
//! - plans run against every seed DUT profile ([`profiles`]);
//! - plans for packs in parallel are skipped on a bench with another count, and the
//!   twin is built with the plan's packs and its bench's DIP switches ([`parallel`]);
//! - a plan's RS232 line reaches the twin, and needs the port on the bench ([`rs232`]);
//! - no run switches the source on before its set points are acknowledged ([`output_on`]).
//! - waits end on integer time, and a stuck engine is a rig error ([`time`]);
//! - `after:` + `within:` and `never:` + `for:` windows pass and fail ([`windows`]);
//! - `rig sim matrix`'s computed table agrees with the catalogue ([`matrix`]);
//! - `measure:` measures the twin's known values, and fails outside its limits or
//!   when a value never comes ([`measurements`]).

mod benches;
mod catalogue;
mod channels;
mod families;
mod faults;
mod firmware;
mod invalid;
mod inverter;
mod matrix;
mod measurements;
mod output_on;
mod parallel;
mod profiles;
mod rs232;
mod safety;
mod support;
mod time;
mod windows;

use libtest_mimic::{Arguments, Trial};

fn main() {
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for plan in support::plan_files() {
        let name = support::stem(&plan);
        trials.push(Trial::test(
            format!("plan::{name}::passes_on_the_twin"),
            move || support::assert_passes(&plan),
        ));
    }
    trials.extend(catalogue::trials());
    trials.extend(benches::trials());
    trials.extend(channels::trials());
    trials.extend(invalid::trials());
    trials.extend(inverter::trials());
    trials.extend(matrix::trials());
    trials.extend(parallel::trials());
    trials.extend(rs232::trials());
    trials.extend(safety::trials());
    trials.extend(faults::trials());
    trials.extend(firmware::trials());
    trials.extend(families::trials());
    trials.extend(profiles::trials());
    trials.extend(output_on::trials());
    trials.extend(time::trials());
    trials.extend(windows::trials());
    trials.extend(measurements::trials());
    trials.push(Trial::test(
        "determinism::same_plan_same_bytes",
        support::assert_deterministic,
    ));
    let conclusion = libtest_mimic::run(&args, trials);
    support::clean_up(&conclusion);
    conclusion.exit();
}
