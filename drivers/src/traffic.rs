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

/// The payload of one piece of traffic.
#[derive(Clone, Debug, PartialEq)]
pub enum Wire {
    /// One line of a text protocol (SCPI), without its terminator.
    Text(String),
    /// A chunk of a binary protocol (Modbus ADUs), exactly as read or written.
    Bytes(Vec<u8>),
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
    pub(crate) fn report(&self, direction: Direction, wire: Wire) {
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
