//! Text edits the mutants are made of: which lines hold YAML keys and values (not
//! comments or free text), and the numbers-with-units on them.

/// A line of a YAML file and what it holds.
pub struct Line<'a> {
    /// 1-based.
    pub number: usize,
    pub text: &'a str,
    /// The block key on the line (`source` in `  - source: {...}`), if any.
    pub key: Option<&'a str>,
    /// Whether the line is free text: a comment, a block scalar's content, or the value
    /// of a field that is text (`name`, `title`, `description`, `tags`).
    pub free_text: bool,
}

const TEXT_KEYS: &[&str] = &["name", "title", "description", "tags", "model", "manual"];

/// The lines of `text`, classified.
pub fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    // Indentation of the key that opened a block scalar (`description: |`).
    let mut block: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let indent = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim();
        if let Some(b) = block {
            if trimmed.is_empty() || indent > b {
                out.push(Line {
                    number: i + 1,
                    text: raw,
                    key: None,
                    free_text: true,
                });
                continue;
            }
            block = None;
        }
        let body = trimmed.strip_prefix("- ").unwrap_or(trimmed);
        let key = body
            .split_once(':')
            .map(|(k, _)| k)
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        let indicator = trimmed.rsplit(' ').next().unwrap_or("");
        if ["|", ">", "|-", ">-", "|+", ">+"].contains(&indicator) {
            block = Some(indent);
        }
        let free_text = trimmed.starts_with('#')
            || trimmed.is_empty()
            || key.is_some_and(|k| TEXT_KEYS.contains(&k));
        out.push(Line {
            number: i + 1,
            text: raw,
            key,
            free_text,
        });
    }
    out
}

/// `text` with line `number` (1-based) replaced by `with` (which may hold newlines).
pub fn replace_line(text: &str, number: usize, with: &str) -> String {
    let mut out = String::with_capacity(text.len() + with.len());
    for (i, l) in text.lines().enumerate() {
        out.push_str(if i + 1 == number { with } else { l });
        out.push('\n');
    }
    out
}

/// Units the mutants swap, drop or misspell, longest first so `ms` is not taken for `s`.
pub const UNITS: &[&str] = &["degC", "min", "ms", "V", "A", "s", "h"];

/// The first number followed by a unit on `line`, outside comments: (start of the number,
/// end of the number, start of the unit, end of the unit).
pub fn quantity(line: &str) -> Option<(usize, usize, usize, usize)> {
    let code = line.split(" #").next().unwrap_or(line);
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_number = bytes[i].is_ascii_digit()
            && (i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric()
                    || bytes[i - 1] == b'_'
                    || bytes[i - 1] == b'.'));
        if !starts_number {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
            i += 1;
        }
        let end = i;
        let unit_start = end + code[end..].len() - code[end..].trim_start_matches(' ').len();
        let rest = &code[unit_start..];
        for unit in UNITS {
            let after = rest.as_bytes().get(unit.len());
            let whole = after.is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_');
            if rest.starts_with(unit) && whole {
                return Some((start, end, unit_start, unit_start + unit.len()));
            }
        }
    }
    None
}

/// Another unit of another dimension than `unit`.
pub fn other_dimension(unit: &str) -> &'static str {
    match unit {
        "V" => "A",
        "A" | "degC" => "V",
        _ => "V",
    }
}
