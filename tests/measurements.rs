//! `measure:` on the virtual bench (issue 12, spec 4): every kind measured where the
//! twin's true value is known, a value outside its limits that fails with the value,
//! the limit and the margin, and values that never come failing as unmeasurable.

use std::path::PathBuf;

use libtest_mimic::{Failed, Trial};
use rig_reports::{EventKind, Verdict};

use crate::support;

fn fixture(name: &str) -> PathBuf {
    support::repo()
        .join("tests/fixtures/measurements")
        .join(name)
}

/// One measurement event, as the log has it.
#[derive(Debug)]
struct Measured {
    name: String,
    kind: String,
    value: Option<f64>,
    unit: String,
    margin: Option<f64>,
    verdict: Verdict,
    message: Option<String>,
}

fn measured(events: &[EventKind]) -> Vec<Measured> {
    events
        .iter()
        .filter_map(|e| match e {
            EventKind::Measurement {
                name,
                kind,
                value,
                unit,
                margin,
                verdict,
                message,
                ..
            } => Some(Measured {
                name: name.clone(),
                kind: kind.clone(),
                value: *value,
                unit: unit.clone(),
                margin: *margin,
                verdict: *verdict,
                message: message.clone(),
            }),
            _ => None,
        })
        .collect()
}

/// The event of measurement `name`.
fn find<'m>(all: &'m [Measured], name: &str) -> Result<&'m Measured, Failed> {
    all.iter()
        .find(|m| m.name == name)
        .ok_or_else(|| format!("no measurement event `{name}` in {all:?}").into())
}

/// The value of `name` lies in `[lo, hi]`, in `unit`.
fn near(all: &[Measured], name: &str, unit: &str, lo: f64, hi: f64) -> Result<(), Failed> {
    let m = find(all, name)?;
    match m.value {
        Some(v) if m.unit == unit && (lo..=hi).contains(&v) && m.verdict == Verdict::Pass => Ok(()),
        _ => Err(format!("{name}: expected {lo}..={hi} {unit}, passing; got {m:?}").into()),
    }
}

fn every_kind_measures_the_twins_known_values() -> Result<(), Failed> {
    let outcome = support::run(&fixture("every_kind.yaml"), &[], "measure-every-kind")?;
    if outcome.verdict != Verdict::Pass {
        return Err(format!("expected a pass: {:?}", outcome.message).into());
    }
    let all = measured(&support::events(&outcome));
    // One event per measurement, each kind present.
    let kinds: std::collections::BTreeSet<&str> = all.iter().map(|m| m.kind.as_str()).collect();
    if all.len() != 11 || kinds.len() != 9 {
        return Err(format!("expected 11 events of 9 kinds, got {all:?}").into());
    }
    // FLASH1 at rest (Lesso 3.3.3.4): 0.25 s on every 4 s, read every 250 ms.
    near(&all, "led.run.period", "s", 4.0, 4.0)?;
    near(&all, "led.run.duty", "%", 5.0, 7.5)?;
    near(&all, "led.run.flashes", "", 10.0, 10.0)?;
    near(&all, "led.run.changes", "", 19.0, 20.0)?;
    // 50 A for 6 min: 5 Ah, less the first second before the source's first reading.
    near(&all, "charge.current.mean", "A", 50.0, 50.0)?;
    near(&all, "charge.current.min", "A", 50.0, 50.0)?;
    near(&all, "charge.current.max", "A", 50.0, 50.0)?;
    // (the log rounds to a millionth of the unit)
    near(
        &all,
        "charge.charged",
        "Ah",
        5.0 - 50.0 / 3600.0 - 1e-6,
        5.0,
    )?;
    let ah = find(&all, "charge.charged")?.value.unwrap_or_default();
    let wh = find(&all, "charge.energy")?.value.unwrap_or_default();
    if !(51.0..=56.6).contains(&(wh / ah)) {
        return Err(format!("energy / charge = {} V, not a pack voltage", wh / ah).into());
    }
    // COCP: 2 s delay, seen at the next 0x359 frame; the BMS measured the 80 A set.
    near(&all, "cocp.trip_delay", "s", 2.0, 3.0)?;
    near(&all, "cocp.trip_current", "A", 80.0, 80.0)?;
    let margin = find(&all, "cocp.trip_current")?.margin;
    if margin.is_none_or(|m| (m - 0.1).abs() > 1e-9) {
        return Err(format!("margin to [79.9 A, 80.1 A] should be 0.1 A, got {margin:?}").into());
    }
    Ok(())
}

