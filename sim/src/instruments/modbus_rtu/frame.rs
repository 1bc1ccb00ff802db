//! RTU framing: slave address, PDU, CRC-16/MODBUS (low byte first, the drivers' one
//! CRC function).

use rig_drivers::modbus::{crc16, with_crc};

/// Largest RTU ADU (Modbus over serial line 2.5.1.1: 256 bytes).
const MAX_ADU: usize = 256;
/// Address, function code and CRC.
const MIN_ADU: usize = 4;

/// One checked request frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Adu {
    pub(super) slave: u8,
    /// Function code and data, without address and CRC.
    pub(super) pdu: Vec<u8>,
}

/// Address + PDU + CRC.
pub(super) fn seal(slave: u8, pdu: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(pdu.len() + 1);
    body.push(slave);
    body.extend_from_slice(pdu);
    with_crc(&body)
}

fn checked(bytes: &[u8]) -> Option<Adu> {
    let (body, crc) = bytes.split_at_checked(bytes.len().checked_sub(2)?)?;
    if bytes.len() < MIN_ADU || crc16(body) != u16::from_le_bytes([crc[0], crc[1]]) {
        return None;
    }
    Some(Adu {
        slave: body[0],
        pdu: body[1..].to_vec(),
    })
}

enum Length {
    Known(usize),
    NeedMore,
    /// The function code does not fix the length: wait for the silent interval.
    Unknown,
}

/// Request length from the function code (Modbus application protocol 6.x).
fn request_length(buf: &[u8]) -> Length {
    match buf.get(1) {
        None => Length::NeedMore,
        Some(0x01..=0x06) => Length::Known(8),
        Some(0x0F | 0x10) => match buf.get(6) {
            Some(&byte_count) => Length::Known(9 + usize::from(byte_count)),
            None => Length::NeedMore,
        },
        Some(_) => Length::Unknown,
    }
}

/// Cuts requests out of the bytes received so far.
#[derive(Debug, Default)]
pub(super) struct RequestFramer {
    buf: Vec<u8>,
    /// Bytes thrown away while resynchronising (diagnostics).
    dropped: u64,
}

