//! The command line: parse, dispatch, map results to exit codes. The work is done by the
//! library modules, which the tests call directly.

mod compare;
mod gate;
pub mod guard;
mod history;
mod lab;
mod list;
mod load;
pub(crate) mod out;
mod out_dir;
mod probe;
mod report;
mod results;
mod run;
mod select;
mod sim;
mod sim_matrix;
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
    /// Diagnostics on stderr and in the run folder's `rig.trace.log`: `-v` plans and
    /// steps, `-vv` every instrument exchange, `-vvv` everything. `RUST_LOG`
    /// (`RUST_LOG=rig=debug`) says it more precisely and wins.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
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
    /// Re-render a run's reports (report.html, summary.json, summary.md, junit.xml)
    /// from its event logs alone; works on a killed run too.
    Report(ReportArgs),
    /// Compare a candidate run with a baseline: verdicts and reaction times side by
    /// side. Exit code 0 if nothing regressed, 1 if something did.
    Compare(CompareArgs),
    /// Check the wiring before a night's run: connect to every instrument of the bench,
    /// print each identity, then every channel it reads (source, relays and inputs,
    /// chamber, every CAN signal). Reads only: every instrument is left as found (an
    /// output that is on stays on) unless --make-safe is given. Exit code 2 names each
    /// instrument that does not answer or answers garbage.
    Probe(ProbeArgs),
    /// Load run folders into the results database.
    Results {
        #[command(subcommand)]
        command: results::ResultsCommand,
    },
    /// Runs in the results database, filtered; `--measurement NAME` prints its trend
    /// across runs and plots it (SVG and PNG), marked by firmware.
    History(history::HistoryArgs),
    /// Judge a candidate run against a baseline of earlier runs: verdict changes, and
    /// each measurement against the baseline's spread and its own limits. Exit code 0
    /// if nothing regressed, 1 if something did; writes JUnit and a Markdown summary.
    Gate(gate::GateArgs),
    /// The virtual bench.
    Sim {
        #[command(subcommand)]
        command: SimCommand,
    },
    /// Write the JSON Schemas of plan, bench and DUT-profile files (`plan.schema.json`,
    /// `bench.schema.json`, `dut.schema.json`) for YAML editors: a file's first line
    /// `# yaml-language-server: $schema=../schemas/plan.schema.json` (relative to the
    /// file) lets the editor complete and check it.
    Schema {
        /// Folder to write them into.
        #[arg(long, value_name = "DIR", default_value = "schemas")]
        out: PathBuf,
    },
    /// Print a completion script for SHELL to standard output, e.g.
    /// `rig completions bash > ~/.local/share/bash-completion/completions/rig`.
    Completions {
        /// bash, elvish, fish, powershell or zsh.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// Bench file (default: the built-in virtual bench).
    #[arg(long)]
    pub bench: Option<PathBuf>,
    /// How long to read the channels (`10 s`, `1 min`).
    #[arg(long = "for", value_name = "DURATION", default_value = "5 s")]
    pub duration: String,
    /// One JSON document on stdout instead of tables.
    #[arg(long)]
    pub json: bool,
    /// After reading, put every instrument into its safe state (output off, relays
    /// open, chamber stopped), logged in the probe's log. Without it the probe changes
    /// nothing.
    #[arg(long)]
    pub make_safe: bool,
    /// Where the probe's event log goes (default: a `rig-probe-PID.events.jsonl` in the
    /// system's temporary folder). An existing file is refused, never overwritten.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// The catalogue of firmware defects the twin can inject.
    Defects,
    /// The defect x plan table: runs every plan on the virtual bench (in virtual time)
    /// without a defect and with each defect, and prints which plan catches which
    /// (the first expectation or measurement that failed). Exit code 1 if a defect is
    /// caught by no plan.
    Matrix(MatrixArgs),
    /// Serve the virtual bench on real sockets, in real time: SCPI source on TCP, the
    /// relay board's Modbus RTU on TCP, the F4T chamber on Modbus TCP, the pack's RS485
    /// on TCP, the BMS's CAN through socketcand, and the other instrument families
    /// (Watlow F4, ESPEC P-300, Keysight DAQ970A, Numato relays, Rigol DL3000 and BK
    /// 8600 loads) each on its own TCP port in its own wire format. Prints the bench
    /// file that reaches it. Runs until Ctrl-C.
    Serve(ServeArgs),
}

