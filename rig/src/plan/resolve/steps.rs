//! Steps in the order they run: `repeat:` groups unrolled with their index, each step's
//! actions, wait, timeout and expectations.

use std::time::Duration;

use serde_saphyr::Spanned;

use super::names::RepeatIndex;
use super::resolver::Resolver;
use crate::diag::Problem;
use crate::plan::model::{Action, Expectation, Measurement, Step};
use crate::plan::raw::RawStep;
use crate::quantity::format_duration;

/// Most iterations one `repeat:` may have; more is surely a typo.
const MAX_REPEAT: u32 = 10_000;

/// The fields of a step that make it do something, as written, in the plan language's
/// order.
fn actions_written(raw: &RawStep) -> Vec<&'static str> {
    [
        ("source", raw.source.is_some()),
        ("relay", raw.relay.is_some()),
        ("chamber", raw.chamber.is_some()),
        ("inverter", raw.inverter.is_some()),
        ("rs485", raw.rs485.is_some()),
        ("rs232", raw.rs232.is_some()),
        ("ramp", raw.ramp.is_some()),
        ("wait", raw.wait.is_some()),
        ("expect", !raw.expect.is_empty()),
        ("measure", !raw.measure.is_empty()),
    ]
    .into_iter()
    .filter(|(_, written)| *written)
    .map(|(name, _)| name)
    .collect()
}

