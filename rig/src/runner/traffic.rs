//! The instruments' wire traffic, as the drivers report it, into the event log.

use rig_drivers::traffic::{Direction, Traffic, Wire};
use rig_reports::EventKind;
use tokio::sync::mpsc;

use super::log::EventLog;

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Log every exchange the drivers report until the last sender is gone.
pub async fn forward(mut rx: mpsc::UnboundedReceiver<Traffic>, log: EventLog) {
    while let Some(t) = rx.recv().await {
        let instrument = t.instrument.to_string();
        let (text, hex) = match t.wire {
            Wire::Text(s) => (Some(s), None),
            Wire::Bytes(b) => (None, Some(hex(&b))),
        };
        log.emit(match t.direction {
            Direction::Sent => EventKind::Sent {
                instrument,
                text,
                hex,
            },
            Direction::Received => EventKind::Received {
                instrument,
                text,
                hex,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_read_as_upper_case_hex_pairs() {
        assert_eq!(super::hex(&[0x01, 0xAB, 0x0F]), "01 AB 0F");
        assert_eq!(super::hex(&[]), "");
    }
}
