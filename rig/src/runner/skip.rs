//! Plans a bench cannot run as written are skipped, never failed: a plan that needs
//! three packs in parallel says nothing about a bench wired to one. A skipped plan's
//! log has its header and its verdict with the reason, and nothing is connected.

use crate::bench::Bench;
use crate::plan::Plan;

/// Packs the bench has for this plan: what it declares (`dut: { packs }`); else one on a
/// real bench, and on a virtual bench as many as the plan needs (its twin is built so).
pub fn packs_for(plan: &Plan, bench: &Bench) -> u8 {
    match bench.packs {
        Some(n) => n,
        None if bench.is_virtual() => plan.packs,
        None => 1,
    }
}

/// Why the plan cannot run on this bench, or `None` when it can: what loading decided
/// (the profile does not promise what it tests, the bench cannot drive it), or the
/// pack count.
pub fn reason(plan: &Plan, bench: &Bench) -> Option<String> {
    if let Some(why) = &plan.skip {
        return Some(why.clone());
    }
    let has = packs_for(plan, bench);
    if has == plan.packs {
        return None;
    }
    let needs = match plan.packs {
        1 => "a single pack".to_string(),
        n => format!("{n} packs in parallel"),
    };
    Some(format!("needs {needs}; bench {} has {has}", bench.name))
}