#[derive(Debug, clap::Args)]
pub struct MatrixArgs {
    /// Plan files or folders of plans (default: `testplans`).
    pub paths: Vec<PathBuf>,
    /// Only this defect (repeatable; default: the whole catalogue).
    #[arg(long = "defect", value_name = "NAME")]
    pub defects: Vec<String>,
    /// Run each plan against this DUT profile (an id in `duts/`), as `rig run --dut`
    /// does; repeatable; `all`: every profile. Without it, each plan's own `dut:`.
    #[arg(long = "dut", value_name = "ID")]
    pub duts: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to bind (loopback unless told otherwise).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// TCP port of the SCPI source/sink (0: any free port).
    #[arg(long, default_value_t = 5025)]
    pub source_port: u16,
    /// TCP port of the relay board (Modbus RTU frames, as behind an RS485 gateway).
    #[arg(long, default_value_t = 4196)]
    pub io_port: u16,
    /// TCP port of the chamber's Watlow F4T (Modbus TCP).
    #[arg(long, default_value_t = 1502)]
    pub chamber_port: u16,
    /// TCP port of the pack's RS485 (Pylontech protocol, as behind a gateway).
    #[arg(long, default_value_t = 4197)]
    pub rs485_port: u16,
    /// TCP port of the Watlow F4 chamber controller (Modbus RTU frames, address 1,
    /// as behind a serial gateway).
    #[arg(long, default_value_t = 4198)]
    pub chamber_f4_port: u16,
    /// TCP port of the ESPEC P-300 chamber controller (ASCII lines ended by CR LF; the
    /// ESPEC library's serial-forwarder port).
    #[arg(long, default_value_t = 10001)]
    pub chamber_espec_port: u16,
    /// TCP port of the Keysight DAQ970A (SCPI): channels 101-108 switch relay lines
    /// 1-8 (reset button, rapid shutdown, ...), DIO port (@302) bits 0-7 read input
    /// lines 1-8 (dry contacts).
    #[arg(long, default_value_t = 5026)]
    pub daq970a_port: u16,
    /// TCP port of the Numato 8-channel relay module (ASCII ended by CR, echo, `>`
    /// prompt): relays 0-7 switch relay lines 1-8, gpio 0-7 read input lines 1-8.
    #[arg(long, default_value_t = 4199)]
    pub numato_port: u16,
    /// TCP port of the Rigol DL3000 electronic load (SCPI).
    #[arg(long, default_value_t = 5555)]
    pub load_dl3000_port: u16,
    /// TCP port of the BK Precision 8600 electronic load (SCPI).
    #[arg(long, default_value_t = 5027)]
    pub load_bk8600_port: u16,
    /// TCP port of the pack's RS232 port (LOSUN 2.3-3 wake-up 3): any bytes wake a pack
    /// whose profile wakes on RS232; the vendor console is not modelled, nothing answers.
    #[arg(long, default_value_t = 4200)]
    pub rs232_port: u16,
    /// TCP port of the socketcand server for the BMS's CAN bus.
    #[arg(long, default_value_t = 29536)]
    pub can_port: u16,
    /// Also put the twin's CAN node on a kernel CAN interface, `socketcan:IFACE` (a
    /// USB-CAN adapter's can0, or vcan0): its frames go out there and it hears the
    /// other nodes. The printed bench file's `bms` then points at it; socketcand is
    /// served as well.
    #[arg(long, value_name = "socketcan:IFACE")]
    pub can: Option<String>,
    /// DUT profile of the pack to serve (default: the Lesso LSRR51V100AH twin).
    #[arg(long)]
    pub dut: Option<PathBuf>,
    /// Inject a firmware defect; repeatable.
    #[arg(long = "defect", value_name = "NAME")]
    pub defects: Vec<String>,
    /// Packs in parallel, the master included (default: the bench file's `dut: {
    /// packs }`, else 1); the printed bench file declares them (`dut: { packs }`), so
    /// plans that need another count are skipped on it.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..))]
    pub packs: Option<u8>,
    /// A virtual bench file to serve (docs/bench-file.md): its `sim:` instruments are the
    /// families served, its `twin:`, `dut: { packs }`, `defects:` and `faults:` build the
    /// twin. The printed bench file is this one with the served addresses.
    #[arg(long, value_name = "FILE")]
    pub bench: Option<PathBuf>,
    /// Model time runs this many times faster than the wall clock (a 4 h plan in 4 min
    /// at 60); socketcand stamps advance with it, and the printed bench file says
    /// `clock: { scale: N }` so a rig in real mode follows.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Also write the bench file that reaches the served endpoints here.
    #[arg(long)]
    pub bench_out: Option<PathBuf>,
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
    /// Run each plan against this DUT profile (an id in `duts/`), as a trial named
    /// `PLAN::PROFILE`; repeatable. `all`: every profile in the plans' `duts/` folder.
    /// Without it each plan runs against its own `dut:`.
    #[arg(long = "dut", value_name = "ID")]
    pub duts: Vec<String>,
    /// Use instruments past their calibration due date even for plans tagged
    /// `cert-precheck`, which refuse them otherwise; the log and report say so.
    #[arg(long)]
    pub allow_expired_calibration: bool,
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
    /// Skip plans whose name contains this; repeatable. A skipped plan is not checked
    /// against the bench either.
    #[arg(long, value_name = "FILTER")]
    pub skip: Vec<String>,
    /// Run only share K of N of the selected trials, for N CI jobs (as nextest's
    /// `--partition count:K/N`): sorted by trial name (the plan id, or `PLAN::PROFILE`
    /// with `--dut`), the i-th (from 0) goes to partition (i mod N) + 1. `count:K/N`
    /// is accepted too.
    #[arg(long, value_name = "K/N")]
    pub partition: Option<String>,
    /// Output format of the progress lines.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Plans run at once (default: all cores on the virtual bench, 1 on a real bench).
    #[arg(long)]
    pub test_threads: Option<usize>,
    /// One character per plan.
    #[arg(short, long)]
    pub quiet: bool,
    /// Serve a live page of the run (steps, windows, plots, verdicts, an Abort button)
    /// at ADDR (default 127.0.0.1:0, a free port); the URL is printed on stderr. The
    /// address is given as `--ui=ADDR`, so `--ui cocp` still runs the plan `cocp`. Any
    /// non-loopback address needs `--ui-token`.
    #[arg(
        long,
        value_name = "ADDR",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "127.0.0.1:0"
    )]
    pub ui: Option<std::net::SocketAddr>,
    /// The access token every request to the live page must carry (`?token=`, or
    /// `Authorization: Bearer`); required for a non-loopback `--ui` address.
    #[arg(long, value_name = "TOKEN", requires = "ui")]
    pub ui_token: Option<String>,
    /// On the virtual bench: run time at most N times the wall clock (`--pace 60`: an
    /// hour of the plan in a minute), so a person can watch the live page and abort
    /// mid-run. Without it the virtual bench runs as fast as it can.
    #[arg(long, value_name = "N", value_parser = parse_pace)]
    pub pace: Option<f64>,
    #[command(flatten)]
    pub lab: lab::LabArgs,
}

