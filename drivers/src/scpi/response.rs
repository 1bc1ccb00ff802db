//! Parsers for SCPI answers: numbers, error-queue entries, `*IDN?`, booleans.
//!
//! Pure functions over one line each, so every quirk of a vendor's answers can be
//! pinned down in a table test without I/O. `None` means malformed; the client wraps
//! it into an error naming the command and the instrument.

/// Unit suffixes some instruments append to numbers (EA: `48.00 V`, protocols.md §4.2).
/// Only unprefixed units: accepting `mV` would silently misread a value by 1000.
const UNITS: [&str; 5] = ["V", "A", "W", "Ah", "Wh"];

/// Magnitudes from here on are SCPI's not-a-number (9.91E+37) and infinities
/// (±9.9E+37), sent where a measurement is unavailable; never a reading.
const SCPI_SPECIAL_VALUES: f64 = 9.9e37;

/// What `*IDN?` says about an instrument (IEEE 488.2: manufacturer, model, serial,
/// firmware).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub manufacturer: String,
    pub model: String,
    pub serial: String,
    pub firmware: String,
}

/// A number in NR1, NR2 or NR3 form (`50`, `+0`, `-12.5`, `5.00000E+01`), optionally
/// followed by a plain unit (`V`, `A`, `W`, `Ah`, `Wh`). Non-finite values and SCPI's
/// special values are refused.
pub fn parse_number(response: &str) -> Option<f64> {
    let text = response.trim();
    let numeric_len = numeric_prefix_len(text)?;
    let (numeric, unit) = text.split_at(numeric_len);
    let unit = unit.trim_start();
    if !unit.is_empty() && !UNITS.contains(&unit) {
        return None;
    }
    let value: f64 = numeric.parse().ok()?;
    (value.is_finite() && value.abs() < SCPI_SPECIAL_VALUES).then_some(value)
}

/// Length of the leading `[+-]digits[.digits][(e|E)[+-]digits]`, with at least one
/// mantissa digit.
fn numeric_prefix_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let digits_from = |start: usize| {
        bytes.get(start..).map_or(0, |rest| {
            rest.iter().take_while(|b| b.is_ascii_digit()).count()
        })
    };
    let sign = |at: usize| usize::from(matches!(bytes.get(at), Some(b'+' | b'-')));

    let mut end = sign(0);
    let integer_digits = digits_from(end);
    end += integer_digits;
    let mut fraction_digits = 0;
    if bytes.get(end) == Some(&b'.') {
        fraction_digits = digits_from(end + 1);
        end += 1 + fraction_digits;
    }
    if integer_digits + fraction_digits == 0 {
        return None;
    }
    if matches!(bytes.get(end), Some(b'e' | b'E')) {
        let exponent_start = end + 1 + sign(end + 1);
        let exponent_digits = digits_from(exponent_start);
        if exponent_digits == 0 {
            return None;
        }
        end = exponent_start + exponent_digits;
    }
    Some(end)
}

/// One `SYST:ERR?` entry: `<code>,"<message>"`. Keysight writes `+0,"No error"`,
/// others `0,"No error"` (§4.2); a bare code is accepted too.
pub fn parse_error_entry(response: &str) -> Option<(i32, String)> {
    let (code, message) = match response.split_once(',') {
        Some((code, message)) => (code, message.trim()),
        None => (response, ""),
    };
    let code: i32 = code.trim().parse().ok()?;
    let message = message
        .strip_prefix('"')
        .and_then(|m| m.strip_suffix('"'))
        .unwrap_or(message);
    Some((code, message.to_owned()))
}

/// `*IDN?`: four comma-separated fields; commas after the third belong to the firmware
/// field, which some vendors fill with several version numbers.
pub fn parse_identity(response: &str) -> Option<Identity> {
    let mut fields = response.trim().splitn(4, ',').map(str::trim);
    let identity = Identity {
        manufacturer: fields.next()?.to_owned(),
        model: fields.next()?.to_owned(),
        serial: fields.next()?.to_owned(),
        firmware: fields.next()?.to_owned(),
    };
    let named = !identity.manufacturer.is_empty() && !identity.model.is_empty();
    named.then_some(identity)
}

