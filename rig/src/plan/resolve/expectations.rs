//! `expect:` entries: a condition over channels that must become true `within:` a time
//! or stay true `for:` a time.

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
        let span = self.span(&raw.that);
        let window = match (&raw.within, &raw.holds_for) {
            (Some(w), None) => Window::Within(self.duration(w, vars, "`within`")?),
            (None, Some(f)) => Window::For(self.duration(f, vars, "`for`")?),
            _ => {
                self.problems.push(Problem::at(self.file, span, "an expectation needs exactly one of `within:` (becomes true within a time) or `for:` (stays true for a time)"));
                return None;
            }
        };
        let predicate = self.bind(&raw.that, vars)?;
        if predicate.ty != Type::Bool {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "`that:` must be a condition, but this is {}",
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
                None => raw.that.value.clone(),
            },
            text: raw.that.value.clone(),
            predicate,
            window,
            location,
        })
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(e.window, Window::Within(5.0));
        assert_eq!(e.location.to_string(), "plan.yaml:7:9");
    }

    #[test]
    fn without_a_name_the_condition_names_itself() {
        let p = accepted(&sim(), &expect("{ that: \"bms.soc >= 80 %\", for: 1 min }"));
        let e = &p.steps[0].expectations[0];
        assert_eq!(e.name, "bms.soc >= 80 %");
        assert_eq!(e.window, Window::For(60.0));
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
