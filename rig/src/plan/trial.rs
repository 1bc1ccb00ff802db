//! One trial of a run: a plan against one DUT profile (`rig run --dut`), on the bench
//! sized for it (issue 14). The CLI and the tests load trials through here alike.

use std::path::Path;

use super::{Plan, load_plan_for};
use crate::bench::{Bench, needs};
use crate::diag::Problems;

/// A trial's name: the plan id, and with `--dut` the profile after `::`
/// (`cocp_lockout::lesso_lsrr51v200ah`).
pub fn trial_name(plan_id: &str, dut: Option<&str>) -> String {
    match dut {
        Some(d) => format!("{plan_id}::{d}"),
        None => plan_id.to_string(),
    }
}

/// The plan at `file` against the profile `dut` (its own `dut:` when `None`), named as
/// its trial, and the bench it runs on when that is not `bench` as given.
pub fn load_trial(
    file: &Path,
    dut: Option<&str>,
    bench: &Bench,
) -> Result<(Plan, Option<Bench>), Problems> {
    let (mut plan, on) = plan_on_bench(file, dut, bench)?;
    if dut.is_some() {
        plan.id = trial_name(&plan.id, dut);
    }
    Ok((plan, on))
}

/// The plan, and the bench it runs on when that is not `bench` as given. A plan the
/// bench's source cannot drive (and an unrated source could): on the virtual bench the
/// source is sized to it; on a real bench the plan is skipped, with what it needs and
/// what the source is rated. Any other problem is the plan's and refuses it.
fn plan_on_bench(
    file: &Path,
    dut: Option<&str>,
    bench: &Bench,
) -> Result<(Plan, Option<Bench>), Problems> {
    let refused = match load_plan_for(file, bench, dut) {
        Ok(plan) => return Ok((plan, None)),
        Err(p) => p,
    };
    let Ok(mut unbounded) = load_plan_for(file, &bench.unrated(), dut) else {
        return Err(refused);
    };
    let need = needs(&unbounded);
    if bench.is_virtual() {
        let sized = bench.sized_for(need);
        let plan = load_plan_for(file, &sized, dut)?;
        return Ok((plan, Some(sized)));
    }
    unbounded.skip = Some(cannot_drive(bench, need));
    Ok((unbounded, None))
}

/// Why a real bench cannot run a plan: what the plan applies, what the source is rated.
fn cannot_drive(bench: &Bench, (volts, amps): (f64, f64)) -> String {
    let rated = |x: Option<f64>, unit: &str| x.map_or("unrated".into(), |x| format!("{x} {unit}"));
    let (source, v, a) = bench
        .source_ratings()
        .unwrap_or_else(|| ("source".into(), None, None));
    format!(
        "the bench `{}` cannot drive it: the plan applies up to {amps} A and {volts} V; its source `{source}` is rated {} and {}",
        bench.name,
        rated(a, "A"),
        rated(v, "V")
    )
}
