//! Plan mutants. Each is written to a scratch folder beside a copy of the seed DUT
//! profiles (so `dut:` finds them as it would in `testplans/`) and loaded against the
//! built-in virtual bench.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;

use crate::check::{Case, Expect, danger, judge};
use crate::edit::{Line, lines, other_dimension, quantity, replace_line};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn plan_files() -> Vec<PathBuf> {
    rig::discover::plans_in(&repo().join("testplans")).expect("testplans/ is readable")
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("?")
        .to_string()
}

/// At most this many mutants of one kind per plan, so the corpus stays quick.
const PER_KIND: usize = 4;

/// Every mutant of every plan.
pub fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    for path in plan_files() {
        let text = std::fs::read_to_string(&path).expect("a plan is readable");
        let stem = stem(&path);
        for mut case in mutants(&text) {
            case.name = format!("{stem}::{}", case.name);
            cases.push(case);
        }
    }
    cases
}

/// The mutants of one plan's text.
fn mutants(text: &str) -> Vec<Case> {
    let ls = lines(text);
    let mut out = Vec::new();
    out.extend(key_typos(text, &ls));
    out.extend(unit_mistakes(text, &ls));
    out.extend(magnitudes(text, &ls));
    out.extend(signs(text, &ls));
    out.extend(identity(text, &ls));
    out.extend(nesting(text, &ls));
    out.extend(encodings(text, &ls));
    out.extend(structure(text, &ls));
    out
}

fn case(name: String, text: String, expect: Expect) -> Case {
    Case::text(name, text, expect)
}

/// A key misspelt (`sourcex:`) on each line with a key, one per distinct key.
fn key_typos(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for l in ls.iter().filter(|l| !l.free_text || l.key.is_some()) {
        let Some(key) = l.key.filter(|k| !seen.contains(k)) else {
            continue;
        };
        seen.push(key);
        let typo = l.text.replacen(&format!("{key}:"), &format!("{key}x:"), 1);
        out.push(case(
            format!("key_typo::{key}@{}", l.number),
            replace_line(text, l.number, &typo),
            Expect::RefusedAt(l.number),
        ));
    }
    out
}

/// The lines with a number and a unit, outside free text.
fn quantity_lines<'a>(
    ls: &'a [Line<'a>],
) -> impl Iterator<Item = (&'a Line<'a>, (usize, usize, usize, usize))> {
    ls.iter()
        .filter(|l| !l.free_text)
        .filter_map(|l| Some((l, quantity(l.text)?)))
}

/// A unit of the wrong dimension, a unit left out, a unit misspelt.
fn unit_mistakes(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = Vec::new();
    for (l, (_, end, us, ue)) in quantity_lines(ls).take(PER_KIND * 2) {
        let unit = &l.text[us..ue];
        let edits = [
            (
                "unit_swap",
                format!(
                    "{}{}{}",
                    &l.text[..us],
                    other_dimension(unit),
                    &l.text[ue..]
                ),
            ),
            ("unit_drop", format!("{}{}", &l.text[..end], &l.text[ue..])),
            (
                "unit_typo",
                format!("{}{unit}x{}", &l.text[..us], &l.text[ue..]),
            ),
        ];
        for (kind, edited) in edits {
            out.push(case(
                format!("{kind}::{unit}@{}", l.number),
                replace_line(text, l.number, &edited),
                Expect::RefusedAt(l.number),
            ));
        }
    }
    out
}

/// Keys of a measurement whose numbers are thresholds or limits, not set points.
const MEASURED_KEYS: [&str; 14] = [
    "min:",
    "max:",
    "between:",
    "time_to:",
    "value_of:",
    "when:",
    "until:",
    "integral_of:",
    "min_of:",
    "max_of:",
    "mean_of:",
    "edges_of:",
    "period_of:",
    "duty_of:",
];

/// Numbers no float holds, and set points and times far beyond any envelope or clock.
fn magnitudes(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = Vec::new();
    for (l, (start, end, us, ue)) in quantity_lines(ls).take(PER_KIND * 2) {
        let unit = &l.text[us..ue];
        let huge = match unit {
            "V" | "A" => "1e6",
            "degC" => "1e4",
            _ => "1e20",
        };
        for (kind, number) in [("overflow", "1e400"), ("huge", huge)] {
            let edited = format!("{}{number}{}", &l.text[..start], &l.text[end..]);
            // A huge threshold in a condition (`x > 1e6 A`, after `that:` or `never:`) is
            // harmless, merely never true; so is a huge divisor
            // (`0.2 * dut.capacity / 1e20 h`), merely a tiny set point, and a huge
            // limit or threshold of a measurement (`max: 1e6 V`), which is merely never met.
            let divisor = l.text[..start].trim_end().ends_with('/');
            let limit = MEASURED_KEYS
                .iter()
                .any(|k| l.text.trim_start().starts_with(k));
            let is_condition = l.text.contains("that:") || l.text.contains("never:") || limit;
            let expect = if kind == "huge" && (is_condition || divisor) {
                Expect::Either
            } else {
                Expect::RefusedAt(l.number)
            };
            out.push(case(
                format!("{kind}::{unit}@{}", l.number),
                replace_line(text, l.number, &edited),
                expect,
            ));
        }
    }
    out
}

