//! Invalid and dangerous plans: each is rejected before anything is connected, with the
//! file, line and column of the mistake and what would be right.

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;

use crate::support;

/// (fixture in tests/fixtures/invalid/, line:column, words the message must contain).
pub const INVALID: &[(&str, &str, &str)] = &[
    (
        "typo_field.yaml",
        "7:5",
        "unknown field `sourc`, expected one of name, source",
    ),
    (
        "unknown_instrument.yaml",
        "8:15",
        "unknown instrument `pus`",
    ),
    (
        "volts_for_amps.yaml",
        "7:45",
        "the current limit must be a current, not a voltage",
    ),
    (
        "overvoltage.yaml",
        "7:24",
        "the source voltage 80 V is above the envelope's maximum 57.6 V",
    ),
    (
        "overcurrent_expression.yaml",
        "7:34",
        "the charge current 150 A is above the envelope's maximum 100 A",
    ),
    (
        "undervoltage.yaml",
        "7:47",
        "the target voltage 40 V is below the envelope's minimum 44.8 V",
    ),
    (
        "output_before_limits.yaml",
        "7:38",
        "the output is switched on before its set points are programmed",
    ),
    (
        "missing_unit.yaml",
        "7:34",
        "the charge current needs a unit",
    ),
    ("unknown_unit.yaml", "7:13", "unknown unit `secs`"),
    (
        "unknown_dut_value.yaml",
        "7:34",
        "has no value `dut.cocp.trip_curent` (hint: did you mean `dut.cocp.trip_current`",
    ),
    (
        "unknown_dut.yaml",
        "3:6",
        "no DUT profile `lesso_lsrr51v10ah` (hint: did you mean `lesso_lsrr51v100ah`?)",
    ),
    (
        "unknown_relay.yaml",
        "7:21",
        "unknown relay `reset_buton` (hint: did you mean `reset_button`?)",
    ),
    (
        "condition_not_boolean.yaml",
        "8:15",
        "`that:` must be a condition, but this is a percentage",
    ),
    (
        "compare_current_with_voltage.yaml",
        "8:15",
        "cannot compare a current with a voltage",
    ),
    ("expectation_cannot_fail.yaml", "8:15", "reads no channel"),
    ("both_windows.yaml", "8:15", "exactly one of `within:`"),
    (
        "chamber_too_hot.yaml",
        "7:26",
        "the chamber set point 120 degC is above the envelope's maximum 100 degC",
    ),
    (
        "bad_yaml.yaml",
        "7:4",
        "did not find expected '-' indicator",
    ),
    (
        "repeat_without_steps.yaml",
        "6:5",
        "`repeat:` needs `steps:`",
    ),
    (
        "negative_timeout.yaml",
        "4:10",
        "`timeout` must be a duration, not a voltage",
    ),
    (
        "requires_zero.yaml",
        "5:20",
        "`requires: packs: 0`: a plan needs at least 1 pack",
    ),
    (
        "requires_too_many.yaml",
        "6:10",
        "the plan needs 33 packs in parallel; the profile `lesso_lsrr51v100ah` allows at most 32 (hint: dut.parallel.max_packs = 32 (§3.3.2",
    ),
    (
        "requires_not_a_number.yaml",
        "5:13",
        "invalid type: string \"three\", expected a whole number of packs",
    ),
    (
        "requires_unknown_key.yaml",
        "5:23",
        "unknown field `inverters`, expected one of packs",
    ),
    (
        "unknown_pack_channel.yaml",
        "9:15",
        "unknown channel `rs485.pack3.soc` (hint: did you mean `rs485.pack2.soc`?)",
    ),
    ("rs232_empty_line.yaml", "7:21", "the line to send is empty"),
    (
        "rs232_control_character.yaml",
        "7:21",
        "the line must be printable ASCII; character 5 is \\r (hint: write the text only",
    ),
];

pub fn trials() -> Vec<Trial> {
    let mut trials: Vec<Trial> = INVALID
        .iter()
        .map(|&(file, at, words)| {
            Trial::test(
                format!("invalid::{}", file.trim_end_matches(".yaml")),
                move || assert_rejected(file, at, words),
            )
        })
        .collect();
    trials.push(Trial::test(
        "invalid::every_fixture_is_in_the_table",
        || {
            let dir = support::repo().join("tests/fixtures/invalid");
            let mut missing = Vec::new();
            for entry in std::fs::read_dir(&dir).map_err(|e| e.to_string())? {
                let name = entry
                    .map_err(|e| e.to_string())?
                    .file_name()
                    .to_string_lossy()
                    .to_string();
                if !INVALID.iter().any(|(f, _, _)| *f == name) {
                    missing.push(name);
                }
            }
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("fixtures without an expected error: {missing:?}").into())
            }
        },
    ));
    trials
}

fn assert_rejected(file: &str, at: &str, words: &str) -> Result<(), Failed> {
    let path = support::repo().join("tests/fixtures/invalid").join(file);
    let problems = match load_plan(&path, &Bench::builtin_sim()) {
        Ok(_) => return Err(format!("{file} was accepted").into()),
        Err(p) => p,
    };
    let location = format!("invalid/{file}:{at}:");
    let found = problems.iter().any(|p| {
        let line = p.one_line();
        line.contains(&location) && line.contains(words)
    });
    if found {
        Ok(())
    } else {
        Err(format!("expected `{location} … {words}`, got:\n{problems}").into())
    }
}
