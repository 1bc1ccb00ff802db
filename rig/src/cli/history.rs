//! `rig history`: the runs in the results database, filtered; with `--measurement`, one
//! measurement's trend across them as a table and a plot (SVG and PNG).

use super::out::{errln, outln, outp};
use std::path::{Path, PathBuf};

use crate::exit;
use crate::results::history::{Filter, RunLine, TrendPoint, runs, trend};
use crate::results::{Store, Target, chain, wallclock};

/// Where `rig history` and `rig gate` look by default: `runs/rig.db`.
pub const DEFAULT_RUNS: &str = "runs";

#[derive(Debug, clap::Args)]
pub struct HistoryArgs {
    /// Results database (as for `rig run`); default: `runs/rig.db`.
    #[arg(long, value_name = "URL")]
    pub results: Option<String>,
    /// Only runs of this plan.
    #[arg(long)]
    pub plan: Option<String>,
    /// Only runs against this DUT profile id.
    #[arg(long)]
    pub dut: Option<String>,
    /// Only runs on this bench.
    #[arg(long)]
    pub bench: Option<String>,
    /// Only runs of this firmware (the run's `--firmware-label`, else the pack's 0x96).
    #[arg(long)]
    pub firmware: Option<String>,
    /// Only runs with a plan of this verdict (pass, fail, error, skipped).
    #[arg(long)]
    pub verdict: Option<String>,
    /// Runs started on or after this date (`2026-11-01`, `2026-11-01T18:00`, UTC).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Runs started before this instant, or on or before this day for a date alone.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// The trend of this measurement (`cocp.trip_delay`) instead of the run list.
    #[arg(long, value_name = "NAME")]
    pub measurement: Option<String>,
    /// Only the newest N runs (or values, with --measurement).
    #[arg(long, value_name = "N")]
    pub last: Option<usize>,
    /// Folder for the trend plot (`trend-<name>.svg` and `.png`).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub plot_dir: PathBuf,
}

impl HistoryArgs {
    fn filter(&self) -> Result<Filter, String> {
        Ok(Filter {
            plan: self.plan.clone(),
            dut: self.dut.clone(),
            bench: self.bench.clone(),
            firmware: self.firmware.clone(),
            verdict: self.verdict.clone(),
            since: self.since.as_deref().map(since).transpose()?,
            until: self.until.as_deref().map(until).transpose()?,
        })
    }
}

pub fn since(text: &str) -> Result<i64, String> {
    wallclock::parse(text).ok_or_else(|| bad_date(text))
}

/// A date alone includes its whole day.
pub fn until(text: &str) -> Result<i64, String> {
    let t = wallclock::parse(text).ok_or_else(|| bad_date(text))?;
    Ok(if text.trim().len() == 10 {
        t + 86_400
    } else {
        t
    })
}

fn bad_date(text: &str) -> String {
    format!("`{text}` is not a date: write 2026-11-01 or 2026-11-01T18:30 (UTC)")
}

/// Open the database a reading command names; the error is the exit code.
pub fn open(results: Option<&str>) -> Result<(Store, tokio::runtime::Runtime), i32> {
    let target = match Target::resolve(results, Path::new(DEFAULT_RUNS)) {
        Ok(Some(t)) => t,
        Ok(None) => {
            errln!("error: results are off (`none`): no history to read");
            return Err(exit::INVALID_INPUT);
        }
        Err(p) => {
            errln!("{}", p.render());
            return Err(exit::INVALID_INPUT);
        }
    };
    if let Target::Sqlite(path) = &target
        && !path.exists()
    {
        errln!(
            "error: no results database at {} (`rig run` makes one; `rig results import` \
             loads old run folders; --results names another)",
            path.display()
        );
        return Err(exit::INVALID_INPUT);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            errln!("error: cannot start the runtime: {e}");
            exit::RIG_ERROR
        })?;
    let store = runtime.block_on(Store::open(&target)).map_err(|e| {
        errln!("error: {}", chain(&e));
        exit::RIG_ERROR
    })?;
    Ok((store, runtime))
}

