//! A standing adversarial corpus (issue 13): every plan in `testplans/` and every bench in
//! `testplans/benches/` and every DUT profile in `testplans/duts/`, mutated the ways a lab mistypes or a copy corrupts them (typos,
//! units, signs, magnitudes, paths, nesting, encodings, sizes, structure), each with its
//! expected outcome: refused at the line of the mutation, refused (file-level), or either
//! way. Whatever the outcome, loading never panics or hangs, every refusal names
//! file:line:column (or the file where the mistake has no place), every message renders,
//! and a plan that is accepted programs nothing outside its envelope and never switches
//! the output on before voltage and both current limits are programmed.

mod benches;
mod check;
mod edit;
mod plans;
mod profiles;

use libtest_mimic::{Arguments, Trial};

/// The corpus must stay at least this large: the issue asks for 150 cases.
const MIN_CASES: usize = 150;

fn main() {
    let args = Arguments::from_args();
    let plan_cases = plans::corpus();
    let bench_cases = benches::corpus();
    let profile_cases = profiles::corpus();
    let total = plan_cases.len() + bench_cases.len() + profile_cases.len();
    let mut trials = vec![Trial::test("mutants::corpus_is_large_enough", move || {
        if total >= MIN_CASES {
            Ok(())
        } else {
            Err(format!("{total} mutants; at least {MIN_CASES} wanted").into())
        }
    })];
    trials.extend(plans::controls());
    trials.extend(plans::trials(plan_cases));
    trials.extend(benches::trials(bench_cases));
    trials.extend(profiles::trials(profile_cases));
    let conclusion = libtest_mimic::run(&args, trials);
    let _ = std::fs::remove_dir_all(plans::scratch_root());
    conclusion.exit();
}
