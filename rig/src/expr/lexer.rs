//! Tokens of the expression language.

use std::ops::Range;

use super::ExprError;
use crate::quantity::{self, Quantity};

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A number with its unit, already scaled to the base unit (`500 ms` = 0.5 s).
    Quantity(Quantity),
    Ident(String),
    Dot,
    LParen,
    RParen,
    Plus,
    Minus,
    Star,
    Slash,
    EqEq,
    NotEq,
    Lt,
    Le,
    Gt,
    Ge,
}

const KEYWORDS: &[&str] = &["and", "or", "not", "true", "false", "on", "off"];

pub fn lex(src: &str) -> Result<Vec<(Tok, Range<usize>)>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            // Exponent: 1e-3, 2.5E6.
            if i < bytes.len()
                && (bytes[i] == b'e' || bytes[i] == b'E')
                && bytes
                    .get(i + 1)
                    .is_some_and(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+')
            {
                i += 2;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let text = &src[start..i];
            let value: f64 = text
                .parse()
                .map_err(|_| ExprError::new(start..i, format!("`{text}` is not a number")))?;
            let (unit, unit_end) = unit_after(src, i);
            let quantity = match unit {
                None => Quantity::new(value, quantity::Dim::Number),
                Some((unit_text, unit_start)) => match quantity::unit_factor(unit_text) {
                    Some((dim, factor)) => Quantity::new(value * factor, dim),
                    None => {
                        return Err(ExprError::new(
                            unit_start..unit_end,
                            format!("unknown unit `{unit_text}`"),
                        )
                        .with_help(format!(
                            "units are {}",
                            quantity::unit_names().collect::<Vec<_>>().join(", ")
                        )));
                    }
                },
            };
            if unit.is_some() {
                i = unit_end;
            }
            out.push((Tok::Quantity(quantity), start..i));
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(src[start..i].to_string()), start..i));
            continue;
        }
        let two = src.get(i..i + 2).unwrap_or("");
        let (tok, len) = match (c, two) {
            (_, "==") => (Tok::EqEq, 2),
            (_, "!=") => (Tok::NotEq, 2),
            (_, "<=") => (Tok::Le, 2),
            (_, ">=") => (Tok::Ge, 2),
            (b'<', _) => (Tok::Lt, 1),
            (b'>', _) => (Tok::Gt, 1),
            (b'+', _) => (Tok::Plus, 1),
            (b'-', _) => (Tok::Minus, 1),
            (b'*', _) => (Tok::Star, 1),
            (b'/', _) => (Tok::Slash, 1),
            (b'(', _) => (Tok::LParen, 1),
            (b')', _) => (Tok::RParen, 1),
            (b'.', _) => (Tok::Dot, 1),
            (b'=', _) => {
                return Err(
                    ExprError::new(start..start + 1, "single `=` in an expression")
                        .with_help("compare with `==`"),
                );
            }
            _ => {
                let ch = src[start..].chars().next().unwrap_or('?');
                return Err(ExprError::new(
                    start..start + ch.len_utf8(),
                    format!("unexpected character `{ch}`"),
                ));
            }
        };
        out.push((tok, start..start + len));
        i += len;
    }
    Ok(out)
}

/// The unit written after a number, if any: `%`, `°C`, or a word that is not a keyword.
fn unit_after(src: &str, mut i: usize) -> (Option<(&str, usize)>, usize) {
    let bytes = src.as_bytes();
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    let rest = &src[i..];
    if rest.starts_with('%') {
        return (Some(("%", i)), i + 1);
    }
    if rest.starts_with("°C") {
        return (Some(("°C", i)), i + "°C".len());
    }
    let word_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
    if word_len == 0 {
        return (None, i);
    }
    let word = &rest[..word_len];
    // A word directly followed by `.` or `_`/digits is a name, not a unit (`5 dut.x` is a
    // syntax error reported by the parser, not an unknown unit).
    let next = rest.as_bytes().get(word_len).copied();
    if KEYWORDS.contains(&word) || matches!(next, Some(b'.') | Some(b'_')) {
        return (None, i);
    }
    if next.is_some_and(|b| b.is_ascii_digit()) {
        return (None, i);
    }
    (Some((word, i)), i + word_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantity::Dim;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn numbers_take_their_unit() {
        assert_eq!(
            toks("500 ms"),
            vec![Tok::Quantity(Quantity::new(0.5, Dim::Time))]
        );
        assert_eq!(
            toks("80%"),
            vec![Tok::Quantity(Quantity::new(80.0, Dim::Percent))]
        );
        assert_eq!(
            toks("25 degC"),
            vec![Tok::Quantity(Quantity::new(25.0, Dim::Temperature))]
        );
        assert_eq!(
            toks("3 and x"),
            vec![
                Tok::Quantity(Quantity::new(3.0, Dim::Number)),
                Tok::Ident("and".into()),
                Tok::Ident("x".into())
            ]
        );
    }

    #[test]
    fn unknown_unit_is_located() {
        let err = lex("5 amps").unwrap_err();
        assert_eq!(err.span, 2..6);
        assert!(err.message.contains("amps"));
    }

    #[test]
    fn single_equals_gets_a_hint() {
        let err = lex("a = 1").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("compare with `==`"));
    }
}
