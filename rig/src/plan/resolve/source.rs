//! The `source:` action: explicit set points (`voltage`, `current_limit`, `sink_limit`),
//! the `charge:`/`discharge:` shorthand, what an electronic load refuses, and the rule
//! that the output goes on only once its set points are programmed.
//!
//! Every set point a `source:` writes is either resolved or refused with a problem;
//! only resolved ones count as programmed, and a plan with a refused one is refused as a
//! whole. So a plan that validates cannot switch the output on over
//! set points the rig never sent.

use serde_saphyr::Spanned;

use super::envelope::{Envelope, Limit};
use super::names::RepeatIndex;
use super::resolver::Resolver;
use crate::bench::{Driver, Role};
use crate::diag::{Problem, Span};
use crate::plan::model::SourceSettings;
use crate::plan::raw::{RawCharge, RawSource};
use crate::quantity::Dim;

/// Which set points the plan has programmed so far (in earlier steps or this one), to
/// refuse `output: on` before the source knows what to apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Programmed {
    voltage: bool,
    current_limit: bool,
    sink_limit: bool,
    /// The first `source:` with a refused set point: the plan is refused, and an output
    /// switched on after it is not reported as a second mistake.
    pub(super) refused: Option<Span>,
}

impl Programmed {
    /// Count the set points that resolved. A refused one is `None` in `s`: it never
    /// counts, so the output cannot go on over it.
    fn record(&mut self, s: &SourceSettings) {
        self.voltage |= s.voltage.is_some();
        self.current_limit |= s.current_limit.is_some();
        self.sink_limit |= s.sink_limit.is_some();
    }

    /// Whether a set point `raw` writes did not resolve into `s`. A shorthand writes all
    /// three.
    fn any_refused(raw: &RawSource, s: &SourceSettings) -> bool {
        let shorthand = raw.charge.is_some() || raw.discharge.is_some();
        let voltage = raw.voltage.is_some() || shorthand;
        let current_limit = raw.current_limit.is_some() || shorthand;
        let sink_limit = raw.sink_limit.is_some() || shorthand;
        (voltage && s.voltage.is_none())
            || (current_limit && s.current_limit.is_none())
            || (sink_limit && s.sink_limit.is_none())
    }

    /// The set points still missing before the output may go on. A load needs only its
    /// sink limit: it neither charges nor holds a voltage.
    pub(super) fn missing(self, load: bool) -> Vec<&'static str> {
        [
            ("voltage", self.voltage || load),
            ("current_limit", self.current_limit || load),
            ("sink_limit", self.sink_limit),
        ]
        .into_iter()
        .filter(|(_, set)| !set)
        .map(|(name, _)| name)
        .collect()
    }
}

/// The direction of a shorthand: which limit carries the current, which is zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Charge,
    Discharge,
}

impl Direction {
    fn word(self) -> &'static str {
        match self {
            Direction::Charge => "charge",
            Direction::Discharge => "discharge",
        }
    }

    /// `voltage` with the current limit of this direction at `current`, the other at 0.
    fn apply(self, voltage: f64, current: f64, s: &mut SourceSettings) {
        s.voltage = Some(voltage);
        let (with, without) = match self {
            Direction::Charge => (&mut s.current_limit, &mut s.sink_limit),
            Direction::Discharge => (&mut s.sink_limit, &mut s.current_limit),
        };
        *with = Some(current);
        *without = Some(0.0);
    }
}

