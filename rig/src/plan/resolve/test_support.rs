//! Resolving plans from YAML text in unit tests: a small DUT profile with round
//! numbers, the built-in sim bench or one from text, and the problems as one line each.

use crate::bench::Bench;
use crate::diag::SourceFile;
use crate::dut::DutProfile;
use crate::plan::model::Plan;
use crate::plan::raw::RawPlan;

/// The test pack: the envelope is 44.8-57.6 V, 100 A each way, -20-60 degC.
pub(super) const DUT: &str = r#"id: pack
model: Test pack
manual: test manual
values:
  charge_voltage: { value: 56.6 V, source: "§1" }
  standard_charge_current: { value: 50 A, source: "§1" }
  limits:
    max_voltage: { value: 57.6 V, source: "§1 'Charge voltage 57.6 V'" }
    min_voltage: { value: 44.8 V, source: "§1" }
    max_charge_current: { value: 100 A, assumption: "above COCP" }
    max_discharge_current: { value: 100 A, assumption: "above DOCP" }
    max_temperature: { value: 60 degC, source: "§1" }
    min_temperature: { value: -20 degC, source: "§1" }
  cocp:
    trip_current: { value: 75 A, source: "§3.4" }
    trip_delay: { value: 2 s, band: [1 s, 4 s], source: "§3.4" }
  parallel:
    max_packs: { value: 3, source: "§2" }
"#;

/// The fields of a plan before its steps; steps start on line 6.
pub(super) const HEAD: &str = "id: t\ntitle: T\ndut: pack\ntimeout: 10 min\n";

/// A plan of `steps` (YAML list items, indented by two).
pub(super) fn plan(steps: &str) -> String {
    format!("{HEAD}steps:\n{steps}")
}

/// A plan whose head has `line` (`timeout: 1 s`), replacing the field of that name.
pub(super) fn plan_with(line: &str, steps: &str) -> String {
    let key = line.split(':').next().unwrap_or(line);
    let head: String = HEAD
        .lines()
        .filter(|l| !l.starts_with(&format!("{key}:")))
        .map(|l| format!("{l}\n"))
        .collect();
    format!("{head}{line}\nsteps:\n{steps}")
}

pub(super) fn dut() -> DutProfile {
    dut_from(DUT)
}

/// A profile from its text, in `duts/<id>.yaml`.
fn dut_from(text: &str) -> DutProfile {
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("the profile has an id");
    DutProfile::parse(SourceFile::new(format!("duts/{id}.yaml"), text))
        .unwrap_or_else(|p| panic!("test profile refused:\n{p}"))
}

pub(super) fn sim() -> Bench {
    Bench::builtin_sim()
}

/// A bench from its text, in `bench.yaml`.
pub(super) fn bench(text: &str) -> Bench {
    Bench::parse(SourceFile::new("bench.yaml", text))
        .unwrap_or_else(|p| panic!("test bench refused:\n{p}"))
}

/// The built-in sim bench without its instrument `name`.
pub(super) fn sim_without(name: &str) -> Bench {
    let mut kept = String::new();
    let mut skipping = false;
    for line in crate::bench::BUILTIN_SIM_BENCH.lines() {
        let indent = line.len() - line.trim_start().len();
        if !line.trim().is_empty() && indent <= 2 {
            skipping = line == format!("  {name}:");
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    assert!(
        kept.len() < crate::bench::BUILTIN_SIM_BENCH.len(),
        "no `{name}`"
    );
    bench(&kept)
}

/// A bench whose `source` is an electronic load rated 120 V, 60 A (lab-bk-load).
pub(super) fn load_bench() -> Bench {
    bench(include_str!(
        "../../../../testplans/benches/lab_bk_load.yaml"
    ))
}

fn resolve(dut: DutProfile, bench: &Bench, plan: &str) -> Result<Plan, Vec<String>> {
    let file = SourceFile::new("plan.yaml", plan);
    let raw: RawPlan = serde_saphyr::from_str(plan).unwrap_or_else(|e| panic!("{e}\n{plan}"));
    super::load::resolve(raw, file, dut, bench)
        .map_err(|p| p.iter().map(|p| p.one_line()).collect())
}

/// The plan, resolved; panics with the problems if it is refused.
pub(super) fn accepted(bench: &Bench, plan: &str) -> Plan {
    resolve(dut(), bench, plan)
        .unwrap_or_else(|p| panic!("refused:\n{}\nplan:\n{plan}", p.join("\n")))
}

/// The problems of a refused plan, one line each (`plan.yaml:6:24: message (hint: …)`),
/// in the order they were found.
pub(super) fn refusals(bench: &Bench, plan: &str) -> Vec<String> {
    refusals_with_dut(DUT, bench, plan)
}

/// As [`refusals`], against the profile `dut`.
pub(super) fn refusals_with_dut(dut: &str, bench: &Bench, plan: &str) -> Vec<String> {
    match resolve(dut_from(dut), bench, plan) {
        Ok(_) => panic!("accepted:\n{plan}"),
        Err(p) => p,
    }
}
