//! The command line: parse, dispatch, map results to exit codes. The work is done by the
//! library modules, which the tests call directly.

mod list;
mod load;
mod run;
mod sim;
mod validate;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "rig",
    version,
    about = "Hardware-in-the-loop test rig for 48 V LiFePO4 battery packs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run plans (files or folders; default `testplans/`). Other words are filters on
    /// plan names, as with `cargo test`.
    Run(RunArgs),
    /// Check plans, their DUT profiles and the bench without touching anything.
    Validate(BenchArgs),
    /// List plans with their DUT, tags and title.
    List(BenchArgs),
    /// The virtual bench.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// The catalogue of firmware defects the twin can inject.
    Defects,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Plan files or folders (default: `testplans/`).
    pub paths: Vec<String>,
    /// Bench file (default: the built-in virtual bench).
    #[arg(long)]
    pub bench: Option<PathBuf>,
    /// Inject a firmware defect into the twin (virtual bench only); repeatable.
    #[arg(long = "defect", value_name = "NAME")]
    pub defects: Vec<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    Pretty,
    Terse,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub bench: BenchArgs,
    /// Folder for this run's event logs and JUnit file (default: `runs/<date>-<time>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// List the plans that would run, and run nothing.
    #[arg(long)]
    pub list: bool,
    /// Filters must match plan names exactly.
    #[arg(long)]
    pub exact: bool,
    /// Skip plans whose name contains this; repeatable.
    #[arg(long, value_name = "FILTER")]
    pub skip: Vec<String>,
    /// Output format of the progress lines.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Plans run at once (default: all cores on the virtual bench, 1 on a real bench).
    #[arg(long)]
    pub test_threads: Option<usize>,
    /// One character per plan.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Run the command line; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::validate(args),
        Command::List(args) => list::list(args),
        Command::Sim {
            command: SimCommand::Defects,
        } => sim::defects(),
    }
}
