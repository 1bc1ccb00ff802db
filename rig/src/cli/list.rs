use super::BenchArgs;
use super::load::{load, print_problems};
use super::out::outln;
use super::select::Selection;
use crate::exit;
use crate::quantity::format_duration;

pub fn list(args: BenchArgs) -> i32 {
    match load(&args, &Selection::default()) {
        Ok(loaded) => {
            for (plan, _) in &loaded.plans {
                outln!(
                    "{:<24} dut {:<22} timeout {:<8} [{}]  {}",
                    plan.id,
                    plan.dut.id,
                    format_duration(plan.timeout.as_secs_f64()),
                    plan.tags.join(", "),
                    plan.title
                );
            }
            exit::PASSED
        }
        Err(problems) => {
            print_problems(&problems);
            exit::INVALID_INPUT
        }
    }
}
