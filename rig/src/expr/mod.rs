//! The expression language of plans: `dut.cocp.trip_current + 5 A`,
//! `bms.charge_current_limit == 0 A and not dio.charge_enable`.
//!
//! Hand-written because no maintained crate combines physical units, dotted references
//! to DUT profile values and channels, and byte spans for error messages. Parsing gives
//! an [`ast::Expr`]; binding against a [`Scope`] checks every name and unit and folds
//! constants into a [`bound::BoundExpr`], which the runner evaluates against channel
//! values.

pub mod ast;
pub mod bound;
mod finite;
mod lexer;
mod parser;

pub use ast::{BinOp, Expr, ExprKind, UnOp};
pub use bound::{Binding, BoundExpr, ChannelId, Scope, Type, Value};
pub use finite::{check_constants, undefined};
pub use parser::parse;

/// Parse and bind an expression from an input file, refusing constant parts that are
/// no number (a division by zero, an overflow): the entry point for plans, profiles and
/// bench files.
pub fn compile(src: &str, scope: &dyn Scope) -> Result<BoundExpr, ExprError> {
    let parsed = parse(src)?;
    let bound = BoundExpr::bind(&parsed, scope)?;
    check_constants(&parsed, scope)?;
    Ok(bound)
}

use std::ops::Range;

/// A problem in one expression, located by byte range within the expression text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl ExprError {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}
