//! A run folder turned into rows: its `run.json` (if any) and every plan's event log.
//! `rig run` writes its results through here after the plans end, and `rig results
//! import` does the same for any folder, so both give the same rows.

use std::path::{Path, PathBuf};

use rig_reports::run::LOG_SUFFIX;

use super::info::RunInfo;
use super::rows::{PlanRows, RunRow, RunRows};
use super::wallclock;

#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("cannot read the run folder {dir}")]
    ReadDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{dir} holds no event log (*{LOG_SUFFIX}): not a run folder")]
    NoLogs { dir: String },
    #[error("cannot read {path}")]
    ReadLog {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Info(#[from] super::info::RunInfoError),
}

/// Every row a run folder gives.
pub fn read_run(dir: &Path) -> Result<RunRows, FolderError> {
    let read_dir = |source| FolderError::ReadDir {
        dir: dir.display().to_string(),
        source,
    };
    let dir = std::fs::canonicalize(dir).map_err(read_dir)?;
    let info = RunInfo::read(&dir)?;
    let logs = plan_logs(&dir).map_err(read_dir)?;
    if logs.is_empty() {
        return Err(FolderError::NoLogs {
            dir: dir.display().to_string(),
        });
    }
    let mut plans = Vec::new();
    for path in &logs {
        let mut rows =
            super::log::read_plan(path, &path.display().to_string()).map_err(|source| {
                FolderError::ReadLog {
                    path: path.display().to_string(),
                    source,
                }
            })?;
        if let Some(dut) = info.as_ref().and_then(|i| i.duts.get(&rows.plan.plan_id)) {
            rows.plan.dut_file = Some(dut.file.clone());
            rows.plan.dut_hash = Some(dut.hash.clone());
        }
        plans.push(rows);
    }
    plans.sort_by(|a, b| a.plan.plan_id.cmp(&b.plan.plan_id));
    let run = match &info {
        Some(info) => run_from_info(&dir, info, &plans),
        None => run_without_info(&dir, &logs, &plans),
    };
    Ok(RunRows { run, plans })
}

/// The id a run folder's rows get: `run.json`'s, else one made from its path.
pub fn run_id(dir: &Path) -> Result<String, FolderError> {
    let dir = std::fs::canonicalize(dir).map_err(|source| FolderError::ReadDir {
        dir: dir.display().to_string(),
        source,
    })?;
    Ok(match RunInfo::read(&dir)? {
        Some(info) => info.run_id,
        None => id_from_path(&dir),
    })
}

fn id_from_path(dir: &Path) -> String {
    format!("dir-{}", super::fingerprint_hex(&dir.display().to_string()))
}

/// `*.events.jsonl` in `dir`, sorted.
fn plan_logs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut logs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().ends_with(LOG_SUFFIX))
        {
            logs.push(path);
        }
    }
    logs.sort();
    Ok(logs)
}

fn run_from_info(dir: &Path, info: &RunInfo, plans: &[PlanRows]) -> RunRow {
    let killed = info.finished_unix.is_none();
    RunRow {
        run_id: info.run_id.clone(),
        run_dir: dir.display().to_string(),
        station: info.station.clone(),
        station_user: info.user.clone(),
        bench: info.bench.clone(),
        firmware_label: info.firmware_label.clone(),
        started_at: Some(wallclock::iso(info.started_unix)),
        started_unix: Some(info.started_unix),
        finished_at: info.finished_unix.map(wallclock::iso),
        finished_unix: info.finished_unix,
        verdict: run_verdict(plans, killed),
        exit_code: info.exit_code.map(i64::from),
        rig_version: Some(info.rig_version.clone()),
        plan_count: plans.len() as i64,
    }
}

/// A folder made before `run.json`: the id comes from its path, the start from its
/// name (`runs/2026-11-21T18-30-05Z`) or else its first log's time, the end from its
/// last log's time; the station and the operator are unknown.
fn run_without_info(dir: &Path, logs: &[PathBuf], plans: &[PlanRows]) -> RunRow {
    let times: Vec<i64> = logs.iter().filter_map(|p| modified_unix(p)).collect();
    let named = dir
        .file_name()
        .and_then(|n| wallclock::parse(&n.to_string_lossy()));
    let started = named.or_else(|| times.iter().min().copied());
    let finished = times.iter().max().copied();
    RunRow {
        run_id: id_from_path(dir),
        run_dir: dir.display().to_string(),
        station: None,
        station_user: None,
        bench: plans
            .first()
            .map(|p| p.plan.bench.clone())
            .unwrap_or_default(),
        firmware_label: None,
        started_at: started.map(wallclock::iso),
        started_unix: started,
        finished_at: finished.map(wallclock::iso),
        finished_unix: finished,
        verdict: run_verdict(plans, false),
        exit_code: None,
        rig_version: None,
        plan_count: plans.len() as i64,
    }
}

fn modified_unix(path: &Path) -> Option<i64> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    let secs = modified
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    i64::try_from(secs).ok()
}

/// `incomplete` if the run was killed or a log ends early; else the worst plan verdict,
/// a skipped plan counting as no failure (as `rig run`'s exit code has it).
fn run_verdict(plans: &[PlanRows], killed: bool) -> String {
    if killed || plans.iter().any(|p| p.plan.incomplete) {
        return "incomplete".into();
    }
    let any = |v: &str| plans.iter().any(|p| p.plan.verdict == v);
    if any("error") {
        "error"
    } else if any("fail") {
        "fail"
    } else {
        "pass"
    }
    .into()
}
