//! socketcand's `< … >` elements: a tokeniser and the parser of each element.
//!
//! §3.1: "the server reads up to `>`", "bytes between elements (e.g. newlines) are
//! discarded". [`SocketcandCodec`] does the same on the client side: bytes before a
//! `<` are dropped and counted, an element longer than [`MAX_ELEMENT_LEN`] is dropped,
//! and an element that does not parse comes back as an `Err(BadElement)` item so the
//! stream goes on.

use std::time::Duration;

use tokio_util::bytes::{Buf, BytesMut};
use tokio_util::codec::Decoder;

use crate::can::{CanFrame, CanId, MAX_DATA_LEN};

/// The longest element the client accepts: a BCM error frame with 8 data bytes is
/// about 50 characters; a server banner or error text a little more.
pub const MAX_ELEMENT_LEN: usize = 512;

/// One element from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Element {
    /// `< hi >`, on connect.
    Hi,
    /// `< ok >`.
    Ok,
    /// `< echo >`.
    Echo,
    /// `< frame ID SECS.USECS DATA >`, RAW (`1A220344`) or BCM (`1A 22 03 44 `) spelling.
    Frame {
        frame: CanFrame,
        timestamp: Duration,
    },
    /// `< error CLASS SECS.USECS [data…] >`: a CAN error frame.
    ErrorFrame { class: u32, timestamp: Duration },
    /// `< error TEXT >`: the server refused (`could not open bus`, `unknown command`).
    Error { text: String },
    /// Anything else well formed (`< stat … >`, …), kept as text.
    Other { text: String },
}

/// Why an element is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BadElement {
    #[error("element longer than {max} bytes")]
    TooLong { max: usize },
    #[error("element is not ASCII")]
    NotAscii,
    #[error("bad CAN id `{token}`")]
    BadId { token: String },
    #[error("bad timestamp `{token}`")]
    BadTimestamp { token: String },
    #[error("bad data `{token}`")]
    BadData { token: String },
    #[error("`{keyword}` element is missing fields")]
    MissingField { keyword: String },
    #[error("empty element")]
    Empty,
}

/// `< send ID DLC B0 B1 … >`: ID `%03X`/`%08X`, DLC decimal, data `%02X` (§3.1).
pub fn render_send(frame: &CanFrame) -> String {
    let mut out = format!("< send {} {}", frame.id(), frame.dlc());
    for byte in frame.data() {
        out.push_str(&format!(" {byte:02X}"));
    }
    out.push_str(" >");
    out
}

/// A token of an element, which is ASCII (checked first), as text for an error.
fn text_of(token: &[u8]) -> String {
    String::from_utf8_lossy(token).into_owned()
}

/// The value of hex digits, up to eight of them.
fn hex_u32(token: &[u8]) -> Option<u32> {
    if token.is_empty() || token.len() > 8 {
        return None;
    }
    token.iter().try_fold(0u32, |value, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some(value << 4 | digit)
    })
}

