//! Recursive-descent parser. Precedence, lowest first: `or`, `and`, `not`, comparisons,
//! `+ -`, `* /`, unary `-`.
//!
//! Input is bounded before anything recurses: the text's length, the nesting the parser
//! descends into (parentheses, `not`, unary minus) and the depth of the finished tree
//! (which long chains of operators also make deep), each refused at the place it
//! exceeds its bound. Binding, folding and evaluation recurse over the tree, so its
//! depth is what keeps them on the stack.

use std::ops::Range;

use super::ExprError;
use super::ast::{BinOp, Expr, ExprKind, UnOp};
use super::lexer::{Tok, lex};
use crate::input::{MAX_EXPRESSION_BYTES, MAX_EXPRESSION_DEPTH};

/// Parse one expression; the whole text must be consumed.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    if src.len() > MAX_EXPRESSION_BYTES {
        return Err(ExprError::new(
            MAX_EXPRESSION_BYTES..src.len(),
            format!(
                "the expression is {} bytes long; at most {MAX_EXPRESSION_BYTES}",
                src.len()
            ),
        )
        .with_help("name the value in the DUT profile instead"));
    }
    let tokens = lex(src)?;
    if tokens.is_empty() {
        return Err(ExprError::new(0..src.len(), "empty expression"));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        end: src.len(),
        nesting: 0,
    };
    let expr = p.or()?;
    check_depth(&expr)?;
    if let Some((tok, span)) = p.tokens.get(p.pos) {
        return Err(ExprError::new(
            span.clone(),
            format!("unexpected {} after a complete expression", describe(tok)),
        )
        .with_help("join conditions with `and` / `or`"));
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<(Tok, Range<usize>)>,
    pos: usize,
    end: usize,
    /// Parentheses, `not` and unary minus the parser is inside of.
    nesting: usize,
}

fn too_deep(at: Range<usize>) -> ExprError {
    ExprError::new(
        at,
        format!("the expression nests deeper than {MAX_EXPRESSION_DEPTH} levels"),
    )
    .with_help("split the condition into several expectations")
}

