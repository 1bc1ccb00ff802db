//! Loading what a command names: the bench and the plans, with every problem reported
//! at once on stderr.

use super::out::errln;
use std::path::{Path, PathBuf};

use super::BenchArgs;
use super::select::{Candidate, Chosen, Selection, all_names, candidate, select};
use crate::bench::{Bench, calibration};
use crate::diag::{Problem, Problems};
use crate::plan::Plan;
use crate::runner::{Prepared, prepare};

/// Default folder of plans.
pub const DEFAULT_PLANS: &str = "testplans";

/// Plans loaded and checked, with what each run needs.
pub struct Loaded {
    pub bench: Bench,
    pub plans: Vec<(Plan, Prepared)>,
    /// Positional words that are not paths: filters on plan names.
    pub filters: Vec<String>,
}

pub fn print_problems(problems: &Problems) {
    for p in problems.iter() {
        errln!("{}", p.render());
    }
    errln!(
        "error: {} problem{} found; nothing was connected or changed",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
}

/// The bench and the plans `args` names that `sel` keeps, each once per profile of
/// `--dut`. Trials are picked by name first (filters, `--skip`, `--partition`): only
/// those are checked against the bench.
pub fn load(args: &BenchArgs, sel: &Selection) -> Result<Loaded, Problems> {
    let sel = &Selection {
        duts: args.duts.clone(),
        ..sel.clone()
    };
    let mut bench = match &args.bench {
        Some(path) => Bench::load(path)?,
        None => Bench::builtin_sim(),
    };
    let now = crate::results::wallclock::now_unix();
    warn_expired(&bench, now, args.allow_expired_calibration);
    if args.allow_expired_calibration {
        calibration::override_expired(&mut bench, now);
    }
    let (files, filters, mut problems) = plan_files(&args.paths);
    let candidates: Vec<Candidate> = files.into_iter().map(candidate).collect();
    let known = all_names(&candidates, sel);
    let mut plans = Vec::new();
    for chosen in select(candidates, &filters, sel) {
        match load_trial(&chosen, &bench, &args.defects) {
            Ok(p) => plans.push(p),
            Err(p) => problems.extend(p),
        }
    }
    // A problem that is not any one file's (a misspelt `--defect`) is the same for
    // every plan: say it once.
    let mut said = std::collections::BTreeSet::new();
    problems
        .0
        .retain(|p| p.location().is_some() || said.insert(p.one_line()));
    if problems.is_empty() {
        let ids = known
            .iter()
            .map(String::as_str)
            .chain(plans.iter().map(|(p, _)| p.id.as_str()));
        problems.extend(unmatched_filters(&filters, ids.collect()));
    }
    for (plan, prepared) in &plans {
        let on = prepared.bench.as_deref().unwrap_or(&bench);
        if let Some(why) = calibration::refusal(&plan.tags, on, now) {
            problems.push(Problem::in_file(&plan.file, why).help(
                "recalibrate them, or pass --allow-expired-calibration (the log and the report then say so)",
            ));
        }
    }
    let mut seen = std::collections::BTreeMap::new();
    for (plan, _) in &plans {
        if let Some(other) = seen.insert(plan.id.clone(), plan.file.path.clone()) {
            problems.push(Problem::in_file(
                &plan.file,
                format!("plan id `{}` is also used by {}", plan.id, other.display()),
            ));
        }
    }
    problems.into_result(Loaded {
        bench,
        plans,
        filters,
    })
}

/// A line per instrument past its calibration date: the run goes on, flagged.
fn warn_expired(bench: &Bench, now: i64, allowed: bool) {
    for i in calibration::expired(bench, now) {
        if let Some(c) = &i.calibration {
            errln!(
                "warning: instrument `{}` of bench `{}` is past its calibration date ({}){}",
                i.name,
                bench.name,
                c.due,
                if allowed {
                    "; used on --allow-expired-calibration"
                } else {
                    ""
                }
            );
        }
    }
}

/// One trial: the plan for its profile, named `PLAN::PROFILE` when `--dut` chose the
/// profile, with what its run needs (and the bench it runs on, when sized for it).
fn load_trial(
    chosen: &Chosen,
    bench: &Bench,
    defects: &[String],
) -> Result<(Plan, Prepared), Problems> {
    let (plan, on) = crate::plan::load_trial(&chosen.file, chosen.dut.as_deref(), bench)?;
    let mut prepared = prepare(&plan, on.as_ref().unwrap_or(bench), defects)?;
    // The twin without a firmware description runs the profile's nominal values: a run
    // that checks against those same numbers proves less.
    if let Some(note) = &prepared.firmware_note
        && note.contains("no firmware description")
    {
        errln!("note: {note}");
    }
    prepared.bench = on.map(std::sync::Arc::new);
    Ok((plan, prepared))
}

/// The plan files the positional words name (or `testplans/`), the words that are
/// name filters, and the problems with the rest.
fn plan_files(words: &[String]) -> (Vec<PathBuf>, Vec<String>, Problems) {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut filters = Vec::new();
    let mut problems = Problems::default();
    for word in words {
        let path = Path::new(word);
        if path.is_dir() {
            match crate::discover::plans_in(path) {
                Ok(found) => files.extend(found),
                Err(e) => {
                    problems.push(Problem::without_source(format!("cannot read {word}: {e}")))
                }
            }
        } else if path.is_file() {
            files.push(path.to_path_buf());
        } else if word.ends_with(".yaml") || word.ends_with(".yml") || word.contains('/') {
            problems.push(Problem::without_source(format!(
                "no such plan file or folder: {word}"
            )));
        } else {
            filters.push(word.clone());
        }
    }
    if words.iter().all(|w| !Path::new(w).exists()) && problems.is_empty() {
        match crate::discover::plans_in(Path::new(DEFAULT_PLANS)) {
            Ok(found) => files.extend(found),
            Err(_) => problems.push(
                Problem::without_source(format!(
                    "no plans given and no `{DEFAULT_PLANS}/` folder here"
                ))
                .help("name plan files or folders, or run from the repository's top folder"),
            ),
        }
    }
    (files, filters, problems)
}

/// A filter no plan id contains would run nothing and exit as if all passed: refused,
/// with the nearest ids.
fn unmatched_filters(filters: &[String], ids: Vec<&str>) -> Problems {
    let mut problems = Problems::default();
    for f in filters
        .iter()
        .filter(|f| !ids.iter().any(|id| id.contains(f.as_str())))
    {
        let close = crate::diag::near_misses(f, ids.iter().copied());
        let help = match close.first() {
            Some(id) => format!("did you mean `{id}`?"),
            None => "`rig list` shows the plans".to_string(),
        };
        problems.push(
            Problem::without_source(format!("no plan matches `{f}`; nothing would run")).help(help),
        );
    }
    problems
}
