//! The `ramp:` step: one source set point stepped from `from` to `to`, each level held
//! for `hold`, until a condition becomes true. How a plan locates a trip point (the
//! current at which COCP trips, the voltage at which a sleeping pack wakes).
//!
//! Every level is a set point like one a `source:` writes, so the same rules hold: `from`
//! and `to` inside the envelope (so every level between them is), the source's set
//! points programmed before (a ramp changes one of them, it never programs the others),
//! and no voltage on an electronic load.

use serde_saphyr::Spanned;

use super::envelope::Envelope;
use super::names::RepeatIndex;
use super::resolver::Resolver;
use crate::bench::{Driver, Role};
use crate::diag::Problem;
use crate::plan::model::{Ramp, SourceSettings};
use crate::plan::raw::{RawLevels, RawRamp};
use crate::quantity::Dim;

/// Most levels one ramp may have: a staircase longer than this is surely a step written
/// in the wrong unit.
const MAX_LEVELS: usize = 10_000;

/// The set point a ramp steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ramped {
    Voltage,
    CurrentLimit,
    SinkLimit,
}

impl Ramped {
    fn key(self) -> &'static str {
        match self {
            Ramped::Voltage => "voltage",
            Ramped::CurrentLimit => "current_limit",
            Ramped::SinkLimit => "sink_limit",
        }
    }

    fn dim(self) -> Dim {
        match self {
            Ramped::Voltage => Dim::Voltage,
            _ => Dim::Current,
        }
    }

    /// A level's settings: this set point alone.
    fn settings(self, level: f64) -> SourceSettings {
        let mut s = SourceSettings::default();
        match self {
            Ramped::Voltage => s.voltage = Some(level),
            Ramped::CurrentLimit => s.current_limit = Some(level),
            Ramped::SinkLimit => s.sink_limit = Some(level),
        }
        s
    }
}

impl Resolver<'_> {
    pub(super) fn ramp(&mut self, node: &Spanned<RawRamp>, vars: &[RepeatIndex]) -> Option<Ramp> {
        let at = Self::start_of(node);
        let source = self.needs(Role::Source, at, "source", None)?;
        let load = source.driver == Driver::ScpiLoad;
        let raw = &node.value;
        let written: Vec<(Ramped, &Spanned<RawLevels>)> = [
            (Ramped::Voltage, &raw.voltage),
            (Ramped::CurrentLimit, &raw.current_limit),
            (Ramped::SinkLimit, &raw.sink_limit),
        ]
        .into_iter()
        .filter_map(|(r, l)| l.as_ref().map(|l| (r, l)))
        .collect();
        let [(ramped, levels)] = written[..] else {
            self.problems.push(
                Problem::at(self.file, at, "a ramp steps exactly one set point")
                    .help("write one of `voltage:`, `current_limit:` or `sink_limit:` with `{ from, to, step, hold }`"),
            );
            return None;
        };
        if load && ramped == Ramped::Voltage {
            let span = Self::start_of(levels);
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "`{}` is an electronic load: it sets no voltage",
                        source.name
                    ),
                )
                .help("ramp its `sink_limit`"),
            );
            return None;
        }
        self.refuse_unprogrammed_ramp(at, load);
        let until = match &raw.until {
            Some(u) => Some((self.measured_expr(u, "until", true, vars)?, u.value.clone())),
            None => None,
        };
        let values = self.levels(&levels.value, ramped, vars)?;
        let hold = self.duration(&levels.value.hold, vars, "the ramp's `hold`")?;
        Some(Ramp {
            levels: values.into_iter().map(|v| ramped.settings(v)).collect(),
            hold,
            until,
        })
    }

    /// A ramp changes a set point of a source already programmed: the output may be on,
    /// and must never meet set points the rig did not send.
    fn refuse_unprogrammed_ramp(&mut self, at: crate::diag::Span, load: bool) {
        let missing = self.programmed.missing(load);
        if !missing.is_empty() && self.programmed.refused.is_none() {
            self.problems.push(
                Problem::at(
                    self.file,
                    at,
                    format!(
                        "a ramp needs the source's set points programmed first; missing: {}",
                        missing.join(", ")
                    ),
                )
                .help("program them in an earlier `source:` step"),
            );
        }
    }

    /// The levels from `from` to `to`, both inside the envelope, by `step`; the last is
    /// `to` even where the span is no whole number of steps.
    fn levels(
        &mut self,
        raw: &RawLevels,
        ramped: Ramped,
        vars: &[RepeatIndex],
    ) -> Option<Vec<f64>> {
        let env = self.envelope.clone();
        let key = ramped.key();
        let from = self.ramp_end(
            &raw.from,
            ramped,
            vars,
            &env,
            &format!("the ramp's `{key}.from`"),
        );
        let to = self.ramp_end(
            &raw.to,
            ramped,
            vars,
            &env,
            &format!("the ramp's `{key}.to`"),
        );
        let step = self.constant(&raw.step, vars, ramped.dim(), "the ramp's `step`");
        let (from, to, step) = (from?, to?, step?);
        let span = self.span(&raw.step);
        if step <= 0.0 || !step.is_finite() {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    "the ramp's `step` must be larger than zero",
                )
                .help("the direction comes from `from` and `to`; `step` is a magnitude"),
            );
            return None;
        }
        let whole_steps = ((to - from).abs() / step + 1e-9).floor();
        if whole_steps >= MAX_LEVELS as f64 {
            self.problems.push(Problem::at(
                self.file,
                span,
                format!("this ramp would have more than {MAX_LEVELS} levels"),
            ));
            return None;
        }
        Some(staircase(from, to, step, whole_steps as usize))
    }

    fn ramp_end(
        &mut self,
        field: &Spanned<String>,
        ramped: Ramped,
        vars: &[RepeatIndex],
        env: &Envelope,
        what: &str,
    ) -> Option<f64> {
        match ramped {
            Ramped::Voltage => {
                let v = self.constant(field, vars, Dim::Voltage, what)?;
                self.voltage_inside(field, v, what, env).then_some(v)
            }
            Ramped::CurrentLimit => self.magnitude(field, vars, &env.max_charge, what),
            Ramped::SinkLimit => self.magnitude(field, vars, &env.max_discharge, what),
        }
    }
}

