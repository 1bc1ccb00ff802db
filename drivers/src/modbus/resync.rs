//! Cancel safety for Modbus links: a late reply is never read as the answer to the
//! next request.
//!
//! tokio-modbus matches a reply to its request by reading the next frame after
//! sending. An exchange whose future was dropped (a timeout, a plan's timeout, a stop)
//! may still be answered, and that late reply would be taken for the next request's
//! answer: on Modbus TCP a "protocol error" (transaction 0x055B answering 0x055C), on
//! RTU, which has no transaction id, possibly a wrong value. [`ResyncStream`] sits
//! between tokio-modbus and the transport and keeps stale replies from reaching it:
//!
//! - Modbus TCP: every reply carries its request's transaction id (MBAP header). The
//!   id of each request written is noted, and a reply with another id is discarded.
//! - Modbus RTU: after an exchange that did not end (see [`ModbusLink`]), the next
//!   request waits until the line has been quiet for an inter-frame gap after the last
//!   byte, or, if nothing comes, until the late reply can no longer come (the old
//!   request's send time plus the timeout), and discards what arrived meanwhile.
//!
//! Discarded bytes still pass the traffic tap below this layer, so the event log shows
//! them.
//!
//! [`ModbusLink`]: super::ModbusLink

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tokio_util::bytes::{Buf, BytesMut};

use super::ModbusFraming;

/// Silence that ends a frame on the line. RTU's own gap is 3.5 characters (4 ms at
/// 9600 Bd); an RS485-to-TCP gateway delivers a frame in chunks further apart.
const QUIET_GAP: Duration = Duration::from_millis(50);

/// MBAP header: transaction id, protocol id, length (of unit id and PDU), unit id.
const MBAP_HEADER: usize = 7;
/// The bytes before the length field's count starts.
const MBAP_PREFIX: usize = 6;

/// What a link and its stream share about the exchanges on it.
#[derive(Debug, Default)]
pub(super) struct Exchanges {
    /// When the exchange in progress was sent; still set when it never ended.
    pub open_since: Option<Instant>,
    /// A previous exchange did not end: its reply may still come (RTU drains it).
    pub stale_since: Option<Instant>,
    /// How long a device may take to answer.
    pub timeout: Duration,
    /// Bytes discarded as stale so far.
    pub discarded: u64,
}

pub(super) type SharedExchanges = Arc<Mutex<Exchanges>>;

pub(super) fn lock(shared: &SharedExchanges) -> std::sync::MutexGuard<'_, Exchanges> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A quiet line being waited for before the next RTU request.
#[derive(Debug)]
struct Drain {
    /// The late reply cannot come after this.
    deadline: Instant,
    /// However much keeps arriving, the drain ends here.
    cap: Instant,
    last_byte: Option<Instant>,
    sleep: Pin<Box<Sleep>>,
}

/// See the module documentation.
#[derive(Debug)]
pub(super) struct ResyncStream<S> {
    inner: S,
    framing: ModbusFraming,
    shared: SharedExchanges,
    drain: Option<Drain>,
    /// TCP: the header of the request being written, and how much of its PDU is left.
    out_header: Vec<u8>,
    out_remaining: usize,
    /// TCP: the transaction id of the latest request written.
    latest_id: Option<u16>,
    /// TCP: bytes read but not yet judged, and a judged frame being handed up.
    incoming: BytesMut,
    ready: BytesMut,
}

impl<S> ResyncStream<S> {
    pub(super) fn new(inner: S, framing: ModbusFraming, shared: SharedExchanges) -> Self {
        Self {
            inner,
            framing,
            shared,
            drain: None,
            out_header: Vec::with_capacity(MBAP_PREFIX),
            out_remaining: 0,
            latest_id: None,
            incoming: BytesMut::new(),
            ready: BytesMut::new(),
        }
    }
}

