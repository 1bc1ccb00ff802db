//! Numato Lab USB relay / GPIO modules: ASCII commands ended by CR; the module echoes
//! the command and ends its output with a `>` prompt (protocols.md §6.2; the exact
//! echo and prompt bytes are \[U\], so the parser accepts an echo or none, and CR/LF in
//! any combination).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::bytes::{Buf, BytesMut};

use super::Relays;
use crate::traffic::{Direction, TrafficReporter, TrafficSink, Wire};
use crate::transport::{ByteStream, OpenExchange, discard_late_answer};

/// §6.2: output ends with a `>` prompt.
const PROMPT: u8 = b'>';
/// The longest reply accepted before the prompt (`relay readall` on 32 channels is 8
/// hex digits; the echo adds the command).
const MAX_REPLY_LEN: usize = 256;

/// A Numato command failed.
#[derive(Debug)]
pub struct NumatoError {
    pub instrument: Arc<str>,
    pub command: String,
    pub kind: NumatoErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum NumatoErrorKind {
    #[error("no prompt within {after:?}")]
    Timeout { after: Duration },
    #[error("i/o error")]
    Io(#[source] std::io::Error),
    #[error("the port was closed")]
    Closed,
    #[error("more than {max} bytes without a prompt")]
    TooLong { max: usize },
    #[error("malformed reply {reply:?}")]
    Malformed { reply: String },
    #[error("channel {channel} is beyond the module's {channels}")]
    InvalidChannel { channel: u16, channels: u16 },
}

impl fmt::Display for NumatoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "relay module `{}`, command `{}`: {}",
            self.instrument, self.command, self.kind
        )
    }
}

impl std::error::Error for NumatoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// The reply text of one exchange: what precedes the prompt, the echo of `command`
/// removed, lines joined by `\n`, trimmed. Pure, for property tests.
pub fn parse_numato_reply(command: &str, raw: &[u8]) -> Result<String, NumatoErrorKind> {
    let text = std::str::from_utf8(raw).map_err(|_| NumatoErrorKind::Malformed {
        reply: String::from_utf8_lossy(raw).into_owned(),
    })?;
    let mut lines = text
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .peekable();
    if lines.peek() == Some(&command.trim()) {
        lines.next();
    }
    Ok(lines.collect::<Vec<_>>().join("\n"))
}

/// §6.2: N from 0; 16/32-channel boards use letters for N ≥ 10 (`A` = 10) \[U\].
fn channel_token(channel: u16) -> String {
    match channel {
        0..=9 => channel.to_string(),
        _ => char::from_digit(u32::from(channel), 36)
            .map(|c| c.to_ascii_uppercase().to_string())
            .unwrap_or_else(|| channel.to_string()),
    }
}

/// An opened Numato module.
#[derive(Debug)]
pub struct Numato<S> {
    stream: S,
    buf: BytesMut,
    traffic: TrafficReporter,
    timeout: Duration,
    channels: u16,
    /// A command whose reply was not read (timed out, or its future dropped).
    open: OpenExchange,
}

impl<S: ByteStream> Numato<S> {
    /// Asks `ver` (proving the module answers); `channels` is the board size (1-32).
    pub async fn open(
        stream: S,
        instrument: Arc<str>,
        channels: u16,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, String), NumatoError> {
        let mut module = Self {
            stream,
            buf: BytesMut::with_capacity(128),
            traffic: TrafficReporter::new(instrument, traffic),
            timeout,
            channels: channels.clamp(1, 32),
            open: OpenExchange::default(),
        };
        let version = module.command("ver").await?;
        Ok((module, version))
    }

    /// `relay on N` / `relay off N`.
    pub async fn set(&mut self, channel: u16, closed: bool) -> Result<(), NumatoError> {
        let verb = if closed { "on" } else { "off" };
        let command = format!("relay {verb} {}", self.token(channel, verb)?);
        self.command(&command).await.map(drop)
    }

    /// `relay read N` → `on` / `off`.
    pub async fn is_closed(&mut self, channel: u16) -> Result<bool, NumatoError> {
        let command = format!("relay read {}", self.token(channel, "read")?);
        let reply = self.command(&command).await?;
        match reply.to_ascii_lowercase().as_str() {
            "on" => Ok(true),
            "off" => Ok(false),
            _ => Err(self.error(&command, NumatoErrorKind::Malformed { reply })),
        }
    }

    /// `gpio read N` → 0/1.
    pub async fn read_gpio(&mut self, channel: u16) -> Result<bool, NumatoError> {
        let command = format!("gpio read {}", channel_token(channel));
        let reply = self.command(&command).await?;
        match reply.as_str() {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(self.error(&command, NumatoErrorKind::Malformed { reply })),
        }
    }

    /// `reset`: every relay off.
    pub async fn reset(&mut self) -> Result<(), NumatoError> {
        self.command("reset").await.map(drop)
    }