impl RequestFramer {
    pub(super) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > 2 * MAX_ADU {
            self.discard_all();
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    #[cfg(test)]
    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The next complete request of known length, dropping bytes that cannot start one.
    pub(super) fn next_frame(&mut self) -> Option<Adu> {
        loop {
            let Length::Known(len) = request_length(&self.buf) else {
                return None;
            };
            let candidate = self.buf.get(..len)?;
            if let Some(adu) = checked(candidate) {
                self.buf.drain(..len);
                return Some(adu);
            }
            self.buf.remove(0);
            self.dropped += 1;
        }
    }

    /// The line fell silent: what is buffered is one frame, or garbage before one, or
    /// garbage. Scans every offset, so a frame behind a garbage prefix is still found.
    pub(super) fn on_silence(&mut self) -> Option<Adu> {
        while !self.buf.is_empty() {
            if let Some(adu) = checked(&self.buf) {
                self.buf.clear();
                return Some(adu);
            }
            if let Some(adu) = self.next_frame() {
                return Some(adu);
            }
            if !self.buf.is_empty() {
                self.buf.remove(0);
                self.dropped += 1;
            }
        }
        None
    }

    fn discard_all(&mut self) {
        self.dropped += self.buf.len() as u64;
        self.buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Relay 1 on: address 1, FC05, coil 0, 0xFF00, CRC 0x3A8C (protocols.md 6.1).
    const RELAY_1_ON: [u8; 8] = [0x01, 0x05, 0x00, 0x00, 0xFF, 0x00, 0x8C, 0x3A];
    /// Read 8 inputs: address 1, FC02, from 0, quantity 8, CRC 0xCC79 (protocols.md 6.1).
    const READ_INPUTS: [u8; 8] = [0x01, 0x02, 0x00, 0x00, 0x00, 0x08, 0x79, 0xCC];

    /// The CRC itself is tested against every reference frame in the drivers.
    #[test]
    fn seal_puts_the_address_before_the_pdu_and_the_crc_after() {
        for frame in [RELAY_1_ON, READ_INPUTS] {
            assert_eq!(seal(frame[0], &frame[1..6]), frame, "{frame:02X?}");
        }
    }

    #[test]
    fn empty_and_single_byte_buffers_need_more() {
        let mut f = RequestFramer::default();
        assert_eq!(f.next_frame(), None);
        f.push(&[0x01]);
        assert_eq!(f.next_frame(), None);
        assert!(!f.is_empty());
    }

    #[test]
    fn a_frame_split_across_reads_is_joined() {
        let mut f = RequestFramer::default();
        f.push(&RELAY_1_ON[..3]);
        assert_eq!(f.next_frame(), None);
        f.push(&RELAY_1_ON[3..]);
        let adu = f.next_frame().unwrap();
        assert_eq!(
            (adu.slave, adu.pdu),
            (1, vec![0x05, 0x00, 0x00, 0xFF, 0x00])
        );
        assert!(f.is_empty());
    }

    #[test]
    fn two_frames_in_one_read_come_out_in_order() {
        let mut f = RequestFramer::default();
        f.push(&[RELAY_1_ON, READ_INPUTS].concat());
        assert_eq!(f.next_frame().unwrap().pdu[0], 0x05);
        assert_eq!(f.next_frame().unwrap().pdu[0], 0x02);
        assert_eq!(f.next_frame(), None);
    }

    #[test]
    fn a_garbage_prefix_is_dropped_and_the_frame_found() {
        let mut f = RequestFramer::default();
        f.push(&[[0x00, 0x03, 0x12].as_slice(), &READ_INPUTS].concat());
        let adu = f.next_frame().or_else(|| f.on_silence()).unwrap();
        assert_eq!(adu.pdu[0], 0x02);
        assert_eq!(f.dropped(), 3);
        assert!(f.is_empty());
    }

    #[test]
    fn a_bad_crc_is_never_accepted() {
        let mut f = RequestFramer::default();
        let mut bad = RELAY_1_ON;
        bad[7] ^= 0xFF;
        f.push(&bad);
        assert_eq!(f.next_frame(), None);
        assert_eq!(f.on_silence(), None);
        assert!(f.is_empty());
    }

    #[test]
    fn unknown_function_codes_wait_for_silence() {
        let mut f = RequestFramer::default();
        let report_id = seal(0x01, &[0x11]);
        f.push(&report_id);
        assert_eq!(f.next_frame(), None);
        assert_eq!(
            f.on_silence(),
            Some(Adu {
                slave: 1,
                pdu: vec![0x11]
            })
        );
    }

    #[test]
    fn an_endless_stream_of_garbage_stays_bounded() {
        let mut f = RequestFramer::default();
        for _ in 0..100 {
            f.push(&[0x07; 100]);
            assert_eq!(f.next_frame(), None);
        }
        assert!(f.buf.len() <= 2 * MAX_ADU);
    }

    #[test]
    fn a_huge_byte_count_waits_then_is_dropped() {
        let mut f = RequestFramer::default();
        f.push(&[0x01, 0x0F, 0x00, 0x00, 0x00, 0x08, 0xFF, 0x00]);
        assert_eq!(f.next_frame(), None);
        assert_eq!(f.on_silence(), None);
    }

    #[test]
    fn random_bytes_never_panic_and_stay_bounded() {
        let mut f = RequestFramer::default();
        let mut bytes = crate::test_bytes::Bytes::new(3);
        for i in 0..5000 {
            f.push(&bytes.string(40, None));
            while f.next_frame().is_some() {}
            if i % 7 == 0 {
                while f.on_silence().is_some() {}
            }
            assert!(f.buf.len() <= 2 * MAX_ADU);
        }
    }
}
