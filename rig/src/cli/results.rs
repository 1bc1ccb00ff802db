//! `rig results import RUN_DIR...`: load run folders into the results database: any
//! folder, also a killed run's or one made before the database existed.

use super::out::errln;
use std::path::{Path, PathBuf};

use crate::exit;
use crate::results::{Target, chain, record_run};

#[derive(Debug, clap::Subcommand)]
pub enum ResultsCommand {
    /// Load run folders into the results database (again: a folder's rows are replaced,
    /// never duplicated). The same rows as `rig run` writes at the end of a run.
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Run folders (each holds `<plan>.events.jsonl`).
    #[arg(required = true)]
    pub run_dirs: Vec<PathBuf>,
    /// Results database (as for `rig run`); default: `rig.db` beside each run folder.
    #[arg(long, value_name = "URL")]
    pub results: Option<String>,
}

pub fn results(command: ResultsCommand) -> i32 {
    match command {
        ResultsCommand::Import(args) => import(&args),
    }
}

fn import(args: &ImportArgs) -> i32 {
    let mut code = exit::PASSED;
    for dir in &args.run_dirs {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let target = match Target::resolve(args.results.as_deref(), parent) {
            Ok(Some(t)) => t,
            Ok(None) => {
                errln!("error: results are off (`none`): nothing to import into");
                return exit::INVALID_INPUT;
            }
            Err(p) => {
                errln!("{}", p.render());
                return exit::INVALID_INPUT;
            }
        };
        match record_run(dir, &target) {
            Ok(rows) => errln!(
                "imported {} as run {} ({} plan{}, {}) into {target}",
                dir.display(),
                rows.run.run_id,
                rows.plans.len(),
                if rows.plans.len() == 1 { "" } else { "s" },
                rows.run.verdict
            ),
            Err(e) => {
                errln!("error: {}", chain(&e));
                code = match e {
                    crate::results::ResultsError::Folder(_) => exit::INVALID_INPUT,
                    _ => exit::RIG_ERROR,
                }
                .max(code);
            }
        }
    }
    code
}
