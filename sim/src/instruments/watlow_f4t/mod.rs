//! A simulated Watlow F4T chamber controller on Modbus TCP (protocols.md 5.2): the
//! register map the rig's `chamber::WatlowF4t` driver uses, served with MBAP framing
//! over any byte stream (the in-memory duplex of the virtual bench, or a socket).
//!
//! The controller answers unit 1 (and unit 0xFF, the "no unit" value many Modbus TCP
//! clients send, Implementation Guide 4.4.2.2); requests for other units get no answer,
//! as from a device that is not there. The chamber air around the pack lives in the
//! world, so the pack's temperature follows it ([`air`]).

mod air;
mod controller;
mod mbap;
#[cfg(test)]
mod tests;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub(crate) use air::{ChamberAir, RANGE_C};
pub(crate) use controller::F4tController;

use super::modbus_rtu::{decode_request, encode_exception, encode_response};
use crate::clock;
use crate::world::{World, lock};

/// The controller's Modbus address on its Ethernet port.
const UNIT: u8 = 1;
/// Implementation Guide 4.4.2.2: 0xFF addresses "the" device behind a TCP connection.
const UNIT_ANY: u8 = 0xFF;

/// Answer Modbus TCP requests on `io` until the peer closes it or sends bytes that
/// cannot be framed.
pub(crate) async fn serve_f4t<T>(world: Arc<Mutex<World>>, mut io: T) -> std::io::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut framer = mbap::RequestFramer::default();
    let mut chunk = [0u8; 512];
    loop {
        loop {
            let adu = match framer.next_frame() {
                Ok(Some(adu)) => adu,
                Ok(None) => break,
                Err(_) => return Ok(()),
            };
            if adu.unit != UNIT && adu.unit != UNIT_ANY {
                continue;
            }
            let request = decode_request(&adu.pdu);
            let function = adu.pdu.first().copied().unwrap_or(0);
            let pdu = {
                let mut world = lock(&world);
                world.advance_to(clock::now());
                match world.chamber.handle(&request) {
                    Ok(response) => encode_response(&response),
                    Err(exception) => encode_exception(function, exception),
                }
            };
            io.write_all(&mbap::seal(adu.transaction, adu.unit, &pdu))
                .await?;
        }
        match io.read(&mut chunk).await? {
            0 => return Ok(()),
            n => framer.push(&chunk[..n]),
        }
    }
}
