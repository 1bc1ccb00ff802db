//! What `rig run` does for the lab around its plans: before the first plan, reserve
//! the bench (a real bench only: the virtual bench gives every plan its own twin) and
//! write `run.json`; after the last, finish `run.json` and write the results. Nothing
//! here can fail a run that has started: a results write that fails is a warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::info::{DutFile, RUN_INFO_VERSION, RunInfo};
use super::lock::{Holder, StationLock};
use super::pg_lock::LabLock;
use super::target::Target;
use super::wallclock;
use crate::bench::Bench;
use crate::exit;
use crate::plan::Plan;

/// What the operator asked for (`rig run --results, --firmware-label, --wait-bench`).
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub results: Option<String>,
    pub firmware_label: Option<String>,
    pub wait_bench: bool,
}

/// A run in progress, holding its bench.
#[derive(Debug)]
pub struct Session {
    dir: PathBuf,
    info: RunInfo,
    target: Option<Target>,
    // Released when the session ends, after the results are written.
    _station: Option<StationLock>,
    _lab: Option<LabLock>,
}

/// Reserve the bench and note the run's start; `Err` is the exit code of a run that
/// must not start (the bench is in use, or the results setting is invalid).
pub fn begin<'a>(
    options: &Options,
    bench: &Bench,
    plans: impl IntoIterator<Item = &'a Plan>,
    out_dir: &Path,
) -> Result<Session, i32> {
    let parent = out_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let target = Target::resolve(options.results.as_deref(), parent).map_err(|p| {
        eprintln!("{}", p.render());
        exit::INVALID_INPUT
    })?;
    let holder = Holder::this_process(out_dir);
    let (station, lab) = if bench.is_virtual() {
        (None, None)
    } else {
        reserve(&bench.name, &holder, options.wait_bench, target.as_ref())?
    };
    let started = wallclock::now_unix();
    let info = RunInfo {
        format_version: RUN_INFO_VERSION,
        run_id: run_id(started, &holder),
        station: super::info::host_name(),
        user: super::info::user_name(),
        bench: bench.name.clone(),
        firmware_label: options.firmware_label.clone(),
        rig_version: env!("CARGO_PKG_VERSION").to_string(),
        started_unix: started,
        finished_unix: None,
        exit_code: None,
        duts: plans
            .into_iter()
            .map(|p| {
                let file = DutFile {
                    file: p.dut.file.path.display().to_string(),
                    hash: super::fingerprint_hex(&p.dut.file.text),
                };
                (p.id.clone(), file)
            })
            .collect::<BTreeMap<_, _>>(),
    };
    if let Err(e) = info.write(out_dir) {
        eprintln!("warning: {}", super::chain(&e));
    }
    Ok(Session {
        dir: out_dir.to_path_buf(),
        info,
        target,
        _station: station,
        _lab: lab,
    })
}

fn reserve(
    bench: &str,
    holder: &Holder,
    wait: bool,
    target: Option<&Target>,
) -> Result<(Option<StationLock>, Option<LabLock>), i32> {
    let waiting = |who: &str| {
        eprintln!("bench `{bench}` is in use by {who}; waiting for it (--wait-bench)");
    };
    let refused = |e: &dyn std::error::Error| {
        eprintln!("error: {}", super::chain(e));
        if !wait {
            eprintln!("  (hint: --wait-bench waits until the bench is free)");
        }
        eprintln!("nothing was connected or changed");
        exit::RIG_ERROR
    };
    let station = super::lock::reserve(bench, holder, wait, waiting).map_err(|e| refused(&e))?;
    let lab = match target {
        Some(Target::Postgres(url)) => Some(
            super::pg_lock::reserve(url, &target_name(target), bench, holder, wait, waiting)
                .map_err(|e| refused(&e))?,
        ),
        _ => None,
    };
    eprintln!(
        "bench `{bench}` reserved for this run ({}{})",
        station.path.display(),
        if lab.is_some() {
            format!(", and in the lab database {}", target_name(target))
        } else {
            String::new()
        }
    );
    Ok((Some(station), lab))
}

fn target_name(target: Option<&Target>) -> String {
    target.map(ToString::to_string).unwrap_or_default()
}

/// `20261121T183005Z-station1-4242`: when, where and which process.
fn run_id(started: i64, holder: &Holder) -> String {
    let host: String = holder
        .host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let when: String = wallclock::iso(started)
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect();
    format!("{when}-{host}-{}", holder.pid)
}

impl Session {
    /// Note the end and write the results; the bench is released when this returns.
    pub fn end(mut self, exit_code: i32) {
        self.info.finished_unix = Some(wallclock::now_unix());
        self.info.exit_code = Some(exit_code);
        if let Err(e) = self.info.write(&self.dir) {
            eprintln!("warning: {}", super::chain(&e));
        }
        let Some(target) = &self.target else {
            return;
        };
        match super::record_run(&self.dir, target) {
            Ok(rows) => eprintln!("results: run {} written to {target}", rows.run.run_id),
            Err(e) => eprintln!(
                "warning: the results were not written to {target}: {}\n  the run folder \
                 keeps them; load them later with `rig results import {}`",
                super::chain(&e),
                self.dir.display()
            ),
        }
    }
}