    /// One command and its reply, echo removed.
    pub async fn command(&mut self, command: &str) -> Result<String, NumatoError> {
        self.discard_late_answer().await;
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout, self.exchange(command)).await;
        match result {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(kind)) => {
                self.buf.clear();
                Err(self.error(command, kind))
            }
            Err(_) => {
                self.buf.clear();
                Err(self.error(command, NumatoErrorKind::Timeout { after: timeout }))
            }
        }
    }

    /// After a command whose reply was never read (timed out, or its future dropped),
    /// what that reply brings is read and dropped, so it cannot pass for the next one's.
    async fn discard_late_answer(&mut self) {
        let Some(since) = self.open.stale_since() else {
            return;
        };
        let late = discard_late_answer(&mut self.stream, since, self.timeout).await;
        if !late.is_empty() {
            let text = String::from_utf8_lossy(&late).trim().to_owned();
            self.traffic.report(Direction::Received, Wire::Text(text));
        }
        self.buf.clear();
        self.open.end();
    }

    async fn exchange(&mut self, command: &str) -> Result<String, NumatoErrorKind> {
        self.buf.clear();
        self.open.begin();
        self.traffic
            .report(Direction::Sent, Wire::Text(command.to_owned()));
        self.stream
            .write_all(format!("{command}\r").as_bytes())
            .await
            .map_err(NumatoErrorKind::Io)?;
        self.stream.flush().await.map_err(NumatoErrorKind::Io)?;
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == PROMPT) {
                let raw = self.buf.split_to(end);
                self.buf.advance(1);
                self.open.end();
                let reply = parse_numato_reply(command, &raw)?;
                self.traffic
                    .report(Direction::Received, Wire::Text(reply.clone()));
                return Ok(reply);
            }
            if self.buf.len() > MAX_REPLY_LEN {
                return Err(NumatoErrorKind::TooLong { max: MAX_REPLY_LEN });
            }
            let read = self
                .stream
                .read_buf(&mut self.buf)
                .await
                .map_err(NumatoErrorKind::Io)?;
            if read == 0 {
                return Err(NumatoErrorKind::Closed);
            }
        }
    }

    fn token(&self, channel: u16, verb: &str) -> Result<String, NumatoError> {
        if channel < self.channels {
            Ok(channel_token(channel))
        } else {
            let kind = NumatoErrorKind::InvalidChannel {
                channel,
                channels: self.channels,
            };
            Err(self.error(&format!("relay {verb} {channel}"), kind))
        }
    }

    fn error(&self, command: &str, kind: NumatoErrorKind) -> NumatoError {
        NumatoError {
            instrument: Arc::clone(self.traffic.instrument()),
            command: command.to_owned(),
            kind,
        }
    }
}

impl<S: ByteStream> Relays for Numato<S> {
    type Error = NumatoError;

    async fn set_relay(&mut self, channel: u16, closed: bool) -> Result<(), NumatoError> {
        self.set(channel, closed).await
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tokio_test::io::Builder;

    use super::*;

    const T: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn echo_and_prompt_are_stripped() {
        let mock = Builder::new()
            .write(b"ver\r")
            .read(b"ver\n\r00000008\n\r>")
            .write(b"relay on 0\r")
            .read(b"relay on 0\n\r>")
            .write(b"relay read 0\r")
            .read(b"relay read 0\n\ron\n\r")
            .read(b">")
            .write(b"relay on B\r")
            .read(b"relay on B\r\n>")
            .write(b"gpio read 1\r")
            .read(b"1\r\n>")
            .build();
        let (mut module, version) = Numato::open(mock, Arc::from("relays"), 16, T, None)
            .await
            .unwrap();
        assert_eq!(version, "00000008");
        module.set(0, true).await.unwrap();
        assert!(module.is_closed(0).await.unwrap());
        module.set_relay(11, true).await.unwrap();
        assert!(module.read_gpio(1).await.unwrap());
        let err = module.set(16, true).await.unwrap_err();
        assert!(matches!(
            err.kind,
            NumatoErrorKind::InvalidChannel { channel: 16, .. }
        ));
    }

    #[tokio::test]
    async fn a_strange_reply_is_malformed() {
        let mock = Builder::new()
            .write(b"ver\r")
            .read(b"ver\r\n1\r\n>")
            .write(b"relay read 2\r")
            .read(b"relay read 2\r\nmaybe\r\n>")
            .build();
        let (mut module, _) = Numato::open(mock, Arc::from("relays"), 8, T, None)
            .await
            .unwrap();
        let err = module.is_closed(2).await.unwrap_err();
        assert!(matches!(err.kind, NumatoErrorKind::Malformed { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_module_without_prompt_times_out() {
        let mock = Builder::new()
            .write(b"ver\r")
            .read(b"ver\r\n")
            .wait(T * 5)
            .build();
        let err = Numato::open(mock, Arc::from("relays"), 8, T, None)
            .await
            .unwrap_err();
        assert!(matches!(err.kind, NumatoErrorKind::Timeout { .. }));
    }

    proptest! {
        #[test]
        fn replies_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_numato_reply("relay read 0", &raw);
        }
    }
}
