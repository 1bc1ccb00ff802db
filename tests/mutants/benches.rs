//! Bench-file mutants: each bench in `testplans/benches/`, mutated, parsed in memory
//! under its own path (so a `dbc:` beside it is still found).

use std::path::PathBuf;

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::diag::SourceFile;

use crate::check::{Case, Expect, judge};
use crate::edit::{Line, lines, other_dimension, quantity, replace_line};
use crate::plans::repo;

/// At most this many mutants of one kind per bench.
const PER_KIND: usize = 3;

fn bench_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("testplans/benches"))
        .expect("testplans/benches/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// Every mutant of every bench, with the bench's path.
pub fn corpus() -> Vec<(PathBuf, Case)> {
    let mut cases = Vec::new();
    for path in bench_files() {
        let text = std::fs::read_to_string(&path).expect("a bench is readable");
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        for mut case in mutants(&text) {
            case.name = format!("{stem}::{}", case.name);
            cases.push((path.clone(), case));
        }
    }
    cases
}

fn mutants(text: &str) -> Vec<Case> {
    let ls = lines(text);
    let mut out = Vec::new();
    out.extend(key_typos(text, &ls));
    out.extend(quantities(text, &ls));
    out.extend(timings(text, &ls));
    out.extend(whole_file(text, &ls));
    out
}

/// The bench's own keys misspelt: top-level ones and an instrument's fields (instrument,
/// relay and input names are the lab's to choose).
fn key_typos(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for l in ls {
        let indent = l.text.len() - l.text.trim_start().len();
        let Some(key) = l
            .key
            .filter(|k| (indent == 0 || indent == 4) && !seen.contains(k))
        else {
            continue;
        };
        seen.push(key);
        let typo = l.text.replacen(&format!("{key}:"), &format!("{key}x:"), 1);
        out.push(Case::text(
            format!("key_typo::{key}@{}", l.number),
            replace_line(text, l.number, &typo),
            Expect::RefusedAt(l.number),
        ));
    }
    out
}

/// Units swapped, dropped, misspelt; numbers no float holds; times beyond any clock.
fn quantities(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = Vec::new();
    let found = ls
        .iter()
        .filter(|l| !l.free_text)
        .filter_map(|l| Some((l, quantity(l.text)?)));
    for (l, (start, end, us, ue)) in found.take(PER_KIND * 2) {
        let unit = &l.text[us..ue];
        let (head, tail) = (&l.text[..start], &l.text[ue..]);
        let number = &l.text[start..end];
        let time = !matches!(unit, "V" | "A" | "degC");
        let edits = [
            (
                "unit_swap",
                format!("{head}{number} {}{tail}", other_dimension(unit)),
                Expect::RefusedAt(l.number),
            ),
            (
                "unit_drop",
                format!("{head}{number}{tail}"),
                Expect::RefusedAt(l.number),
            ),
            (
                "unit_typo",
                format!("{head}{number} {unit}x{tail}"),
                Expect::RefusedAt(l.number),
            ),
            (
                "overflow",
                format!("{head}1e400 {unit}{tail}"),
                Expect::RefusedAt(l.number),
            ),
            // A rating of a megavolt is the lab's claim to make; a time of 1e20 s is no time.
            (
                "huge",
                format!("{head}1e20 {unit}{tail}"),
                if time {
                    Expect::RefusedAt(l.number)
                } else {
                    Expect::Either
                },
            ),
            (
                "sign",
                format!("{head}-{number} {unit}{tail}"),
                Expect::Either,
            ),
        ];
        for (kind, edited, expect) in edits {
            out.push(Case::text(
                format!("{kind}::{unit}@{}", l.number),
                replace_line(text, l.number, &edited),
                expect,
            ));
        }
    }
    out
}

/// An instrument given a timeout of 1e300 s, a poll of a nanosecond, or a poll written
/// past column 65,535.
fn timings(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = Vec::new();
    for l in ls.iter().filter(|l| l.key == Some("driver")).take(PER_KIND) {
        let n = l.number;
        // The instrument's own fields: a key it already has would be a duplicate instead.
        let has = |key: &str| {
            ls[n..]
                .iter()
                .take_while(|f| f.text.starts_with("    ") || f.text.trim().is_empty())
                .any(|f| f.key == Some(key))
        };
        for (kind, field) in [
            ("timeout_1e300", "    timeout: 1e300 s".to_string()),
            ("poll_1ns", "    poll: 0.000001 ms".to_string()),
            (
                "column_past_65535",
                format!("    timeout:{}2 secs", " ".repeat(70_000)),
            ),
        ] {
            let key = if kind == "poll_1ns" {
                "poll"
            } else {
                "timeout"
            };
            if has(key) {
                continue;
            }
            let inserted = format!("{}\n{field}", l.text);
            out.push(Case::text(
                format!("{kind}@{n}"),
                replace_line(text, n, &inserted),
                Expect::RefusedAt(n + 1),
            ));
        }
    }
    out
}

/// Encodings, sizes and structure of the whole file.
fn whole_file(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = vec![
        Case::text(
            "encoding::bom".into(),
            format!("\u{feff}{text}"),
            Expect::Either,
        ),
        Case::text(
            "encoding::crlf".into(),
            text.replace('\n', "\r\n"),
            Expect::Either,
        ),
        Case::text(
            "size::two_megabytes".into(),
            format!("{text}#{}\n", "x".repeat(2 << 20)),
            Expect::Refused,
        ),
        Case::text("structure::empty".into(), String::new(), Expect::Refused),
        Case::text("structure::a_list".into(), "[]\n".into(), Expect::Refused),
        Case::text(
            "nesting::yaml".into(),
            format!("x: {}{}\n{text}", "[".repeat(500), "]".repeat(500)),
            Expect::RefusedAt(1),
        ),
    ];
    let cut = (0..=text.len() / 2)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    out.push(Case::text(
        "structure::truncated".into(),
        text[..cut].to_string(),
        Expect::Either,
    ));
    if let Some(name) = ls
        .iter()
        .find(|l| l.key == Some("name") && !l.text.starts_with(' '))
    {
        let twice = format!("{}\n{}", name.text, name.text);
        out.push(Case::text(
            "structure::duplicate_key".into(),
            replace_line(text, name.number, &twice),
            Expect::RefusedAt(name.number + 1),
        ));
    }
    if let Some(first) = ls
        .iter()
        .find(|l| l.text.starts_with("  ") && l.key.is_some())
    {
        let tabbed = format!("\t{}", first.text.trim_start());
        out.push(Case::text(
            "encoding::tab".into(),
            replace_line(text, first.number, &tabbed),
            Expect::RefusedAt(first.number),
        ));
    }
    out
}

fn check(path: &std::path::Path, case: &Case) -> Result<(), Failed> {
    let text = String::from_utf8(case.bytes.clone()).map_err(|e| e.to_string())?;
    let shown = path.display().to_string();
    judge(
        case,
        (&shown, &shown),
        || Bench::parse(SourceFile::new(path, text)),
        |_| None,
    )
}

pub fn trials(cases: Vec<(PathBuf, Case)>) -> Vec<Trial> {
    let mut trials: Vec<Trial> = bench_files()
        .into_iter()
        .map(|path| {
            let name = format!(
                "mutants::bench::{}::unmutated_is_accepted",
                path.file_stem().and_then(|s| s.to_str()).unwrap_or("?")
            );
            Trial::test(name, move || {
                let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
                check(
                    &path,
                    &Case::text("unmutated".into(), text, Expect::Accepted),
                )
            })
        })
        .collect();
    trials.extend(cases.into_iter().map(|(path, case)| {
        Trial::test(format!("mutants::bench::{}", case.name), move || {
            check(&path, &case)
        })
    }));
    trials
}