impl Resolver<'_> {
    /// The settings of a `source:` action; `None` if the bench has no source.
    pub(super) fn source(
        &mut self,
        node: &Spanned<RawSource>,
        vars: &[RepeatIndex],
    ) -> Option<SourceSettings> {
        let at = Self::start_of(node);
        let source = self.needs(Role::Source, at, "source", None)?;
        let load = (source.driver == Driver::ScpiLoad).then_some(source.name.as_str());
        let raw = &node.value;
        let problems_before = self.problems.len();
        if let Some(name) = load {
            self.refuse_voltage_on_load(raw, name);
        }
        let env = self.envelope.clone();
        let mut s = self.explicit_set_points(raw, vars, &env);
        if load.is_some() {
            s.voltage = None;
        } else {
            self.shorthands(raw, vars, &env, &mut s);
        }
        s.output = self.output_switch(raw);
        self.refuse_nothing_set(raw, at);
        if Programmed::any_refused(raw, &s) {
            self.programmed.refused.get_or_insert(at);
            if self.problems.len() == problems_before {
                // Every refusal above says why; this guards the rule if one ever does not.
                self.problems.push(Problem::at(
                    self.file,
                    at,
                    "a set point of this `source:` could not be resolved",
                ));
            }
        }
        self.programmed.record(&s);
        if s.output == Some(true) {
            self.refuse_output_before_set_points(raw, load.is_some());
        }
        Some(s)
    }

    /// `source: {}` does nothing: surely something was left out.
    fn refuse_nothing_set(&mut self, raw: &RawSource, at: Span) {
        let written = [
            raw.voltage.is_some(),
            raw.current_limit.is_some(),
            raw.sink_limit.is_some(),
            raw.output.is_some(),
            raw.charge.is_some(),
            raw.discharge.is_some(),
        ];
        if !written.contains(&true) {
            self.problems.push(
                Problem::at(self.file, at, "`source:` sets nothing")
                    .help("write `voltage`, `current_limit`, `sink_limit`, `output`, `charge:` or `discharge:`"),
            );
        }
    }

    /// A load has no voltage to set; `discharge: { to: }` would need one as its floor.
    fn refuse_voltage_on_load(&mut self, raw: &RawSource, name: &str) {
        let voltage_fields = [raw.voltage.as_ref().map(Self::start_of)]
            .into_iter()
            .chain([&raw.charge, &raw.discharge].map(|c| c.as_ref().map(Self::start_of)))
            .flatten();
        for at in voltage_fields {
            self.problems.push(
                Problem::at(
                    self.file,
                    at,
                    format!("the bench's `{name}` is an electronic load: it has no voltage set point and only sinks current"),
                )
                .help("on a load bench write `sink_limit: 50 A` and `output: on`; `voltage`, `charge:` and `discharge:` need a source/sink"),
            );
        }
    }

    /// `voltage`, `current_limit` and `sink_limit` as written, each inside the envelope.
    fn explicit_set_points(
        &mut self,
        raw: &RawSource,
        vars: &[RepeatIndex],
        env: &Envelope,
    ) -> SourceSettings {
        let voltage = raw.voltage.as_ref().and_then(|v| {
            let x = self.constant(v, vars, Dim::Voltage, "the source voltage")?;
            self.voltage_inside(v, x, "the source voltage", env)
                .then_some(x)
        });
        let current_limit = (raw.current_limit.as_ref())
            .and_then(|f| self.magnitude(f, vars, &env.max_charge, "the current limit"));
        let sink_limit = (raw.sink_limit.as_ref())
            .and_then(|f| self.magnitude(f, vars, &env.max_discharge, "the sink limit"));
        SourceSettings {
            current_limit,
            sink_limit,
            voltage,
            output: None,
        }
    }

    /// A voltage between the envelope's maximum and minimum (the minimum is checked
    /// only if the maximum holds, so one value gets one problem).
    pub(super) fn voltage_inside(
        &mut self,
        field: &Spanned<String>,
        v: f64,
        what: &str,
        env: &Envelope,
    ) -> bool {
        self.check_limit(field, v, &env.max_voltage, what)
            && self.check_limit(field, v, &env.min_voltage, what)
    }

    /// A current limit: a magnitude (the field gives the direction) inside `limit`.
    pub(super) fn magnitude(
        &mut self,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
        limit: &Option<Limit>,
        what: &str,
    ) -> Option<f64> {
        let x = self.constant(field, vars, Dim::Current, what)?;
        if x < 0.0 {
            let span = self.span(field);
            self.problems.push(Problem::at(self.file, span, format!("{what} is a magnitude and cannot be negative")).help("the direction is given by `current_limit` (into the pack) or `sink_limit` (out of it)"));
            return None;
        }
        self.check_limit(field, x, limit, what).then_some(x)
    }

    /// `charge: { current, to }` and `discharge: { current, to }`, each alone in its
    /// `source:`.
    fn shorthands(
        &mut self,
        raw: &RawSource,
        vars: &[RepeatIndex],
        env: &Envelope,
        s: &mut SourceSettings,
    ) {
        let combined = raw.voltage.is_some()
            || raw.current_limit.is_some()
            || raw.sink_limit.is_some()
            || (raw.charge.is_some() && raw.discharge.is_some());
        for (shorthand, direction) in [
            (&raw.charge, Direction::Charge),
            (&raw.discharge, Direction::Discharge),
        ] {
            let Some(c) = shorthand else { continue };
            if combined {
                self.problems.push(Problem::at(self.file, Self::start_of(c), format!("`{}:` sets the voltage and both limits; it cannot be combined with `voltage`, `current_limit`, `sink_limit` or the other shorthand", direction.word())));
            } else if let Some((voltage, current)) = self.shorthand(c, direction, vars, env) {
                direction.apply(voltage, current, s);
            }
        }
    }

    /// The target voltage and current of a shorthand, both inside the envelope.
    fn shorthand(
        &mut self,
        c: &Spanned<RawCharge>,
        direction: Direction,
        vars: &[RepeatIndex],
        env: &Envelope,
    ) -> Option<(f64, f64)> {
        let word = direction.word();
        let what_current = format!("the {word} current");
        let current = self.constant(&c.value.current, vars, Dim::Current, &what_current);
        let to = self.constant(
            &c.value.to,
            vars,
            Dim::Voltage,
            &format!("the {word} target voltage"),
        );
        let (Some(i), Some(v)) = (current, to) else {
            return None;
        };
        let limit = match direction {
            Direction::Charge => &env.max_charge,
            Direction::Discharge => &env.max_discharge,
        };
        let ok_i = if i < 0.0 {
            self.refuse_negative_shorthand(&c.value.current, direction, &what_current);
            false
        } else {
            self.check_limit(&c.value.current, i, limit, &what_current)
        };
        let ok_v = self.voltage_inside(&c.value.to, v, "the target voltage", env);
        (ok_i && ok_v).then_some((v, i))
    }

    /// A shorthand's current is a magnitude; its direction is the shorthand's.
    fn refuse_negative_shorthand(
        &mut self,
        field: &Spanned<String>,
        direction: Direction,
        what: &str,
    ) {
        let help = match direction {
            Direction::Charge => {
                "`charge:` drives current into the pack; to take current out of it, write `discharge: { current: 50 A, to: 48 V }`"
            }
            Direction::Discharge => {
                "`discharge:` takes current out of the pack; write the current as a positive magnitude"
            }
        };
        let span = self.span(field);
        self.problems.push(
            Problem::at(
                self.file,
                span,
                format!("{what} is a magnitude and cannot be negative"),
            )
            .help(help),
        );
    }

    /// `output: on|off`; anything else is a problem.
    fn output_switch(&mut self, raw: &RawSource) -> Option<bool> {
        let o = raw.output.as_ref()?;
        match o.value.as_str() {
            "on" | "true" => Some(true),
            "off" | "false" => Some(false),
            other => {
                let span = self.span(o);
                self.problems.push(Problem::at(
                    self.file,
                    span,
                    format!("`output: {other}` is neither on nor off"),
                ));
                None
            }
        }
    }

    /// `output: on` needs the set points programmed, in this step or an earlier one.
    /// After a refused set point the plan is refused already: that refusal says why, and
    /// the missing set point is not reported a second time.
    fn refuse_output_before_set_points(&mut self, raw: &RawSource, load: bool) {
        let Some(o) = &raw.output else { return };
        let missing = self.programmed.missing(load);
        if !missing.is_empty() && self.programmed.refused.is_none() {
            let span = self.span(o);
            self.problems.push(Problem::at(self.file, span, "the output is switched on before its set points are programmed").label(format!("{} not set yet", missing.join(", "))).help("set `voltage`, `current_limit` and `sink_limit` (or `charge:`) in this or an earlier step"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{accepted, load_bench, plan, refusals, sim, sim_without};
    use super::*;
    use crate::plan::model::{Action, Plan};

    fn settings(p: &Plan, step: usize) -> &SourceSettings {
        match &p.steps[step].actions[0] {
            Action::Source(s) => s,
            other => panic!("not a source action: {other:?}"),
        }
    }

    fn source(fields: &str) -> String {
        plan(&format!("  - source: {{ {fields} }}\n"))
    }

    #[test]
    fn explicit_set_points_in_base_units() {
        let p = accepted(
            &sim(),
            &source("current_limit: 2000 mA, sink_limit: 50 A, voltage: 54 V, output: on"),
        );
        assert_eq!(
            settings(&p, 0),
            &SourceSettings {
                current_limit: Some(2.0),
                sink_limit: Some(50.0),
                voltage: Some(54.0),
                output: Some(true),
            }
        );
    }

    #[test]
    fn a_charge_shorthand_sets_the_voltage_the_current_limit_and_sink_zero() {
        let p = accepted(
            &sim(),
            &source(
                "charge: { current: dut.standard_charge_current, to: dut.charge_voltage }, output: on",
            ),
        );
        assert_eq!(
            settings(&p, 0),
            &SourceSettings {
                current_limit: Some(50.0),
                sink_limit: Some(0.0),
                voltage: Some(56.6),
                output: Some(true),
            }
        );
    }

    #[test]
    fn a_discharge_shorthand_sets_the_sink_limit_and_current_limit_zero() {
        let p = accepted(&sim(), &source("discharge: { current: 30 A, to: 48 V }"));
        assert_eq!(
            settings(&p, 0),
            &SourceSettings {
                current_limit: Some(0.0),
                sink_limit: Some(30.0),
                voltage: Some(48.0),
                output: None,
            }
        );
    }

    #[test]
    fn a_shorthand_stands_alone() {
        let errors = refusals(
            &sim(),
            &source("voltage: 54 V, charge: { current: 10 A, to: 56 V }"),
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(
                "plan.yaml:6:38: `charge:` sets the voltage and both limits; it cannot be combined"
            ),
            "{errors:?}"
        );
        let both = "charge: { current: 10 A, to: 56 V }, discharge: { current: 10 A, to: 48 V }";
        let errors = refusals(&sim(), &source(both));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[1].contains("`discharge:` sets the voltage"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_shorthand_is_checked_against_its_directions_limit_and_the_voltage_range() {
        let errors = refusals(&sim(), &source("discharge: { current: 150 A, to: 40 V }"));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("the discharge current 150 A is above the envelope's maximum 100 A"),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("the target voltage 40 V is below the envelope's minimum 44.8 V"),
            "{errors:?}"
        );
    }

    #[test]
    fn limits_are_magnitudes_inside_the_envelope() {
        let errors = refusals(&sim(), &source("sink_limit: -5 A"));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:27: the sink limit is a magnitude and cannot be negative (hint: the direction is given by `current_limit` (into the pack) or `sink_limit` (out of it))"
            ]
        );
        let errors = refusals(&sim(), &source("current_limit: 101 A"));
        assert!(
            errors[0].contains("the current limit 101 A is above the envelope's maximum 100 A"),
            "{errors:?}"
        );
    }

    #[test]
    fn output_on_before_the_set_points_names_the_missing_ones() {
        let errors = refusals(&sim(), &source("voltage: 54 V, output: on"));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:38: the output is switched on before its set points are programmed: current_limit, sink_limit not set yet (hint: set `voltage`, `current_limit` and `sink_limit` (or `charge:`) in this or an earlier step)"
            ]
        );
    }

    #[test]
    fn set_points_of_earlier_steps_count() {
        let p = accepted(
            &sim(),
            &plan(
                "  - source: { current_limit: 10 A, sink_limit: 10 A }\n  - source: { voltage: 54 V, output: on }\n",
            ),
        );
        assert_eq!(settings(&p, 1).output, Some(true));
        // A refused set point is reported once: not again as a missing one.
        let errors = refusals(
            &sim(),
            &source("current_limit: 500 A, sink_limit: 10 A, voltage: 54 V, output: on"),
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    /// Issue 13 item 1: `charge: { current: -50 A }` validated, and the run sent
    /// `OUTP ON` with no voltage and no current limits.
    #[test]
    fn a_negative_shorthand_current_is_refused() {
        for (shorthand, word) in [("charge", "charge"), ("discharge", "discharge")] {
            let errors = refusals(
                &sim(),
                &source(&format!(
                    "{shorthand}: {{ current: -50 A, to: 50 V }}, output: on"
                )),
            );
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(
                errors[0].contains(&format!(
                    "the {word} current is a magnitude and cannot be negative"
                )),
                "{errors:?}"
            );
        }
    }

    /// A set point that resolved in an earlier step does not make up for one refused
    /// later: the plan is refused, once, at the refusal.
    #[test]
    fn a_refused_set_point_refuses_the_plan_once() {
        let steps = concat!(
            "  - source: { charge: { current: 10 A, to: 54 V } }\n",
            "  - source: { charge: { current: -10 A, to: 54 V } }\n",
            "  - source: { output: on }\n",
        );
        let errors = refusals(&sim(), &plan(steps));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("plan.yaml:7:34: the charge current is a magnitude"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_source_that_sets_nothing_is_refused() {
        let errors = refusals(&sim(), &plan("  - source: {}\n"));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:13: `source:` sets nothing (hint: write `voltage`, `current_limit`, `sink_limit`, `output`, `charge:` or `discharge:`)"
            ]
        );
    }

    #[test]
    fn output_is_on_or_off() {
        let p = accepted(&sim(), &source("output: off"));
        assert_eq!(settings(&p, 0).output, Some(false));
        let errors = refusals(&sim(), &source("output: maybe"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("`output: maybe` is neither on nor off"),
            "{errors:?}"
        );
    }

    #[test]
    fn programmed_set_points_and_what_is_missing() {
        let none = Programmed::default();
        let mut refused = none;
        refused.record(&SourceSettings {
            voltage: Some(54.0),
            ..SourceSettings::default()
        });
        assert_eq!(refused.missing(false), ["current_limit", "sink_limit"]);
        assert_eq!(
            none.missing(false),
            ["voltage", "current_limit", "sink_limit"]
        );
        assert_eq!(none.missing(true), ["sink_limit"]);
        let sink = Programmed {
            sink_limit: true,
            ..none
        };
        assert!(sink.missing(true).is_empty());
        assert_eq!(sink.missing(false), ["voltage", "current_limit"]);
    }

    #[test]
    fn a_direction_puts_the_current_on_its_own_limit() {
        let mut s = SourceSettings::default();
        Direction::Charge.apply(56.0, 20.0, &mut s);
        assert_eq!(
            (s.voltage, s.current_limit, s.sink_limit),
            (Some(56.0), Some(20.0), Some(0.0))
        );
        Direction::Discharge.apply(48.0, 30.0, &mut s);
        assert_eq!(
            (s.voltage, s.current_limit, s.sink_limit),
            (Some(48.0), Some(0.0), Some(30.0))
        );
    }

    #[test]
    fn a_load_bench_sinks_only() {
        let p = accepted(&load_bench(), &source("sink_limit: 50 A, output: on"));
        assert_eq!(settings(&p, 0).sink_limit, Some(50.0));
        let errors = refusals(
            &load_bench(),
            &source("charge: { current: 10 A, to: 56 V }"),
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("plan.yaml:6:23: the bench's `source` is an electronic load: it has no voltage set point and only sinks current"),
            "{errors:?}"
        );
        let errors = refusals(&load_bench(), &source("current_limit: 1 A"));
        assert!(
            errors[0].contains("the current limit 1 A is above the envelope's maximum 0 A")
                && errors[0].contains("an electronic load that cannot charge"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_bench_without_a_source_refuses_the_action() {
        let errors = refusals(&sim_without("source"), &source("voltage: 54 V"));
        assert_eq!(
            errors,
            vec!["plan.yaml:6:13: the bench `sim` has no source"]
        );
    }
}
