//! What a run needs beyond the plan and the bench, checked before anything connects:
//! the twin's parameters from the DUT profile and the defects to inject.

use crate::bench::Bench;
use crate::diag::{Problem, Problems};
use crate::firmware::Firmware;
use crate::plan::Plan;

use super::{skip, twin};

/// What a run needs beyond the plan and the bench, checked before anything connects.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The twin of the virtual bench, from the DUT profile and the injected defects.
    pub sim: Option<rig_sim::SimConfig>,
    pub defects: Vec<String>,
    /// Where the twin's firmware comes from, for the run's console log: the file, or
    /// that there is none and the twin runs the profile's nominal values.
    pub firmware_note: Option<String>,
    /// Test hook: panic at the start of this step, to prove a panic still ends in the
    /// safe state. Nothing a user writes sets it.
    pub inject_panic_at_step: Option<usize>,
    /// Test hook: make this step wait for a moment already past, again and again, to
    /// prove the progress watchdog ends a stuck engine. Nothing a user writes sets it.
    pub inject_stuck_at_step: Option<usize>,
    /// The bench this plan runs on when it is not the run's: the virtual bench with
    /// its source sized to what the plan applies (see `bench::sizing`).
    pub bench: Option<std::sync::Arc<Bench>>,
    /// `rig run --pace N`: virtual time at most N times the wall clock, so a person or
    /// a test can watch a virtual run. Ignored on a real bench (it runs on wall time).
    pub pace: Option<f64>,
    /// `rig run --ui`: the live page's feed, which the event log tees into.
    pub feed: Option<crate::ui::Feed>,
}

/// Check what a run needs on this bench: twin parameters, defect names.
pub fn prepare(plan: &Plan, bench: &Bench, extra_defects: &[String]) -> Result<Prepared, Problems> {
    let mut defects = bench.defects.clone();
    for d in extra_defects {
        if !defects.contains(d) {
            defects.push(d.clone());
        }
    }
    if !bench.is_virtual() {
        if !extra_defects.is_empty() {
            return Err(Problem::without_source(format!(
                "--defect needs the virtual bench; the bench `{}` has real instruments",
                bench.name
            ))
            .into());
        }
        return Ok(Prepared {
            sim: None,
            defects,
            firmware_note: None,
            inject_panic_at_step: None,
            inject_stuck_at_step: None,
            bench: None,
            pace: None,
            feed: None,
        });
    }
    let mut problems = Problems::default();
    let parsed = parse_defects(&defects, &mut problems);
    let (firmware, firmware_note) = match twin_firmware(plan, bench) {
        Ok(f) => f,
        Err(p) => {
            problems.extend(p);
            (None, None)
        }
    };
    let pack = match twin::pack_params(&plan.dut, firmware.as_ref()) {
        Ok(p) => Some(p),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    let sim = pack.map(|pack| rig_sim::SimConfig {
        pack,
        defects: parsed,
        faults: bench.faults.clone(),
        installation: rig_sim::Installation {
            dip: bench.twin_dip.unwrap_or_default(),
            packs: skip::packs_for(plan, bench),
        },
        source: twin_source(bench),
    });
    // The twin builds at most rig_sim::MAX_PACKS packs: a plan that needs more (a
    // profile may allow more) is refused, not run on fewer packs than it asserts.
    if let Some(Err(invalid)) = sim.as_ref().map(|c| c.installation.validate()) {
        problems.push(Problem::without_source(format!(
            "the virtual bench cannot build the twin plan `{}` needs: {invalid}",
            plan.id
        )));
    }
    problems.into_result(Prepared {
        sim,
        defects,
        firmware_note,
        inject_panic_at_step: None,
        inject_stuck_at_step: None,
        bench: None,
        pace: None,
        feed: None,
    })
}

/// The twin's source/sink, rated as the bench's source says (the virtual bench sized
/// to the plan, `bench::sizing`), else the built-in unit.
fn twin_source(bench: &Bench) -> rig_sim::SourceRating {
    let default = rig_sim::SourceRating::default();
    match bench.source_ratings() {
        Some((_, v, a)) => rig_sim::SourceRating {
            max_voltage_v: v.unwrap_or(default.max_voltage_v),
            max_current_a: a.unwrap_or(default.max_current_a),
        },
        None => default,
    }
}

/// The defects by name; each unknown name is a problem with the nearest names.
fn parse_defects(names: &[String], problems: &mut Problems) -> Vec<rig_sim::Defect> {
    let mut parsed = Vec::new();
    for d in names {
        match d.parse::<rig_sim::Defect>() {
            Ok(x) => parsed.push(x),
            Err(_) => {
                let known: Vec<String> =
                    rig_sim::Defect::ALL.iter().map(|d| d.to_string()).collect();
                let close = crate::diag::near_misses(d, known.iter().map(String::as_str));
                problems.push(
                    Problem::without_source(format!("unknown defect `{d}`")).help(
                        if close.is_empty() {
                            format!("`rig sim defects` lists them: {}", known.join(", "))
                        } else {
                            format!("did you mean {}?", close.join(" or "))
                        },
                    ),
                );
            }
        }
    }
    parsed
}

/// The firmware the twin runs: the bench's `twin: { firmware }`, else the profile's
/// default (`firmware/<dut-id>.yaml`), else none (the profile's nominal values, and a
/// note saying so). A named file that is missing is a problem; a missing default is not.
fn twin_firmware(
    plan: &Plan,
    bench: &Bench,
) -> Result<(Option<Firmware>, Option<String>), Problems> {
    let path = match &bench.twin_firmware {
        Some(named) => named.clone(),
        None => match Firmware::default_path(&plan.dut).filter(|p| p.is_file()) {
            Some(default) => default,
            None => {
                return Ok((
                    None,
                    Some(format!(
                        "plan `{}`: no firmware description for `{}` (firmware/{}.yaml); the twin runs the DUT profile's nominal values",
                        plan.id, plan.dut.id, plan.dut.id
                    )),
                ));
            }
        },
    };
    let firmware = Firmware::load(&path, &plan.dut)?;
    let note = format!(
        "plan `{}`: the twin runs firmware {} ({})",
        plan.id,
        firmware.version,
        path.display()
    );
    Ok((Some(firmware), Some(note)))
}