pub fn history(args: HistoryArgs) -> i32 {
    let filter = match args.filter() {
        Ok(f) => f,
        Err(e) => {
            errln!("error: {e}");
            return exit::INVALID_INPUT;
        }
    };
    let (store, runtime) = match open(args.results.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let code = match &args.measurement {
        None => match runtime.block_on(runs(&store, &filter)) {
            Ok(lines) => {
                outp!("{}", run_table(newest(&lines, args.last)));
                exit::PASSED
            }
            Err(e) => {
                errln!("error: {}", chain(&e));
                exit::RIG_ERROR
            }
        },
        Some(name) => match runtime.block_on(trend(&store, name, &filter)) {
            Ok(points) => show_trend(name, newest(&points, args.last), &args.plot_dir),
            Err(e) => {
                errln!("error: {}", chain(&e));
                exit::RIG_ERROR
            }
        },
    };
    runtime.block_on(store.close());
    code
}

fn newest<T>(all: &[T], last: Option<usize>) -> &[T] {
    let skip = last.map_or(0, |n| all.len().saturating_sub(n));
    all.get(skip..).unwrap_or_default()
}

fn run_table(lines: &[RunLine]) -> String {
    let mut out = format!(
        "{:<20} {:<32} {:<14} {:<12} {:<10} {:>4} {:>4} {:>4} {:>4}  not passed\n",
        "started", "run", "bench", "firmware", "verdict", "pass", "fail", "err", "skip"
    );
    for l in lines {
        out.push_str(&format!(
            "{:<20} {:<32} {:<14} {:<12} {:<10} {:>4} {:>4} {:>4} {:>4}  {}\n",
            l.started_at.as_deref().unwrap_or("?"),
            l.run_id,
            l.bench,
            l.firmware.as_deref().unwrap_or("-"),
            l.run_verdict,
            l.passed,
            l.failed,
            l.errors,
            l.skipped,
            l.not_passed.join(", ")
        ));
    }
    out.push_str(&format!(
        "{} run{}\n",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" }
    ));
    out
}

fn show_trend(name: &str, points: &[TrendPoint], plot_dir: &Path) -> i32 {
    let fmt = crate::results::gate::fmt;
    let opt = |v: Option<f64>| v.map_or("-".to_string(), fmt);
    outln!(
        "{:<20} {:<32} {:<12} {:<24} {:>12} {:<6} {:>10} {:>10} {:>10}  verdict",
        "started",
        "run",
        "firmware",
        "plan",
        "value",
        "unit",
        "min",
        "max",
        "margin"
    );
    for p in points {
        outln!(
            "{:<20} {:<32} {:<12} {:<24} {:>12} {:<6} {:>10} {:>10} {:>10}  {}",
            p.started_at.as_deref().unwrap_or("?"),
            p.run_id,
            p.firmware.as_deref().unwrap_or("-"),
            p.plan_id,
            opt(p.value),
            p.unit,
            opt(p.min),
            opt(p.max),
            opt(p.margin),
            p.verdict
        );
    }
    outln!(
        "{} value{} of {name}",
        points.len(),
        if points.len() == 1 { "" } else { "s" }
    );
    if points.is_empty() {
        errln!("no run recorded `{name}` (among the runs the filters select): no plot");
        return exit::PASSED;
    }
    let trend = rig_reports::trend::Trend {
        name: name.to_string(),
        unit: points.last().map(|p| p.unit.clone()).unwrap_or_default(),
        min: points.last().and_then(|p| p.min),
        max: points.last().and_then(|p| p.max),
        points: points
            .iter()
            .filter_map(|p| {
                Some(rig_reports::trend::Point {
                    label: p
                        .started_at
                        .as_deref()
                        .unwrap_or("?")
                        .chars()
                        .take(10)
                        .collect(),
                    firmware: p.firmware.clone().unwrap_or_else(|| "unknown".into()),
                    value: p.value?,
                    failed: p.verdict == "fail",
                })
            })
            .collect(),
    };
    plot(&trend, plot_dir)
}

/// `trend-<name>.svg` and `.png` in `plot_dir`.
fn plot(trend: &rig_reports::trend::Trend, plot_dir: &Path) -> i32 {
    let safe: String = trend
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let svg_path = plot_dir.join(format!("trend-{safe}.svg"));
    let png_path = plot_dir.join(format!("trend-{safe}.png"));
    let written = std::fs::create_dir_all(plot_dir)
        .map_err(|e| e.to_string())
        .and_then(|()| rig_reports::trend::svg(trend).map_err(|e| e.to_string()))
        .and_then(|svg| std::fs::write(&svg_path, svg).map_err(|e| e.to_string()))
        .and_then(|()| rig_reports::trend::png(trend, &png_path).map_err(|e| e.to_string()));
    match written {
        Ok(()) => {
            errln!("wrote {} and {}", svg_path.display(), png_path.display());
            exit::PASSED
        }
        Err(e) => {
            errln!(
                "error: cannot write the plot into {}: {e}",
                plot_dir.display()
            );
            exit::RIG_ERROR
        }
    }
}