/// A number negated: often still meaningful (`x > -5 A`); never dangerous once accepted.
fn signs(text: &str, ls: &[Line]) -> Vec<Case> {
    quantity_lines(ls)
        .take(PER_KIND * 2)
        .map(|(l, (start, ..))| {
            let edited = format!("{}-{}", &l.text[..start], &l.text[start..]);
            case(
                format!("sign::{}", l.number),
                replace_line(text, l.number, &edited),
                Expect::Either,
            )
        })
        .collect()
}

/// `dut:` as a path, `id:` too long or not a name.
fn identity(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = Vec::new();
    let field = |key: &str| {
        ls.iter()
            .find(|l| l.key == Some(key) && !l.text.starts_with(' '))
    };
    if let Some(dut) = field("dut") {
        let id = dut.text.trim_start_matches("dut:").trim();
        let long = "a".repeat(5000);
        let values = [
            format!("../duts/{id}"),
            format!("/tmp/elsewhere/{id}"),
            format!("duts/{id}"),
            format!("{id}.yaml"),
            long,
            "\"\"".to_string(),
        ];
        for (i, v) in values.iter().enumerate() {
            out.push(case(
                format!("dut_path::{i}"),
                replace_line(text, dut.number, &format!("dut: {v}")),
                Expect::RefusedAt(dut.number),
            ));
        }
    }
    if let Some(id) = field("id") {
        for (i, v) in [&"x".repeat(5000), "a/b", "../x", "\"\"", "\"two words\""]
            .iter()
            .enumerate()
        {
            out.push(case(
                format!("id::{i}"),
                replace_line(text, id.number, &format!("id: {v}")),
                Expect::RefusedAt(id.number),
            ));
        }
    }
    out
}

/// Expressions nested past any reason, and YAML nested as deep.
fn nesting(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = Vec::new();
    if let Some(that) = ls.iter().find(|l| l.key == Some("that")) {
        let (head, _) = that.text.split_once("that:").unwrap_or((that.text, ""));
        let deep = [
            (
                "parens",
                format!("{}a{}", "(".repeat(5000), ")".repeat(5000)),
            ),
            ("nots", "not ".repeat(20_000) + "a"),
            ("negations", "-".repeat(300) + "1 A > 0 A"),
            ("chain", vec!["1 A"; 100].join(" + ") + " > 0 A"),
            (
                "long",
                format!("source.current > 0 A{}", " or bms.online".repeat(200)),
            ),
        ];
        for (kind, expr) in deep {
            out.push(case(
                format!("nesting::{kind}"),
                replace_line(text, that.number, &format!("{head}that: \"{expr}\"")),
                Expect::RefusedAt(that.number),
            ));
        }
    }
    let yaml_deep = format!("{}{}{}\n", "x: ", "[".repeat(500), "]".repeat(500));
    out.push(case(
        "nesting::yaml".into(),
        format!("{yaml_deep}{text}"),
        Expect::RefusedAt(1),
    ));
    out
}

/// Bytes that are not UTF-8, a byte-order mark, Windows line ends, control characters,
/// tabs for indentation, and a line too long for the error renderer.
fn encodings(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = Vec::new();
    if let Some(title) = ls.iter().find(|l| l.key == Some("title")) {
        for (kind, byte) in [("invalid_utf8", 0xffu8), ("latin1", 0xe9)] {
            let mut bytes = Vec::new();
            for (i, l) in text.lines().enumerate() {
                bytes.extend_from_slice(l.as_bytes());
                if i + 1 == title.number {
                    bytes.push(byte);
                }
                bytes.push(b'\n');
            }
            out.push(Case {
                name: format!("encoding::{kind}"),
                bytes,
                expect: Expect::RefusedAt(title.number),
            });
        }
        let nul = format!("{}\u{0}x", title.text);
        out.push(case(
            "encoding::nul".into(),
            replace_line(text, title.number, &nul),
            Expect::Either,
        ));
    }
    out.push(case(
        "encoding::bom".into(),
        format!("\u{feff}{text}"),
        Expect::Either,
    ));
    out.push(case(
        "encoding::crlf".into(),
        text.replace('\n', "\r\n"),
        Expect::Either,
    ));
    if let Some(step) = ls.iter().find(|l| l.text.starts_with("  - ")) {
        let tabbed = format!("\t- {}", &step.text[4..]);
        out.push(case(
            "encoding::tab".into(),
            replace_line(text, step.number, &tabbed),
            Expect::RefusedAt(step.number),
        ));
    }
    if let Some(t) = ls
        .iter()
        .find(|l| l.key == Some("timeout") && !l.text.starts_with(' '))
    {
        let far = format!("timeout: {}10 secs", " ".repeat(70_000));
        out.push(case(
            "size::column_past_65535".into(),
            replace_line(text, t.number, &far),
            Expect::RefusedAt(t.number),
        ));
    }
    out.push(case(
        "size::two_megabytes".into(),
        format!("{text}#{}\n", "x".repeat(2 << 20)),
        Expect::Refused,
    ));
    if let Some(title) = ls.iter().find(|l| l.key == Some("title")) {
        let long = format!("title: \"{}\"", "t".repeat(5000));
        out.push(case(
            "size::long_title".into(),
            replace_line(text, title.number, &long),
            Expect::Either,
        ));
    }
    out
}

