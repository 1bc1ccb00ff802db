use super::*;
use crate::results::rows::{PlanRow, PlanRows, RunRow};

fn run(id: &str, plans: &[(&str, &str, Option<f64>)]) -> RunRows {
    RunRows {
        run: RunRow {
            run_id: id.into(),
            run_dir: format!("/runs/{id}"),
            station: None,
            station_user: None,
            bench: "sim".into(),
            firmware_label: None,
            started_at: None,
            started_unix: None,
            finished_at: None,
            finished_unix: None,
            verdict: "pass".into(),
            exit_code: None,
            rig_version: None,
            plan_count: plans.len() as i64,
        },
        plans: plans
            .iter()
            .map(|(plan, verdict, value)| PlanRows {
                plan: PlanRow {
                    plan_id: (*plan).into(),
                    plan_title: String::new(),
                    plan_file: String::new(),
                    plan_hash: String::new(),
                    dut_id: String::new(),
                    dut_model: String::new(),
                    dut_file: None,
                    dut_hash: None,
                    bench: "sim".into(),
                    defects: String::new(),
                    clock: "virtual".into(),
                    verdict: (*verdict).into(),
                    message: None,
                    skipped_reason: None,
                    incomplete: false,
                    duration_s: 1.0,
                    log_path: String::new(),
                    pack_serial: None,
                    pack_firmware: None,
                },
                instruments: vec![],
                expectations: vec![],
                measurements: value
                    .map(|v| MeasurementRow {
                        seq: 1,
                        t_s: 1.0,
                        step: 1,
                        name: "cocp.trip_delay".into(),
                        kind: "time_to".into(),
                        value: Some(v),
                        unit: "s".into(),
                        min: Some(1.0),
                        max: Some(4.0),
                        margin: Some((v - 1.0).min(4.0 - v)),
                        verdict: if (1.0..=4.0).contains(&v) {
                            "pass"
                        } else {
                            "fail"
                        }
                        .into(),
                        location: "cocp.yaml:40:9".into(),
                        message: None,
                    })
                    .into_iter()
                    .collect(),
            })
            .collect(),
    }
}

fn baseline(values: &[f64]) -> Vec<RunRows> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            run(
                &format!("b{i}"),
                &[("cocp", "pass", Some(*v)), ("rs485", "pass", None)],
            )
        })
        .collect()
}

const STEADY: [f64; 10] = [2.01, 1.98, 2.02, 2.00, 1.99, 2.03, 1.97, 2.00, 2.01, 1.99];

#[test]
fn a_steady_candidate_passes() {
    let c = run(
        "c",
        &[("cocp", "pass", Some(2.02)), ("rs485", "pass", None)],
    );
    let j = judge(&c, &baseline(&STEADY), Options::default());
    assert!(j.passed(), "{j:#?}");
    assert_eq!(j.baseline_runs.len(), 10);
    let s = j.measurements[0].spread.as_ref().unwrap();
    assert_eq!(s.n, 10);
    assert!((s.mean - 2.0).abs() < 1e-9);
}

#[test]
fn a_moved_measurement_inside_its_limits_is_caught() {
    // 3.0 s is inside [1, 4] s, but far outside 2.0 ± max(3σ ≈ 0.06, 10 % of 3 s).
    let c = run("c", &[("cocp", "pass", Some(3.0)), ("rs485", "pass", None)]);
    let j = judge(&c, &baseline(&STEADY), Options::default());
    assert!(!j.passed());
    let Outcome::Regression(why) = &j.measurements[0].outcome else {
        panic!("{j:#?}")
    };
    assert!(
        why.starts_with("moved: 3.000 s outside the baseline's"),
        "{why}"
    );
    // Just inside the tolerance (10 % of the 3 s band: 0.3 s) is not a move.
    let c = run(
        "c",
        &[("cocp", "pass", Some(2.29)), ("rs485", "pass", None)],
    );
    assert!(judge(&c, &baseline(&STEADY), Options::default()).passed());
}

#[test]
fn the_sigma_term_widens_the_band_for_a_noisy_baseline() {
    let noisy = [1.5, 2.5, 1.6, 2.4, 2.0, 1.7, 2.3, 2.1, 1.9, 2.0];
    let c = run("c", &[("cocp", "pass", Some(2.8)), ("rs485", "pass", None)]);
    assert!(judge(&c, &baseline(&noisy), Options::default()).passed());
    let tight = Options {
        sigma: 1.0,
        ..Options::default()
    };
    assert!(!judge(&c, &baseline(&noisy), tight).passed());
}

#[test]
fn a_value_outside_its_own_limits_fails_even_with_no_baseline() {
    let c = run("c", &[("cocp", "fail", Some(5.0))]);
    let j = judge(&c, &[], Options::default());
    assert!(j.measurements[0].outcome.is_regression());
}

#[test]
fn verdict_changes() {
    let b = baseline(&STEADY);
    let c = run("c", &[("cocp", "pass", Some(2.0)), ("rs485", "fail", None)]);
    let j = judge(&c, &b, Options::default());
    assert!(!j.passed());
    assert_eq!(
        j.plans[1].outcome,
        Outcome::Regression("fail now; passed in all 10 baseline runs".into())
    );
    // Failing in the baseline too is not a change.
    let mut b2 = b.clone();
    for r in &mut b2 {
        r.plans[1].plan.verdict = "fail".into();
    }
    let j = judge(&c, &b2, Options::default());
    assert!(j.passed(), "{j:#?}");
    assert!(matches!(j.plans[1].outcome, Outcome::Note(_)));
    // A plan the candidate did not run is noted.
    let c = run("c", &[("cocp", "pass", Some(2.0))]);
    let j = judge(&c, &b, Options::default());
    assert!(j.passed());
    assert_eq!(j.plans[1].candidate, None);
}

#[test]
fn numbers_are_shown_with_four_significant_digits() {
    assert_eq!(fmt(2.0), "2.000");
    assert_eq!(fmt(1234.5678), "1235");
    assert_eq!(fmt(0.012345), "0.01235");
}
