//! Bytes ⇄ [`Frame`]s: hex-ASCII between SOI `~` and EOI CR, with LENGTH (LCHKSUM +
//! LENID) and CHKSUM as protocols.md §2.3-2.4 define them.
//!
//! [`PylonCodec`] follows the `Decoder` contract: `Ok(None)` leaves the buffer alone
//! until a CR arrives; bytes before `~` are dropped and counted; a frame that fails a
//! check comes back as an `Err(BadFrame)` *item*, so one bad frame never ends the
//! stream; a frame longer than [`MAX_FRAME_LEN`] is dropped up to its CR.

use tokio_util::bytes::{Buf, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::frame::Frame;

/// SOI, sent raw.
pub const SOI: u8 = b'~';
/// EOI, sent raw.
pub const EOI: u8 = b'\r';
/// §2.3: LENID is 12 bits, "Max 4095" INFO characters; plus SOI, 12 header and 4
/// checksum characters and EOI.
pub const MAX_FRAME_LEN: usize = 1 + 12 + 4095 + 4 + 1;
/// VER..LENGTH (12) + CHKSUM (4): §2.2 "Minimum frame (no INFO) = 18 characters",
/// counting SOI and EOI.
const MIN_BODY_LEN: usize = 16;

/// Why the characters between SOI and EOI are not a valid frame.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadFrame {
    #[error("{len} characters between SOI and EOI, at least 16 are needed")]
    TooShort { len: usize },
    #[error("more than {max} bytes without EOI")]
    TooLong { max: usize },
    #[error("character {byte:#04x} at {position} is not a hex digit")]
    NotHex { position: usize, byte: u8 },
    #[error("LCHKSUM {found:#X} does not match LENID {lenid:#05X} (expected {expected:#X})")]
    LengthChecksum { lenid: u16, expected: u8, found: u8 },
    #[error("LENID says {lenid} INFO characters, the frame has {actual}")]
    LengthMismatch { lenid: usize, actual: usize },
    #[error("LENID {lenid} is odd; INFO is whole bytes in hex")]
    OddLength { lenid: usize },
    #[error("CHKSUM {found:04X} does not match the content (expected {expected:04X})")]
    Checksum { expected: u16, found: u16 },
}

/// LENGTH of §2.3 for an INFO of `lenid` ASCII characters: LCHKSUM in the high nibble
/// (`(16 - (n2 + n1 + n0) mod 16) mod 16`, masked to 4 bits) and LENID below.
pub fn length_field(lenid: u16) -> u16 {
    let lenid = lenid & 0x0FFF;
    let nibbles = (lenid & 0xF) + ((lenid >> 4) & 0xF) + ((lenid >> 8) & 0xF);
    let lchksum = (!nibbles).wrapping_add(1) & 0xF;
    (lchksum << 12) | lenid
}

/// CHKSUM of §2.4 over the characters after SOI and before CHKSUM: the sum modulo
/// 65536, inverted, plus one, on a wrapping u16 (python-pylontech's `+1` outside the
/// modulo is the pitfall §2.13 names).
pub fn checksum(ascii: &[u8]) -> u16 {
    let sum = ascii
        .iter()
        .fold(0u16, |acc, &b| acc.wrapping_add(u16::from(b)));
    (!sum).wrapping_add(1)
}

