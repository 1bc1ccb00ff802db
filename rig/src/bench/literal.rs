//! Bench values are literals with units (`120 V`, `2 s`, `-40 degC`): parsed with the
//! plan's expression syntax, but with no names to refer to.

use serde_saphyr::Spanned;

use crate::diag::{Problem, SourceFile, Span};
use crate::expr::{self, Scope, Value};
use crate::quantity::Dim;

struct NoNames;

impl Scope for NoNames {
    fn lookup(&self, path: &[String]) -> Result<expr::Binding, (String, Option<String>)> {
        Err((
            format!("`{}`: bench values are literals", path.join(".")),
            None,
        ))
    }
}

/// A literal of the given dimension from a bench field; `what` names the field in
/// messages (`` `max_voltage` ``).
pub(super) fn quantity(
    file: &SourceFile,
    field: &Spanned<String>,
    dim: Dim,
    what: &str,
) -> Result<f64, Problem> {
    let span = Span::of_scalar(&field.referenced, &file.text);
    let located = |e: expr::ExprError| {
        let mut p = Problem::at(file, span.slice(e.span.clone()), e.message);
        if let Some(h) = e.help {
            p = p.help(h);
        }
        p
    };
    let bound = expr::compile(&field.value, &NoNames).map_err(located)?;
    match bound.as_const() {
        Some(Value::Num(q)) if q.dim == dim => Ok(q.value),
        Some(other) => Err(Problem::at(
            file,
            span,
            format!("{what} must be {}, found {}", dim.noun(), other.ty().noun()),
        )
        .help(format!("e.g. `{}`", dim.example()))),
        None => Err(Problem::at(file, span, format!("{what} is not a constant"))),
    }
}