/// `--pace N`: a finite factor above zero.
fn parse_pace(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err(format!(
            "`{text}` is no pace: give how many times faster than the wall clock, a number above 0 (1 = real time)"
        )),
    }
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The run folder (holds `<plan>.events.jsonl`).
    pub run_dir: PathBuf,
    /// Also write each plan's plot as `<plan>.png`.
    #[arg(long)]
    pub png: bool,
}

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// The run folder of the last good run.
    pub baseline: PathBuf,
    /// The run folder of the run under test.
    pub candidate: PathBuf,
    /// How much longer (percent of the baseline) a reaction time may get, and how far
    /// a measurement may move either way (percent of its band width max − min, or of
    /// its value when it has one limit or none), before it counts as a regression.
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
    pub tolerance: f64,
    /// List every plan, expectation and measurement, not only what changed.
    #[arg(long)]
    pub all: bool,
}

/// Run the command line; returns the process exit code. SIGINT, SIGTERM, SIGHUP and SIGQUIT are
/// listened to before anything else, and a panic anywhere ends in exit code 2.
pub fn main() -> i32 {
    guard::install_panic_hook();
    if let Err(e) = crate::stop::install() {
        out::errln!(
            "error: cannot listen for the stop signals ({e}); nothing was run: a signal would leave instruments as they are"
        );
        return crate::exit::RIG_ERROR;
    }
    let cli = Cli::parse();
    crate::trace::init(cli.verbose, cli.command.progress());
    if !cli.command.holds_instruments() {
        crate::stop::exit_at_once();
    }
    guard::run(move || dispatch(cli))
}