fn a_value_outside_its_limits_fails_with_value_limit_and_margin() -> Result<(), Failed> {
    let outcome = support::run(&fixture("outside_limits.yaml"), &[], "measure-outside")?;
    let message = outcome.message.clone().unwrap_or_default();
    let events = support::events(&outcome);
    let all = measured(&events);
    let m = find(&all, "cocp.trip_delay")?;
    let wanted = [
        "measurement \"cocp.trip_delay\" failed",
        "outside_limits.yaml:18:9",
        "expected: time_to bms.protection_charge_overcurrent within 30 s: at most 1 s",
        "measured: 2 s, above its max 1 s (margin -1 s)",
    ];
    if outcome.verdict != Verdict::Fail
        || !wanted.iter().all(|w| message.contains(w))
        || m.verdict != Verdict::Fail
        || m.margin != Some(-1.0)
        || m.message.as_deref().is_none_or(|t| !message.contains(t))
    {
        return Err(format!("expected a failure saying {wanted:?}; got {message}\n{m:?}").into());
    }
    let band = find(&all, "cocp.trip_delay.window")?;
    if band
        .message
        .as_deref()
        .is_none_or(|t| !t.contains("(margin -1 s, -200 % of the band)"))
    {
        return Err(format!("a `between` margin is also a share of the band: {band:?}").into());
    }
    // The plan stops after the step: the third step never starts.
    let started = events
        .iter()
        .filter(|e| matches!(e, EventKind::StepStarted { .. }))
        .count();
    if started != 2 {
        return Err(
            format!("expected the plan to stop after step 2, {started} steps started").into(),
        );
    }
    Ok(())
}

/// The plan fails as unmeasurable, its message and event saying `parts`.
fn unmeasurable(name: &str, measurement: &str, parts: &[&str]) -> Result<(), Failed> {
    let outcome = support::run(&fixture(name), &[], name)?;
    let message = outcome.message.clone().unwrap_or_default();
    let all = measured(&support::events(&outcome));
    let m = find(&all, measurement)?;
    if outcome.verdict != Verdict::Fail
        || m.value.is_some()
        || m.verdict != Verdict::Fail
        || !parts.iter().all(|p| message.contains(p))
    {
        return Err(format!(
            "{name}: expected an unmeasurable failure saying {parts:?}; got {message}\n{m:?}"
        )
        .into());
    }
    Ok(())
}

fn a_condition_that_never_comes_is_unmeasurable() -> Result<(), Failed> {
    unmeasurable(
        "unmeasurable.yaml",
        "cocp.trip_delay",
        &[
            "measurement \"cocp.trip_delay\" failed (",
            "unmeasurable.yaml:14:9",
            "unmeasurable: waited 20 s (from t=0.105 s to t=20.105 s) for `bms.protection_charge_overcurrent` to become true; it never did",
        ],
    )
}

fn a_window_whose_end_never_comes_is_unmeasurable() -> Result<(), Failed> {
    unmeasurable(
        "unmeasurable_until.yaml",
        "charge.until_cocp",
        &[
            "measurement \"charge.until_cocp\" failed (",
            "unmeasurable: the window's end, `bms.protection_charge_overcurrent`, never came: waited 30 s",
        ],
    )
}

fn measurements_log_the_same_bytes_twice() -> Result<(), Failed> {
    support::same_bytes_twice(&fixture("every_kind.yaml"), "measure-det").map(|_| ())
}

pub fn trials() -> Vec<Trial> {
    support::trials!(
        "measurements",
        every_kind_measures_the_twins_known_values,
        a_value_outside_its_limits_fails_with_value_limit_and_margin,
        a_condition_that_never_comes_is_unmeasurable,
        a_window_whose_end_never_comes_is_unmeasurable,
        measurements_log_the_same_bytes_twice,
    )
}