/// `from`, then `whole_steps` steps towards `to`, then `to` if the steps fell short of
/// it. Each level is computed from `from` (no running sum), rounded to a nano-unit so
/// `70 A + 3 x 0.1 A` is shown as 70.3 A.
fn staircase(from: f64, to: f64, step: f64, whole_steps: usize) -> Vec<f64> {
    let sign = if to >= from { 1.0 } else { -1.0 };
    let round = |x: f64| (x * 1e9).round() / 1e9;
    let mut levels: Vec<f64> = (0..=whole_steps)
        .map(|k| round(from + sign * step * k as f64))
        .collect();
    if levels.last().is_some_and(|last| (last - to).abs() > 1e-9) {
        levels.push(round(to));
    }
    levels
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_support::{accepted, plan, refusals, sim};
    use super::*;

    const PROGRAMMED: &str =
        "  - source: { voltage: 56 V, current_limit: 50 A, sink_limit: 50 A, output: on }\n";

    fn ramp_plan(ramp: &str) -> String {
        plan(&format!("{PROGRAMMED}  - ramp: {ramp}\n"))
    }

    #[test]
    fn the_staircase_ends_at_to_in_either_direction() {
        assert_eq!(staircase(70.0, 73.0, 1.0, 3), vec![70.0, 71.0, 72.0, 73.0]);
        assert_eq!(staircase(73.0, 70.5, 1.0, 2), vec![73.0, 72.0, 71.0, 70.5]);
        assert_eq!(staircase(70.0, 70.3, 0.1, 3), vec![70.0, 70.1, 70.2, 70.3]);
    }

    #[test]
    fn a_ramp_resolves_to_levels_a_hold_and_its_condition() {
        let p = accepted(
            &sim(),
            &ramp_plan(
                "{ current_limit: { from: 70 A, to: 80 A, step: 2.5 A, hold: 3 s }, until: source.current < 1 A }",
            ),
        );
        let ramp = p.steps[1].ramp.as_ref().expect("the step ramps");
        let levels: Vec<Option<f64>> = ramp.levels.iter().map(|s| s.current_limit).collect();
        assert_eq!(levels, [70.0, 72.5, 75.0, 77.5, 80.0].map(Some));
        assert!(
            ramp.levels
                .iter()
                .all(|s| s.voltage.is_none() && s.sink_limit.is_none())
        );
        assert_eq!(ramp.hold, Duration::from_secs(3));
        assert_eq!(
            ramp.until.as_ref().map(|u| u.1.as_str()),
            Some("source.current < 1 A")
        );
        assert_eq!(ramp.length(), Duration::from_secs(15));
    }

    #[test]
    fn both_ends_stay_inside_the_envelope() {
        let problems = refusals(
            &sim(),
            &ramp_plan("{ voltage: { from: 52 V, to: 58 V, step: 0.5 V, hold: 1 s } }"),
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("the ramp's `voltage.to`") && p.contains("57.6")),
            "{problems:?}"
        );
        let problems = refusals(
            &sim(),
            &ramp_plan("{ sink_limit: { from: 120 A, to: 50 A, step: 1 A, hold: 1 s } }"),
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("the ramp's `sink_limit.from`")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_ramp_steps_one_set_point_by_a_positive_step_in_its_unit() {
        let cases = [
            ("{ until: source.current < 1 A }", "exactly one set point"),
            (
                "{ voltage: { from: 52 V, to: 53 V, step: 0.1 V, hold: 1 s }, current_limit: { from: 1 A, to: 2 A, step: 1 A, hold: 1 s } }",
                "exactly one set point",
            ),
            (
                "{ current_limit: { from: 70 A, to: 80 A, step: 0 A, hold: 1 s } }",
                "larger than zero",
            ),
            (
                "{ current_limit: { from: 70 A, to: 80 A, step: 1 V, hold: 1 s } }",
                "the ramp's `step` must be",
            ),
            (
                "{ current_limit: { from: 70 A, to: 80 A, step: 0.1 mA, hold: 1 s } }",
                "more than 10000 levels",
            ),
            (
                "{ current_limit: { from: 70 A, to: 80 A, step: 1 A, hold: 0 s } }",
                "`hold` must be longer than zero",
            ),
            (
                "{ current_limit: { from: 70 A, to: 80 A, step: 1 A, hold: 1 s }, until: source.current }",
                "`until:` must be a condition",
            ),
        ];
        for (ramp, wanted) in cases {
            let problems = refusals(&sim(), &ramp_plan(ramp));
            assert!(
                problems.iter().any(|p| p.contains(wanted)),
                "{ramp}: {problems:?}"
            );
        }
    }

    #[test]
    fn a_ramp_needs_the_set_points_programmed_before() {
        let problems = refusals(
            &sim(),
            &plan("  - ramp: { current_limit: { from: 1 A, to: 5 A, step: 1 A, hold: 1 s } }\n"),
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("programmed first") && p.contains("voltage")),
            "{problems:?}"
        );
    }
}