/// A boolean answer such as `OUTP?`: `1`/`0` (any numeric spelling) or `ON`/`OFF`.
pub fn parse_bool(response: &str) -> Option<bool> {
    let text = response.trim();
    if text.eq_ignore_ascii_case("ON") {
        return Some(true);
    }
    if text.eq_ignore_ascii_case("OFF") {
        return Some(false);
    }
    let value = parse_number(text)?;
    if value == 1.0 {
        Some(true)
    } else if value == 0.0 {
        Some(false)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_every_scpi_form_and_with_units() {
        let table = [
            ("50", 50.0),
            ("+0", 0.0),
            ("-0", 0.0),
            ("-12.5", -12.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("5.00000E+01", 50.0),
            ("-4.8e1", -48.0),
            ("1E3", 1000.0),
            ("  56.000\t", 56.0),
            ("48.00 V", 48.0),
            ("5.00 A", 5.0),
            ("5.00A", 5.0),
            ("-1.25E+00 A", -1.25),
            ("240.0 W", 240.0),
            ("9.89E+37", 9.89e37),
        ];
        for (text, value) in table {
            assert_eq!(parse_number(text), Some(value), "{text:?}");
        }
    }

    #[test]
    fn anything_else_is_not_a_number() {
        let table = [
            "",
            " ",
            "+",
            ".",
            "-.",
            "E5",
            "5E",
            "5E+",
            "1.2.3",
            "48.00 mV",
            "48.00 V extra",
            "48.00 V, 5.00 A",
            "0x10",
            "NaN",
            "nan",
            "inf",
            "-Infinity",
            "9.91E+37",
            "9.9E37",
            "-9.9E+37",
            "1e400",
            "ON",
            "\"48\"",
        ];
        for text in table {
            assert_eq!(parse_number(text), None, "{text:?}");
        }
    }

    #[test]
    fn error_queue_entries() {
        let table = [
            ("+0,\"No error\"", Some((0, "No error"))),
            ("0,\"No error\"", Some((0, "No error"))),
            (
                "-222,\"Data out of range\"",
                Some((-222, "Data out of range")),
            ),
            (
                "-113, \"Undefined header;FOO\"",
                Some((-113, "Undefined header;FOO")),
            ),
            ("-350,Queue overflow", Some((-350, "Queue overflow"))),
            ("0", Some((0, ""))),
            ("", None),
            ("No error", None),
            ("+0.5,\"x\"", None),
        ];
        for (text, expected) in table {
            let parsed = parse_error_entry(text);
            let expected = expected.map(|(code, message)| (code, message.to_owned()));
            assert_eq!(parsed, expected, "{text:?}");
        }
    }

    #[test]
    fn identity_has_four_fields_and_firmware_keeps_its_commas() {
        assert_eq!(
            parse_identity("Keysight Technologies,RP7952A,MY12345678,B.01.02,A.03"),
            Some(Identity {
                manufacturer: "Keysight Technologies".into(),
                model: "RP7952A".into(),
                serial: "MY12345678".into(),
                firmware: "B.01.02,A.03".into(),
            })
        );
        assert_eq!(
            parse_identity("RIG,SIM-SOURCE,0,0.1.0").map(|i| i.firmware),
            Some("0.1.0".to_owned())
        );
        for truncated in ["", "ITECH", "ITECH,IT6018C", "ITECH,IT6018C,8000"] {
            assert_eq!(parse_identity(truncated), None, "{truncated:?}");
        }
        assert_eq!(parse_identity(",IT6018C,1,2"), None);
    }

    #[test]
    fn booleans() {
        let table = [
            ("1", Some(true)),
            ("0", Some(false)),
            ("+1", Some(true)),
            ("ON", Some(true)),
            ("off", Some(false)),
            ("2", None),
            ("", None),
            ("yes", None),
        ];
        for (text, expected) in table {
            assert_eq!(parse_bool(text), expected, "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_answer_parses_or_is_refused_without_panicking(s in "\\PC{0,80}") {
            let _ = parse_number(&s);
            let _ = parse_error_entry(&s);
            let _ = parse_identity(&s);
            let _ = parse_bool(&s);
        }
    }
}
