//! The pack's RS232 console port (LOSUN 2.3-1 item 14, 2.6-2), written to only.
//!
//! The console protocol behind the port is vendor-specific and undocumented, so the rig
//! never waits for or reads an answer: it writes a line and logs it as traffic. What a
//! plan asserts about the line (a wake-up, LOSUN 2.3-3 wake-up 3) it observes on CAN
//! and RS485. Nothing here holds energy, so the port has no safe state.

use std::sync::Arc;

use rig_drivers::traffic::{Direction, Traffic, TrafficSink, Wire};
use rig_drivers::transport::BoxStream;
use tokio::io::AsyncWriteExt;

use crate::clock;

/// Every line a plan sends ends with CR LF: what a terminal program sends for Enter
/// and what line-oriented serial consoles accept; the manuals name no terminator.
pub const LINE_ENDING: &str = "\r\n";

/// Why a line could not be written to the console.
#[derive(Debug, thiserror::Error)]
pub enum Rs232Error {
    #[error("writing failed: {0}")]
    Write(#[source] std::io::Error),
    #[error("the write did not finish within {after_s} s")]
    TimedOut { after_s: f64 },
}

/// A write-only console on a byte stream.
pub struct Rs232Console {
    name: Arc<str>,
    stream: BoxStream,
    timeout_s: f64,
    traffic: Option<TrafficSink>,
}

impl Rs232Console {
    pub fn new(
        name: &str,
        stream: BoxStream,
        timeout_s: f64,
        traffic: Option<TrafficSink>,
    ) -> Self {
        Self {
            name: Arc::from(name),
            stream,
            timeout_s,
            traffic,
        }
    }

    /// Write `text` and the line ending, bounded by the instrument's timeout; the line
    /// goes to the traffic log (without its terminator, as text protocols do) first, so
    /// a write that hangs still shows what was meant.
    pub async fn send_line(&mut self, text: &str) -> Result<(), Rs232Error> {
        if let Some(sink) = &self.traffic {
            // Best effort, as every driver's traffic report: a closed log is no fault.
            let _closed = sink.send(Traffic {
                instrument: Arc::clone(&self.name),
                direction: Direction::Sent,
                wire: Wire::Text(text.to_string()),
            });
        }
        let mut bytes = Vec::with_capacity(text.len() + LINE_ENDING.len());
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(LINE_ENDING.as_bytes());
        let stream = &mut self.stream;
        let written = clock::within(self.timeout_s, async move {
            stream.write_all(&bytes).await?;
            stream.flush().await
        })
        .await;
        match written {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Rs232Error::Write(e)),
            Err(()) => Err(Rs232Error::TimedOut {
                after_s: self.timeout_s,
            }),
        }
    }
}

/// Why `text` cannot be sent as a console line, if it cannot: it must be non-empty
/// printable ASCII (space to `~`), since the line ending is added and control bytes
/// would be commands of an undocumented protocol.
pub fn check_line(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("the line to send is empty".into());
    }
    if let Some((i, c)) = text.char_indices().find(|(_, c)| !(' '..='~').contains(c)) {
        return Err(format!(
            "the line must be printable ASCII; character {} is {}",
            text[..i].chars().count() + 1,
            c.escape_default()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn only_non_empty_printable_ascii_passes() {
        assert!(check_line("wake").is_ok());
        assert!(check_line("a b ~!").is_ok());
        assert_eq!(check_line(""), Err("the line to send is empty".into()));
        let tab = check_line("a\tb").unwrap_err();
        assert!(tab.contains("character 2 is \\t"), "{tab}");
        let newline = check_line("ab\n").unwrap_err();
        assert!(newline.contains("character 3 is \\n"), "{newline}");
        assert!(check_line("é").unwrap_err().contains("character 1"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_goes_out_with_cr_lf_and_into_the_traffic_log() {
        let (rig_end, mut pack_end) = tokio::io::duplex(64);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut console = Rs232Console::new("rs232", Box::new(rig_end), 2.0, Some(tx));
        console.send_line("hello").await.unwrap();
        let mut got = [0u8; 7];
        pack_end.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"hello\r\n");
        let t = rx.recv().await.unwrap();
        assert_eq!(&*t.instrument, "rs232");
        assert_eq!(t.direction, Direction::Sent);
        assert_eq!(t.wire, Wire::Text("hello".into()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_closed_port_is_an_error_not_a_panic() {
        let (rig_end, pack_end) = tokio::io::duplex(64);
        drop(pack_end);
        let mut console = Rs232Console::new("rs232", Box::new(rig_end), 2.0, None);
        let error = console.send_line("hello").await.unwrap_err();
        assert!(matches!(error, Rs232Error::Write(_)), "{error:?}");
        assert!(error.to_string().starts_with("writing failed: "), "{error}");
    }

    /// A port that takes nothing (a full pipe nobody reads) times out with the
    /// instrument's timeout in the message.
    #[tokio::test(start_paused = true)]
    async fn a_write_that_hangs_times_out() {
        let (rig_end, _pack_end) = tokio::io::duplex(4);
        let mut console = Rs232Console::new("rs232", Box::new(rig_end), 2.5, None);
        let error = console.send_line("longer than four").await.unwrap_err();
        assert!(matches!(error, Rs232Error::TimedOut { after_s } if after_s == 2.5));
        assert_eq!(error.to_string(), "the write did not finish within 2.5 s");
    }
}
