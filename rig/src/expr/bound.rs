//! Expressions after binding: every name resolved to a constant or a channel, every
//! unit checked. The runner evaluates these against the latest channel values.

use std::fmt;

use super::ExprError;
use super::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::quantity::{Dim, Quantity};

/// Index of a channel in the run's channel table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub usize);

/// The type of an expression: a boolean or a number of some dimension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    Bool,
    Num(Dim),
}

impl Type {
    pub fn noun(self) -> &'static str {
        match self {
            Type::Bool => "true/false",
            Type::Num(dim) => dim.noun(),
        }
    }
}

/// A value of an expression or a channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Num(Quantity),
}

impl Value {
    pub fn ty(self) -> Type {
        match self {
            Value::Bool(_) => Type::Bool,
            Value::Num(q) => Type::Num(q.dim),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Num(q) => write!(f, "{q}"),
        }
    }
}

/// What a name stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum Binding {
    /// A DUT profile value or a repeat index: known before the run.
    Constant(Value),
    /// A channel sampled during the run.
    Channel { id: ChannelId, ty: Type },
}

/// Resolves names; the error is the message and an optional help line.
pub trait Scope {
    fn lookup(&self, path: &[String]) -> Result<Binding, (String, Option<String>)>;
}

#[derive(Clone, Debug, PartialEq)]
pub enum BoundKind {
    Const(Value),
    Channel { id: ChannelId, name: String },
    Unary(UnOp, Box<BoundExpr>),
    Binary(BinOp, Box<BoundExpr>, Box<BoundExpr>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct BoundExpr {
    pub kind: BoundKind,
    pub ty: Type,
}

impl BoundExpr {
    /// Bind names and check units. Sub-expressions without channels are folded.
    pub fn bind(expr: &Expr, scope: &dyn Scope) -> Result<BoundExpr, ExprError> {
        let bound = bind(expr, scope)?;
        Ok(bound.fold())
    }

    /// The value, when the expression refers to no channel.
    pub fn as_const(&self) -> Option<Value> {
        match self.kind {
            BoundKind::Const(v) => Some(v),
            _ => None,
        }
    }

    /// Channels the expression reads, each once, in first-use order.
    pub fn channels(&self) -> Vec<(ChannelId, String)> {
        let mut out: Vec<(ChannelId, String)> = Vec::new();
        self.collect_channels(&mut out);
        out
    }

    fn collect_channels(&self, out: &mut Vec<(ChannelId, String)>) {
        match &self.kind {
            BoundKind::Const(_) => {}
            BoundKind::Channel { id, name } => {
                if !out.iter().any(|(seen, _)| seen == id) {
                    out.push((*id, name.clone()));
                }
            }
            BoundKind::Unary(_, inner) => inner.collect_channels(out),
            BoundKind::Binary(_, lhs, rhs) => {
                lhs.collect_channels(out);
                rhs.collect_channels(out);
            }
        }
    }

    /// Evaluate with the current channel values; `None` while a channel has no value.
    pub fn eval(&self, channel: &dyn Fn(ChannelId) -> Option<Value>) -> Option<Value> {
        match &self.kind {
            BoundKind::Const(v) => Some(*v),
            BoundKind::Channel { id, .. } => channel(*id),
            BoundKind::Unary(op, inner) => apply_unary(*op, inner.eval(channel)?),
            BoundKind::Binary(BinOp::And, lhs, rhs) => {
                // Short-circuit so that `false and <no data>` is false, not unknown.
                match lhs.eval(channel)? {
                    Value::Bool(false) => Some(Value::Bool(false)),
                    _ => rhs.eval(channel),
                }
            }
            BoundKind::Binary(BinOp::Or, lhs, rhs) => match lhs.eval(channel)? {
                Value::Bool(true) => Some(Value::Bool(true)),
                _ => rhs.eval(channel),
            },
            BoundKind::Binary(op, lhs, rhs) => {
                apply_binary(*op, lhs.eval(channel)?, rhs.eval(channel)?)
            }
        }
    }

    fn fold(self) -> BoundExpr {
        let ty = self.ty;
        let kind = match self.kind {
            BoundKind::Unary(op, inner) => {
                let inner = inner.fold();
                match inner.as_const().and_then(|v| apply_unary(op, v)) {
                    Some(v) => BoundKind::Const(v),
                    None => BoundKind::Unary(op, Box::new(inner)),
                }
            }
            BoundKind::Binary(op, lhs, rhs) => {
                let (lhs, rhs) = (lhs.fold(), rhs.fold());
                match (lhs.as_const(), rhs.as_const()) {
                    (Some(a), Some(b)) => match apply_binary(op, a, b) {
                        Some(v) => BoundKind::Const(v),
                        None => BoundKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                    },
                    _ => BoundKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                }
            }
            other => other,
        };
        BoundExpr { kind, ty }
    }
}

fn apply_unary(op: UnOp, v: Value) -> Option<Value> {
    match (op, v) {
        (UnOp::Neg, Value::Num(q)) => Some(Value::Num(Quantity::new(-q.value, q.dim))),
        (UnOp::Not, Value::Bool(b)) => Some(Value::Bool(!b)),
        _ => None,
    }
}

fn apply_binary(op: BinOp, a: Value, b: Value) -> Option<Value> {
    use Value::{Bool, Num};
    Some(match (op, a, b) {
        (BinOp::And, Bool(x), Bool(y)) => Bool(x && y),
        (BinOp::Or, Bool(x), Bool(y)) => Bool(x || y),
        (BinOp::Eq, Bool(x), Bool(y)) => Bool(x == y),
        (BinOp::Ne, Bool(x), Bool(y)) => Bool(x != y),
        (BinOp::Eq, Num(x), Num(y)) => Bool(x.value == y.value),
        (BinOp::Ne, Num(x), Num(y)) => Bool(x.value != y.value),
        (BinOp::Lt, Num(x), Num(y)) => Bool(x.value < y.value),
        (BinOp::Le, Num(x), Num(y)) => Bool(x.value <= y.value),
        (BinOp::Gt, Num(x), Num(y)) => Bool(x.value > y.value),
        (BinOp::Ge, Num(x), Num(y)) => Bool(x.value >= y.value),
        (BinOp::Add, Num(x), Num(y)) => Num(Quantity::new(x.value + y.value, x.dim)),
        (BinOp::Sub, Num(x), Num(y)) => Num(Quantity::new(x.value - y.value, x.dim)),
        (BinOp::Mul, Num(x), Num(y)) => {
            Num(Quantity::new(x.value * y.value, x.dim.product(y.dim)?))
        }
        (BinOp::Div, Num(x), Num(y)) => {
            if y.value == 0.0 {
                return None;
            }
            let (dim, factor) = x.dim.quotient(y.dim)?;
            Num(Quantity::new(x.value / y.value * factor, dim))
        }
        _ => return None,
    })
}

fn bind(expr: &Expr, scope: &dyn Scope) -> Result<BoundExpr, ExprError> {
    let span = expr.span.clone();
    match &expr.kind {
        ExprKind::Quantity(q) => Ok(BoundExpr {
            kind: BoundKind::Const(Value::Num(*q)),
            ty: Type::Num(q.dim),
        }),
        ExprKind::Bool(b) => Ok(BoundExpr {
            kind: BoundKind::Const(Value::Bool(*b)),
            ty: Type::Bool,
        }),
        ExprKind::Name(path) => match scope.lookup(path) {
            Ok(Binding::Constant(v)) => Ok(BoundExpr {
                kind: BoundKind::Const(v),
                ty: v.ty(),
            }),
            Ok(Binding::Channel { id, ty }) => Ok(BoundExpr {
                kind: BoundKind::Channel {
                    id,
                    name: path.join("."),
                },
                ty,
            }),
            Err((message, help)) => {
                let err = ExprError::new(span, message);
                Err(match help {
                    Some(h) => err.with_help(h),
                    None => err,
                })
            }
        },
        ExprKind::Unary(op, inner) => {
            let inner = bind(inner, scope)?;
            let ty = match (op, inner.ty) {
                (UnOp::Not, Type::Bool) => Type::Bool,
                (UnOp::Neg, Type::Num(d)) => Type::Num(d),
                (UnOp::Not, other) => {
                    return Err(ExprError::new(
                        span,
                        format!("`not` needs true/false, found {}", other.noun()),
                    ));
                }
                (UnOp::Neg, Type::Bool) => {
                    return Err(
                        ExprError::new(span, "cannot negate true/false").with_help("use `not`")
                    );
                }
            };
            Ok(BoundExpr {
                kind: BoundKind::Unary(*op, Box::new(inner)),
                ty,
            })
        }
        ExprKind::Binary(op, lhs, rhs) => {
            let (l, r) = (bind(lhs, scope)?, bind(rhs, scope)?);
            let ty = binary_type(*op, l.ty, r.ty).map_err(|msg| {
                ExprError::new(span.clone(), msg).with_help(unit_hint(l.ty, r.ty))
            })?;
            Ok(BoundExpr {
                kind: BoundKind::Binary(*op, Box::new(l), Box::new(r)),
                ty,
            })
        }
    }
}

fn unit_hint(l: Type, r: Type) -> String {
    match (l, r) {
        (Type::Num(a), Type::Num(Dim::Number)) if a != Dim::Number => {
            format!("give the number a unit, e.g. `{}`", a.example())
        }
        (Type::Num(a), Type::Num(b)) if a != b => format!(
            "the left side is {} (in {}), so the right side must be too, e.g. `{}`",
            a.noun(),
            a.base_unit(),
            a.example()
        ),
        _ => {
            "compare numbers with numbers of the same unit, and combine true/false with `and`/`or`"
                .into()
        }
    }
}

fn binary_type(op: BinOp, l: Type, r: Type) -> Result<Type, String> {
    use Type::{Bool, Num};
    match op {
        BinOp::And | BinOp::Or => match (l, r) {
            (Bool, Bool) => Ok(Bool),
            _ => Err(format!(
                "`{}` joins true/false conditions, found {} and {}",
                op.symbol(),
                l.noun(),
                r.noun()
            )),
        },
        BinOp::Eq | BinOp::Ne => match (l, r) {
            (Bool, Bool) => Ok(Bool),
            (Num(a), Num(b)) if a == b => Ok(Bool),
            _ => Err(format!("cannot compare {} with {}", l.noun(), r.noun())),
        },
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => match (l, r) {
            (Num(a), Num(b)) if a == b => Ok(Bool),
            _ => Err(format!("cannot compare {} with {}", l.noun(), r.noun())),
        },
        BinOp::Add | BinOp::Sub => match (l, r) {
            (Num(a), Num(b)) if a == b => Ok(Num(a)),
            _ => Err(format!(
                "cannot {} {} and {}",
                if op == BinOp::Add { "add" } else { "subtract" },
                l.noun(),
                r.noun()
            )),
        },
        BinOp::Mul => match (l, r) {
            (Num(a), Num(b)) => a.product(b).map(Num),
            _ => None,
        }
        .ok_or_else(|| {
            format!(
                "cannot multiply {} by {}; one side must be a plain number (or a current times a voltage, a power)",
                l.noun(),
                r.noun()
            )
        }),
        BinOp::Div => match (l, r) {
            (Num(a), Num(b)) => a.quotient(b).map(|(d, _)| Num(d)),
            _ => None,
        }
        .ok_or_else(|| format!("cannot divide {} by {}", l.noun(), r.noun())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    /// `dut.cocp.trip_current` = 75 A, `trip` = 2, channels `bms.soc` (%) and
    /// `bms.charge_enable` (bool).
    struct TestScope;

    impl Scope for TestScope {
        fn lookup(&self, path: &[String]) -> Result<Binding, (String, Option<String>)> {
            let joined = path.join(".");
            match joined.as_str() {
                "dut.cocp.trip_current" => Ok(Binding::Constant(Value::Num(Quantity::new(
                    75.0,
                    Dim::Current,
                )))),
                "trip" => Ok(Binding::Constant(Value::Num(Quantity::new(
                    2.0,
                    Dim::Number,
                )))),
                "bms.soc" => Ok(Binding::Channel {
                    id: ChannelId(0),
                    ty: Type::Num(Dim::Percent),
                }),
                "bms.charge_enable" => Ok(Binding::Channel {
                    id: ChannelId(1),
                    ty: Type::Bool,
                }),
                _ => Err((format!("unknown name `{joined}`"), None)),
            }
        }
    }

    fn bound(src: &str) -> Result<BoundExpr, ExprError> {
        BoundExpr::bind(&parse(src).unwrap(), &TestScope)
    }

    #[test]
    fn dut_arithmetic_folds_to_a_constant() {
        let e = bound("dut.cocp.trip_current + 5 A").unwrap();
        assert_eq!(
            e.as_const(),
            Some(Value::Num(Quantity::new(80.0, Dim::Current)))
        );
        // A charge per time is a current; a current times a voltage a power.
        let e = bound("0.2 * 100 Ah / 1 h").unwrap();
        assert_eq!(
            e.as_const(),
            Some(Value::Num(Quantity::new(20.0, Dim::Current)))
        );
        let e = bound("20 A * 50 V").unwrap();
        assert_eq!(
            e.as_const(),
            Some(Value::Num(Quantity::new(1000.0, Dim::Power)))
        );
        assert!(bound("1 h / 100 Ah").is_err());
        // A charge per current is the time it lasts: 100 Ah at 0.5 C, 2 h.
        let e = bound("100 Ah / (0.5 * 100 Ah / 1 h)").unwrap();
        assert_eq!(
            e.as_const(),
            Some(Value::Num(Quantity::new(7200.0, Dim::Time)))
        );
        let e = bound("1 kWh / 500 W").unwrap();
        assert_eq!(
            e.as_const(),
            Some(Value::Num(Quantity::new(7200.0, Dim::Time)))
        );
        assert!(bound("50 A / 100 Ah").is_err());
        let e = bound("trip * 10 s").unwrap();
        assert_eq!(
            e.as_const(),
            Some(Value::Num(Quantity::new(20.0, Dim::Time)))
        );
    }

    #[test]
    fn volts_where_amps_belong_is_rejected_with_a_hint() {
        let err = bound("dut.cocp.trip_current + 5 V").unwrap_err();
        assert_eq!(err.message, "cannot add a current and a voltage");
        assert_eq!(err.span, 0..27);
        assert!(err.help.unwrap().contains("50 A"));
        let err = bound("bms.soc > 80").unwrap_err();
        assert!(err.help.unwrap().contains("80 %"));
    }

    #[test]
    fn unknown_names_are_errors_at_their_span() {
        let err = bound("bms.soc > 80 % and bms.nope").unwrap_err();
        assert_eq!(err.span, 19..27);
    }

    #[test]
    fn evaluation_uses_channel_values_and_short_circuits() {
        let e = bound("bms.soc >= 80 % and bms.charge_enable").unwrap();
        assert_eq!(e.ty, Type::Bool);
        let values = |id: ChannelId| match id.0 {
            0 => Some(Value::Num(Quantity::new(85.0, Dim::Percent))),
            1 => Some(Value::Bool(true)),
            _ => None,
        };
        assert_eq!(e.eval(&values), Some(Value::Bool(true)));
        let low = |id: ChannelId| match id.0 {
            0 => Some(Value::Num(Quantity::new(50.0, Dim::Percent))),
            _ => None,
        };
        assert_eq!(e.eval(&low), Some(Value::Bool(false)));
        let nothing = |_: ChannelId| None;
        assert_eq!(e.eval(&nothing), None);
        assert_eq!(e.channels().len(), 2);
    }

    #[test]
    fn not_requires_a_condition() {
        assert!(bound("not bms.soc").is_err());
        assert_eq!(bound("not bms.charge_enable").unwrap().ty, Type::Bool);
    }
}
