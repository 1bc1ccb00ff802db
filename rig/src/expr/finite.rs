//! Numbers an expression computes must be numbers. A division by zero or an overflow
//! (`1e300 V * 1e300`) has no value: in a constant part it is refused where it is
//! written, and on readings it is the rig's error, never a verdict on the DUT (the
//! binder leaves `x / 0` unfolded, and the evaluator has no value for it, which an
//! expectation would take for a silent channel).
//!
//! Both checks walk the tree and evaluate each node on its own; trees are at most
//! [`crate::input::MAX_EXPRESSION_DEPTH`] deep and short, so the repeated work is small.

use super::ExprError;
use super::ast::{BinOp, Expr, ExprKind};
use super::bound::{BoundExpr, BoundKind, ChannelId, Scope, Value};

/// The first constant part of `expr` that is a division by zero or not a finite number,
/// as an error at its place. `expr` must bind in `scope`.
pub fn check_constants(expr: &Expr, scope: &dyn Scope) -> Result<(), ExprError> {
    let constant = |e: &Expr| BoundExpr::bind(e, scope).ok().and_then(|b| b.as_const());
    match &expr.kind {
        ExprKind::Unary(_, inner) => check_constants(inner, scope)?,
        ExprKind::Binary(op, lhs, rhs) => {
            check_constants(lhs, scope)?;
            check_constants(rhs, scope)?;
            if *op == BinOp::Div
                && let Some(Value::Num(q)) = constant(rhs)
                && q.value == 0.0
            {
                return Err(ExprError::new(rhs.span.clone(), "division by zero")
                    .with_help("the divisor is zero before the run starts"));
            }
        }
        ExprKind::Quantity(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
    }
    match constant(expr) {
        Some(Value::Num(q)) if !q.value.is_finite() => Err(ExprError::new(
            expr.span.clone(),
            "this is too large to be a number",
        )
        .with_help("the value overflows; check the exponent and the unit prefix")),
        _ => Ok(()),
    }
}

/// Whether `expr`, on these channel values, divides by zero or computes a number that is
/// not finite anywhere in its tree (a reading that is not finite counts too).
pub fn undefined(expr: &BoundExpr, channel: &dyn Fn(ChannelId) -> Option<Value>) -> bool {
    let not_finite =
        |e: &BoundExpr| matches!(e.eval(channel), Some(Value::Num(q)) if !q.value.is_finite());
    if not_finite(expr) {
        return true;
    }
    match &expr.kind {
        BoundKind::Const(_) | BoundKind::Channel { .. } => false,
        BoundKind::Unary(_, inner) => undefined(inner, channel),
        BoundKind::Binary(op, lhs, rhs) => {
            let zero_divisor = *op == BinOp::Div
                && matches!(rhs.eval(channel), Some(Value::Num(q)) if q.value == 0.0);
            zero_divisor || undefined(lhs, channel) || undefined(rhs, channel)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{Binding, Type, parse};
    use crate::quantity::{Dim, Quantity};

    /// `dut.zero` = 0 A, `dut.big` = 1e300 A; channels `source.current` (A) and
    /// `source.voltage` (V).
    struct TestScope;

    impl Scope for TestScope {
        fn lookup(&self, path: &[String]) -> Result<Binding, (String, Option<String>)> {
            let amps = |v| {
                Ok(Binding::Constant(Value::Num(Quantity::new(
                    v,
                    Dim::Current,
                ))))
            };
            match path.join(".").as_str() {
                "dut.zero" => amps(0.0),
                "dut.big" => amps(1e300),
                "source.current" => Ok(Binding::Channel {
                    id: ChannelId(0),
                    ty: Type::Num(Dim::Current),
                }),
                "source.voltage" => Ok(Binding::Channel {
                    id: ChannelId(1),
                    ty: Type::Num(Dim::Voltage),
                }),
                other => Err((format!("unknown `{other}`"), None)),
            }
        }
    }

    fn check(src: &str) -> Result<(), ExprError> {
        let parsed = parse(src).unwrap();
        BoundExpr::bind(&parsed, &TestScope).unwrap();
        check_constants(&parsed, &TestScope)
    }

    #[test]
    fn a_constant_zero_divisor_is_refused_at_the_divisor() {
        let err = check("source.current / 0 > 1 A").unwrap_err();
        assert_eq!(
            (err.span, err.message.as_str()),
            (17..18, "division by zero")
        );
        let err = check("source.current / (dut.zero / 1 A) > 1 A").unwrap_err();
        assert_eq!(err.span, 17..33);
        assert!(check("source.current / 2 > 1 A").is_ok());
        assert!(check("source.current / (source.current / 1 A) > 1 A").is_ok());
    }

    #[test]
    fn a_constant_that_overflows_is_refused_where_it_overflows() {
        let err = check("source.current < dut.big * 1e300").unwrap_err();
        assert_eq!(err.span, 17..32);
        assert_eq!(err.message, "this is too large to be a number");
        assert!(check("source.current < dut.big").is_ok());
    }

    #[test]
    fn on_readings_a_zero_divisor_or_an_infinite_reading_is_undefined() {
        let bound = |src: &str| BoundExpr::bind(&parse(src).unwrap(), &TestScope).unwrap();
        let e = bound("source.current / (source.voltage / 1 V) > 1 A");
        let reading = |amps: f64, volts: f64| {
            move |id: ChannelId| {
                Some(Value::Num(match id.0 {
                    0 => Quantity::new(amps, Dim::Current),
                    _ => Quantity::new(volts, Dim::Voltage),
                }))
            }
        };
        assert!(!undefined(&e, &reading(5.0, 2.0)));
        assert!(undefined(&e, &reading(5.0, 0.0)));
        assert!(undefined(&e, &reading(f64::INFINITY, 2.0)));
        assert!(undefined(&e, &reading(f64::NAN, 2.0)));
        assert!(!undefined(&e, &|_| None), "no reading yet is not undefined");
    }
}
