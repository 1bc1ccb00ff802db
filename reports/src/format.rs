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