/// The whole frame, SOI to EOI, upper-case hex. INFO longer than LENID allows is cut
/// at 2047 bytes (no command of §2.7 comes close).
pub fn encode_frame(frame: &Frame) -> Vec<u8> {
    let info = frame.info.get(..2047).unwrap_or(&frame.info);
    let mut body = String::with_capacity(16 + info.len() * 2);
    for byte in [frame.ver, frame.adr, frame.cid1, frame.cid2] {
        body.push_str(&format!("{byte:02X}"));
    }
    let lenid = u16::try_from(info.len() * 2).unwrap_or(0x0FFF);
    body.push_str(&format!("{:04X}", length_field(lenid)));
    for byte in info {
        body.push_str(&format!("{byte:02X}"));
    }
    let check = checksum(body.as_bytes());
    let mut out = Vec::with_capacity(body.len() + 6);
    out.push(SOI);
    out.extend_from_slice(body.as_bytes());
    out.extend_from_slice(format!("{check:04X}").as_bytes());
    out.push(EOI);
    out
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

/// Hex pairs to bytes; `offset` is where `text` starts in the body, for error positions.
fn hex_bytes(text: &[u8], offset: usize) -> Result<Vec<u8>, BadFrame> {
    let digit = |i: usize| {
        let byte = text.get(i).copied().unwrap_or(0);
        hex_value(byte).ok_or(BadFrame::NotHex {
            position: offset + i,
            byte,
        })
    };
    (0..text.len() / 2)
        .map(|i| Ok((digit(2 * i)? << 4) | digit(2 * i + 1)?))
        .collect()
}

/// Checks and decodes the characters between SOI and EOI (both excluded).
pub fn decode_frame(body: &[u8]) -> Result<Frame, BadFrame> {
    if body.len() < MIN_BODY_LEN {
        return Err(BadFrame::TooShort { len: body.len() });
    }
    let (content, check_text) = body.split_at(body.len() - 4);
    let header = hex_bytes(content.get(..12).unwrap_or_default(), 0)?;
    let check = hex_bytes(check_text, content.len())?;
    let [ver, adr, cid1, cid2, length_hi, length_lo] = header[..] else {
        return Err(BadFrame::TooShort { len: body.len() });
    };
    let [check_hi, check_lo] = check[..] else {
        return Err(BadFrame::TooShort { len: body.len() });
    };
    let length = u16::from_be_bytes([length_hi, length_lo]);
    let lenid = length & 0x0FFF;
    let expected_length = length_field(lenid);
    if expected_length != length {
        return Err(BadFrame::LengthChecksum {
            lenid,
            expected: (expected_length >> 12) as u8,
            found: (length >> 12) as u8,
        });
    }
    let info_text = content.get(12..).unwrap_or_default();
    if usize::from(lenid) != info_text.len() {
        return Err(BadFrame::LengthMismatch {
            lenid: usize::from(lenid),
            actual: info_text.len(),
        });
    }
    if lenid % 2 == 1 {
        return Err(BadFrame::OddLength {
            lenid: usize::from(lenid),
        });
    }
    let info = hex_bytes(info_text, 12)?;
    let found = u16::from_be_bytes([check_hi, check_lo]);
    let expected = checksum(content);
    if found != expected {
        return Err(BadFrame::Checksum { expected, found });
    }
    Ok(Frame {
        ver,
        adr,
        cid1,
        cid2,
        info,
    })
}

/// The framing codec, for both ends of the link (the sim's pack answers with it too).
#[derive(Clone, Debug, Default)]
pub struct PylonCodec {
    dropped: u64,
}

impl PylonCodec {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes discarded so far: garbage before SOI and the rest of over-long frames.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl Decoder for PylonCodec {
    type Item = Result<Frame, BadFrame>;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        let Some(start) = buf.iter().position(|&b| b == SOI) else {
            self.dropped += buf.len() as u64;
            buf.clear();
            return Ok(None);
        };
        if start > 0 {
            self.dropped += start as u64;
            buf.advance(start);
        }
        let search = buf.get(1..).unwrap_or_default();
        let eoi = search
            .iter()
            .take(MAX_FRAME_LEN - 1)
            .position(|&b| b == EOI || b == SOI);
        match eoi {
            Some(i) if search.get(i) == Some(&SOI) => {
                // A new SOI before any EOI: the first frame was cut off.
                let body_len = i;
                self.dropped += (body_len + 1) as u64;
                buf.advance(body_len + 1);
                Ok(Some(Err(BadFrame::TooShort { len: body_len })))
            }
            Some(i) => {
                let frame = buf.split_to(i + 2);
                Ok(Some(decode_frame(frame.get(1..=i).unwrap_or_default())))
            }
            None if buf.len() >= MAX_FRAME_LEN => {
                self.dropped += buf.len() as u64;
                buf.clear();
                Ok(Some(Err(BadFrame::TooLong { max: MAX_FRAME_LEN })))
            }
            None => Ok(None),
        }
    }
}

impl Encoder<&Frame> for PylonCodec {
    type Error = std::io::Error;

    fn encode(&mut self, frame: &Frame, buf: &mut BytesMut) -> Result<(), Self::Error> {
        buf.extend_from_slice(&encode_frame(frame));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Vectors from protocols.md §2.3, §2.4 and §2.7 (recomputed there), including the
    //! corrected erratum of the V3.3 PDF.
    use proptest::prelude::*;

    use super::*;
    use crate::rs485::pylontech::frame::{Cid2, Frame};

    fn frame_bytes(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    #[test]
    fn length_fields_of_section_2_3() {
        assert_eq!(length_field(0x012), 0xD012);
        assert_eq!(length_field(2), 0xE002);
        assert_eq!(length_field(0x07A), 0xF07A);
        assert_eq!(length_field(0x04C), 0x004C, "nibble sum 16 masks to 0");
        assert_eq!(length_field(0x0F0), 0x10F0);
        assert_eq!(length_field(0), 0x0000);
    }

    #[test]
    fn checksums_of_section_2_4_including_the_erratum() {
        assert_eq!(checksum(b"20024642E00202"), 0xFD33);
        assert_eq!(checksum(b"25014642E00201"), 0xFD30);
        // The PDF prints FC72 for this example; its characters sum to 0x038F (§2.4).
        assert_eq!(checksum(b"1203400456ABCEFE"), 0xFC71);
        assert_eq!(checksum(b""), 0x0000, "wrapping, never 0x10000");
    }

    #[test]
    fn requests_of_section_2_7_byte_for_byte() {
        let table = [
            (Cid2::ProtocolVersion, vec![], "~2002464F0000FD98\r"),
            (Cid2::ManufacturerInfo, vec![], "~200246510000FDAC\r"),
            (Cid2::AnalogValues, vec![0x02], "~20024642E00202FD33\r"),
            (Cid2::AnalogValues, vec![0xFF], "~20024642E002FFFD09\r"),
            (Cid2::AlarmInfo, vec![0x02], "~20024644E00202FD31\r"),
            (Cid2::SystemParameters, vec![], "~200246470000FDA7\r"),
            (Cid2::ChargeManagement, vec![0x02], "~20024692E00202FD2E\r"),
            (Cid2::SerialNumber, vec![0x02], "~20024693E00202FD2D\r"),
            (Cid2::FirmwareVersion, vec![0x02], "~20024696E00202FD2A\r"),
        ];
        for (command, info, wire) in table {
            let frame = Frame::request(0x20, 0x02, command, info);
            assert_eq!(encode_frame(&frame), frame_bytes(wire), "{command}");
            let body = &wire.as_bytes()[1..wire.len() - 1];
            assert_eq!(decode_frame(body), Ok(frame), "{command}");
        }
    }

    #[test]
    fn pace_request_decodes() {
        let frame = decode_frame(b"25014642E00201FD30").unwrap();
        assert_eq!((frame.ver, frame.adr, frame.cid2), (0x25, 0x01, 0x42));
        assert_eq!(frame.info, vec![0x01]);
    }

    fn decode_all(input: &[u8]) -> (Vec<Result<Frame, BadFrame>>, BytesMut, u64) {
        let mut codec = PylonCodec::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(item) = codec.decode(&mut buf).unwrap() {
            out.push(item);
        }
        (out, buf, codec.dropped())
    }

    #[test]
    fn empty_partial_and_split_input() {
        let (items, buf, _) = decode_all(b"");
        assert!(items.is_empty() && buf.is_empty());
        let (items, buf, _) = decode_all(b"~");
        assert!(items.is_empty());
        assert_eq!(&buf[..], b"~", "a partial frame stays in the buffer");
        let (items, buf, _) = decode_all(b"~20024642E002");
        assert!(items.is_empty());
        assert_eq!(&buf[..], b"~20024642E002");

        let mut codec = PylonCodec::new();
        let mut buf = BytesMut::from(&b"~20024642E0"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"0202FD33\r~2002");
        let frame = codec.decode(&mut buf).unwrap().unwrap().unwrap();
        assert_eq!(frame.cid2, 0x42);
        assert_eq!(&buf[..], b"~2002");
    }

    #[test]
    fn garbage_before_soi_is_dropped_and_counted() {
        let (items, buf, dropped) = decode_all(b"\x00\xFFnoise~20024642E00202FD33\r");
        assert_eq!(items.len(), 1);
        assert!(items[0].is_ok());
        assert!(buf.is_empty());
        assert_eq!(dropped, 7);
        let (items, buf, dropped) = decode_all(b"no frame here");
        assert!(items.is_empty() && buf.is_empty());
        assert_eq!(dropped, 13);
    }

    #[test]
    fn bad_frames_are_items_and_the_stream_goes_on() {
        let (items, _, _) = decode_all(b"~20024642E00202FD34\r~20024642E00202FD33\r");
        assert_eq!(
            items[0],
            Err(BadFrame::Checksum {
                expected: 0xFD33,
                found: 0xFD34
            })
        );
        assert!(items[1].is_ok());
    }

    #[test]
    fn each_check_has_its_error() {
        assert_eq!(
            decode_frame(b"20024642F00202FD33"),
            Err(BadFrame::LengthChecksum {
                lenid: 2,
                expected: 0xE,
                found: 0xF
            })
        );
        assert_eq!(
            decode_frame(b"20024642E0020202FD33"),
            Err(BadFrame::LengthMismatch {
                lenid: 2,
                actual: 4
            })
        );
        assert_eq!(
            decode_frame(b"20024642F0010FD33"),
            Err(BadFrame::OddLength { lenid: 1 }),
        );
        assert_eq!(
            decode_frame(b"2002464G0000FD98"),
            Err(BadFrame::NotHex {
                position: 7,
                byte: b'G'
            })
        );
        assert_eq!(
            decode_frame(b"2002464F00"),
            Err(BadFrame::TooShort { len: 10 })
        );
    }

    #[test]
    fn a_frame_cut_off_by_a_new_soi_is_reported() {
        let (items, _, _) = decode_all(b"~200246~20024642E00202FD33\r");
        assert_eq!(items[0], Err(BadFrame::TooShort { len: 6 }));
        assert!(items[1].is_ok());
    }

    #[test]
    fn an_over_long_frame_is_dropped() {
        let mut input = vec![b'~'];
        input.extend(std::iter::repeat_n(b'0', MAX_FRAME_LEN + 10));
        let (items, buf, dropped) = decode_all(&input);
        assert_eq!(items, vec![Err(BadFrame::TooLong { max: MAX_FRAME_LEN })]);
        assert!(buf.is_empty());
        assert_eq!(dropped, input.len() as u64);
    }

    proptest! {
        #[test]
        fn any_bytes_decode_without_panicking(input in proptest::collection::vec(any::<u8>(), 0..600)) {
            let (_, buf, _) = decode_all(&input);
            prop_assert!(buf.len() < MAX_FRAME_LEN);
        }

        #[test]
        fn encode_then_decode_round_trips(
            ver in any::<u8>(), adr in any::<u8>(), cid2 in any::<u8>(),
            info in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let frame = Frame { ver, adr, cid1: 0x46, cid2, info };
            let wire = encode_frame(&frame);
            let (items, buf, dropped) = decode_all(&wire);
            prop_assert_eq!(items, vec![Ok(frame)]);
            prop_assert!(buf.is_empty());
            prop_assert_eq!(dropped, 0);
        }

        #[test]
        fn a_flipped_character_never_decodes_silently_to_the_same_frame(
            info in proptest::collection::vec(any::<u8>(), 0..40), at in any::<prop::sample::Index>(),
        ) {
            let frame = Frame::request(0x20, 0x02, Cid2::AnalogValues, info);
            let wire = encode_frame(&frame);
            let body = &wire[1..wire.len() - 1];
            let i = at.index(body.len());
            let mut corrupted = body.to_vec();
            corrupted[i] = if corrupted[i] == b'0' { b'1' } else { b'0' };
            prop_assert!(decode_frame(&corrupted).is_err());
        }
    }
}
