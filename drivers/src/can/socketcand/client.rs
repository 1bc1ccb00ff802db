//! The socketcand client: handshake into raw mode, then frames both ways.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::Mutex;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::Decoder;

use super::codec::{BadElement, Element, SocketcandCodec, render_send};
use crate::can::CanFrame;
use crate::transport::BoxStream;

/// §3.1: "default port 29536".
pub const DEFAULT_SOCKETCAND_PORT: u16 = 29536;

/// §3.1: "`< open can0 >` (name ≤ 16 chars)".
const MAX_BUS_NAME_LEN: usize = 16;

/// What went wrong on a socketcand connection.
#[derive(Debug, thiserror::Error)]
pub enum SocketcandError {
    #[error("no answer within {after:?} while waiting for {waiting_for}")]
    Timeout {
        after: Duration,
        waiting_for: &'static str,
    },
    #[error("i/o error: {0}")]
    Io(#[source] std::io::Error),
    #[error("the server closed the connection")]
    Closed,
    #[error("expected {expected}, the server sent {got:?}")]
    Handshake {
        expected: &'static str,
        got: Element,
    },
    #[error("the server refused: {text}")]
    Refused { text: String },
    #[error("bad element from the server")]
    BadElement(#[source] BadElement),
    #[error("invalid bus name `{name}`: 1-16 characters, no spaces or brackets")]
    InvalidBusName { name: String },
}

impl SocketcandError {
    /// The wire broke: reconnecting may help.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            SocketcandError::Timeout { .. } | SocketcandError::Io(_) | SocketcandError::Closed
        )
    }
}

/// The sending half, cheap to clone (the inverter keep-alive task holds one).
#[derive(Clone, Debug)]
pub struct SocketcandSender {
    writer: Arc<Mutex<WriteHalf<BoxStream>>>,
    timeout: Duration,
}

impl SocketcandSender {
    /// Sends one frame as one `write` (§3.1: "write every command in one `write()`
    /// call"). socketcand never answers a `send`, so success means "written".
    pub async fn send(&self, frame: &CanFrame) -> Result<(), SocketcandError> {
        let text = render_send(frame);
        let mut writer = self.writer.lock().await;
        tokio::time::timeout(self.timeout, async {
            writer.write_all(text.as_bytes()).await?;
            writer.flush().await
        })
        .await
        .map_err(|_| SocketcandError::Timeout {
            after: self.timeout,
            waiting_for: "the send to complete",
        })?
        .map_err(SocketcandError::Io)
    }
}

/// A bus opened through socketcand in raw mode.
#[derive(Debug)]
pub struct SocketcandPort {
    reader: ReadHalf<BoxStream>,
    sender: SocketcandSender,
    codec: SocketcandCodec,
    buf: BytesMut,
    bus: String,
    bad_elements: u64,
    error_frames: u64,
    server_errors: u64,
}

impl SocketcandPort {
    /// Runs the handshake of §3.1 on a connected stream: `< hi >`, `< open BUS >`,
    /// `< ok >`, `< rawmode >`, `< ok >`; `timeout` bounds each wait.
    pub async fn open(
        stream: BoxStream,
        bus: &str,
        timeout: Duration,
    ) -> Result<Self, SocketcandError> {
        let valid = !bus.is_empty()
            && bus.len() <= MAX_BUS_NAME_LEN
            && bus
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
        if !valid {
            return Err(SocketcandError::InvalidBusName {
                name: bus.to_owned(),
            });
        }
        let (reader, writer) = tokio::io::split(stream);
        let mut port = Self {
            reader,
            sender: SocketcandSender {
                writer: Arc::new(Mutex::new(writer)),
                timeout,
            },
            codec: SocketcandCodec::new(),
            buf: BytesMut::with_capacity(1024),
            bus: bus.to_owned(),
            bad_elements: 0,
            error_frames: 0,
            server_errors: 0,
        };
        port.expect(Element::Hi, "< hi >", timeout).await?;
        port.write(&format!("< open {bus} >")).await?;
        port.expect(Element::Ok, "< ok > after open", timeout)
            .await?;
        port.write("< rawmode >").await?;
        port.expect(Element::Ok, "< ok > after rawmode", timeout)
            .await?;
        Ok(port)
    }

    pub fn bus(&self) -> &str {
        &self.bus
    }

    pub fn sender(&self) -> SocketcandSender {
        self.sender.clone()
    }

    pub async fn send(&self, frame: &CanFrame) -> Result<(), SocketcandError> {
        self.sender.send(frame).await
    }

    /// The next data frame. Error frames, server error texts and malformed elements
    /// are counted and skipped; the connection closing is an error.
    pub async fn recv(&mut self) -> Result<(CanFrame, Duration), SocketcandError> {
        loop {
            match self.next_element().await? {
                Ok(Element::Frame { frame, timestamp }) => return Ok((frame, timestamp)),
                Ok(Element::ErrorFrame { .. }) => self.error_frames += 1,
                Ok(Element::Error { .. }) => self.server_errors += 1,
                Ok(_) => {}
                Err(_) => self.bad_elements += 1,
            }
        }
    }

