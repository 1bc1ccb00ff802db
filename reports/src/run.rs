//! A run folder read back from its event logs, and every report written from it.
//!
//! `rig run` calls [`write_reports`] when the plans are done; `rig report` calls it again
//! on any run folder, so a killed run, or one made by an older rig, gets the same files.

use std::path::{Path, PathBuf};

use crate::detail::{DetailReader, PlanDetail};
use crate::event::Verdict;
use crate::log::open_compact;
use crate::summary::{PlanSummary, SummaryReader};

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
        let read_error = |source| ReportError::ReadLog {
            path: path.to_path_buf(),
            source,
        };
        // One pass over the log, event by event: neither its text nor its events are
        // held, and the wire traffic (which no report shows) is not replayed.
        let mut log = open_compact(path).map_err(read_error)?;
        let (mut summary, mut detail) = (SummaryReader::default(), DetailReader::default());
        for e in log.by_ref() {
            summary.read(&e);
            detail.read(&e);
        }
        if let Some(e) = log.take_error() {
            return Err(read_error(e));
        }
        let log_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bad_lines = log.bad_lines().len();
        let summary = summary
            .finish(log.incomplete(), bad_lines)
            .unwrap_or_else(|| PlanSummary {
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
                    "the log does not start with run_started: nothing is known about this run"
                        .into(),
                ),
                duration_s: 0.0,
                steps: Vec::new(),
                incomplete: true,
                bad_lines,
                errors: Vec::new(),
            });
        let detail = detail.finish();
        Ok(PlanData {
            log_path: path.to_path_buf(),
            log_name,
            summary,
            detail,
        })
    }
}

/// One plan's summary, read from its log in one pass (`None`: the log starts no run).
pub fn read_summary(path: &Path) -> std::io::Result<Option<PlanSummary>> {
    let mut log = open_compact(path)?;
    let mut summary = SummaryReader::default();
    for e in log.by_ref() {
        summary.read(&e);
    }
    if let Some(e) = log.take_error() {
        return Err(e);
    }
    Ok(summary.finish(log.incomplete(), log.bad_lines().len()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{Spec, log};

    /// A synthetic log with a stretch of repeated polls after its first line.
    fn with_traffic(text: &str) -> String {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let wire = [
            r#"{"seq":0,"t":0.0,"event":"sent","instrument":"rs485","text":"~poll"}"#,
            r#"{"seq":0,"t":1.0,"event":"sent","instrument":"rs485","text":"~poll"}"#,
            r#"{"seq":0,"t":50.0,"event":"repeated","instrument":"rs485","period":1,"count":49,"since":2.0}"#,
        ];
        for (i, w) in wire.iter().enumerate() {
            lines.insert(1 + i, w.to_string());
        }
        // Renumber: the reports count gaps in `seq`.
        let renumbered: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let rest = l.split_once(',').map_or("", |(_, r)| r);
                format!("{{\"seq\":{i},{rest}")
            })
            .collect();
        renumbered.join("\n") + "\n"
    }

    #[test]
    fn a_plan_read_in_one_pass_says_what_the_whole_log_says() {
        let text = with_traffic(&log(&Spec {
            fail: true,
            ..Spec::default()
        }));
        let dir = std::env::temp_dir().join(format!("rig-reports-run-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("synthetic{LOG_SUFFIX}"));
        std::fs::write(&path, &text).unwrap();
        let streamed = PlanData::read(&path).unwrap();
        let summary = read_summary(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let whole = crate::log::parse_log(&text);
        assert_eq!(whole.events.len(), text.lines().count() - 1 + 49);
        let expected = PlanSummary::from_log(&whole).unwrap();
        assert_eq!(streamed.summary, expected);
        assert_eq!(summary.as_ref(), Some(&expected));
        assert_eq!(expected.verdict, Verdict::Fail);
        let detail = PlanDetail::from_log(&whole);
        assert_eq!(streamed.detail.series, detail.series);
        assert_eq!(streamed.detail.expectations, detail.expectations);
        assert_eq!(streamed.detail.seq_gaps, 0);
        assert_eq!(streamed.detail.event_count, detail.event_count);
    }
}