/// The tree's depth, walked with a stack of its own (a recursive walk is what the
/// bound protects); the error is at the first node below the bound.
fn check_depth(expr: &Expr) -> Result<(), ExprError> {
    let mut pending = vec![(expr, 1usize)];
    while let Some((e, depth)) = pending.pop() {
        if depth > MAX_EXPRESSION_DEPTH {
            return Err(too_deep(e.span.clone()));
        }
        match &e.kind {
            ExprKind::Unary(_, inner) => pending.push((inner, depth + 1)),
            ExprKind::Binary(_, lhs, rhs) => {
                pending.push((rhs, depth + 1));
                pending.push((lhs, depth + 1));
            }
            ExprKind::Quantity(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
        }
    }
    Ok(())
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Quantity(q) => format!("value `{q}`"),
        Tok::Ident(name) => format!("`{name}`"),
        Tok::Dot => "`.`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::Plus => "`+`".into(),
        Tok::Minus => "`-`".into(),
        Tok::Star => "`*`".into(),
        Tok::Slash => "`/`".into(),
        Tok::EqEq => "`==`".into(),
        Tok::NotEq => "`!=`".into(),
        Tok::Lt => "`<`".into(),
        Tok::Le => "`<=`".into(),
        Tok::Gt => "`>`".into(),
        Tok::Ge => "`>=`".into(),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    fn peek_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w == word)
    }

    fn span_here(&self) -> Range<usize> {
        self.tokens
            .get(self.pos)
            .map(|(_, s)| s.clone())
            .unwrap_or(self.end..self.end)
    }

    /// `inner` one level deeper, or an error at `at` past the bound.
    fn nested(
        &mut self,
        at: Range<usize>,
        inner: impl FnOnce(&mut Self) -> Result<Expr, ExprError>,
    ) -> Result<Expr, ExprError> {
        if self.nesting >= MAX_EXPRESSION_DEPTH {
            return Err(too_deep(at));
        }
        self.nesting += 1;
        let result = inner(self);
        self.nesting -= 1;
        result
    }

    fn bump(&mut self) -> Option<(Tok, Range<usize>)> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn binary(op: BinOp, lhs: Expr, rhs: Expr) -> Expr {
        let span = lhs.span.start..rhs.span.end;
        Expr {
            kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
            span,
        }
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        let mut lhs = self.and()?;
        while self.peek_keyword("or") {
            self.bump();
            let rhs = self.and()?;
            lhs = Self::binary(BinOp::Or, lhs, rhs);
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        let mut lhs = self.not()?;
        while self.peek_keyword("and") {
            self.bump();
            let rhs = self.not()?;
            lhs = Self::binary(BinOp::And, lhs, rhs);
        }
        Ok(lhs)
    }

    fn not(&mut self) -> Result<Expr, ExprError> {
        if self.peek_keyword("not") {
            let (_, span) = self.bump().unwrap_or((Tok::Dot, 0..0));
            let inner = self.nested(span.clone(), Self::not)?;
            let span = span.start..inner.span.end;
            return Ok(Expr {
                kind: ExprKind::Unary(UnOp::Not, Box::new(inner)),
                span,
            });
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ExprError> {
        let lhs = self.additive()?;
        let op = match self.peek() {
            Some(Tok::EqEq) => BinOp::Eq,
            Some(Tok::NotEq) => BinOp::Ne,
            Some(Tok::Lt) => BinOp::Lt,
            Some(Tok::Le) => BinOp::Le,
            Some(Tok::Gt) => BinOp::Gt,
            Some(Tok::Ge) => BinOp::Ge,
            _ => return Ok(lhs),
        };
        self.bump();
        let rhs = self.additive()?;
        if matches!(
            self.peek(),
            Some(Tok::EqEq | Tok::NotEq | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge)
        ) {
            return Err(
                ExprError::new(self.span_here(), "comparisons cannot be chained")
                    .with_help("write `a < b and b < c`"),
            );
        }
        Ok(Self::binary(op, lhs, rhs))
    }

    fn additive(&mut self) -> Result<Expr, ExprError> {
        let mut lhs = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Plus) => BinOp::Add,
                Some(Tok::Minus) => BinOp::Sub,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.multiplicative()?;
            lhs = Self::binary(op, lhs, rhs);
        }
    }

    fn multiplicative(&mut self) -> Result<Expr, ExprError> {
        let mut lhs = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Star) => BinOp::Mul,
                Some(Tok::Slash) => BinOp::Div,
                _ => return Ok(lhs),
            };
            self.bump();
            let rhs = self.unary()?;
            lhs = Self::binary(op, lhs, rhs);
        }
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        if matches!(self.peek(), Some(Tok::Minus)) {
            let (_, span) = self.bump().unwrap_or((Tok::Minus, 0..0));
            let inner = self.nested(span.clone(), Self::unary)?;
            let span = span.start..inner.span.end;
            return Ok(Expr {
                kind: ExprKind::Unary(UnOp::Neg, Box::new(inner)),
                span,
            });
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, ExprError> {
        let here = self.span_here();
        let Some((tok, span)) = self.bump() else {
            return Err(ExprError::new(here, "expression ends too early")
                .with_help("a value or a name is missing at the end"));
        };
        match tok {
            Tok::Quantity(q) => Ok(Expr {
                kind: ExprKind::Quantity(q),
                span,
            }),
            Tok::LParen => {
                let inner = self.nested(span.clone(), Self::or)?;
                match self.bump() {
                    Some((Tok::RParen, close)) => Ok(Expr {
                        kind: inner.kind,
                        span: span.start..close.end,
                    }),
                    _ => Err(ExprError::new(span, "`(` is never closed")),
                }
            }
            Tok::Ident(word) => match word.as_str() {
                "true" | "on" => Ok(Expr {
                    kind: ExprKind::Bool(true),
                    span,
                }),
                "false" | "off" => Ok(Expr {
                    kind: ExprKind::Bool(false),
                    span,
                }),
                "and" | "or" | "not" => Err(ExprError::new(
                    span,
                    format!("`{word}` needs a condition before it"),
                )),
                _ => self.name(word, span),
            },
            other => Err(ExprError::new(
                span,
                format!("expected a value or a name, found {}", describe(&other)),
            )),
        }
    }

    fn name(&mut self, first: String, span: Range<usize>) -> Result<Expr, ExprError> {
        let mut parts = vec![first];
        let mut end = span.end;
        while matches!(self.peek(), Some(Tok::Dot)) {
            let (_, dot) = self.bump().unwrap_or((Tok::Dot, end..end));
            match self.bump() {
                Some((Tok::Ident(part), s)) => {
                    parts.push(part);
                    end = s.end;
                }
                _ => {
                    return Err(ExprError::new(dot, "a name cannot end with `.`"));
                }
            }
        }
        Ok(Expr {
            kind: ExprKind::Name(parts),
            span: span.start..end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantity::{Dim, Quantity};

    fn name(parts: &[&str]) -> ExprKind {
        ExprKind::Name(parts.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn dut_reference_plus_quantity() {
        let e = parse("dut.cocp.trip_current + 5 A").unwrap();
        let ExprKind::Binary(BinOp::Add, lhs, rhs) = e.kind else {
            panic!("not an addition: {e:?}")
        };
        assert_eq!(lhs.kind, name(&["dut", "cocp", "trip_current"]));
        assert_eq!(lhs.span, 0..21);
        assert_eq!(
            rhs.kind,
            ExprKind::Quantity(Quantity::new(5.0, Dim::Current))
        );
    }

    #[test]
    fn and_binds_tighter_than_or_and_not_tighter_than_and() {
        let e = parse("not a or b and c").unwrap();
        let ExprKind::Binary(BinOp::Or, lhs, rhs) = e.kind else {
            panic!()
        };
        assert!(matches!(lhs.kind, ExprKind::Unary(UnOp::Not, _)));
        assert!(matches!(rhs.kind, ExprKind::Binary(BinOp::And, _, _)));
    }

    #[test]
    fn arithmetic_precedence() {
        let e = parse("1 + 2 * 3 == 7").unwrap();
        let ExprKind::Binary(BinOp::Eq, lhs, _) = e.kind else {
            panic!()
        };
        let ExprKind::Binary(BinOp::Add, _, rhs) = lhs.kind else {
            panic!()
        };
        assert!(matches!(rhs.kind, ExprKind::Binary(BinOp::Mul, _, _)));
    }

    #[test]
    fn errors_are_located() {
        assert_eq!(parse("bms.soc >").unwrap_err().span, 9..9);
        assert_eq!(parse("a < b < c").unwrap_err().span, 6..7);
        assert_eq!(parse("(a and b").unwrap_err().span, 0..1);
        assert_eq!(parse("bms.").unwrap_err().span, 3..4);
        assert_eq!(parse("a b").unwrap_err().span, 2..3);
        assert!(parse("").is_err());
        assert!(parse("   ").is_err());
    }

    /// 5,000 parentheses or 20,000 `not`s overflowed the stack (exit 134).
    #[test]
    fn nesting_is_bounded_and_refused_where_it_goes_too_deep() {
        let parens = format!("{}a{}", "(".repeat(300), ")".repeat(300));
        let err = parse(&parens).unwrap_err();
        assert_eq!(err.span, 32..33, "{err:?}");
        assert!(
            err.message.contains("nests deeper than 32 levels"),
            "{err:?}"
        );
        let nots = "not ".repeat(250) + "a";
        assert_eq!(parse(&nots).unwrap_err().span, 128..131);
        assert_eq!(parse(&"-".repeat(500)).unwrap_err().span, 32..33);
        let ok = format!("{}a{}", "(".repeat(31), ")".repeat(31));
        assert!(parse(&ok).is_ok());
        assert!(parse(&("not ".repeat(31) + "a")).is_ok());
    }

    #[test]
    fn long_chains_of_operators_are_deep_trees_and_bounded_too() {
        let chain = vec!["1 A"; 40].join(" + ");
        let err = parse(&chain).unwrap_err();
        assert!(
            err.message.contains("nests deeper than 32 levels"),
            "{err:?}"
        );
        assert!(parse(&vec!["1 A"; 32].join(" + ")).is_ok());
    }

    #[test]
    fn the_text_is_bounded() {
        let long = format!("1 A{}", " ".repeat(2000));
        let err = parse(&long).unwrap_err();
        assert_eq!(err.span, 1024..2003);
        assert!(err.message.contains("2003 bytes long; at most 1024"));
        let huge = "(".repeat(5000) + "a" + &")".repeat(5000);
        assert!(parse(&huge).is_err());
    }
}