/// Keys repeated, files cut short or emptied, lines deleted.
fn structure(text: &str, ls: &[Line]) -> Vec<Case> {
    let mut out = Vec::new();
    if let Some(t) = ls
        .iter()
        .find(|l| l.key == Some("timeout") && !l.text.starts_with(' '))
    {
        let twice = format!("{}\n{}", t.text, t.text);
        out.push(case(
            "structure::duplicate_key".into(),
            replace_line(text, t.number, &twice),
            Expect::RefusedAt(t.number + 1),
        ));
    }
    out.push(case(
        "structure::empty".into(),
        String::new(),
        Expect::Refused,
    ));
    out.push(case(
        "structure::a_list".into(),
        "[]\n".into(),
        Expect::Refused,
    ));
    let half = text.len() / 2;
    let cut = (0..=half)
        .rev()
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    out.push(case(
        "structure::truncated".into(),
        text[..cut].to_string(),
        Expect::Either,
    ));
    let code: Vec<&Line> = ls.iter().filter(|l| !l.free_text).collect();
    for l in code
        .iter()
        .step_by((code.len() / PER_KIND).max(1))
        .take(PER_KIND)
    {
        out.push(case(
            format!("structure::line_deleted@{}", l.number),
            replace_line(text, l.number, ""),
            Expect::Either,
        ));
    }
    if let Some(r) = ls.iter().find(|l| l.key == Some("repeat")) {
        let head = r.text.split_once("repeat:").map_or("", |(h, _)| h);
        for (i, v) in ["4000000000", "99999999999", "-1", "1.5", "0"]
            .iter()
            .enumerate()
        {
            out.push(case(
                format!("structure::repeat_{i}"),
                replace_line(text, r.number, &format!("{head}repeat: {v}")),
                Expect::RefusedAt(r.number),
            ));
        }
    }
    out
}

/// The scratch folder, removed when the corpus has run.
pub fn scratch_root() -> PathBuf {
    std::env::temp_dir().join(format!("rig-mutants-{}", std::process::id()))
}

/// A scratch folder holding a copy of the seed profiles in `duts/`. Made once, every
/// other test thread waiting until the copies are whole: checking for the folder
/// instead let a thread read `duts/` while the first was still copying into it.
fn scratch() -> PathBuf {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    let made = SCRATCH.get_or_init(|| {
        let dir = scratch_root();
        let duts = dir.join("duts");
        std::fs::create_dir_all(&duts).expect("a scratch folder");
        for entry in std::fs::read_dir(repo().join("testplans/duts")).expect("testplans/duts") {
            let p = entry.expect("an entry").path();
            std::fs::copy(&p, duts.join(p.file_name().expect("a name"))).expect("a copy");
        }
        dir
    });
    made.clone()
}

/// Write `case` to the scratch folder and judge it.
fn check(case: &Case, n: usize) -> Result<(), Failed> {
    let dir = scratch().join(format!("plans-{n}"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("mutant.yaml");
    std::fs::write(&path, &case.bytes).map_err(|e| e.to_string())?;
    let shown = path.display().to_string();
    let bench = Bench::builtin_sim();
    let result = judge(case, (&shown, &shown), || load_plan(&path, &bench), danger);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// Every unmutated plan is accepted and passes the danger check: the check is not
/// vacuous, and the corpus starts from plans that are right.
pub fn controls() -> Vec<Trial> {
    plan_files()
        .into_iter()
        .enumerate()
        .map(|(n, path)| {
            let name = format!("mutants::plan::{}::unmutated_is_accepted", stem(&path));
            Trial::test(name, move || {
                let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
                let case = Case::text("unmutated".into(), text, Expect::Accepted);
                check(&case, 1_000_000 + n)
            })
        })
        .collect()
}

pub fn trials(cases: Vec<Case>) -> Vec<Trial> {
    cases
        .into_iter()
        .enumerate()
        .map(|(n, case)| {
            Trial::test(format!("mutants::plan::{}", case.name), move || {
                check(&case, n)
            })
        })
        .collect()
}
