//! `run.json` in a run folder: what the event logs cannot say about a run (the station,
//! the operator, the wall-clock start and end, the exit code, the firmware label and
//! the DUT profile files' hashes). `rig run` writes it before the first plan starts and
//! again at the end, so a killed run's folder says when it started and that it never
//! ended. An import reads it; a folder made before it existed imports without it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The file's name in the run folder.
pub const RUN_INFO: &str = "run.json";

/// Bumped when a change would make older readers misread the file.
pub const RUN_INFO_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub format_version: u32,
    pub run_id: String,
    pub station: Option<String>,
    pub user: Option<String>,
    pub bench: String,
    pub firmware_label: Option<String>,
    pub rig_version: String,
    pub started_unix: i64,
    pub finished_unix: Option<i64>,
    pub exit_code: Option<i32>,
    /// DUT profile file and its FNV-1a hash, by plan id.
    #[serde(default)]
    pub duts: BTreeMap<String, DutFile>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DutFile {
    pub file: String,
    pub hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RunInfoError {
    #[error("cannot read {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: not a run.json: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("cannot write {path}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl RunInfo {
    /// The run's info, or `None` for a folder without `run.json`.
    pub fn read(dir: &Path) -> Result<Option<RunInfo>, RunInfoError> {
        let path = dir.join(RUN_INFO);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(RunInfoError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| RunInfoError::Parse {
                path: path.display().to_string(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })
    }

    /// Write it whole or not at all (a temporary file renamed over the old one).
    pub fn write(&self, dir: &Path) -> Result<(), RunInfoError> {
        let path = dir.join(RUN_INFO);
        let tmp = dir.join(format!(".{RUN_INFO}.tmp"));
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(&tmp, text + "\n"))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| RunInfoError::Write {
                path: path.display().to_string(),
                source,
            })
    }
}

/// This station's host name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`).
pub fn host_name() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// Who runs rig (`$USER`, else `$LOGNAME`).
pub fn user_name() -> Option<String> {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.is_empty())
}
