//! Where results go: `--results URL`, else `$RIG_RESULTS`, else the lab file's
//! `results:` entry (`$RIG_LAB`, else `/etc/rig/lab.yaml` when it exists), else the
//! embedded SQLite database `rig.db` beside the run folders. `none` turns results off.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diag::{Problem, SourceFile, yaml_problem};

/// The environment variable naming the results database.
pub const RESULTS_ENV: &str = "RIG_RESULTS";
/// The environment variable naming the lab file.
pub const LAB_ENV: &str = "RIG_LAB";
/// The lab file read when `$RIG_LAB` is not set, if it exists.
pub const LAB_FILE: &str = "/etc/rig/lab.yaml";
/// The default database's file name, in the folder that holds the run folders.
pub const DEFAULT_DB: &str = "rig.db";

/// A results database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Sqlite(PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

/// The lab file: settings a lab's stations share.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabFile {
    /// The results database (`postgres://user@host/db`), also the bench reservation's.
    results: Option<String>,
}

impl Target {
    /// A `--results` value: `postgres://...`, `sqlite:PATH` or a path; `None` for `none`.
    pub fn parse(value: &str) -> Option<Target> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("none") || value.is_empty() {
            None
        } else if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Some(Target::Postgres(value.to_string()))
        } else {
            let path = value
                .strip_prefix("sqlite://")
                .or_else(|| value.strip_prefix("sqlite:"))
                .unwrap_or(value);
            Some(Target::Sqlite(PathBuf::from(path)))
        }
    }

    /// The database for a command: `flag`, the environment, the lab file, or
    /// `default_dir/rig.db`. `Ok(None)`: results are off.
    pub fn resolve(flag: Option<&str>, default_dir: &Path) -> Result<Option<Target>, Problem> {
        if let Some(value) = flag {
            return Ok(Target::parse(value));
        }
        if let Ok(value) = std::env::var(RESULTS_ENV) {
            return Ok(Target::parse(&value));
        }
        let lab = match std::env::var_os(LAB_ENV) {
            Some(path) => Some(PathBuf::from(path)),
            None => Some(PathBuf::from(LAB_FILE)).filter(|p| p.exists()),
        };
        if let Some(path) = lab
            && let Some(value) = read_lab(&path)?.results
        {
            return Ok(Target::parse(&value));
        }
        Ok(Some(Target::Sqlite(default_dir.join(DEFAULT_DB))))
    }

    /// The URL sqlx connects to.
    pub fn url(&self) -> String {
        match self {
            Target::Postgres(url) => url.clone(),
            Target::Sqlite(path) => {
                let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
                // sqlx percent-decodes the path: encode what would end or change it.
                let mut encoded = String::new();
                for c in path.display().to_string().chars() {
                    match c {
                        '%' | '?' | '#' => encoded.push_str(&format!("%{:02X}", c as u32)),
                        c => encoded.push(c),
                    }
                }
                format!("sqlite://{encoded}?mode=rwc")
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Target::Postgres(_))
    }
}

/// The database as shown to people: a PostgreSQL password is left out.
impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Sqlite(path) => write!(f, "{}", path.display()),
            Target::Postgres(url) => f.write_str(&without_password(url)),
        }
    }
}

fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_string(),
    }
}

fn read_lab(path: &Path) -> Result<LabFile, Problem> {
    let file = SourceFile::read(path)?;
    if file.text.trim().is_empty() {
        return Ok(LabFile::default());
    }
    serde_saphyr::from_str(&file.text).map_err(|e| yaml_problem(&file, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_name_their_database() {
        assert_eq!(Target::parse("none"), None);
        assert_eq!(
            Target::parse("postgres://rig@db/lab"),
            Some(Target::Postgres("postgres://rig@db/lab".into()))
        );
        assert_eq!(
            Target::parse("sqlite:runs/x.db"),
            Some(Target::Sqlite("runs/x.db".into()))
        );
        assert_eq!(
            Target::parse("/data/rig.db"),
            Some(Target::Sqlite("/data/rig.db".into()))
        );
    }

    #[test]
    fn a_password_is_not_shown() {
        let t = Target::Postgres("postgres://rig:secret@db:5432/lab".into());
        assert_eq!(t.to_string(), "postgres://rig:***@db:5432/lab");
    }

    #[test]
    fn a_sqlite_path_is_encoded_for_the_url() {
        let t = Target::Sqlite("/tmp/a?b#c%d/rig.db".into());
        assert_eq!(t.url(), "sqlite:///tmp/a%3Fb%23c%25d/rig.db?mode=rwc");
    }

    #[test]
    fn a_lab_file_with_an_unknown_key_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lab.yaml");
        std::fs::write(&path, "results: postgres://db/lab\nresutls: x\n").unwrap();
        let problem = read_lab(&path).unwrap_err();
        assert!(problem.render().contains("resutls"), "{}", problem.render());
        std::fs::write(&path, "results: postgres://db/lab\n").unwrap();
        assert_eq!(
            read_lab(&path).unwrap().results.as_deref(),
            Some("postgres://db/lab")
        );
    }
}
