//! DUT-profile mutants: each seed profile mutated and put in a `duts/` folder beside a
//! one-step plan that names it (the nearest `duts/` wins), then the plan loaded. Most
//! profile values are only read when a plan uses them, so most mutants may be accepted;
//! a number no float holds, or bytes that are not UTF-8, are refused where they are.

use std::path::PathBuf;

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;

use crate::check::{Case, Expect, danger, judge};
use crate::edit::{lines, other_dimension, quantity, replace_line};
use crate::plans::{repo, scratch_root};

/// At most this many mutants of one kind per profile.
const PER_KIND: usize = 4;

/// Every mutant of every profile, with the profile's id.
pub fn corpus() -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("testplans/duts"))
        .expect("testplans/duts/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let id = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("a profile is readable");
        for mut case in mutants(&text) {
            case.name = format!("{id}::{}", case.name);
            cases.push((id.clone(), case));
        }
    }
    cases
}

fn mutants(text: &str) -> Vec<Case> {
    let ls = lines(text);
    let mut out = Vec::new();
    // The value, not the quotation from the manual after it.
    let found = ls.iter().filter(|l| !l.free_text).filter_map(|l| {
        let cited = ["source:", "assumption:"]
            .iter()
            .filter_map(|k| l.text.find(k))
            .min();
        let q = quantity(&l.text[..cited.unwrap_or(l.text.len())])?;
        Some((l, q))
    });
    for (l, (start, end, us, ue)) in found.take(PER_KIND) {
        let unit = &l.text[us..ue];
        let (head, tail) = (&l.text[..start], &l.text[ue..]);
        let number = &l.text[start..end];
        let edits = [
            (
                "unit_swap",
                format!("{head}{number} {}{tail}", other_dimension(unit)),
                Expect::Either,
            ),
            ("unit_drop", format!("{head}{number}{tail}"), Expect::Either),
            (
                "overflow",
                format!("{head}1e400 {unit}{tail}"),
                Expect::RefusedAt(l.number),
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
    for l in ls.iter().filter(|l| l.key.is_some()).take(PER_KIND * 2) {
        let key = l.key.unwrap_or_default();
        let typo = l.text.replacen(&format!("{key}:"), &format!("{key}x:"), 1);
        out.push(Case::text(
            format!("key_typo::{key}@{}", l.number),
            replace_line(text, l.number, &typo),
            Expect::Either,
        ));
    }
    let mut bytes = text.as_bytes().to_vec();
    let at = text.find("\nmodel:").map_or(0, |i| i + 1);
    let model_line = text[..at].lines().count() + 1;
    bytes.insert(at + "model:".len(), 0xff);
    out.push(Case {
        name: "encoding::invalid_utf8".into(),
        bytes,
        expect: Expect::RefusedAt(model_line),
    });
    out.push(Case::text(
        "structure::empty".into(),
        String::new(),
        Expect::Refused,
    ));
    out.push(Case::text(
        "nesting::yaml".into(),
        format!("x: {}{}\n{text}", "[".repeat(500), "]".repeat(500)),
        Expect::RefusedAt(1),
    ));
    out
}

/// Write the mutant profile and a plan naming it, then judge loading the plan.
fn check(id: &str, case: &Case, n: usize) -> Result<(), Failed> {
    let dir = scratch_root().join(format!("profiles-{n}"));
    let duts = dir.join("duts");
    std::fs::create_dir_all(&duts).map_err(|e| e.to_string())?;
    let profile = duts.join(format!("{id}.yaml"));
    std::fs::write(&profile, &case.bytes).map_err(|e| e.to_string())?;
    let plan = dir.join("plan.yaml");
    let text = format!("id: p\ntitle: T\ndut: {id}\ntimeout: 1 min\nsteps:\n  - wait: 1 s\n");
    std::fs::write(&plan, text).map_err(|e| e.to_string())?;
    let shown = profile.display().to_string();
    let folder = dir.display().to_string();
    let bench = Bench::builtin_sim();
    let result = judge(case, (&folder, &shown), || load_plan(&plan, &bench), danger);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

pub fn trials(cases: Vec<(String, Case)>) -> Vec<Trial> {
    cases
        .into_iter()
        .enumerate()
        .map(|(n, (id, case))| {
            Trial::test(format!("mutants::profile::{}", case.name), move || {
                check(&id, &case, n)
            })
        })
        .collect()
}
