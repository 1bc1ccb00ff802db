//! `rig gate`: judge a candidate run against the history (see `results::gate` for the
//! rules). Exit code 0 if nothing regressed, 1 if something did; a JUnit file and a
//! Markdown summary for the CI job page.

use super::out::{errln, outp};
use std::path::{Path, PathBuf};

use super::history::{open, since, until};
use crate::exit;
use crate::results::gate::{Options, judge};
use crate::results::history::{Filter, run_id_of, runs};
use crate::results::{RunRows, Store, chain, folder, gate_report};

#[derive(Debug, clap::Args)]
pub struct GateArgs {
    /// The run to judge: a run folder (read directly, in the database or not) or a run
    /// id in the database.
    #[arg(long, value_name = "RUN")]
    pub candidate: String,
    /// Which runs are the baseline: `key=value` pairs, comma-separated, with keys
    /// firmware, bench, dut, plan, since, until (e.g. `firmware=1.4.2,bench=lab-1`).
    #[arg(long, value_name = "SELECTOR")]
    pub baseline: String,
    /// How many of the newest matching runs make the baseline (killed runs left out).
    #[arg(long, default_value_t = 10)]
    pub last: usize,
    /// A measurement has moved outside mean ± max(SIGMA·σ, tolerance).
    #[arg(long, default_value_t = 3.0)]
    pub sigma: f64,
    /// The tolerance: percent of the limits' band width (or of the mean without two
    /// limits) a measurement may move whatever the baseline's spread.
    #[arg(long, value_name = "PCT", default_value_t = 10.0)]
    pub tolerance: f64,
    /// Results database (as for `rig run`); default: `runs/rig.db`.
    #[arg(long, value_name = "URL")]
    pub results: Option<String>,
    /// The JUnit file to write.
    #[arg(long, default_value = "gate-junit.xml")]
    pub junit: PathBuf,
    /// The Markdown summary to write (also printed).
    #[arg(long, default_value = "gate-summary.md")]
    pub markdown: PathBuf,
}

/// `firmware=1.4.2,bench=lab-1` as a filter.
pub fn parse_selector(text: &str) -> Result<Filter, String> {
    let mut f = Filter::default();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` in --baseline is not key=value"))?;
        let value = value.trim().to_string();
        match key.trim() {
            "firmware" => f.firmware = Some(value),
            "bench" => f.bench = Some(value),
            "dut" => f.dut = Some(value),
            "plan" => f.plan = Some(value),
            "since" => f.since = Some(since(&value)?),
            "until" => f.until = Some(until(&value)?),
            other => {
                return Err(format!(
                    "unknown key `{other}` in --baseline; use firmware, bench, dut, plan, \
                     since or until"
                ));
            }
        }
    }
    Ok(f)
}

pub fn gate(args: GateArgs) -> i32 {
    let mut filter = match parse_selector(&args.baseline) {
        Ok(f) => f,
        Err(e) => {
            errln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    // Plans that did not pass are baseline too: the verdict rules need them.
    filter.verdict = None;
    let (store, runtime) = match open(args.results.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let code = match runtime.block_on(gather(&store, &args, &filter)) {
        Ok((candidate, baseline)) => report(&args, &candidate, &baseline),
        Err(code) => code,
    };
    runtime.block_on(store.close());
    code
}

async fn gather(
    store: &Store,
    args: &GateArgs,
    filter: &Filter,
) -> Result<(RunRows, Vec<RunRows>), i32> {
    let db_error = |e: &dyn std::error::Error| {
        errln!("error: {}", chain(e));
        exit::RIG_ERROR
    };
    let candidate = if Path::new(&args.candidate).is_dir() {
        folder::read_run(Path::new(&args.candidate)).map_err(|e| {
            errln!("error: {}", chain(&e));
            exit::INVALID_INPUT
        })?
    } else {
        store
            .read_run(&args.candidate)
            .await
            .map_err(|e| db_error(&e))?
            .ok_or_else(|| {
                errln!(
                    "error: no run `{}` in {} (give a run folder or a run id from `rig history`)",
                    args.candidate,
                    store.target()
                );
                exit::INVALID_INPUT
            })?
    };
    let candidate_id = run_id_of(&args.candidate);
    let lines = runs(store, filter).await.map_err(|e| db_error(&e))?;
    let mut baseline = Vec::new();
    for line in lines.iter().rev() {
        if baseline.len() >= args.last {
            break;
        }
        if line.run_id == candidate_id || line.run_id == candidate.run.run_id {
            continue;
        }
        if line.run_verdict == "incomplete" {
            continue;
        }
        if let Some(rows) = store
            .read_run(&line.run_id)
            .await
            .map_err(|e| db_error(&e))?
        {
            baseline.push(only_selected(rows, filter));
        }
    }
    Ok((only_selected(candidate, filter), baseline))
}

/// With `plan=` or `dut=` in the selector, only those plans are judged.
fn only_selected(mut rows: RunRows, filter: &Filter) -> RunRows {
    rows.plans.retain(|p| {
        filter.plan.as_ref().is_none_or(|id| &p.plan.plan_id == id)
            && filter.dut.as_ref().is_none_or(|d| &p.plan.dut_id == d)
    });
    rows
}

fn report(args: &GateArgs, candidate: &RunRows, baseline: &[RunRows]) -> i32 {
    let options = Options {
        sigma: args.sigma,
        tolerance_pct: args.tolerance,
    };
    let judgement = judge(candidate, baseline, options);
    let markdown = gate_report::markdown(&judgement, &args.baseline);
    outp!("{markdown}");
    if baseline.is_empty() {
        errln!("warning: no baseline run matches `{}`", args.baseline);
    }
    let junit = match gate_report::junit(&judgement, &args.baseline) {
        Ok(x) => x,
        Err(e) => {
            errln!("error: cannot render the JUnit file: {e}");
            return exit::RIG_ERROR;
        }
    };
    for (path, text) in [(&args.junit, junit), (&args.markdown, markdown)] {
        if let Err(e) = std::fs::write(path, text) {
            errln!("error: cannot write {}: {e}", path.display());
            return exit::RIG_ERROR;
        }
    }
    errln!(
        "wrote {} and {}",
        args.junit.display(),
        args.markdown.display()
    );
    if judgement.passed() {
        exit::PASSED
    } else {
        exit::DUT_FAILED
    }
}
