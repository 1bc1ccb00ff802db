//! Reading an event log back, including one cut short by a crash or `kill -9`.

use crate::event::Event;

/// The readable part of a log.
#[derive(Clone, Debug, Default)]
pub struct LogContents {
    pub events: Vec<Event>,
    /// The log does not end with `run_finished`: the run was killed or is still going.
    pub incomplete: bool,
    /// Lines that were not valid events (a half-written last line, corruption).
    pub bad_lines: Vec<usize>,
}

/// Parse a log; never fails: unreadable lines are counted, not fatal.
pub fn parse_log(text: &str) -> LogContents {
    let mut out = LogContents::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => out.events.push(e),
            Err(_) => out.bad_lines.push(i + 1),
        }
    }
    out.incomplete = !matches!(
        out.events.last().map(|e| &e.kind),
        Some(crate::event::EventKind::RunFinished { .. })
    );
    out
}

pub fn read_log(path: &std::path::Path) -> std::io::Result<LogContents> {
    let bytes = std::fs::read(path)?;
    Ok(parse_log(&String::from_utf8_lossy(&bytes)))
}
