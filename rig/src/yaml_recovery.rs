//! Every misspelt key of a file in one go, not only the first.
//!
//! serde-saphyr stops at the first error of a document, so a plan with three typos
//! took three rounds of edit-and-validate. After an unknown key, its whole entry (the
//! key, its value and the value's more-indented lines) is overwritten with spaces and
//! the text is parsed again: a key nobody asked for is never needed, so removing it
//! cannot cause an error of its own. Lines, columns and byte offsets stay where they
//! were, so every later problem points into the original file.
//!
//! Other errors (a wrong type, a missing field, broken YAML) end the search: removing
//! their entry could make up errors that the author did not write. Written here
//! because no YAML crate offers error recovery for serde.

use serde::de::DeserializeOwned;

use crate::diag::{Problems, SourceFile, yaml_problem};

/// Most unknown keys reported from one file; beyond them the file is likely not the
/// kind of file it was taken for.
const MAX_UNKNOWN_KEYS: usize = 20;

/// The file deserialised, or its problems: every unknown key up to the first other
/// error, and that error.
pub fn parse_all<T: DeserializeOwned>(
    file: &SourceFile,
    parse: impl Fn(&str) -> Result<T, serde_saphyr::Error>,
) -> Result<T, Problems> {
    let mut text = file.text.to_string();
    let mut problems = Problems::default();
    loop {
        let err = match parse(&text) {
            Ok(value) if problems.0.is_empty() => return Ok(value),
            Ok(_) => return Err(problems),
            Err(e) => e,
        };
        problems.push(yaml_problem(file, &err));
        let unknown_key = err.to_string().contains("unknown field");
        let cut = err
            .location()
            .filter(|_| unknown_key && problems.0.len() < MAX_UNKNOWN_KEYS)
            .and_then(|at| blank_entry(&text, at.line() as usize, at.column() as usize));
        match cut {
            Some(shorter) => text = shorter,
            None => return Err(problems),
        }
    }
}

/// `text` with the block-style entry whose key starts at `line`:`column` (1-based)
/// overwritten by spaces: the key, its value, and the lines below that belong to the
/// value. `None` where that is not a block-style key (inside `{ }` or `[ ]`, say).
fn blank_entry(text: &str, line: usize, column: usize) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let key_line = lines.get(line.checked_sub(1)?)?;
    let key_at = key_line
        .char_indices()
        .nth(column.checked_sub(1)?)
        .map(|(i, _)| i)?;
    let before = &key_line[..key_at];
    if before.contains(['{', '[', '#', '"', '\''])
        || !before
            .trim_start()
            .trim_start_matches('-')
            .trim()
            .is_empty()
    {
        return None;
    }
    let indent = before.chars().count();
    let opens_block = key_line.trim_end().ends_with(':');
    let mut out = String::with_capacity(text.len());
    let mut in_value = false;
    for (i, l) in lines.iter().enumerate() {
        let n = i + 1;
        if n == line {
            out.push_str(before);
            out.push_str(&spaces(&key_line[key_at..]));
            in_value = true;
            continue;
        }
        // The value ends at the first line that does not belong to it.
        in_value = in_value && belongs_to_value(l, indent, opens_block);
        if in_value {
            out.push_str(&spaces(l));
        } else {
            out.push_str(l);
        }
    }
    Some(out)
}

/// Whether a line after a key at `indent` belongs to the key's value: blank or a
/// comment, more indented, or a `- ` item at the key's own indent under a `key:` line
/// (YAML's compact block sequence).
fn belongs_to_value(line: &str, indent: usize, opens_block: bool) -> bool {
    let body = line.trim_start_matches(' ');
    let at = line.len() - body.len();
    let body = body.trim_end();
    body.is_empty()
        || body.starts_with('#')
        || at > indent
        || (opens_block && at == indent && (body == "-" || body.starts_with("- ")))
}

/// As many spaces as `s` has bytes, its line end kept: offsets stay valid.
fn spaces(s: &str) -> String {
    let body = s.trim_end_matches(['\n', '\r']);
    format!("{}{}", " ".repeat(body.len()), &s[body.len()..])
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        id: String,
        steps: Vec<Step>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Step {
        name: String,
        wait: Option<String>,
        expect: Option<Vec<Expect>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Expect {
        that: String,
    }

    fn problems(text: &str) -> Vec<String> {
        let file = SourceFile::new("plan.yaml", text);
        match parse_all::<Doc>(&file, |t| serde_saphyr::from_str(t)) {
            Ok(_) => Vec::new(),
            Err(p) => p.0.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn every_unknown_key_is_reported_with_its_own_line() {
        let text = "id: x\nsteps:\n  - name: one\n    wiat: 1 s\n  - nmae: two\n    name: two\n    expect:\n      - that: a\n        fro: 1 s\n  - name: three\n    expcet:\n    - that: b\n    - that: c\n    wait: 2 s\n";
        let found = problems(text);
        assert_eq!(found.len(), 4, "{found:#?}");
        for (problem, at) in found.iter().zip(["4:5", "5:5", "9:9", "11:5"]) {
            assert!(problem.contains(&format!("plan.yaml:{at}")), "{problem}");
            assert!(problem.contains("unknown field"), "{problem}");
        }
    }

    #[test]
    fn the_first_other_error_ends_the_search_and_is_reported() {
        let text = "id: x\nsteps:\n  - name: one\n    wiat: 1 s\n  - wait: 2 s\n  - name: three\n    wiat: 3 s\n";
        let found = problems(text);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found[0].contains("plan.yaml:4:5"), "{}", found[0]);
        assert!(found[1].contains("missing field `name`"), "{}", found[1]);
    }

    #[test]
    fn a_key_inside_a_flow_mapping_is_reported_but_not_cut() {
        let text = "id: x\nsteps:\n  - { name: one, wiat: 1 s }\n  - name: two\n    wiat: 2 s\n";
        let found = problems(text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].contains("plan.yaml:3:18"), "{}", found[0]);
    }

    #[test]
    fn a_clean_file_parses_and_blanking_keeps_every_offset() {
        assert!(problems("id: x\nsteps:\n  - name: one\n").is_empty());
        let text = "a: 1\nwiat:\n  - x: é\n  - y\nb: 2\n";
        let cut = blank_entry(text, 2, 1).unwrap();
        assert_eq!(cut.len(), text.len());
        assert_eq!(cut.lines().count(), text.lines().count());
        assert!(
            cut.starts_with("a: 1\n") && cut.ends_with("b: 2\n"),
            "{cut:?}"
        );
        assert!(!cut.contains("wiat") && !cut.contains('x'), "{cut:?}");
    }
}
