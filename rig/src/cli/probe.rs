//! `rig probe`: identities and a live table of every channel of a bench.

use super::out::{errln, outln, outp};
use std::io::IsTerminal;

use super::ProbeArgs;
use super::load::print_problems;
use crate::bench::Bench;
use crate::exit;
use crate::quantity::Dim;
use crate::runner::{ProbeOptions, ProbeReport, probe as run_probe};

pub fn probe(args: ProbeArgs) -> i32 {
    let bench = match &args.bench {
        Some(path) => match Bench::load(path) {
            Ok(b) => b,
            Err(p) => {
                print_problems(&p);
                return exit::INVALID_INPUT;
            }
        },
        None => Bench::builtin_sim(),
    };
    let seconds = match crate::expr::parse(&args.duration)
        .ok()
        .and_then(|e| crate::expr::BoundExpr::bind(&e, &NoNames).ok())
        .and_then(|b| b.as_const())
    {
        Some(crate::expr::Value::Num(q)) if q.dim == Dim::Time && q.value > 0.0 => q.value,
        _ => {
            errln!(
                "error: --for takes a duration such as `10 s` or `1 min`, not `{}`",
                args.duration
            );
            return exit::INVALID_INPUT;
        }
    };
    let Some(log_path) = log_path(&args) else {
        return exit::INVALID_INPUT;
    };
    let live = !args.json && std::io::stdout().is_terminal() && !bench.is_virtual();
    let mut tick = |r: &ProbeReport| {
        if live {
            // Redraw in place: the lab watches values move while it wiggles cables.
            outp!("\x1b[H\x1b[2J{}", render(r));
        }
    };
    let options = ProbeOptions {
        seconds,
        make_safe: args.make_safe,
    };
    let report = match run_probe(&bench, options, &log_path, &mut tick) {
        Ok(r) => r,
        Err(e) => {
            errln!("error: cannot probe: {e}");
            return exit::RIG_ERROR;
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(j) => outln!("{j}"),
            Err(e) => {
                errln!("error: {e}");
                return exit::RIG_ERROR;
            }
        }
    } else {
        if live {
            outp!("\x1b[H\x1b[2J");
        }
        outp!("{}", render(&report));
        errln!("probe log: {}", log_path.display());
    }
    let failed = report.failed();
    if failed.is_empty() {
        exit::PASSED
    } else {
        for i in failed {
            errln!(
                "error: {} ({}, {}): {}",
                i.name,
                i.driver,
                i.resource,
                i.error.as_deref().unwrap_or("")
            );
        }
        exit::RIG_ERROR
    }
}

struct NoNames;

impl crate::expr::Scope for NoNames {
    fn lookup(&self, path: &[String]) -> Result<crate::expr::Binding, (String, Option<String>)> {
        Err((format!("`{}` is not a duration", path.join(".")), None))
    }
}

fn render(r: &ProbeReport) -> String {
    let mut out = format!("bench {}\n\n", r.bench);
    out.push_str(&format!(
        "{:<10} {:<18} {:<40} {}\n",
        "INSTRUMENT", "DRIVER", "RESOURCE", "IDENTITY"
    ));
    for i in &r.instruments {
        let status = match (&i.identity, &i.error) {
            (_, Some(e)) => format!("FAILED: {e}"),
            (Some(id), None) => id.clone(),
            (None, None) => "?".into(),
        };
        out.push_str(&format!(
            "{:<10} {:<18} {:<40} {status}\n",
            i.name, i.driver, i.resource
        ));
    }
    out.push_str(&format!(
        "\n{:<44} {:>12} {:<5} {}\n",
        "CHANNEL", "VALUE", "UNIT", "READ AT"
    ));
    for c in &r.channels {
        let value = match &c.value {
            Some(v) => v.to_string(),
            None => "-".into(),
        };
        let at = c.at_s.map_or("never".to_string(), |t| format!("{t:.1} s"));
        out.push_str(&format!(
            "{:<44} {:>12} {:<5} {at}\n",
            c.name, value, c.unit
        ));
    }
    out
}

/// Where the probe's log goes: `--log`, never over an existing file (a mistyped path
/// must not cost the lab a file), else a fresh name in the system's temporary folder.
fn log_path(args: &ProbeArgs) -> Option<std::path::PathBuf> {
    match &args.log {
        Some(p) if p.symlink_metadata().is_ok() => {
            errln!(
                "error: --log {}: the file exists; the probe writes a new log only",
                p.display()
            );
            None
        }
        Some(p) => Some(p.clone()),
        None => Some(
            std::env::temp_dir().join(format!("rig-probe-{}.events.jsonl", std::process::id())),
        ),
    }
}
