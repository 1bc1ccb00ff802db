//! Expressions in plan fields: bound against the plan's names, and the constants with
//! units that set points, windows and timeouts must be (`56 V`,
//! `dut.cocp.trip_delay + 3 s`), known before the run.

use serde_saphyr::Spanned;

use super::names::RepeatIndex;
use super::resolver::Resolver;
use crate::diag::Problem;
use crate::expr::{self, BoundExpr, Type, Value};
use crate::quantity::Dim;

impl Resolver<'_> {
    /// Parse and bind an expression; problems are recorded.
    pub(super) fn bind(
        &mut self,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
    ) -> Option<BoundExpr> {
        let span = self.span(field);
        let bound = expr::parse(&field.value)
            .and_then(|parsed| BoundExpr::bind(&parsed, &self.scope(vars)));
        match bound {
            Ok(b) => Some(b),
            Err(e) => {
                let p = self.expr_problem(span, e);
                self.problems.push(p);
                None
            }
        }
    }

    /// A constant of the given dimension, known before the run, in its base unit.
    pub(super) fn constant(
        &mut self,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
        dim: Dim,
        what: &str,
    ) -> Option<f64> {
        let bound = self.bind(field, vars)?;
        let span = self.span(field);
        let problem = match (bound.as_const(), bound.ty) {
            (Some(Value::Num(q)), Type::Num(d)) if d == dim => return Some(q.value),
            (_, Type::Num(Dim::Number)) if dim != Dim::Number => {
                Problem::at(self.file, span, format!("{what} needs a unit"))
                    .label(format!("{} without a unit", field.value))
                    .help(format!(
                        "{what} is {}, e.g. `{}`",
                        dim.noun(),
                        dim.example()
                    ))
            }
            (None, _) => Problem::at(
                self.file,
                span,
                format!("{what} must be known before the run"),
            )
            .help("set points may use numbers, `dut.*` values and repeat indices, not channels"),
            (_, ty) => Problem::at(
                self.file,
                span,
                format!("{what} must be {}, not {}", dim.noun(), ty.noun()),
            )
            .label(format!("this is {}", ty.noun()))
            .help(format!("e.g. `{}`", dim.example())),
        };
        self.problems.push(problem);
        None
    }

    /// A time longer than zero, in seconds.
    pub(super) fn duration(
        &mut self,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
        what: &str,
    ) -> Option<f64> {
        let s = self.constant(field, vars, Dim::Time, what)?;
        if s <= 0.0 {
            let span = self.span(field);
            self.problems.push(Problem::at(
                self.file,
                span,
                format!("{what} must be longer than zero"),
            ));
            return None;
        }
        Some(s)
    }

    /// A duration without reporting problems (they are reported where the field is used).
    pub(super) fn quiet_duration(
        &self,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
    ) -> Option<f64> {
        let parsed = expr::parse(&field.value).ok()?;
        match BoundExpr::bind(&parsed, &self.scope(vars))
            .ok()?
            .as_const()?
        {
            Value::Num(q) if q.dim == Dim::Time => Some(q.value),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{accepted, plan, refusals, sim};
    use crate::plan::model::Action;

    fn relay_pulse(length: &str) -> String {
        plan(&format!(
            "  - relay: {{ pulse: reset_button, for: \"{length}\" }}\n"
        ))
    }

    fn pulse_seconds(length: &str) -> f64 {
        let p = accepted(&sim(), &relay_pulse(length));
        match &p.steps[0].actions[0] {
            Action::Relay {
                op: crate::plan::RelayOp::Pulse { seconds },
                ..
            } => *seconds,
            other => panic!("not a pulse: {other:?}"),
        }
    }

    #[test]
    fn constants_are_in_base_units_and_may_use_dut_values() {
        assert_eq!(pulse_seconds("500 ms"), 0.5);
        assert_eq!(pulse_seconds("2 min"), 120.0);
        assert_eq!(pulse_seconds("dut.cocp.trip_delay + 3 s"), 5.0);
    }

    #[test]
    fn a_number_without_its_unit_is_refused_with_an_example() {
        let errors = refusals(&sim(), &relay_pulse("8"));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:41: the pulse length needs a unit: 8 without a unit (hint: the pulse length is a duration, e.g. `30 s`)"
            ]
        );
    }

    #[test]
    fn a_quantity_of_another_dimension_is_refused() {
        let errors = refusals(&sim(), &relay_pulse("8 V"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0]
                .contains("the pulse length must be a duration, not a voltage: this is a voltage"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_set_point_may_not_read_a_channel() {
        let errors = refusals(&sim(), &relay_pulse("chamber.temperature"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("the pulse length must be known before the run"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_duration_must_be_longer_than_zero() {
        let errors = refusals(&sim(), &relay_pulse("0 s"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("the pulse length must be longer than zero"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_syntax_error_is_located_inside_the_field() {
        let errors = refusals(&sim(), &relay_pulse("5 secs"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("plan.yaml:6:43: unknown unit `secs`"),
            "{errors:?}"
        );
    }
}
