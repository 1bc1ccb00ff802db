//! The instruments' wire traffic, as the drivers report it, into the event log (which
//! writes what repeats compactly: see `rig_reports::wire`).

use rig_drivers::traffic::{Direction, Traffic, Wire};
use rig_reports::wire::{Payload, Piece, Way};
use tokio::sync::mpsc;

use super::log::EventLog;

/// Log every exchange the drivers report until the last sender is gone.
pub async fn forward(mut rx: mpsc::UnboundedReceiver<Traffic>, log: EventLog) {
    while let Some(t) = rx.recv().await {
        let payload = match t.wire {
            Wire::Text(s) => Payload::Text(s),
            Wire::Bytes(b) => Payload::Bytes(b),
        };
        let way = match t.direction {
            Direction::Sent => Way::Sent,
            Direction::Received => Way::Received,
        };
        log.wire(&t.instrument, Piece { way, payload });
    }
}
