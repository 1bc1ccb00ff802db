//! The server side of Modbus RTU over any byte stream.
//!
//! tokio-modbus 0.17's `server::rtu::Server` only accepts a `tokio_serial::SerialStream`
//! and keeps its codec private, so it cannot serve an in-memory duplex stream (and a
//! pseudo-terminal pair would break the paused clock). This module frames RTU ADUs
//! itself and hands each request to a `tokio_modbus::server::Service`, the same trait the
//! tokio-modbus servers use, so the relay board's service can also sit behind them.
//!
//! Framing follows the RTU rules: a request whose function code fixes its length is
//! answered as soon as it is complete; anything else is delimited by a silent interval
//! (3.5 characters). A frame with a bad CRC is resynchronised on byte by byte, and
//! garbage is dropped at the next silence.

mod frame;
mod pdu;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_modbus::server::Service;
use tokio_modbus::{ExceptionCode, Response, SlaveRequest};

use self::frame::RequestFramer;
pub(crate) use self::pdu::{decode_request, encode_exception, encode_response};
use crate::clock::{self, Duration};

/// The RTU inter-frame silence: 3.5 characters of 10 bits at 9600 Bd (the Waveshare
/// default, protocols.md 6.1) is 3.65 ms.
const SILENCE: Duration = Duration::from_millis(4);

/// Answer RTU requests on `io` until the peer closes it.
pub(crate) async fn serve<T, S>(mut io: T, service: S) -> std::io::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin,
    S: Service<Request = SlaveRequest<'static>>,
    S::Response: Into<Option<Response>>,
    S::Exception: Into<ExceptionCode>,
{
    let mut framer = RequestFramer::default();
    let mut chunk = [0u8; 256];
    loop {
        while let Some(adu) = framer.next_frame() {
            reply(&mut io, &service, &adu).await?;
        }
        let read = if framer.is_empty() {
            Some(io.read(&mut chunk).await?)
        } else {
            clock::timeout(SILENCE, io.read(&mut chunk))
                .await
                .ok()
                .transpose()?
        };
        match read {
            Some(0) => return Ok(()),
            Some(n) => framer.push(&chunk[..n]),
            None => {
                if let Some(adu) = framer.on_silence() {
                    reply(&mut io, &service, &adu).await?;
                }
            }
        }
    }
}

async fn reply<T, S>(io: &mut T, service: &S, adu: &frame::Adu) -> std::io::Result<()>
where
    T: AsyncWrite + Unpin,
    S: Service<Request = SlaveRequest<'static>>,
    S::Response: Into<Option<Response>>,
    S::Exception: Into<ExceptionCode>,
{
    let request = SlaveRequest {
        slave: adu.slave,
        request: pdu::decode_request(&adu.pdu),
    };
    let function = adu.pdu.first().copied().unwrap_or(0);
    let answer = match service.call(request).await {
        Ok(response) => response.into().map(|r| pdu::encode_response(&r)),
        Err(exception) => Some(pdu::encode_exception(function, exception.into())),
    };
    match answer {
        Some(pdu) => io.write_all(&frame::seal(adu.slave, &pdu)).await,
        None => Ok(()),
    }
}
