//! Instrument faults the virtual bench can inject, so the rig's handling of a broken
//! bench is tested on real bytes: a connection that drops, an instrument that stops
//! answering, one that answers garbage, one that reports an error in its queue.
//!
//! A fault sits between the rig's end of a connection and the simulated instrument,
//! as a pump that copies the bytes both ways, so the instruments themselves stay
//! unaware of it. Faults start `after_s` seconds into the run (tokio time).

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::Instant;

use crate::clock::secs;

/// What goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The connection is closed once, as by a crashed instrument or a pulled cable; a
    /// new connection works again.
    Drop,
    /// The instrument takes commands but never answers again, on any connection.
    Stall,
    /// Every answer is replaced by garbage bytes of the same length (line ends kept).
    Garbage,
    /// The next setting command is rejected into the instrument's error queue, once
    /// (SCPI `-222` on the source/sink and the loads, `-113` on the DAQ970A, which has
    /// no `SOUR:VOLT`); only SCPI instruments have an error queue.
    Error,
}

impl FaultKind {
    pub const ALL: &'static [(&'static str, FaultKind)] = &[
        ("drop", FaultKind::Drop),
        ("stall", FaultKind::Stall),
        ("garbage", FaultKind::Garbage),
        ("error", FaultKind::Error),
    ];
}

impl FromStr for FaultKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                format!(
                    "unknown fault `{s}`; faults: {}",
                    Self::ALL
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// One injected fault on one byte endpoint (any of [`crate::SimBench::endpoints`]
/// but `can0`).
#[derive(Clone, Debug, PartialEq)]
pub struct InstrumentFault {
    pub endpoint: String,
    pub kind: FaultKind,
    /// Seconds after the bench started.
    pub after_s: f64,
}

/// A fault armed on a bench: remembers whether a one-shot fault has fired.
#[derive(Clone, Debug)]
pub(crate) struct ArmedFault {
    pub fault: InstrumentFault,
    pub at: Instant,
    fired: Arc<AtomicBool>,
}

impl ArmedFault {
    pub fn new(fault: InstrumentFault, start: Instant) -> Self {
        let at = start + secs(fault.after_s);
        Self {
            fault,
            at,
            fired: Arc::default(),
        }
    }

    fn active(&self) -> bool {
        crate::clock::now() >= self.at
    }

    /// True the first time a one-shot fault is due.
    fn fire_once(&self) -> bool {
        self.active() && !self.fired.swap(true, Ordering::SeqCst)
    }
}

/// A command an instrument rejects with `-222 Data out of range`: above any rating.
const REJECTED_COMMAND: &[u8] = b"SOUR:VOLT 9999\n";

/// Copy bytes between the rig's end and the instrument's end, applying the fault.
pub(crate) async fn pump(mut rig: DuplexStream, mut instrument: DuplexStream, fault: ArmedFault) {
    let mut from_rig = [0u8; 4096];
    let mut from_instrument = [0u8; 4096];
    loop {
        if fault.fault.kind == FaultKind::Drop && fault.active() && fault.fire_once() {
            // Dropping both ends closes the rig's connection.
            return;
        }
        let wake_at = fault.at.max(crate::clock::now());
        tokio::select! {
            biased;
            n = rig.read(&mut from_rig) => {
                let n = match n { Ok(0) | Err(_) => return, Ok(n) => n };
                let chunk = &from_rig[..n];
                // Put the rejected command just before the first setting line (no `?`).
                let setting_at = if fault.fault.kind == FaultKind::Error && fault.active() {
                    first_setting_line(chunk)
                } else {
                    None
                };
                let (before, after) = match setting_at {
                    Some(at) if fault.fire_once() => chunk.split_at(at),
                    _ => (chunk, &[][..]),
                };
                if instrument.write_all(before).await.is_err() {
                    return;
                }
                if setting_at.is_some()
                    && !after.is_empty()
                    && (instrument.write_all(REJECTED_COMMAND).await.is_err()
                        || instrument.write_all(after).await.is_err())
                {
                    return;
                }
            }
            n = instrument.read(&mut from_instrument) => {
                let n = match n { Ok(0) | Err(_) => return, Ok(n) => n };
                let chunk = &mut from_instrument[..n];
                match fault.fault.kind {
                    FaultKind::Stall if fault.active() => continue,
                    FaultKind::Garbage if fault.active() => {
                        for b in chunk.iter_mut() {
                            if *b != b'\n' {
                                *b = b'#';
                            }
                        }
                    }
                    _ => {}
                }
                if rig.write_all(chunk).await.is_err() {
                    return;
                }
            }
            () = crate::clock::sleep_until(wake_at), if fault.fault.kind == FaultKind::Drop && !fault.active() => {}
        }
    }
}

/// Byte offset of the first complete line without a `?` (a setting, not a query).
fn first_setting_line(chunk: &[u8]) -> Option<usize> {
    let mut start = 0;
    for line in chunk.split_inclusive(|b| *b == b'\n') {
        if line.ends_with(b"\n")
            && !line.contains(&b'?')
            && line.iter().any(|b| !b.is_ascii_whitespace())
        {
            return Some(start);
        }
        start += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::first_setting_line;

    #[test]
    fn finds_the_first_setting_among_queries() {
        assert_eq!(first_setting_line(b"SOUR:VOLT 5\nSYST:ERR?\n"), Some(0));
        assert_eq!(
            first_setting_line(b"MEAS:VOLT?\nOUTP ON\nSYST:ERR?\n"),
            Some(11)
        );
        assert_eq!(first_setting_line(b"MEAS:VOLT?\n"), None);
        assert_eq!(first_setting_line(b"OUTP ON"), None);
    }
}