impl<S: AsyncRead + Unpin> ResyncStream<S> {
    /// RTU: before a request goes out after an exchange that did not end, read and
    /// discard until the line is quiet (see the module documentation).
    fn poll_quiet_line(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let (stale_since, timeout) = {
            let mut shared = lock(&self.shared);
            if self.framing == ModbusFraming::Tcp {
                // Transaction ids sort replies out; nothing to wait for.
                shared.stale_since = None;
            }
            (shared.stale_since, shared.timeout)
        };
        let Some(since) = stale_since else {
            return Poll::Ready(Ok(()));
        };
        let now = Instant::now();
        let drain = self.drain.get_or_insert_with(|| {
            let deadline = since + timeout;
            Drain {
                deadline,
                cap: deadline.max(now) + timeout,
                last_byte: None,
                sleep: Box::pin(tokio::time::sleep_until(deadline)),
            }
        });
        loop {
            let mut scratch = [0u8; 256];
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => break,
                Poll::Ready(Ok(())) => {
                    drain.last_byte = Some(Instant::now());
                    lock(&self.shared).discarded += buf.filled().len() as u64;
                }
                // The link is broken; the request that follows finds out.
                Poll::Ready(Err(_)) => break,
                Poll::Pending => {
                    let until = drain
                        .last_byte
                        .map_or(drain.deadline, |t| t + QUIET_GAP)
                        .min(drain.cap);
                    if Instant::now() < until {
                        drain.sleep.as_mut().reset(until);
                        if drain.sleep.as_mut().poll(cx).is_pending() {
                            return Poll::Pending;
                        }
                    }
                    break;
                }
            }
        }
        self.drain = None;
        lock(&self.shared).stale_since = None;
        Poll::Ready(Ok(()))
    }

    /// TCP: the next frame whose transaction id is the latest request's, into `ready`.
    fn poll_fill_tcp(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            if let Some(len) = complete_frame(&self.incoming) {
                let frame = self.incoming.split_to(len);
                let id = u16::from_be_bytes([frame[0], frame[1]]);
                if Some(id) == self.latest_id {
                    self.ready = frame;
                    return Poll::Ready(Ok(()));
                }
                lock(&self.shared).discarded += len as u64;
                continue;
            }
            if self.incoming.len() >= MBAP_HEADER && !plausible_header(&self.incoming) {
                // Not MBAP at all: let tokio-modbus see it and say so.
                self.ready = self.incoming.split();
                return Poll::Ready(Ok(()));
            }
            let mut scratch = [0u8; 512];
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut self.inner).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => {
                    // End of stream: hand up what is left (tokio-modbus reports it).
                    self.ready = self.incoming.split();
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Ok(())) => self.incoming.extend_from_slice(buf.filled()),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// TCP: note the transaction id of each request in the bytes written.
    fn note_written(&mut self, mut written: &[u8]) {
        while !written.is_empty() {
            if self.out_remaining > 0 {
                let k = self.out_remaining.min(written.len());
                self.out_remaining -= k;
                written = &written[k..];
                continue;
            }
            let k = (MBAP_PREFIX - self.out_header.len()).min(written.len());
            self.out_header.extend_from_slice(&written[..k]);
            written = &written[k..];
            if let [a, b, _, _, c, d] = self.out_header[..] {
                self.latest_id = Some(u16::from_be_bytes([a, b]));
                self.out_remaining = usize::from(u16::from_be_bytes([c, d]));
                self.out_header.clear();
            }
        }
    }
}

/// The length of the first frame of `bytes`, if it is complete and plausible.
fn complete_frame(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < MBAP_HEADER || !plausible_header(bytes) {
        return None;
    }
    let len = MBAP_PREFIX + usize::from(u16::from_be_bytes([bytes[4], bytes[5]]));
    (bytes.len() >= len).then_some(len)
}

/// Protocol id 0 and a length that fits a Modbus ADU (unit id and a PDU of 1 to 253
/// bytes).
fn plausible_header(bytes: &[u8]) -> bool {
    let protocol = u16::from_be_bytes([bytes[2], bytes[3]]);
    let len = u16::from_be_bytes([bytes[4], bytes[5]]);
    protocol == 0 && (2..=254).contains(&len)
}

impl<S: AsyncRead + Unpin> AsyncRead for ResyncStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.framing {
            ModbusFraming::Rtu => Pin::new(&mut this.inner).poll_read(cx, buf),
            ModbusFraming::Tcp => {
                if this.ready.is_empty() {
                    match this.poll_fill_tcp(cx) {
                        Poll::Ready(Ok(())) => {}
                        other => return other,
                    }
                }
                let n = this.ready.len().min(buf.remaining());
                buf.put_slice(&this.ready[..n]);
                this.ready.advance(n);
                Poll::Ready(Ok(()))
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ResyncStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        match this.poll_quiet_line(cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let (ModbusFraming::Tcp, Poll::Ready(Ok(n))) = (this.framing, &written) {
            let n = *n;
            this.note_written(&buf[..n]);
        }
        written
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
    use super::*;

    #[test]
    fn a_frame_is_complete_when_its_length_has_arrived() {
        // Transaction 0x055B, protocol 0, length 7: unit 1, FC03, 4 bytes of data.
        let frame = [
            0x05, 0x5B, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04, 0, 0, 0x41, 0xC8,
        ];
        assert_eq!(complete_frame(&frame), Some(13));
        assert_eq!(complete_frame(&frame[..12]), None);
        assert_eq!(complete_frame(&frame[..3]), None);
        let mut not_mbap = frame;
        not_mbap[2] = 0x12;
        assert!(!plausible_header(&not_mbap));
        assert_eq!(complete_frame(&not_mbap), None);
    }

    #[test]
    fn the_latest_transaction_id_is_read_from_requests_written_in_pieces() {
        let (a, _b) = tokio::io::duplex(64);
        let mut stream = ResyncStream::new(a, ModbusFraming::Tcp, SharedExchanges::default());
        // 0x055B: read 2 registers at 0x0AD6 (unit 1), written as 4 + 8 bytes.
        let first = [
            0x05, 0x5B, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x0A, 0xD6, 0x00, 0x02,
        ];
        stream.note_written(&first[..4]);
        assert_eq!(stream.latest_id, None);
        stream.note_written(&first[4..]);
        assert_eq!(stream.latest_id, Some(0x055B));
        let mut second = first;
        second[1] = 0x5C;
        stream.note_written(&second);
        assert_eq!(stream.latest_id, Some(0x055C));
        assert_eq!(stream.out_remaining, 0);
    }
}