impl Resolver<'_> {
    pub(super) fn steps_of(&mut self, raw: &[Spanned<RawStep>], vars: &[RepeatIndex]) {
        for step in raw {
            if step.value.repeat.is_some() || step.value.steps.is_some() {
                self.group(step, vars);
            } else {
                self.step(step, vars);
            }
        }
    }

    /// `repeat: N` with `steps:`, unrolled N times with the index named by `as:`.
    fn group(&mut self, node: &Spanned<RawStep>, vars: &[RepeatIndex]) {
        let raw = &node.value;
        let at = Self::start_of(node);
        let Some(repeat) = &raw.repeat else {
            self.problems.push(
                Problem::at(self.file, at, "nested `steps:` need `repeat:`")
                    .help("write `repeat: 3` (and `as: trip` to name the index)"),
            );
            return;
        };
        let extra = actions_written(raw);
        if !extra.is_empty() {
            self.problems.push(
                Problem::at(
                    self.file,
                    at,
                    format!(
                        "a `repeat:` group holds only `name`, `repeat`, `as` and `steps`, not {}",
                        extra.join(", ")
                    ),
                )
                .help("move the actions into a step inside `steps:`"),
            );
        }
        let count = repeat.value;
        if count == 0 || count > MAX_REPEAT {
            self.problems.push(Problem::at(
                self.file,
                Self::start_of(repeat),
                format!("`repeat: {count}` must be between 1 and {MAX_REPEAT}"),
            ));
            return;
        }
        let Some(inner) = raw.steps.as_ref().filter(|s| !s.is_empty()) else {
            self.problems.push(Problem::at(
                self.file,
                at,
                "`repeat:` needs `steps:` to repeat",
            ));
            return;
        };
        let Ok(index) = self.index_name(raw.index.as_ref(), vars) else {
            return;
        };
        self.unroll(inner, count, index, vars);
    }

    /// The name `as:` gives the repeat index: a new plain word, not a channel's first
    /// word, `dut` or an enclosing index. `Err` once the problem is recorded.
    fn index_name(
        &mut self,
        name: Option<&Spanned<String>>,
        vars: &[RepeatIndex],
    ) -> Result<Option<String>, ()> {
        let Some(name) = name else { return Ok(None) };
        let word = name.value.as_str();
        let valid = word
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let taken = word == "dut"
            || self
                .channels
                .names()
                .any(|c| c.split('.').next() == Some(word))
            || vars.iter().any(|(v, _)| v == word);
        if valid && !taken {
            return Ok(Some(word.to_string()));
        }
        let span = self.span(name);
        self.problems.push(
            Problem::at(
                self.file,
                span,
                format!("`{word}` cannot name a repeat index"),
            )
            .help("use a new plain word, e.g. `trip`"),
        );
        Err(())
    }

    /// `inner` `count` times, with `index` (if named) from 1. Stops at the first
    /// iteration with a problem: the same mistake in every iteration would repeat the
    /// same message.
    fn unroll(
        &mut self,
        inner: &[Spanned<RawStep>],
        count: u32,
        index: Option<String>,
        vars: &[RepeatIndex],
    ) {
        for i in 1..=count {
            let mut scope: Vec<RepeatIndex> = vars.to_vec();
            if let Some(name) = &index {
                scope.push((name.clone(), i));
            }
            let before = self.problems.len();
            self.steps_of(inner, &scope);
            if self.problems.len() > before {
                break;
            }
        }
    }

    fn name_of(&mut self, raw: &RawStep, vars: &[RepeatIndex], number: usize) -> String {
        match &raw.name {
            Some(name) => self.interpolate(name, vars),
            None => format!("step {number}"),
        }
    }

    /// One step, appended to the plan's steps even with problems (so later steps keep
    /// their numbers).
    fn step(&mut self, node: &Spanned<RawStep>, vars: &[RepeatIndex]) {
        let raw = &node.value;
        let number = self.steps.len() + 1;
        let location = self.location(node);
        let name = self.name_of(raw, vars, number);
        let actions = self.actions(raw, vars);
        // After the actions: a `source:` of the same step programs what the ramp needs.
        let ramp = (raw.ramp.as_ref()).and_then(|r| self.ramp(r, vars));
        let wait = match &raw.wait {
            Some(w) => self.duration(w, vars, "`wait`").unwrap_or_default(),
            None => Duration::ZERO,
        };
        let ramp_length = ramp.as_ref().map_or(Duration::ZERO, |r| r.length());
        let timeout = self.step_timeout(raw, vars, wait.max(ramp_length));
        let expectations: Vec<Expectation> = raw
            .expect
            .iter()
            .filter_map(|e| self.expectation(e, vars))
            .collect();
        let measurements: Vec<Measurement> = raw
            .measure
            .iter()
            .filter_map(|m| self.measurement(m, vars))
            .collect();
        if actions_written(raw).is_empty() {
            self.problems.push(
                Problem::at(self.file, Self::start_of(node), format!("step `{name}` does nothing")).help(
                    "give it a `source:`, `relay:`, `chamber:`, `inverter:`, `rs485:`, `rs232:`, `ramp:`, `wait:`, `expect:` or `measure:`",
                ),
            );
        }
        self.steps.push(Step {
            number,
            name,
            location,
            actions,
            wait,
            expectations,
            measurements,
            ramp,
            timeout,
        });
    }

    /// The step's actions in the order the runner applies them.
    fn actions(&mut self, raw: &RawStep, vars: &[RepeatIndex]) -> Vec<Action> {
        let source = (raw.source.as_ref())
            .and_then(|s| self.source(s, vars))
            .map(Action::Source);
        let chamber = (raw.chamber.as_ref()).and_then(|c| self.chamber(c, vars));
        let relay = (raw.relay.as_ref()).and_then(|r| self.relay(r, vars));
        let inverter = (raw.inverter.as_ref()).and_then(|i| self.inverter(i));
        let rs485 = (raw.rs485.as_ref()).and_then(|c| self.rs485(c));
        let rs232 = (raw.rs232.as_ref()).and_then(|l| self.rs232(l));
        [source, chamber, relay, inverter, rs485, rs232]
            .into_iter()
            .flatten()
            .collect()
    }

    /// The step's `timeout`, which bounds the whole step: it must be longer than the
    /// `wait` (or the ramp, passed in its place when longer) and every expectation's
    /// window.
    fn step_timeout(
        &mut self,
        raw: &RawStep,
        vars: &[RepeatIndex],
        wait: Duration,
    ) -> Option<Duration> {
        let t = raw.timeout.as_ref()?;
        let limit = self.duration(t, vars, "the step `timeout`")?;
        let longest = raw
            .expect
            .iter()
            .filter_map(|e| e.value.within.as_ref().or(e.value.holds_for.as_ref()))
            .chain(
                (raw.measure.iter())
                    .filter_map(|m| m.value.within.as_ref().or(m.value.holds_for.as_ref())),
            )
            .filter_map(|w| self.quiet_duration(w, vars))
            .fold(wait, Duration::max);
        if longest > limit {
            let span = self.span(t);
            let (limit_s, longest_s) = (limit.as_secs_f64(), longest.as_secs_f64());
            self.problems.push(
                Problem::at(self.file, span, format!("the step's timeout {} is shorter than its longest window {}", format_duration(limit_s), format_duration(longest_s)))
                    .help("the timeout bounds the whole step; make it longer than every `within`, `for` and `wait`"),
            );
        }
        Some(limit)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{accepted, plan, refusals, sim};
    use super::*;

    #[test]
    fn a_repeat_unrolls_with_its_index() {
        let p = accepted(
            &sim(),
            &plan(concat!(
                "  - wait: 1 s\n",
                "  - repeat: 3\n",
                "    as: trip\n",
                "    steps:\n",
                "      - name: \"trip {trip}\"\n",
                "        wait: trip * 10 s\n",
            )),
        );
        let steps: Vec<(usize, &str, f64)> = (p.steps.iter())
            .map(|s| (s.number, s.name.as_str(), s.wait.as_secs_f64()))
            .collect();
        assert_eq!(
            steps,
            [
                (1, "step 1", 1.0),
                (2, "trip 1", 10.0),
                (3, "trip 2", 20.0),
                (4, "trip 3", 30.0)
            ]
        );
        assert_eq!(p.steps[3].location.to_string(), "plan.yaml:10:9");
    }

    #[test]
    fn nested_repeats_see_both_indices() {
        let p = accepted(
            &sim(),
            &plan(concat!(
                "  - repeat: 2\n",
                "    as: outer\n",
                "    steps:\n",
                "      - repeat: 2\n",
                "        as: inner\n",
                "        steps:\n",
                "          - name: \"{outer}.{inner}\"\n",
                "            wait: 1 s\n",
            )),
        );
        let names: Vec<&str> = p.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["1.1", "1.2", "2.1", "2.2"]);
    }

    #[test]
    fn a_repeat_stops_at_the_first_iteration_with_a_problem() {
        // The same mistake in each of 5 iterations is one problem, not five.
        let errors = refusals(
            &sim(),
            &plan("  - repeat: 5\n    steps:\n      - name: \"cycle {x}\"\n        wait: 1 s\n"),
        );
        assert_eq!(errors.len(), 1, "{errors:?}");
        // A problem in the second iteration only is found there.
        let errors = refusals(
            &sim(),
            &plan("  - repeat: 3\n    as: i\n    steps:\n      - wait: (2 - i) * 1 s\n"),
        );
        assert_eq!(
            errors,
            vec!["plan.yaml:9:15: `wait` must be longer than zero"]
        );
    }

    #[test]
    fn a_repeat_group_is_checked() {
        let cases = [
            (
                "  - repeat: 0\n    steps:\n      - wait: 1 s\n",
                "`repeat: 0` must be between 1 and 10000",
            ),
            (
                "  - repeat: 10001\n    steps:\n      - wait: 1 s\n",
                "`repeat: 10001` must be between 1 and 10000",
            ),
            ("  - repeat: 2\n", "`repeat:` needs `steps:` to repeat"),
            (
                "  - steps:\n      - wait: 1 s\n",
                "nested `steps:` need `repeat:`",
            ),
            (
                "  - repeat: 2\n    wait: 1 s\n    relay: { close: rsd }\n    steps:\n      - wait: 1 s\n",
                "a `repeat:` group holds only `name`, `repeat`, `as` and `steps`, not relay, wait",
            ),
        ];
        for (steps, wanted) in cases {
            let errors = refusals(&sim(), &plan(steps));
            assert_eq!(errors.len(), 1, "{steps}: {errors:?}");
            assert!(errors[0].contains(wanted), "{steps}: {errors:?}");
        }
    }

    #[test]
    fn a_repeat_index_is_a_new_plain_word() {
        for taken in ["dut", "bms", "relays", "2x", "i", "a-b"] {
            let errors = refusals(
                &sim(),
                &plan(&format!(
                    "  - repeat: 2\n    as: i\n    steps:\n      - repeat: 2\n        as: \"{taken}\"\n        steps:\n          - wait: 1 s\n"
                )),
            );
            assert_eq!(errors.len(), 1, "`{taken}` should be refused: {errors:?}");
            assert!(
                errors[0].contains(&format!("`{taken}` cannot name a repeat index")),
                "{errors:?}"
            );
        }
    }

    #[test]
    fn a_step_that_does_nothing_is_refused() {
        let errors = refusals(&sim(), &plan("  - name: idle\n"));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:5: step `idle` does nothing (hint: give it a `source:`, `relay:`, `chamber:`, `inverter:`, `rs485:`, `rs232:`, `ramp:`, `wait:`, `expect:` or `measure:`)"
            ]
        );
        let errors = refusals(&sim(), &plan("  - timeout: 1 min\n"));
        assert!(
            errors[0].contains("step `step 1` does nothing"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_step_timeout_must_outlast_its_longest_window() {
        let errors = refusals(&sim(), &plan("  - wait: 10 s\n    timeout: 5 s\n"));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:7:14: the step's timeout 5 s is shorter than its longest window 10 s (hint: the timeout bounds the whole step; make it longer than every `within`, `for` and `wait`)"
            ]
        );
        let steps = "  - timeout: 1 min\n    expect:\n      - { that: bms.charge_enable, within: 5 s }\n      - { that: bms.charge_enable, for: 2 min }\n";
        let errors = refusals(&sim(), &plan(steps));
        assert!(
            errors[0].contains("the step's timeout 60 s is shorter than its longest window 2 min"),
            "{errors:?}"
        );
        let p = accepted(&sim(), &plan(&steps.replace("1 min", "3 min")));
        assert_eq!(p.steps[0].timeout, Some(Duration::from_secs(180)));
    }

    #[test]
    fn actions_run_in_a_fixed_order() {
        let p = accepted(
            &sim(),
            &plan(
                "  - relay: { close: rsd }\n    inverter: { keepalive: on }\n    chamber: { run: true }\n    source: { output: off }\n",
            ),
        );
        let kinds: Vec<&str> = (p.steps[0].actions.iter())
            .map(|a| match a {
                Action::Source(_) => "source",
                Action::Chamber { .. } => "chamber",
                Action::Relay { .. } => "relay",
                Action::KeepAlive { .. } => "inverter",
                Action::Rs485(_) => "rs485",
                Action::Rs232 { .. } => "rs232",
            })
            .collect();
        assert_eq!(kinds, ["source", "chamber", "relay", "inverter"]);
    }
}
