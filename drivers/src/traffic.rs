//! The record of what went over the wire, for the rig's event log.
//!
//! Drivers report every command they send and every answer they receive, so a failed
//! run can be read back byte by byte. Reporting is best effort on purpose: a closed log
//! channel must never turn into an instrument error in the middle of a run.

use std::sync::Arc;

use tokio::sync::mpsc;

/// Which way a piece of traffic went, seen from the rig.
#[derive(Clone, Debug, PartialEq)]
pub enum Direction {
    Sent,
    Received,
}

impl Direction {
    /// `->` for what the rig sent, `<-` for what it received, in diagnostics.
    fn arrow(&self) -> &'static str {
        match self {
            Direction::Sent => "->",
            Direction::Received => "<-",
        }
    }
}

/// The payload of one piece of traffic.
#[derive(Clone, Debug, PartialEq)]
pub enum Wire {
    /// One line of a text protocol (SCPI), without its terminator.
    Text(String),
    /// A chunk of a binary protocol (Modbus ADUs), exactly as read or written.
    Bytes(Vec<u8>),
}

/// Text as written; bytes as upper-case hex pairs (`01 05 00 10`), as the event log.
impl std::fmt::Display for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Wire::Text(text) => write!(f, "{text:?}"),
            Wire::Bytes(bytes) => {
                for (i, b) in bytes.iter().enumerate() {
                    let sep = if i == 0 { "" } else { " " };
                    write!(f, "{sep}{b:02X}")?;
                }
                Ok(())
            }
        }
    }
}

/// One command, answer or chunk exchanged with an instrument.
#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    /// The bench name of the instrument (`source`, `relays`).
    pub instrument: Arc<str>,
    pub direction: Direction,
    pub wire: Wire,
}

/// Where drivers send their [`Traffic`]; the rig's event log holds the receiver.
pub type TrafficSink = mpsc::UnboundedSender<Traffic>;

/// The reporting half a driver keeps: its instrument name and an optional sink.
#[derive(Clone, Debug)]
pub(crate) struct TrafficReporter {
    instrument: Arc<str>,
    sink: Option<TrafficSink>,
}

impl TrafficReporter {
    pub(crate) fn new(instrument: Arc<str>, sink: Option<TrafficSink>) -> Self {
        Self { instrument, sink }
    }

    pub(crate) fn instrument(&self) -> &Arc<str> {
        &self.instrument
    }

    /// Sends one record; a missing or closed sink is ignored (see the module doc).
    /// Every record is also a `debug` diagnostic (`RUST_LOG=rig=debug`): this is the
    /// one place all drivers pass, so no driver traces its exchanges itself.
    pub(crate) fn report(&self, direction: Direction, wire: Wire) {
        tracing::debug!(instrument = %self.instrument, "{} {wire}", direction.arrow());
        if let Some(sink) = &self.sink {
            let _closed = sink.send(Traffic {
                instrument: Arc::clone(&self.instrument),
                direction,
                wire,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_sink_is_ignored() {
        let (tx, rx) = mpsc::unbounded_channel();
        drop(rx);
        let reporter = TrafficReporter::new(Arc::from("source"), Some(tx));
        reporter.report(Direction::Sent, Wire::Text("*IDN?".into()));
    }

    #[test]
    fn wire_shows_text_quoted_and_bytes_as_hex_pairs() {
        assert_eq!(Wire::Text("*IDN?".into()).to_string(), "\"*IDN?\"");
        assert_eq!(Wire::Bytes(vec![1, 0xAB, 0x0F]).to_string(), "01 AB 0F");
    }

    #[test]
    fn records_carry_the_instrument_name() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let reporter = TrafficReporter::new(Arc::from("relays"), Some(tx));
        reporter.report(Direction::Received, Wire::Bytes(vec![1, 5]));
        assert_eq!(
            rx.try_recv().ok(),
            Some(Traffic {
                instrument: Arc::from("relays"),
                direction: Direction::Received,
                wire: Wire::Bytes(vec![1, 5]),
            })
        );
    }
}