impl Command {
    /// The progress display, for a run a person watches at a terminal.
    fn progress(&self) -> Option<crate::progress::Progress> {
        use std::io::IsTerminal;
        let Command::Run(args) = self else {
            return None;
        };
        let machine_read = matches!(args.format, Some(Format::Json)) || args.quiet || args.list;
        let ci = std::env::var("CI").ok();
        let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
        crate::progress::shown(
            ci.as_deref(),
            stdout.is_terminal(),
            stderr.is_terminal(),
            machine_read,
        )
        .then(crate::progress::Progress::new)
    }

    /// Whether the command connects to instruments (or serves them): it then sees a
    /// signal through [`crate::stop`] and ends safely; the others just end.
    fn holds_instruments(&self) -> bool {
        matches!(
            self,
            Command::Run(_)
                | Command::Probe(_)
                | Command::Sim {
                    command: SimCommand::Serve(_)
                }
        )
    }
}

fn dispatch(cli: Cli) -> i32 {
    match cli.command {
        Command::Run(args) => run::run(args),
        Command::Validate(args) => validate::validate(args),
        Command::List(args) => list::list(args),
        Command::Report(args) => report::report(args),
        Command::Compare(args) => compare::compare(args),
        Command::Probe(args) => probe::probe(args),
        Command::Results { command } => results::results(command),
        Command::History(args) => history::history(args),
        Command::Gate(args) => gate::gate(args),
        Command::Sim {
            command: SimCommand::Defects,
        } => sim::defects(),
        Command::Sim {
            command: SimCommand::Matrix(args),
        } => sim_matrix::matrix(args),
        Command::Sim {
            command: SimCommand::Serve(args),
        } => sim::serve(args),
        Command::Completions { shell } => completions(shell),
        Command::Schema { out } => schema(&out),
    }
}

/// `rig schema`: the schemas into `out`, each path written on stderr.
fn schema(out: &std::path::Path) -> i32 {
    match crate::schema::write_all(out) {
        Ok(paths) => {
            for path in paths {
                out::errln!("wrote {}", path.display());
            }
            crate::exit::PASSED
        }
        Err(e) => {
            out::errln!(
                "error: cannot write the schemas into {}: {e}",
                out.display()
            );
            crate::exit::RIG_ERROR
        }
    }
}

/// The completion script of `shell`, generated from the same clap definition the
/// parser uses, so it never lags behind an option.
fn completions(shell: clap_complete::Shell) -> i32 {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rig", &mut script);
    out::out(format_args!("{}", String::from_utf8_lossy(&script)));
    crate::exit::PASSED
}