    /// Malformed elements skipped so far.
    pub fn bad_elements(&self) -> u64 {
        self.bad_elements
    }

    /// CAN error frames reported by the server so far.
    pub fn error_frames(&self) -> u64 {
        self.error_frames
    }

    /// `< error … >` texts received after the handshake.
    pub fn server_errors(&self) -> u64 {
        self.server_errors
    }

    async fn write(&self, text: &str) -> Result<(), SocketcandError> {
        let mut writer = self.sender.writer.lock().await;
        writer
            .write_all(text.as_bytes())
            .await
            .map_err(SocketcandError::Io)?;
        writer.flush().await.map_err(SocketcandError::Io)
    }

    async fn expect(
        &mut self,
        expected: Element,
        name: &'static str,
        timeout: Duration,
    ) -> Result<(), SocketcandError> {
        let element = tokio::time::timeout(timeout, self.next_element())
            .await
            .map_err(|_| SocketcandError::Timeout {
                after: timeout,
                waiting_for: name,
            })??
            .map_err(SocketcandError::BadElement)?;
        match element {
            got if got == expected => Ok(()),
            Element::Error { text } => Err(SocketcandError::Refused { text }),
            got => Err(SocketcandError::Handshake {
                expected: name,
                got,
            }),
        }
    }

    async fn next_element(&mut self) -> Result<Result<Element, BadElement>, SocketcandError> {
        loop {
            if let Some(item) = self
                .codec
                .decode(&mut self.buf)
                .map_err(SocketcandError::Io)?
            {
                return Ok(item);
            }
            let read = self
                .reader
                .read_buf(&mut self.buf)
                .await
                .map_err(SocketcandError::Io)?;
            if read == 0 {
                return Err(SocketcandError::Closed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio_test::io::Builder;

    use super::*;
    use crate::can::CanId;

    const T: Duration = Duration::from_secs(1);

    fn boxed(mock: tokio_test::io::Mock) -> BoxStream {
        Box::new(mock)
    }

    #[tokio::test]
    async fn handshake_with_glued_answers_then_frames_both_ways() {
        let mock = Builder::new()
            .read(b"< hi >")
            .write(b"< open can0 >")
            .read(b"< ok >")
            .write(b"< rawmode >")
            .read(b"< ok >< frame 351 10.000001 3002F401E803E001 >")
            .read(b"< error 004 11.0 >< frame 35C 11.500000 C0 00  >")
            .write(b"< send 305 8 00 00 00 00 00 00 00 00 >")
            .build();
        let mut port = SocketcandPort::open(boxed(mock), "can0", T).await.unwrap();
        let (frame, stamp) = port.recv().await.unwrap();
        assert_eq!(frame.to_string(), "351#3002F401E803E001");
        assert_eq!(stamp, Duration::new(10, 1000));
        let (frame, _) = port.recv().await.unwrap();
        assert_eq!(frame.to_string(), "35C#C000");
        assert_eq!(port.error_frames(), 1);
        port.send(&CanFrame::new(CanId::Standard(0x305), &[0; 8]).unwrap())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_bus_the_server_cannot_open_is_refused() {
        let mock = Builder::new()
            .read(b"< hi >")
            .write(b"< open can9 >")
            .read(b"< error could not open bus >")
            .build();
        let err = SocketcandPort::open(boxed(mock), "can9", T)
            .await
            .unwrap_err();
        assert!(matches!(&err, SocketcandError::Refused { text } if text == "could not open bus"));
    }

    #[tokio::test]
    async fn a_server_without_hi_is_a_handshake_error() {
        let mock = Builder::new().read(b"< ok >").build();
        let err = SocketcandPort::open(boxed(mock), "can0", T)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            SocketcandError::Handshake {
                expected: "< hi >",
                ..
            }
        ));
        let err = SocketcandPort::open(boxed(Builder::new().build()), "bad name", T)
            .await
            .unwrap_err();
        assert!(matches!(err, SocketcandError::InvalidBusName { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_server_times_out_during_the_handshake() {
        let mock = Builder::new().wait(T * 10).build();
        let err = SocketcandPort::open(boxed(mock), "can0", T)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            SocketcandError::Timeout {
                waiting_for: "< hi >",
                ..
            }
        ));
        assert!(err.is_transport());
    }

    #[tokio::test]
    async fn garbage_is_counted_and_a_close_ends_the_stream() {
        let mock = Builder::new()
            .read(b"< hi >")
            .write(b"< open can0 >")
            .read(b"< ok >")
            .write(b"< rawmode >")
            .read(b"< ok >< frame zz 1.0 >< error unknown command >")
            .build();
        let mut port = SocketcandPort::open(boxed(mock), "can0", T).await.unwrap();
        let err = port.recv().await.unwrap_err();
        assert!(matches!(err, SocketcandError::Closed));
        assert_eq!((port.bad_elements(), port.server_errors()), (1, 1));
    }
}
