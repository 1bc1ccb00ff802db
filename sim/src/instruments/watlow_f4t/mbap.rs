//! Modbus TCP framing: the MBAP header (Modbus Messaging on TCP/IP Implementation Guide
//! V1.0b, 3.1.3) in front of each PDU.
//!
//! ```text
//! transaction id  u16   echoed in the response
//! protocol id     u16   0 = Modbus
//! length          u16   bytes that follow: unit id + PDU
//! unit id         u8
//! PDU             function code + data, at most 253 bytes
//! ```
//!
//! tokio-modbus's server wants a `TcpListener` and its `Request::try_from` panics on some
//! malformed PDUs, so the sim frames ADUs itself and decodes PDUs with the RTU server's
//! panic-free decoder. A header that cannot be Modbus (protocol id not 0, a length
//! outside 2..=254) leaves no way to find the next frame on a stream: the connection is
//! closed, as a controller does.

/// Bytes of the MBAP header including the unit id.
const HEADER_LEN: usize = 7;
/// Guide 3.1.3 / application protocol 4.1: a PDU is at most 253 bytes.
const MAX_PDU_LEN: usize = 253;

/// One request as framed on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Adu {
    pub(crate) transaction: u16,
    pub(crate) unit: u8,
    pub(crate) pdu: Vec<u8>,
}

/// The stream cannot be framed any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unframeable {
    ProtocolId(u16),
    Length(u16),
}

/// Accumulates bytes and cuts complete ADUs off the front.
#[derive(Debug, Default)]
pub(crate) struct RequestFramer {
    buffer: Vec<u8>,
}

impl RequestFramer {
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete ADU, `Ok(None)` if more bytes are needed (the buffer is left
    /// as it is), or the reason the stream is lost.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Adu>, Unframeable> {
        let Some(header) = self.buffer.get(..HEADER_LEN) else {
            return Ok(None);
        };
        let transaction = u16::from_be_bytes([header[0], header[1]]);
        let protocol = u16::from_be_bytes([header[2], header[3]]);
        let length = u16::from_be_bytes([header[4], header[5]]);
        let unit = header[6];
        if protocol != 0 {
            return Err(Unframeable::ProtocolId(protocol));
        }
        if !(2..=MAX_PDU_LEN + 1).contains(&usize::from(length)) {
            return Err(Unframeable::Length(length));
        }
        let total = HEADER_LEN - 1 + usize::from(length);
        if self.buffer.len() < total {
            return Ok(None);
        }
        let pdu = self.buffer[HEADER_LEN..total].to_vec();
        self.buffer.drain(..total);
        Ok(Some(Adu {
            transaction,
            unit,
            pdu,
        }))
    }
}

/// A response ADU: the request's transaction id and unit, then the PDU.
pub(crate) fn seal(transaction: u16, unit: u8, pdu: &[u8]) -> Vec<u8> {
    // PDUs from this server are at most 253 bytes (a 125-register read is 252).
    let length = u16::try_from(pdu.len() + 1).unwrap_or(u16::MAX);
    let mut adu = Vec::with_capacity(HEADER_LEN + pdu.len());
    adu.extend_from_slice(&transaction.to_be_bytes());
    adu.extend_from_slice(&[0, 0]);
    adu.extend_from_slice(&length.to_be_bytes());
    adu.push(unit);
    adu.extend_from_slice(pdu);
    adu
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read loop-1 PV (protocols.md 5.2 register 2820 = 0x0B04), two registers.
    const READ_PV: [u8; 12] = [
        0x00, 0x2A, // transaction id 42
        0x00, 0x00, // protocol id 0
        0x00, 0x06, // length: unit + 5 PDU bytes
        0x01, // unit 1
        0x03, // FC03 read holding registers
        0x0B, 0x04, // address 2820
        0x00, 0x02, // quantity 2
    ];

    #[test]
    fn an_empty_buffer_and_a_partial_frame_need_more_bytes() {
        let mut f = RequestFramer::default();
        assert_eq!(f.next_frame(), Ok(None));
        f.push(&READ_PV[..1]);
        assert_eq!(f.next_frame(), Ok(None));
        f.push(&READ_PV[1..9]);
        assert_eq!(f.next_frame(), Ok(None));
        assert_eq!(f.buffer.len(), 9, "a partial frame is left alone");
        f.push(&READ_PV[9..]);
        assert_eq!(
            f.next_frame(),
            Ok(Some(Adu {
                transaction: 42,
                unit: 1,
                pdu: READ_PV[7..].to_vec()
            }))
        );
        assert_eq!(f.next_frame(), Ok(None));
    }

    #[test]
    fn two_frames_in_one_read_come_out_one_by_one() {
        let mut f = RequestFramer::default();
        f.push(&[READ_PV, READ_PV].concat());
        assert!(f.next_frame().unwrap().is_some());
        assert!(f.next_frame().unwrap().is_some());
        assert_eq!(f.next_frame(), Ok(None));
    }

    #[test]
    fn a_header_that_cannot_be_modbus_loses_the_stream() {
        let mut f = RequestFramer::default();
        f.push(b"GET / HTTP/1.1\r\n");
        assert_eq!(f.next_frame(), Err(Unframeable::ProtocolId(0x5420)));
        let mut f = RequestFramer::default();
        f.push(&[0, 1, 0, 0, 0x01, 0x00, 1]);
        assert_eq!(f.next_frame(), Err(Unframeable::Length(256)));
        let mut f = RequestFramer::default();
        f.push(&[0, 1, 0, 0, 0x00, 0x01, 1]);
        assert_eq!(f.next_frame(), Err(Unframeable::Length(1)));
    }

    #[test]
    fn seals_a_response_with_the_request_transaction() {
        assert_eq!(
            seal(42, 1, &[0x03, 0x04, 0x00, 0x00, 0x41, 0xC8]),
            [
                0x00, 0x2A, 0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x04, 0x00, 0x00, 0x41, 0xC8
            ]
        );
    }
}
