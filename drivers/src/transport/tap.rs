//! A stream wrapper that reports every chunk written and read as [`Traffic`].
//!
//! Binary protocols are framed inside third-party codecs (tokio-modbus) that never show
//! us their frames, so the wire bytes are captured one layer below them. Chunks are
//! reported as the transport delivers them; a frame split across two reads shows up as
//! two records.
//!
//! [`Traffic`]: crate::traffic::Traffic

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::traffic::{Direction, TrafficReporter, TrafficSink, Wire};

/// Wraps `S` and reports its traffic under an instrument's name.
#[derive(Debug)]
pub struct TapStream<S> {
    inner: S,
    reporter: TrafficReporter,
}

impl<S> TapStream<S> {
    pub fn new(inner: S, instrument: Arc<str>, traffic: Option<TrafficSink>) -> Self {
        Self {
            inner,
            reporter: TrafficReporter::new(instrument, traffic),
        }
    }

    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TapStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let chunk = buf.filled().get(before..).unwrap_or_default();
            if !chunk.is_empty() {
                this.reporter
                    .report(Direction::Received, Wire::Bytes(chunk.to_vec()));
            }
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TapStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(written)) = result {
            let chunk = buf.get(..written).unwrap_or_default();
            if !chunk.is_empty() {
                this.reporter
                    .report(Direction::Sent, Wire::Bytes(chunk.to_vec()));
            }
        }
        result
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::sync::mpsc;

    use super::*;
    use crate::traffic::Traffic;

    #[tokio::test]
    async fn reports_written_and_read_chunks_in_order() {
        let mock = tokio_test::io::Builder::new()
            .write(&[0x01, 0x05])
            .read(&[0x01, 0x05, 0x00])
            .build();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut tap = TapStream::new(mock, Arc::from("relays"), Some(tx));

        tap.write_all(&[0x01, 0x05]).await.unwrap();
        let mut answer = [0u8; 3];
        tap.read_exact(&mut answer).await.unwrap();

        let record = |direction, bytes: &[u8]| Traffic {
            instrument: Arc::from("relays"),
            direction,
            wire: Wire::Bytes(bytes.to_vec()),
        };
        assert_eq!(rx.try_recv().ok(), Some(record(Direction::Sent, &[1, 5])));
        assert_eq!(
            rx.try_recv().ok(),
            Some(record(Direction::Received, &[1, 5, 0]))
        );
        assert!(rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn works_without_a_sink() {
        let mock = tokio_test::io::Builder::new().write(b"x").build();
        let mut tap = TapStream::new(mock, Arc::from("relays"), None);
        tap.write_all(b"x").await.unwrap();
    }
}
