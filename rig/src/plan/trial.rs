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
    unbounded.skip = Some(cannot_drive(bench, &unbounded.dut.id, need));
    Ok((unbounded, None))
}

/// Why a real bench cannot run a plan: what the plan applies, what the source is rated.
fn cannot_drive(bench: &Bench, dut: &str, (volts, amps): (f64, f64)) -> String {
    let rated = |x: Option<f64>, unit: &str| x.map_or("unrated".into(), |x| format!("{x} {unit}"));
    let (source, v, a) = bench
        .source_ratings()
        .unwrap_or_else(|| ("source".into(), None, None));
    format!(
        "the bench `{}` cannot drive it: with the profile `{dut}` the plan applies up to {amps} A and {volts} V; its source `{source}` is rated {} and {}",
        bench.name,
        rated(a, "A"),
        rated(v, "V")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile `id` with the envelope of a 100 A pack, a COCP threshold and, when
    /// given, `sleep.wake`.
    fn profile(id: &str, cocp: &str, wake: Option<bool>) -> String {
        let wake = wake.map_or(String::new(), |w| {
            format!("  sleep:\n    wake: {{ value: {w}, source: \"§9 wake\" }}\n")
        });
        format!(
            "id: {id}\nmodel: M\nmanual: m\nvalues:\n  limits:\n    max_voltage: {{ value: 57.6 V, source: s }}\n    min_voltage: {{ value: 44.8 V, source: s }}\n    max_charge_current: {{ value: 200 A, source: s }}\n    max_discharge_current: {{ value: 200 A, source: s }}\n  cocp:\n    trip_current: {{ value: {cocp}, source: s }}\n{wake}"
        )
    }

    /// A folder with `duts/` a (wakes, COCP 75 A), b (does not wake, 60 A), c (says
    /// nothing of waking) and `plan.yaml` of the plan text.
    fn folder(name: &str, plan: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rig-trial-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("duts")).unwrap();
        for (id, cocp, wake) in [
            ("a", "75 A", Some(true)),
            ("b", "60 A", Some(false)),
            ("c", "75 A", None),
        ] {
            std::fs::write(dir.join(format!("duts/{id}.yaml")), profile(id, cocp, wake)).unwrap();
        }
        std::fs::write(dir.join("plan.yaml"), plan).unwrap();
        dir
    }

    const PLAN: &str = "id: t\ntitle: T\ndut: a\ntimeout: 10 min\nrequires: { dut: [sleep.wake, \"dut.cocp.trip_current >= 70 A\"] }\nsteps:\n  - name: reads a value only a waking pack has\n    wait: dut.cocp.trip_current / 75 A * 1 s\n";

    #[test]
    fn a_profile_that_does_not_promise_what_the_plan_needs_skips_it_with_why() {
        let dir = folder("promise", PLAN);
        let plan = dir.join("plan.yaml");
        let sim = Bench::builtin_sim();
        let (own, _) = load_trial(&plan, None, &sim).unwrap();
        assert_eq!((own.id.as_str(), own.skip.as_deref()), ("t", None));
        let (a, _) = load_trial(&plan, Some("a"), &sim).unwrap();
        assert_eq!(
            (a.id.as_str(), a.skip.as_deref(), a.steps.len()),
            ("t::a", None, 1)
        );
        let (b, _) = load_trial(&plan, Some("b"), &sim).unwrap();
        assert_eq!(b.id, "t::b");
        assert!(
            b.steps.is_empty(),
            "not resolved against a profile it does not fit"
        );
        let why = b.skip.unwrap();
        assert!(
            why.contains("the profile `b` does not promise `dut.sleep.wake` (false: §9 wake)"),
            "{why}"
        );
        assert!(
            why.contains(
                "does not meet `dut.cocp.trip_current >= 70 A` (dut.cocp.trip_current = 60 A)"
            ),
            "{why}"
        );
        let (c, _) = load_trial(&plan, Some("c"), &sim).unwrap();
        let why = c.skip.unwrap();
        assert!(
            why.contains("does not promise `dut.sleep.wake` (it has no such value)"),
            "{why}"
        );
        let unknown = load_trial(&plan, Some("zz"), &sim).unwrap_err().to_string();
        assert!(
            unknown.contains("--dut zz: no DUT profile `zz`"),
            "{unknown}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_plan_must_fit_its_own_profile() {
        let dir = folder("own", &PLAN.replace("dut: a", "dut: b"));
        let e = load_trial(&dir.join("plan.yaml"), Some("a"), &Bench::builtin_sim())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`requires: dut:` does not hold for the plan's own `dut:`"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_virtual_bench_grows_to_what_the_plan_applies() {
        let charge = "id: t\ntitle: T\ndut: a\ntimeout: 10 min\nsteps:\n  - source:\n      charge: { current: 150 A, to: 56 V }\n      output: on\n    wait: 1 s\n";
        let dir = folder("sized", charge);
        let sim = Bench::builtin_sim();
        let (plan, on) = load_trial(&dir.join("plan.yaml"), None, &sim).unwrap();
        assert_eq!(plan.skip, None);
        let rated = on
            .expect("a bench sized for 150 A")
            .source_ratings()
            .unwrap();
        assert_eq!(rated.2, Some(150.0 * crate::bench::SIZING_HEADROOM));
        // Within the built-in rating the bench stays as it is.
        let small = charge.replace("150 A", "50 A");
        std::fs::write(dir.join("plan.yaml"), small).unwrap();
        let (_, on) = load_trial(&dir.join("plan.yaml"), None, &sim).unwrap();
        assert!(on.is_none());
        let _ = std::fs::remove_dir_all(dir);
    }
}
