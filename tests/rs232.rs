//! The pack's RS232 console from plans: the bytes of `rs232: { send }` reach the twin
//! (a sleeping LOSUN pack wakes, LOSUN 2.3-3 wake-up 3), they are logged as traffic,
//! and a plan that writes to RS232 is refused on a bench without the port.

use libtest_mimic::{Failed, Trial};
use rig::bench::{BUILTIN_SIM_BENCH, Bench};
use rig::diag::SourceFile;
use rig::plan::load_plan;
use rig_reports::{EventKind, Verdict};

use crate::support;

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("rs232::the_line_reaches_the_twin_and_wakes_it", || {
            wakes(&[], false)
        }),
        Trial::test(
            "rs232::with_rs232_wake_ignored_the_line_arrives_but_the_pack_sleeps_on",
            || wakes(&["rs232_wake_ignored"], true),
        ),
        Trial::test(
            "rs232::refused_at_its_line_on_a_bench_without_the_port",
            refused_without_the_port,
        ),
    ]
}

/// Sleep by 0x95, write a line, and read the twin's state at the end of the run.
fn wakes(defects: &[&str], still_asleep: bool) -> Result<(), Failed> {
    let plan = support::repo().join("tests/fixtures/rs232/sleep_then_line.yaml");
    let outcome = support::run(&plan, defects, "rs232")?;
    if outcome.verdict != Verdict::Pass {
        return Err(format!("{:?}: {:?}", outcome.verdict, outcome.message).into());
    }
    let events = support::events(&outcome);
    let sent = events.iter().any(|e| {
        matches!(e, EventKind::Sent { instrument, text: Some(t), .. }
            if instrument == "rs232" && t == "wake")
    });
    if !sent {
        return Err("no `wake` sent to rs232 in the traffic log".into());
    }
    let asleep = outcome.sim_final.ok_or("no twin snapshot")?.bms.asleep;
    if asleep != still_asleep {
        return Err(format!("after the line the pack is asleep: {asleep}").into());
    }
    Ok(())
}

/// The built-in bench without its `rs232` instrument: the plan's `rs232:` is refused
/// at the line and column of the line to send, before anything is connected.
fn refused_without_the_port() -> Result<(), Failed> {
    let block = "  rs232:\n    driver: rs232-console";
    let start = BUILTIN_SIM_BENCH
        .find(block)
        .ok_or("the built-in bench has no rs232 instrument")?;
    let end = BUILTIN_SIM_BENCH[start + block.len()..]
        .find("  chamber:")
        .ok_or("no instrument after rs232")?
        + start
        + block.len();
    let text = format!(
        "{}{}",
        &BUILTIN_SIM_BENCH[..start],
        &BUILTIN_SIM_BENCH[end..]
    );
    let bench = Bench::parse(SourceFile::new("no-rs232.yaml", text))
        .map_err(|p| Failed::from(format!("{p}")))?;
    if bench.instruments.contains_key("rs232") {
        return Err("the rs232 instrument is still there".into());
    }
    let plan = support::repo().join("tests/fixtures/rs232/line_only.yaml");
    let problems = match load_plan(&plan, &bench) {
        Ok(_) => return Err("accepted on a bench without an RS232 port".into()),
        Err(p) => p,
    };
    let wanted = "rs232/line_only.yaml:7:21: the bench `sim` has no RS232 console port to the pack (hint: declare an `rs232-console` instrument named `rs232`)";
    if problems.iter().any(|p| p.one_line().contains(wanted)) {
        Ok(())
    } else {
        Err(format!("expected `{wanted}`, got:\n{problems}").into())
    }
}
