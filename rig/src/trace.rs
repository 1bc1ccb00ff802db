//! Diagnostics for whoever debugs the rig or a bench: what the engine and the drivers do,
//! as `tracing` spans (one per plan, one per step) and events (one per instrument
//! exchange, at `debug`). Off unless asked for, by `RUST_LOG` (`RUST_LOG=rig=debug`) or
//! by `-v` (`info`: plans and steps), `-vv` (`debug`: every exchange), `-vvv` (`trace`).
//! When on, they go to stderr and, once a run has its folder, to `rig.trace.log` in it.
//!
//! They are diagnostics, not results: the event log (`<plan>.events.jsonl`) stays the
//! record of a run, and nothing here changes it.

use std::fs::File;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The diagnostics file's name in a run folder.
pub const TRACE_FILE: &str = "rig.trace.log";

/// Whether diagnostics were asked for (a filter is set), so a run writes its file.
static ON: AtomicBool = AtomicBool::new(false);

/// The open diagnostics file of the current run, if any.
static FILE: Mutex<Option<File>> = Mutex::new(None);

/// The filter that `RUST_LOG` or `-v` ask for; `None`: diagnostics off. `RUST_LOG`
/// wins over `-v`, as it is the more precise of the two.
pub fn directives(rust_log: Option<&str>, verbose: u8) -> Option<String> {
    match rust_log.map(str::trim) {
        Some(set) if !set.is_empty() => Some(set.to_owned()),
        _ => match verbose {
            0 => None,
            1 => Some("rig=info".into()),
            2 => Some("rig=debug".into()),
            _ => Some("rig=trace".into()),
        },
    }
}

/// Installs the process's subscriber: diagnostics as [`directives`] say, and the
/// progress display whatever they say. An invalid `RUST_LOG` is said, not fatal.
pub fn init(verbose: u8, progress: Option<crate::progress::Progress>) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let valid = directives(rust_log.as_deref(), verbose).filter(|d| {
        let parsed = EnvFilter::builder().parse(d);
        if let Err(e) = &parsed {
            crate::cli::out::err(format_args!(
                "warning: RUST_LOG `{d}` is not a valid filter ({e}); diagnostics are off\n"
            ));
        }
        parsed.is_ok()
    });
    ON.store(valid.is_some(), Ordering::Relaxed);
    // The same filter for stderr and the file (a filter belongs to one layer).
    let layers = valid.map(|d| {
        let stderr = tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .with_filter(EnvFilter::new(&d));
        let file = tracing_subscriber::fmt::layer()
            .with_writer(RunFile)
            .with_ansi(false)
            .with_filter(EnvFilter::new(&d));
        stderr.and_then(file)
    });
    // A second init (tests calling the CLI in-process) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(progress.map(crate::progress::Progress::layer))
        .with(layers)
        .try_init();
}

/// Opens `rig.trace.log` in the run folder, if diagnostics are on; what came before
/// (loading the plans) went to stderr only.
pub fn to_run_folder(dir: &Path) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    let path = dir.join(TRACE_FILE);
    match std::fs::create_dir_all(dir).and_then(|()| File::create(&path)) {
        Ok(f) => {
            if let Ok(mut slot) = FILE.lock() {
                *slot = Some(f);
            }
        }
        Err(e) => crate::cli::out::err(format_args!(
            "warning: cannot write the diagnostics to {}: {e}\n",
            path.display()
        )),
    }
}

/// The run folder's diagnostics file as a `tracing` writer: nothing until it is open.
#[derive(Clone, Copy)]
struct RunFile;

struct RunFileWriter;

impl<'a> MakeWriter<'a> for RunFile {
    type Writer = RunFileWriter;

    fn make_writer(&'a self) -> RunFileWriter {
        RunFileWriter
    }
}

impl Write for RunFileWriter {
    /// One formatted event per call; a write error loses that line, never the run.
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut slot) = FILE.lock()
            && let Some(file) = slot.as_mut()
        {
            let _ = file.write_all(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::directives;

    #[test]
    fn rust_log_wins_over_v_and_nothing_means_off() {
        assert_eq!(directives(None, 0), None);
        assert_eq!(directives(Some("  "), 0), None);
        assert_eq!(directives(None, 1).as_deref(), Some("rig=info"));
        assert_eq!(directives(None, 2).as_deref(), Some("rig=debug"));
        assert_eq!(directives(None, 5).as_deref(), Some("rig=trace"));
        assert_eq!(
            directives(Some("rig_drivers=trace"), 1).as_deref(),
            Some("rig_drivers=trace")
        );
    }
}
