//! Packs in parallel, from the engine's side: a plan that needs more (or fewer) packs
//! than a bench has is skipped with the reason and touches nothing; the virtual bench
//! builds each twin with the plan's packs and the DIP switches of its bench file.

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::diag::SourceFile;
use rig::plan::load_plan;
use rig::runner::{prepare, run_plan};
use rig_reports::{EventKind, Verdict};

use crate::support;

fn bench(file: &str) -> Result<Bench, Failed> {
    Bench::load(&support::repo().join("testplans/benches").join(file))
        .map_err(|p| Failed::from(format!("{file}: {p}")))
}

/// The built-in virtual bench with extra top-level sections.
fn sim_with(extra: &str) -> Result<Bench, String> {
    let text = format!("{}\n{extra}", rig::bench::BUILTIN_SIM_BENCH);
    Bench::parse(SourceFile::new("sim_with.yaml", text)).map_err(|p| {
        p.iter()
            .map(|x| x.one_line())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Run a plan on a bench; the plan must be valid there.
fn run_on(bench: &Bench, plan: &str, label: &str) -> Result<rig::runner::PlanOutcome, Failed> {
    let plan = load_plan(&support::repo().join("testplans").join(plan), bench)
        .map_err(|p| Failed::from(format!("plan rejected: {p}")))?;
    let prepared = prepare(&plan, bench, &[]).map_err(|p| Failed::from(format!("{p}")))?;
    Ok(run_plan(&plan, bench, &prepared, &support::scratch(label)))
}

/// Skipped, with the reason in the outcome and the log, and nothing connected.
fn assert_skipped(outcome: &rig::runner::PlanOutcome, reason: &str) -> Result<(), Failed> {
    if outcome.verdict != Verdict::Skipped || outcome.message.as_deref() != Some(reason) {
        return Err(format!(
            "expected skipped ({reason}), got {:?}: {:?}",
            outcome.verdict, outcome.message
        )
        .into());
    }
    let events = support::events(outcome);
    let touched: Vec<&EventKind> = events
        .iter()
        .filter(|e| {
            !matches!(
                e,
                EventKind::RunStarted { .. } | EventKind::RunFinished { .. }
            )
        })
        .collect();
    if !touched.is_empty() {
        return Err(format!("a skipped plan must touch nothing, logged: {touched:?}").into());
    }
    match events.last() {
        Some(EventKind::RunFinished {
            verdict: Verdict::Skipped,
            message: Some(m),
        }) if m == reason => Ok(()),
        other => Err(format!("the log must end skipped with the reason, ends {other:?}").into()),
    }
}

pub fn trials() -> Vec<Trial> {
    support::trials!(
        "parallel",
        three_packs_on_a_one_pack_bench_is_skipped,
        one_pack_on_a_three_pack_bench_is_skipped,
        the_twin_has_the_plans_packs,
        a_twin_set_to_115200_bd_answers_the_rs485_plan,
        slaves_need_addresses_below_255,
        more_packs_than_the_twin_builds_is_refused,
        three_packs_same_bytes,
        a_twin_at_another_address_than_the_link_is_refused,
    )
}

fn three_packs_on_a_one_pack_bench_is_skipped() -> Result<(), Failed> {
    // A real bench: were the plan not skipped it would try to reach the lab's
    // instruments and end in error.
    let lab = bench("lab_keysight.yaml")?;
    let o = run_on(&lab, "parallel_packs.yaml", "skip-lab")?;
    assert_skipped(&o, "needs 3 packs in parallel; bench lab-keysight has 1")
}

fn one_pack_on_a_three_pack_bench_is_skipped() -> Result<(), Failed> {
    let three = sim_with("dut: { packs: 3 }")?;
    let o = run_on(&three, "cocp_lockout.yaml", "skip-three")?;
    assert_skipped(&o, "needs a single pack; bench sim has 3")
}

fn the_twin_has_the_plans_packs() -> Result<(), Failed> {
    let sim = Bench::builtin_sim();
    for (plan, packs) in [("parallel_packs.yaml", 3), ("cocp_lockout.yaml", 1)] {
        let p = load_plan(&support::repo().join("testplans").join(plan), &sim)
            .map_err(|p| Failed::from(format!("{p}")))?;
        let prepared = prepare(&p, &sim, &[]).map_err(|p| Failed::from(format!("{p}")))?;
        let got = prepared.sim.map(|s| s.installation.packs);
        if (p.packs, got) != (packs, Some(packs)) {
            return Err(format!("{plan}: plan {} packs, twin {got:?}", p.packs).into());
        }
    }
    Ok(())
}

fn a_twin_set_to_115200_bd_answers_the_rs485_plan() -> Result<(), Failed> {
    let fast = sim_with("twin:\n  dip: { baud: 115200, protocol: id0, address: 2 }")?;
    let plan = load_plan(
        &support::repo().join("testplans/rs485_monitoring.yaml"),
        &fast,
    )
    .map_err(|p| Failed::from(format!("{p}")))?;
    let prepared = prepare(&plan, &fast, &[]).map_err(|p| Failed::from(format!("{p}")))?;
    let baud = prepared.sim.as_ref().map(|s| s.installation.dip.rs485_baud);
    if baud != Some(rig_sim::Baud::B115200) {
        return Err(format!("the twin's baud rate is {baud:?}").into());
    }
    let o = run_plan(&plan, &fast, &prepared, &support::scratch("baud"));
    match o.verdict {
        Verdict::Pass => Ok(()),
        v => Err(format!("expected pass at 115200 Bd, got {v}: {:?}", o.message).into()),
    }
}

fn slaves_need_addresses_below_255() -> Result<(), Failed> {
    // The master at 253: its slaves would be 254 and 255, and 255 is reserved.
    let text = rig::bench::BUILTIN_SIM_BENCH.replace("    address: 2\n", "    address: 253\n");
    let high = Bench::parse(SourceFile::new(
        "high.yaml",
        format!("{text}\ntwin:\n  dip: {{ address: 253 }}\n"),
    ))
    .map_err(|p| Failed::from(format!("{p}")))?;
    let err = match load_plan(
        &support::repo().join("testplans/parallel_packs.yaml"),
        &high,
    ) {
        Ok(_) => return Err("three packs from address 253 were accepted".into()),
        Err(p) => p.to_string(),
    };
    let wanted = "parallel_packs.yaml:6:20: 3 packs from the master's RS485 address 253 on `rs485` would need addresses past 254";
    if err.contains(wanted) {
        Ok(())
    } else {
        Err(format!("expected `{wanted}`, got:\n{err}").into())
    }
}

fn more_packs_than_the_twin_builds_is_refused() -> Result<(), Failed> {
    // A profile may allow more packs than the twin builds (32): such a plan is
    // refused before anything runs, never run on fewer packs than it asserts.
    let dir = support::scratch("forty");
    std::fs::create_dir_all(dir.join("duts")).map_err(|e| e.to_string())?;
    let profile =
        std::fs::read_to_string(support::repo().join("testplans/duts/lesso_lsrr51v100ah.yaml"))
            .map_err(|e| e.to_string())?;
    let wide = profile.replace("max_packs: { value: 32,", "max_packs: { value: 40,");
    if wide == profile {
        return Err("the Lesso profile has no `max_packs: { value: 32,` any more".into());
    }
    std::fs::write(dir.join("duts/lesso_lsrr51v100ah.yaml"), wide).map_err(|e| e.to_string())?;
    let plan_text = std::fs::read_to_string(support::repo().join("testplans/parallel_packs.yaml"))
        .map_err(|e| e.to_string())?
        .replace("requires: { packs: 3 }", "requires: { packs: 40 }");
    let plan_path = dir.join("forty.yaml");
    std::fs::write(&plan_path, plan_text).map_err(|e| e.to_string())?;
    let bench = Bench::builtin_sim();
    let plan = load_plan(&plan_path, &bench).map_err(|p| Failed::from(format!("{p}")))?;
    match prepare(&plan, &bench, &[]) {
        Ok(_) => Err("a 40-pack twin was prepared".into()),
        Err(p) if p.to_string().contains("installation.packs") => Ok(()),
        Err(p) => Err(format!("refused, but not for the pack count: {p}").into()),
    }
}

fn three_packs_same_bytes() -> Result<(), Failed> {
    // The slaves are polled in a fixed order within each cycle, so a run with
    // three packs is as repeatable as one with one.
    let plan = support::repo().join("testplans/parallel_packs.yaml");
    let bytes = support::same_bytes_twice(&plan, "det-packs")?;
    let log = String::from_utf8_lossy(&bytes);
    for channel in ["\"rs485.pack2.online\"", "\"rs485.pack3.online\""] {
        if !log.contains(channel) {
            return Err(format!("the log has no sample of {channel}").into());
        }
    }
    Ok(())
}

fn a_twin_at_another_address_than_the_link_is_refused() -> Result<(), Failed> {
    let err = match sim_with("twin:\n  dip: { address: 3 }") {
        Ok(_) => return Err("a twin at 3 polled at 2 was accepted".into()),
        Err(e) => e,
    };
    let wanted = "sim_with.yaml:31:14: `rs485` polls RS485 address 2, but the twin answers at 3";
    if err.contains(wanted) {
        Ok(())
    } else {
        Err(format!("expected `{wanted}`, got:\n{err}").into())
    }
}
