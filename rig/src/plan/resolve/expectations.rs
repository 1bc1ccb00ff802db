//! `expect:` entries: a condition over channels that must become true `within:` a time
//! (and, with `after:`, not before another), stay true `for:` a time, or (`never:`) not
//! become true `for:` a time.

use serde_saphyr::Spanned;

use super::names::RepeatIndex;
use super::resolver::Resolver;
use crate::diag::Problem;
use crate::expr::Type;
use crate::plan::model::{Expectation, Window};
use crate::plan::raw::RawExpectation;

impl Resolver<'_> {
    pub(super) fn expectation(
        &mut self,
        node: &Spanned<RawExpectation>,
        vars: &[RepeatIndex],
    ) -> Option<Expectation> {
        let raw = &node.value;
        let location = self.location(node);
        let condition = self.condition_field(node)?;
        let span = self.span(condition);
        let window = self.window(raw, condition, vars)?;
        let predicate = self.bind(condition, vars)?;
        if predicate.ty != Type::Bool {
            let key = if raw.never.is_some() { "never" } else { "that" };
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "`{key}:` must be a condition, but this is {}",
                        predicate.ty.noun()
                    ),
                )
                .help("compare it, e.g. `bms.soc >= 80 %`"),
            );
            return None;
        }
        if predicate.channels().is_empty() {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    "this condition reads no channel, so it can never fail or never pass",
                )
                .help("refer to a channel such as `bms.charge_enable`"),
            );
            return None;
        }
        Some(Expectation {
            name: match &raw.name {
                Some(n) => self.interpolate(n, vars),
                None => condition.value.clone(),
            },
            text: condition.value.clone(),
            predicate,
            window,
            location,
        })
    }

    /// The condition: `that:` or `never:`, exactly one.
    fn condition_field<'n>(
        &mut self,
        node: &'n Spanned<RawExpectation>,
    ) -> Option<&'n Spanned<String>> {
        match (&node.value.that, &node.value.never) {
            (Some(c), None) | (None, Some(c)) => Some(c),
            _ => {
                let span = Self::start_of(node);
                self.problems.push(Problem::at(
                    self.file,
                    span,
                    "an expectation needs exactly one of `that:` (a condition that must become or stay true) or `never:` (one that must not become true)",
                ));
                None
            }
        }
    }

    /// The window: `within:` (with `after:` perhaps) or `for:`; `never:` takes `for:`.
    fn window(
        &mut self,
        raw: &RawExpectation,
        condition: &Spanned<String>,
        vars: &[RepeatIndex],
    ) -> Option<Window> {
        let span = self.span(condition);
        let never = raw.never.is_some();
        let refuse = |r: &mut Self, span, text: &str| {
            r.problems.push(Problem::at(r.file, span, text.to_string()));
            None
        };
        match (&raw.within, &raw.holds_for, &raw.after) {
            (Some(_), None, _) if never => refuse(
                self,
                span,
                "`never:` needs `for:` (the time over which the condition must not become true), not `within:`",
            ),
            (None, Some(_), Some(a)) => {
                let span = self.span(a);
                refuse(
                    self,
                    span,
                    "`after:` goes only with `within:`: the condition must not be true before `after` and must be by `within`",
                )
            }
            (Some(w), None, None) => Some(Window::Within(self.duration(w, vars, "`within`")?)),
            (Some(w), None, Some(a)) => self.within_after(w, a, vars),
            (None, Some(f), None) if never => Some(Window::Never(self.duration(f, vars, "`for`")?)),
            (None, Some(f), None) => Some(Window::For(self.duration(f, vars, "`for`")?)),
            _ => refuse(
                self,
                span,
                "an expectation needs exactly one of `within:` (becomes true within a time) or `for:` (stays true for a time)",
            ),
        }
    }

    /// `after: A` with `within: W`: both durations, A shorter than W.
    fn within_after(
        &mut self,
        within: &Spanned<String>,
        after: &Spanned<String>,
        vars: &[RepeatIndex],
    ) -> Option<Window> {
        let within_d = self.duration(within, vars, "`within`");
        let after_d = self.duration(after, vars, "`after`");
        let (within_d, after_d) = (within_d?, after_d?);
        if after_d >= within_d {
            let span = self.span(after);
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "`after` ({}) must be shorter than `within` ({})",
                        crate::quantity::format_duration(after_d.as_secs_f64()),
                        crate::quantity::format_duration(within_d.as_secs_f64())
                    ),
                )
                .help("the condition must not be true before `after` and must be true by `within`"),
            );
            return None;
        }
        Some(Window::WithinAfter {
            after: after_d,
            within: within_d,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_support::{accepted, plan, refusals, sim};
    use super::*;

    fn expect(entry: &str) -> String {
        plan(&format!("  - expect:\n      - {entry}\n"))
    }

    #[test]
    fn a_condition_with_a_window_and_a_name() {
        let p = accepted(
            &sim(),
            &expect("{ name: charging allowed, that: bms.charge_enable, within: 5 s }"),
        );
        let e = &p.steps[0].expectations[0];
        assert_eq!(e.name, "charging allowed");
        assert_eq!(e.text, "bms.charge_enable");
        assert_eq!(e.window, Window::Within(Duration::from_secs(5)));
        assert_eq!(e.location.to_string(), "plan.yaml:7:9");
    }

    #[test]
    fn without_a_name_the_condition_names_itself() {
        let p = accepted(&sim(), &expect("{ that: \"bms.soc >= 80 %\", for: 1 min }"));
        let e = &p.steps[0].expectations[0];
        assert_eq!(e.name, "bms.soc >= 80 %");
        assert_eq!(e.window, Window::For(Duration::from_secs(60)));
    }

    #[test]
    fn exactly_one_window() {
        for entry in [
            "{ that: bms.charge_enable }",
            "{ that: bms.charge_enable, within: 1 s, for: 1 s }",
        ] {
            let errors = refusals(&sim(), &expect(entry));
            assert_eq!(errors.len(), 1, "{entry}: {errors:?}");
            assert!(
                errors[0].contains("an expectation needs exactly one of `within:`"),
                "{errors:?}"
            );
        }
    }

    #[test]
    fn after_and_within_make_a_window_with_two_ends() {
        let p = accepted(
            &sim(),
            &expect("{ that: bms.charge_enable, after: 1 s, within: 4 s }"),
        );
        assert_eq!(
            p.steps[0].expectations[0].window,
            Window::WithinAfter {
                after: Duration::from_secs(1),
                within: Duration::from_secs(4)
            }
        );
        let errors = refusals(
            &sim(),
            &expect("{ that: bms.charge_enable, after: 4 s, within: 4 s }"),
        );
        assert_eq!(
            errors,
            vec![
                "plan.yaml:7:43: `after` (4 s) must be shorter than `within` (4 s) (hint: the condition must not be true before `after` and must be true by `within`)"
            ]
        );
        let errors = refusals(
            &sim(),
            &expect("{ that: bms.charge_enable, after: 1 s, for: 4 s }"),
        );
        assert_eq!(
            errors,
            vec![
                "plan.yaml:7:43: `after:` goes only with `within:`: the condition must not be true before `after` and must be by `within`"
            ]
        );
    }

    #[test]
    fn never_takes_a_for_window() {
        let p = accepted(
            &sim(),
            &expect("{ name: no trip, never: bms.protection_charge_overcurrent, for: 10 min }"),
        );
        let e = &p.steps[0].expectations[0];
        assert_eq!(e.window, Window::Never(Duration::from_secs(600)));
        assert_eq!(e.text, "bms.protection_charge_overcurrent");
        let errors = refusals(
            &sim(),
            &expect("{ never: bms.protection_charge_overcurrent, within: 1 s }"),
        );
        assert_eq!(
            errors,
            vec![
                "plan.yaml:7:18: `never:` needs `for:` (the time over which the condition must not become true), not `within:`"
            ]
        );
        let errors = refusals(
            &sim(),
            &expect("{ that: bms.charge_enable, never: bms.charge_enable, for: 1 s }"),
        );
        assert_eq!(
            errors,
            vec![
                "plan.yaml:7:9: an expectation needs exactly one of `that:` (a condition that must become or stay true) or `never:` (one that must not become true)"
            ]
        );
        let errors = refusals(&sim(), &expect("{ never: bms.soc, for: 1 s }"));
        assert!(
            errors[0].contains("`never:` must be a condition, but this is a percentage"),
            "{errors:?}"
        );
    }

    #[test]
    fn the_condition_must_be_a_condition_over_a_channel() {
        let errors = refusals(&sim(), &expect("{ that: bms.soc, within: 1 s }"));
        assert!(
            errors[0].contains("`that:` must be a condition, but this is a percentage"),
            "{errors:?}"
        );
        let errors = refusals(
            &sim(),
            &expect("{ that: \"dut.cocp.trip_current > 1 A\", within: 1 s }"),
        );
        assert!(
            errors[0].contains("this condition reads no channel"),
            "{errors:?}"
        );
    }
}
