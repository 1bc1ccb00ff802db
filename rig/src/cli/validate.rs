use super::BenchArgs;
use super::load::{load, print_problems};
use super::out::outln;
use super::select::Selection;
use crate::exit;

pub fn validate(args: BenchArgs) -> i32 {
    match load(&args, &Selection::default()) {
        Ok(loaded) => {
            for (plan, _) in &loaded.plans {
                // Valid, but `rig run` will skip it (the profile does not promise what
                // it tests, or this bench cannot run it): say so now.
                let skip = crate::runner::skip_reason(plan, &loaded.bench)
                    .map(|r| format!("; skipped: {r}"))
                    .unwrap_or_default();
                outln!(
                    "ok  {}  ({}, {} steps, dut {}{skip})",
                    plan.id,
                    plan.file.path.display(),
                    plan.steps.len(),
                    plan.dut.id
                );
            }
            outln!(
                "{} plan(s) valid on bench `{}`",
                loaded.plans.len(),
                loaded.bench.name
            );
            exit::PASSED
        }
        Err(problems) => {
            print_problems(&problems);
            exit::INVALID_INPUT
        }
    }
}
