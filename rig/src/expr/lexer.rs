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

/// The tokens of `src` with their byte ranges; whitespace separates them.
pub fn lex(src: &str) -> Result<Vec<(Tok, Range<usize>)>, ExprError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let (tok, end) = if starts_number(bytes, i) {
            number(src, i)?
        } else if c.is_ascii_alphabetic() || c == b'_' {
            ident(src, i)
        } else {
            operator(src, i)?
        };
        out.push((tok, i..end));
        i = end;
    }
    Ok(out)
}

/// A digit, or a `.` before one (`.5 A`).
fn starts_number(bytes: &[u8], i: usize) -> bool {
    bytes[i].is_ascii_digit()
        || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
}

/// The number at `start` with its unit, if one follows, scaled to the base unit; and
/// where the token ends.
fn number(src: &str, start: usize) -> Result<(Tok, usize), ExprError> {
    let end = number_end(src.as_bytes(), start);
    let text = &src[start..end];
    let value: f64 = text
        .parse()
        .map_err(|_| ExprError::new(start..end, format!("`{text}` is not a number")))?;
    let (unit, unit_end) = unit_after(src, end);
    let Some((unit_text, unit_start)) = unit else {
        let plain = Quantity::new(value, quantity::Dim::Number);
        return Ok((Tok::Quantity(plain), end));
    };
    let Some((dim, factor)) = quantity::unit_factor(unit_text) else {
        let units: Vec<_> = quantity::unit_names().collect();
        let message = format!("unknown unit `{unit_text}`");
        return Err(ExprError::new(unit_start..unit_end, message)
            .with_help(format!("units are {}", units.join(", "))));
    };
    Ok((Tok::Quantity(Quantity::new(value * factor, dim)), unit_end))
}

/// Where the digits and dots from `start` end, with an exponent (`1e-3`, `2.5E6`).
fn number_end(bytes: &[u8], start: usize) -> usize {
    let digits_from = |mut i: usize, dots: bool| {
        while i < bytes.len() && (bytes[i].is_ascii_digit() || (dots && bytes[i] == b'.')) {
            i += 1;
        }
        i
    };
    let i = digits_from(start, true);
    let exponent = bytes.get(i).is_some_and(|b| *b == b'e' || *b == b'E')
        && bytes
            .get(i + 1)
            .is_some_and(|b| b.is_ascii_digit() || *b == b'-' || *b == b'+');
    if exponent {
        digits_from(i + 2, false)
    } else {
        i
    }
}

/// A name (`bms`, `trip_current`) or keyword; the parser tells them apart.
fn ident(src: &str, start: usize) -> (Tok, usize) {
    let len = src.as_bytes()[start..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    (Tok::Ident(src[start..start + len].to_string()), start + len)
}

/// An operator or bracket at `start`, two characters before one (`<=` before `<`).
fn operator(src: &str, start: usize) -> Result<(Tok, usize), ExprError> {
    let two = src.get(start..start + 2).unwrap_or("");
    let (tok, len) = match (src.as_bytes()[start], two) {
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
    Ok((tok, start + len))
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
    fn exponents_and_leading_dots_are_numbers() {
        assert_eq!(
            toks("1e-3 A"),
            vec![Tok::Quantity(Quantity::new(1e-3, Dim::Current))]
        );
        assert_eq!(
            toks("2.5E6"),
            vec![Tok::Quantity(Quantity::new(2.5e6, Dim::Number))]
        );
        assert_eq!(
            toks(".5 V"),
            vec![Tok::Quantity(Quantity::new(0.5, Dim::Voltage))]
        );
        // `e` not followed by a digit or sign is a unit or a name, not an exponent.
        assert!(lex("2e").is_err_and(|e| e.message == "unknown unit `e`"));
        let err = lex("1.2.3").unwrap_err();
        assert_eq!(
            (err.span, err.message.as_str()),
            (0..5, "`1.2.3` is not a number")
        );
    }

    #[test]
    fn tokens_carry_their_byte_ranges() {
        let ranges: Vec<(Tok, Range<usize>)> = lex("dut.x + 5 A>=x").unwrap();
        let expected = vec![
            (Tok::Ident("dut".into()), 0..3),
            (Tok::Dot, 3..4),
            (Tok::Ident("x".into()), 4..5),
            (Tok::Plus, 6..7),
            (Tok::Quantity(Quantity::new(5.0, Dim::Current)), 8..11),
            (Tok::Ge, 11..13),
            (Tok::Ident("x".into()), 13..14),
        ];
        assert_eq!(ranges, expected);
        // Without a unit, the number ends where its digits do, not after the spaces.
        assert_eq!(lex("3  )").unwrap()[0].1, 0..1);
    }

    #[test]
    fn every_operator_and_bracket() {
        assert_eq!(
            toks("( ) + - * / == != < <= > >= ."),
            vec![
                Tok::LParen,
                Tok::RParen,
                Tok::Plus,
                Tok::Minus,
                Tok::Star,
                Tok::Slash,
                Tok::EqEq,
                Tok::NotEq,
                Tok::Lt,
                Tok::Le,
                Tok::Gt,
                Tok::Ge,
                Tok::Dot
            ]
        );
    }

    #[test]
    fn an_unexpected_character_is_located_whole() {
        let err = lex("a § b").unwrap_err();
        assert_eq!(err.span, 2..4);
        assert_eq!(err.message, "unexpected character `§`");
    }

    #[test]
    fn single_equals_gets_a_hint() {
        let err = lex("a = 1").unwrap_err();
        assert_eq!(err.help.as_deref(), Some("compare with `==`"));
    }
}