/// The value of decimal digits; `None` for none, any other byte, or an overflow.
fn decimal(token: &[u8]) -> Option<u64> {
    if token.is_empty() {
        return None;
    }
    token.iter().try_fold(0u64, |value, &b| {
        let digit = char::from(b).to_digit(10)?;
        value.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

fn parse_id(token: &[u8]) -> Result<CanId, BadElement> {
    let bad = || BadElement::BadId {
        token: text_of(token),
    };
    let raw = hex_u32(token).ok_or_else(bad)?;
    // §3.1: "ID %03X or %08X"; the server itself tells them apart by token length.
    let id = match token.len() {
        1..=3 => CanId::Standard(u16::try_from(raw).map_err(|_| bad())?),
        8 => CanId::Extended(raw),
        _ => return Err(bad()),
    };
    CanFrame::new(id, &[]).map(|_| id).map_err(|_| bad())
}

fn parse_timestamp(token: &[u8]) -> Result<Duration, BadElement> {
    let bad = || BadElement::BadTimestamp {
        token: text_of(token),
    };
    let dot = memchr::memchr(b'.', token).ok_or_else(bad)?;
    let (secs, fraction) = (&token[..dot], &token[dot + 1..]);
    // A fraction of fewer than six digits is read as if padded with zeros on the right.
    let scale = (6u32.checked_sub(fraction.len() as u32)).map(|missing| 10u64.pow(missing));
    let (Some(secs), Some(usecs), Some(scale)) = (decimal(secs), decimal(fraction), scale) else {
        return Err(bad());
    };
    Ok(Duration::from_secs(secs) + Duration::from_micros(usecs * scale))
}

/// The data of a frame, RAW (one token) or BCM (a token per byte), into `data`; its
/// length. Without a list or a string per frame: every frame of a busy bus passes here.
fn parse_data<'a>(
    tokens: impl Iterator<Item = &'a [u8]>,
    data: &mut [u8; MAX_DATA_LEN],
) -> Result<usize, BadElement> {
    let mut len = 0;
    for token in tokens {
        let bad = || BadElement::BadData {
            token: text_of(token),
        };
        if token.len() % 2 == 1 || token.len() / 2 > MAX_DATA_LEN - len {
            return Err(bad());
        }
        for pair in token.chunks_exact(2) {
            let digit = |b: u8| char::from(b).to_digit(16);
            let (Some(hi), Some(lo)) = (digit(pair[0]), digit(pair[1])) else {
                return Err(bad());
            };
            data[len] = (hi << 4 | lo) as u8;
            len += 1;
        }
    }
    Ok(len)
}

/// `frame ID SECS.USECS DATA…` after the keyword.
fn parse_frame<'a>(mut tokens: impl Iterator<Item = &'a [u8]>) -> Result<Element, BadElement> {
    let (Some(id), Some(stamp)) = (tokens.next(), tokens.next()) else {
        return Err(BadElement::MissingField {
            keyword: "frame".to_owned(),
        });
    };
    let id = parse_id(id)?;
    let timestamp = parse_timestamp(stamp)?;
    let mut data = [0u8; MAX_DATA_LEN];
    let len = parse_data(tokens, &mut data)?;
    let frame = CanFrame::new(id, &data[..len]).map_err(|_| BadElement::BadData {
        token: len.to_string(),
    })?;
    Ok(Element::Frame { frame, timestamp })
}

/// Parses the text between `<` and `>`. Frames, nearly all of a busy bus's traffic,
/// are read from the bytes as they are, without a string or a token list.
pub fn parse_element(inner: &[u8]) -> Result<Element, BadElement> {
    if !inner.is_ascii() {
        return Err(BadElement::NotAscii);
    }
    let mut words = (inner.split(u8::is_ascii_whitespace)).filter(|word| !word.is_empty());
    if words.next() == Some(b"frame".as_slice()) {
        return parse_frame(words);
    }
    let text = std::str::from_utf8(inner).map_err(|_| BadElement::NotAscii)?;
    let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
    match tokens.as_slice() {
        [] => Err(BadElement::Empty),
        ["hi"] => Ok(Element::Hi),
        ["ok"] => Ok(Element::Ok),
        ["echo"] => Ok(Element::Echo),
        ["error", class, stamp, ..] if stamp.contains('.') => {
            let class = u32::from_str_radix(class, 16).map_err(|_| BadElement::BadId {
                token: (*class).to_owned(),
            })?;
            Ok(Element::ErrorFrame {
                class,
                timestamp: parse_timestamp(stamp.as_bytes())?,
            })
        }
        ["error", rest @ ..] => Ok(Element::Error {
            text: rest.join(" "),
        }),
        _ => Ok(Element::Other {
            text: tokens.join(" "),
        }),
    }
}

/// The tokeniser; see the module doc.
#[derive(Clone, Debug, Default)]
pub struct SocketcandCodec {
    dropped: u64,
}

impl SocketcandCodec {
    pub fn new() -> Self {
        Self::default()
    }

    /// Bytes discarded between elements and of over-long elements.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl Decoder for SocketcandCodec {
    type Item = Result<Element, BadElement>;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Self::Item>, Self::Error> {
        let Some(start) = memchr::memchr(b'<', buf) else {
            self.dropped += buf.len() as u64;
            buf.clear();
            return Ok(None);
        };
        if start > 0 {
            self.dropped += start as u64;
            buf.advance(start);
        }
        let window = buf
            .get(1..buf.len().min(MAX_ELEMENT_LEN + 1))
            .unwrap_or_default();
        let end = memchr::memchr2(b'>', b'<', window);
        match end {
            Some(i) if buf.get(i + 1) == Some(&b'<') => {
                // A new `<` before `>`: the element was cut off; resync on the new one.
                self.dropped += (i + 1) as u64;
                buf.advance(i + 1);
                Ok(Some(Err(BadElement::MissingField {
                    keyword: "(cut off)".to_owned(),
                })))
            }
            Some(i) => {
                // Parsed in place, then skipped: splitting the buffer would share it.
                let element = parse_element(buf.get(1..=i).unwrap_or_default());
                buf.advance(i + 2);
                Ok(Some(element))
            }
            None if buf.len() > MAX_ELEMENT_LEN => {
                self.dropped += buf.len() as u64;
                buf.clear();
                Ok(Some(Err(BadElement::TooLong {
                    max: MAX_ELEMENT_LEN,
                })))
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn frame(id: CanId, data: &[u8]) -> CanFrame {
        CanFrame::new(id, data).unwrap()
    }

    fn all(input: &[u8]) -> (Vec<Result<Element, BadElement>>, u64) {
        let mut codec = SocketcandCodec::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(item) = codec.decode(&mut buf).unwrap() {
            out.push(item);
        }
        (out, codec.dropped())
    }

    #[test]
    fn raw_and_bcm_spellings_of_section_3_1() {
        let expected = Element::Frame {
            frame: frame(CanId::Standard(0x123), &[0x1A, 0x22, 0x03, 0x44]),
            timestamp: Duration::new(23, 424_242_000),
        };
        assert_eq!(
            parse_element(b" frame 123 23.424242 1A220344 "),
            Ok(expected.clone())
        );
        assert_eq!(
            parse_element(b" frame 123 23.424242 1A 22 03 44  "),
            Ok(expected)
        );
        assert_eq!(
            parse_element(b" frame 18FF50E5 1.000001 "),
            Ok(Element::Frame {
                frame: frame(CanId::Extended(0x18FF_50E5), &[]),
                timestamp: Duration::new(1, 1000),
            })
        );
    }

    #[test]
    fn control_elements() {
        assert_eq!(parse_element(b" hi "), Ok(Element::Hi));
        assert_eq!(parse_element(b" ok "), Ok(Element::Ok));
        assert_eq!(parse_element(b" echo "), Ok(Element::Echo));
        assert_eq!(
            parse_element(b" error could not open bus "),
            Ok(Element::Error {
                text: "could not open bus".into()
            })
        );
        assert_eq!(
            parse_element(b" error 004 12.000100 "),
            Ok(Element::ErrorFrame {
                class: 4,
                timestamp: Duration::new(12, 100_000)
            })
        );
        assert_eq!(
            parse_element(b" error 004 12.000100 00 00 00 00 00 00 00 00  "),
            Ok(Element::ErrorFrame {
                class: 4,
                timestamp: Duration::new(12, 100_000)
            })
        );
    }

    #[test]
    fn send_is_rendered_exactly() {
        let f = frame(CanId::Standard(0x305), &[0; 8]);
        assert_eq!(render_send(&f), "< send 305 8 00 00 00 00 00 00 00 00 >");
        let f = frame(CanId::Extended(0x1AAA_AAAA), &[0x01, 0xF1]);
        assert_eq!(render_send(&f), "< send 1AAAAAAA 2 01 F1 >");
        let f = frame(CanId::Standard(0x1), &[]);
        assert_eq!(render_send(&f), "< send 001 0 >");
    }

    #[test]
    fn tokenises_on_brackets_not_on_reads() {
        let (items, dropped) = all(b"< hi >< ok >\r\n< frame 351 0.5 3002 >garbage");
        assert_eq!(items.len(), 3);
        assert_eq!(items[0], Ok(Element::Hi));
        assert_eq!(items[1], Ok(Element::Ok));
        assert!(matches!(items[2], Ok(Element::Frame { .. })));
        assert_eq!(dropped, 2 + 7);

        let mut codec = SocketcandCodec::new();
        let mut buf = BytesMut::from(&b"< fra"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
        assert_eq!(&buf[..], b"< fra");
        buf.extend_from_slice(b"me 305 1.0 00 >");
        assert!(matches!(
            codec.decode(&mut buf).unwrap(),
            Some(Ok(Element::Frame { .. }))
        ));
    }

    #[test]
    fn malformed_elements_are_items() {
        let bad = |s: &[u8]| parse_element(s).unwrap_err();
        assert!(matches!(
            bad(b" frame 12345 1.0 00 "),
            BadElement::BadId { .. }
        ));
        assert!(matches!(
            bad(b" frame 800 1.0 00 "),
            BadElement::BadId { .. }
        ));
        assert!(matches!(
            bad(b" frame 351 x 00 "),
            BadElement::BadTimestamp { .. }
        ));
        assert!(matches!(
            bad(b" frame 351 1.1234567 00 "),
            BadElement::BadTimestamp { .. }
        ));
        assert!(matches!(
            bad(b" frame 351 1.0 0 "),
            BadElement::BadData { .. }
        ));
        assert!(matches!(
            bad(b" frame 351 1.0 001122334455667788 "),
            BadElement::BadData { .. }
        ));
        assert!(matches!(
            bad(b" frame 351 "),
            BadElement::MissingField { .. }
        ));
        assert_eq!(bad(b"  "), BadElement::Empty);
        assert_eq!(bad(b" \xff "), BadElement::NotAscii);
        let (items, _) = all(b"< frame 35 1.0 zz >< hi >");
        assert!(items[0].is_err());
        assert_eq!(items[1], Ok(Element::Hi));
        let (items, _) = all(b"< frame 3<hi >");
        assert!(items[0].is_err());
        assert_eq!(items[1], Ok(Element::Hi));
        let mut long = b"<".to_vec();
        long.extend(std::iter::repeat_n(b'a', MAX_ELEMENT_LEN + 1));
        let (items, dropped) = all(&long);
        assert_eq!(
            items,
            vec![Err(BadElement::TooLong {
                max: MAX_ELEMENT_LEN
            })]
        );
        assert_eq!(dropped, long.len() as u64);
    }

    proptest! {
        #[test]
        fn any_bytes_tokenise_without_panicking(input in proptest::collection::vec(any::<u8>(), 0..700)) {
            let _ = all(&input);
        }

        #[test]
        fn rendered_frames_parse_back(id in 0u16..0x800, data in proptest::collection::vec(any::<u8>(), 0..=8), secs in 0u64..1_000_000, usecs in 0u32..1_000_000) {
            let f = frame(CanId::Standard(id), &data);
            let raw = format!("< frame {} {secs}.{usecs:06} {} >", f.id(), f.data_hex());
            let bcm: String = f.data().iter().map(|b| format!("{b:02X} ")).collect();
            let bcm = format!("< frame {} {secs}.{usecs:06} {bcm} >", f.id());
            for text in [raw, bcm] {
                let (items, _) = all(text.as_bytes());
                prop_assert_eq!(items, vec![Ok(Element::Frame { frame: f.clone(), timestamp: Duration::new(secs, usecs * 1000) })]);
            }
        }
    }
}
