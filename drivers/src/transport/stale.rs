//! Cancel safety for the request/response drivers that read their own streams (the
//! Pylontech RS485 client, the ESPEC and Numato line protocols).
//!
//! An exchange can end without its answer being read: it timed out, or the future
//! running it was dropped (a plan's timeout, a stop, the teardown cutting a poll). The
//! answer may still come, and the next exchange would read it as its own. So a driver
//! notes when each exchange starts ([`OpenExchange::begin`]) and when its answer has
//! been read ([`OpenExchange::end`]); before the next one it discards what such a late
//! answer brings ([`discard_late_answer`]). Modbus has its own layer
//! (`modbus/resync.rs`), SCPI its `*OPC?` resynchronisation.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

/// Silence on the line that ends a late answer: a frame, once it starts, arrives
/// within this of its last byte (also through a serial-to-TCP gateway).
pub const QUIET_GAP: Duration = Duration::from_millis(50);

/// The exchange of a link that has started and not ended, if any.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenExchange {
    since: Option<Instant>,
}

impl OpenExchange {
    /// When an exchange that never ended was sent: its answer may still come.
    pub fn stale_since(&self) -> Option<Instant> {
        self.since
    }

    /// An exchange is about to send its request.
    pub fn begin(&mut self) {
        self.since = Some(Instant::now());
    }

    /// Its answer has been read in full (a refusal or a bad frame too).
    pub fn end(&mut self) {
        self.since = None;
    }
}

/// Reads and discards whatever arrives until the late answer of an exchange sent at
/// `since` can no longer come (`since + timeout`), or, once bytes have come, until the
/// line has been quiet for [`QUIET_GAP`]; never longer than one `timeout` past both.
/// Returns the bytes discarded. A closed or broken stream ends the wait: the next
/// exchange finds out.
pub async fn discard_late_answer<S: AsyncRead + Unpin>(
    stream: &mut S,
    since: Instant,
    timeout: Duration,
) -> Vec<u8> {
    let deadline = since + timeout;
    let cap = deadline.max(Instant::now()) + timeout;
    let mut discarded = Vec::new();
    let mut last_byte: Option<Instant> = None;
    loop {
        let until = last_byte.map_or(deadline, |t| t + QUIET_GAP).min(cap);
        if Instant::now() >= until {
            return discarded;
        }
        let mut scratch = [0u8; 256];
        tokio::select! {
            biased;
            read = stream.read(&mut scratch) => match read {
                Ok(0) | Err(_) => return discarded,
                Ok(n) => {
                    discarded.extend_from_slice(&scratch[..n]);
                    last_byte = Some(Instant::now());
                }
            },
            () = tokio::time::sleep_until(until) => return discarded,
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_late_answer_is_read_up_to_the_quiet_gap_after_it() {
        let (mut ours, mut peer) = tokio::io::duplex(64);
        let since = Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            peer.write_all(b"~late ").await.unwrap();
            tokio::time::sleep(Duration::from_millis(10)).await;
            peer.write_all(b"answer\r").await.unwrap();
            // Far later than the gap: the next exchange's own answer.
            tokio::time::sleep(Duration::from_secs(5)).await;
            peer.write_all(b"next\r").await.unwrap();
            std::future::pending::<()>().await;
        });
        let late = discard_late_answer(&mut ours, since, Duration::from_secs(1)).await;
        assert_eq!(late, b"~late answer\r");
        assert_eq!(Instant::now() - since, Duration::from_millis(360));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_waited_for_past_the_old_requests_timeout() {
        let (mut ours, _peer) = tokio::io::duplex(64);
        let since = Instant::now();
        tokio::time::sleep(Duration::from_millis(700)).await;
        let late = discard_late_answer(&mut ours, since, Duration::from_secs(1)).await;
        assert!(late.is_empty());
        assert_eq!(Instant::now() - since, Duration::from_secs(1));
    }
}
