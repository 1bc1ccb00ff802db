//! Shared helpers: find plans, run them on the virtual bench, read their logs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use libtest_mimic::Failed;
use rig::bench::Bench;
use rig::plan::load_plan;
use rig::runner::{PlanOutcome, prepare, run_plan};
use rig_reports::{EventKind, Verdict};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn plan_files() -> Vec<PathBuf> {
    rig::discover::plans_in(&repo().join("testplans")).expect("testplans/ is readable")
}

pub fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("?")
        .to_string()
}

/// This process's folder of run logs: one per test process, so that two `cargo test`
/// runs side by side never share one, and `main` removes it in one go.
pub fn scratch_root() -> PathBuf {
    std::env::temp_dir().join(format!("rig-tests-{}", std::process::id()))
}

/// A fresh folder for one run's logs, under [`scratch_root`].
pub fn scratch(label: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = scratch_root().join(format!("{}-{label}", N.fetch_add(1, Ordering::Relaxed)));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The end of the test process: the run logs go when every trial passed (a full run
/// writes hundreds of megabytes) and stay, named, when one failed, for the post-mortem.
pub fn clean_up(conclusion: &libtest_mimic::Conclusion) {
    let root = scratch_root();
    if conclusion.has_failed() {
        if root.exists() {
            eprintln!(
                "the run logs of this test process are kept in {}",
                root.display()
            );
        }
    } else {
        let _ = std::fs::remove_dir_all(&root);
    }
}

/// Run a plan on the built-in virtual bench with the given defects.
pub fn run(plan: &Path, defects: &[&str], label: &str) -> Result<PlanOutcome, Failed> {
    let bench = Bench::builtin_sim();
    let plan = load_plan(plan, &bench).map_err(|p| Failed::from(format!("plan rejected: {p}")))?;
    let defects: Vec<String> = defects.iter().map(|d| d.to_string()).collect();
    let prepared = prepare(&plan, &bench, &defects)
        .map_err(|p| Failed::from(format!("cannot prepare: {p}")))?;
    Ok(run_plan(&plan, &bench, &prepared, &scratch(label)))
}

pub fn events(outcome: &PlanOutcome) -> Vec<EventKind> {
    rig_reports::log::read_log(&outcome.log_path)
        .map(|l| l.events.into_iter().map(|e| e.kind).collect())
        .unwrap_or_default()
}

pub fn assert_passes(plan: &Path) -> Result<(), Failed> {
    let outcome = run(plan, &[], "pass")?;
    if outcome.verdict != Verdict::Pass {
        return Err(format!(
            "expected pass, got {:?}: {}",
            outcome.verdict,
            outcome.message.unwrap_or_default()
        )
        .into());
    }
    // A pass must come from expectations that were evaluated, each one passing.
    let evs = events(&outcome);
    let results: Vec<&Verdict> = evs
        .iter()
        .filter_map(|e| match e {
            EventKind::Expectation { verdict, .. } => Some(verdict),
            _ => None,
        })
        .collect();
    if results.is_empty() || results.iter().any(|v| **v != Verdict::Pass) {
        return Err(format!("a pass needs every expectation passed: {results:?}").into());
    }
    let safe = evs
        .iter()
        .filter(|e| matches!(e, EventKind::SafeState { ok: true, .. }))
        .count();
    if safe < 2 {
        return Err(format!(
            "expected the source and the relay board made safe, saw {safe} safe-state events"
        )
        .into());
    }
    Ok(())
}

/// Run a plan twice on the twin; the two event logs must be byte-identical. Returns the
/// log's bytes.
pub fn same_bytes_twice(plan: &Path, label: &str) -> Result<Vec<u8>, Failed> {
    let a = run(plan, &[], &format!("{label}-a"))?;
    let b = run(plan, &[], &format!("{label}-b"))?;
    let (a_bytes, b_bytes) = (
        std::fs::read(&a.log_path).map_err(|e| e.to_string())?,
        std::fs::read(&b.log_path).map_err(|e| e.to_string())?,
    );
    if a_bytes.is_empty() {
        return Err("the event log is empty".into());
    }
    if a_bytes != b_bytes {
        let first = a_bytes
            .iter()
            .zip(&b_bytes)
            .position(|(x, y)| x != y)
            .unwrap_or(a_bytes.len().min(b_bytes.len()));
        // Say how each run ended: a difference is a bug to find, and its first clue is
        // usually which run stopped early and why.
        let context = |bytes: &[u8]| {
            let start = first.saturating_sub(300).min(bytes.len());
            let end = (first + 300).min(bytes.len());
            String::from_utf8_lossy(&bytes[start..end]).into_owned()
        };
        return Err(format!(
            "event logs differ from byte {first} ({} vs {} bytes)\n\
             run a: {:?} {:?}\nrun b: {:?} {:?}\n\
             around the difference in a:\n{}\nin b:\n{}",
            a_bytes.len(),
            b_bytes.len(),
            a.verdict,
            a.message,
            b.verdict,
            b.message,
            context(&a_bytes),
            context(&b_bytes)
        )
        .into());
    }
    Ok(a_bytes)
}

pub fn assert_deterministic() -> Result<(), Failed> {
    let plan = repo().join("testplans/cocp_lockout.yaml");
    let a_bytes = same_bytes_twice(&plan, "det")?;
    // A defect run differs, so the comparison above can fail.
    let c = run(&plan, &["cocp_no_lockout"], "det-c")?;
    if std::fs::read(&c.log_path).map_err(|e| e.to_string())? == a_bytes {
        return Err("a run with a defect wrote the same log as one without".into());
    }
    Ok(())
}

/// One trial per test function, named `<module>::<function>`:
/// `trials!("safety", exit_on_pass_is_safe, ...)`.
macro_rules! trials {
    ($module:literal, $($test:ident),+ $(,)?) => {
        vec![$(libtest_mimic::Trial::test(concat!($module, "::", stringify!($test)), $test)),+]
    };
}
pub(crate) use trials;
