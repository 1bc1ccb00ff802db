//! A run folder read back from its event logs, and every report written from it.
//!
//! `rig run` calls [`write_reports`] when the plans are done; `rig report` calls it again
//! on any run folder, so a killed run, or one made by an older rig, gets the same files.

use std::path::{Path, PathBuf};

use crate::detail::PlanDetail;
use crate::event::Verdict;
use crate::log::read_log;
use crate::summary::PlanSummary;

/// The suffix of a plan's event log in a run folder.
pub const LOG_SUFFIX: &str = ".events.jsonl";

/// One plan of a run: its log, its summary and what the report shows of it.
#[derive(Clone, Debug)]
pub struct PlanData {
    pub log_path: PathBuf,
    /// The log's file name, for links relative to the run folder.
    pub log_name: String,
    pub summary: PlanSummary,
    pub detail: PlanDetail,
}

/// A run folder's plans, sorted by plan id.
#[derive(Clone, Debug)]
pub struct RunData {
    pub dir: PathBuf,
    pub plans: Vec<PlanData>,
}

/// What the reports say about how the run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitCode {
    pub code: i32,
    /// The code `rig run` returned, rather than one derived from the verdicts.
    pub observed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read the run folder {dir}")]
    ReadDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{dir} holds no event log (*{LOG_SUFFIX})")]
    NoLogs { dir: PathBuf },
    #[error("cannot read {path}")]
    ReadLog {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot render the JUnit report")]
    Junit(#[source] quick_junit::SerializeError),
    #[error("cannot render the JSON summary")]
    Json(#[source] serde_json::Error),
    #[error("cannot plot plan {plan}")]
    Plot {
        plan: String,
        #[source]
        source: crate::plot::PlotError,
    },
}

impl PlanData {
    /// Read one plan's log. A log that does not even start a run still makes a plan,
    /// named after its file and marked incomplete, so the report shows it.
    pub fn read(path: &Path) -> Result<PlanData, ReportError> {
        let log = read_log(path).map_err(|source| ReportError::ReadLog {
            path: path.to_path_buf(),
            source,
        })?;
        let log_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let summary = PlanSummary::from_log(&log).unwrap_or_else(|| PlanSummary {
            plan_id: log_name.trim_end_matches(LOG_SUFFIX).to_string(),
            title: String::new(),
            plan_file: String::new(),
            plan_hash: String::new(),
            dut_id: String::new(),
            dut_model: String::new(),
            bench: String::new(),
            defects: Vec::new(),
            verdict: Verdict::Error,
            message: Some(
                "the log does not start with run_started: nothing is known about this run".into(),
            ),
            duration_s: 0.0,
            steps: Vec::new(),
            incomplete: true,
            bad_lines: log.bad_lines.len(),
            errors: Vec::new(),
        });
        let detail = PlanDetail::from_log(&log);
        Ok(PlanData {
            log_path: path.to_path_buf(),
            log_name,
            summary,
            detail,
        })
    }
}

impl RunData {
    /// Every `*.events.jsonl` in `dir`.
    pub fn load(dir: &Path) -> Result<RunData, ReportError> {
        let entries = std::fs::read_dir(dir).map_err(|source| ReportError::ReadDir {
            dir: dir.to_path_buf(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.to_string_lossy().ends_with(LOG_SUFFIX))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(ReportError::NoLogs {
                dir: dir.to_path_buf(),
            });
        }
        Self::from_logs(dir, &paths)
    }

    /// The named logs, as a run folder `dir`.
    pub fn from_logs(dir: &Path, logs: &[PathBuf]) -> Result<RunData, ReportError> {
        let mut plans = logs
            .iter()
            .map(|p| PlanData::read(p))
            .collect::<Result<Vec<_>, _>>()?;
        plans.sort_by(|a, b| a.summary.plan_id.cmp(&b.summary.plan_id));
        Ok(RunData {
            dir: dir.to_path_buf(),
            plans,
        })
    }

    /// The worst verdict: error over fail over pass; skipped counts as pass.
    pub fn verdict(&self) -> Verdict {
        self.plans
            .iter()
            .map(|p| p.summary.verdict)
            .max_by_key(|v| match v {
                Verdict::Pass | Verdict::Skipped => 0,
                Verdict::Fail => 1,
                Verdict::Error => 2,
            })
            .unwrap_or(Verdict::Pass)
    }

    /// `rig run`'s exit code for these verdicts: 0 pass, 1 the DUT failed, 2 the rig or
    /// bench failed (see `rig::exit`).
    pub fn derived_exit_code(&self) -> i32 {
        match self.verdict() {
            Verdict::Pass | Verdict::Skipped => 0,
            Verdict::Fail => 1,
            Verdict::Error => 2,
        }
    }

    /// Name every plan's unreached steps from its plan: `steps_of` gives the plan's
    /// steps for a summary (`None` when the plan file is not at hand or is not the one
    /// the log ran).
    pub fn name_unreached_steps(
        &mut self,
        steps_of: impl Fn(&PlanSummary) -> Option<Vec<crate::summary::PlannedStep>>,
    ) {
        for p in &mut self.plans {
            if p.summary.steps.iter().all(|s| s.reached) {
                continue;
            }
            if let Some(steps) = steps_of(&p.summary) {
                p.summary.name_unreached(&steps);
            }
        }
    }

    pub fn incomplete(&self) -> bool {
        self.plans.iter().any(|p| p.summary.incomplete)
    }
}

/// What [`write_reports`] writes besides the defaults.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// The exit code `rig run` is about to return, when known.
    pub exit_code: Option<i32>,
    /// Also write `<plan>.png` per plan.
    pub png: bool,
}

/// The files written, in the order written.
pub const REPORT_FILES: [&str; 4] = ["junit.xml", "summary.json", "summary.md", "report.html"];

/// Write `junit.xml`, `summary.json`, `summary.md`, `report.html` (and PNGs on request)
/// into the run folder. Returns the paths written.
pub fn write_reports(run: &RunData, options: Options) -> Result<Vec<PathBuf>, ReportError> {
    let exit = match options.exit_code {
        Some(code) => ExitCode {
            code,
            observed: true,
        },
        None => ExitCode {
            code: run.derived_exit_code(),
            observed: false,
        },
    };
    let mut written = Vec::new();
    let mut write = |name: &str, bytes: &[u8]| -> Result<(), ReportError> {
        let path = run.dir.join(name);
        std::fs::write(&path, bytes).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
        Ok(())
    };
    let junit_plans: Vec<_> = run
        .plans
        .iter()
        .map(|p| (p.summary.clone(), p.log_path.display().to_string()))
        .collect();
    let xml = crate::junit::render("rig", &junit_plans).map_err(ReportError::Junit)?;
    write("junit.xml", xml.as_bytes())?;
    let json = crate::json::render(run, exit).map_err(ReportError::Json)?;
    write("summary.json", json.as_bytes())?;
    write("summary.md", crate::markdown::render(run, exit).as_bytes())?;
    let html = crate::html::render(run, exit)?;
    write("report.html", html.as_bytes())?;
    if options.png {
        for p in &run.plans {
            let path = run
                .dir
                .join(format!("{}.png", safe_file_name(&p.summary.plan_id)));
            crate::plot::png(&p.detail, &path).map_err(|source| ReportError::Plot {
                plan: p.summary.plan_id.clone(),
                source,
            })?;
            written.push(path);
        }
    }
    Ok(written)
}

/// A plan id from a log, fit to name a file: anything but letters, digits, `-`, `_` and
/// `.` becomes `_`, so a corrupt log cannot write outside the run folder.
pub fn safe_file_name(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim_matches('.') {
        "" => "plan".into(),
        _ => name,
    }
}
