//! Numbers and times as a test engineer reads them.

/// `53`, `53.003`, `0.5`: up to three decimals, no trailing zeros.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// `2 s`, `1.5 s`, `11 min 18 s`, `48 h`.
pub fn duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "?".into();
    }
    // Below two minutes the fraction matters (a 1.5 s reaction); above, whole seconds
    // read better (`11 min 21 s`, not `681.105 s`).
    if seconds.abs() < 120.0 {
        return format!("{} s", number(seconds));
    }
    let neg = seconds < 0.0;
    let total = seconds.abs().round() as u64;
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} h"));
    }
    if m > 0 {
        parts.push(format!("{m} min"));
    }
    if s > 0 {
        parts.push(format!("{s} s"));
    }
    format!("{}{}", if neg { "-" } else { "" }, parts.join(" "))
}

/// An axis tick: seconds, minutes or hours depending on the span of the axis.
pub fn axis_time(t: f64, span: f64) -> String {
    if span > 4.0 * 3600.0 {
        format!("{} h", number((t / 3600.0 * 10.0).round() / 10.0))
    } else if span > 600.0 {
        format!("{} min", number((t / 60.0 * 10.0).round() / 10.0))
    } else {
        format!("{} s", number(t))
    }
}

/// A unit as every report spells it: the SI symbol (`°C`, not the plan language's
/// `degC`); other units as they are.
pub fn unit(u: &str) -> &str {
    match u {
        "degC" => "°C",
        other => other,
    }
}

/// Text from the log (conditions, messages, actions) with its units spelled as the
/// report spells them: `25 degC` becomes `25 °C`. Only a whole word is replaced.
pub fn units_in_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("degC") {
        let before = rest[..i].chars().next_back();
        let after = rest[i + 4..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        out.push_str(&rest[..i]);
        out.push_str(if word(before) || word(after) {
            "degC"
        } else {
            "°C"
        });
        rest = &rest[i + 4..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degc_is_spelled_as_the_si_symbol_only_as_a_whole_word() {
        assert_eq!(unit("degC"), "°C");
        assert_eq!(unit("V"), "V");
        assert_eq!(
            units_in_text("chamber.temperature > 50 degC and x < 3 degC)"),
            "chamber.temperature > 50 °C and x < 3 °C)"
        );
        assert_eq!(units_in_text("my_degC_channel"), "my_degC_channel");
    }
}
