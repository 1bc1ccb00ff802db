//! SCPI line framing: one message per line, `\n` terminated, `\r\n` accepted.
//!
//! Follows the `Decoder` contract of tokio-util's bounded `LinesCodec`, with two changes
//! that matter for instruments: a line cut off by a closed connection is an error
//! instead of a last line (a truncated `48.0` must not read as 48 V), and errors are a
//! typed enum. After an over-long line the rest of it is discarded up to the next `\n`,
//! so the answers after it stay in step. The client drives `decode` itself instead of
//! using `Framed`, because `Framed` ends the stream after the first error.

use std::io;

use tokio_util::bytes::{Buf, BufMut, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

/// Longest answer accepted, terminator excluded. Generous for SCPI (an `*IDN?` is under
/// 100 bytes, a 10 000-point trace in ASCII is about 150 KiB and is not used here) and
/// small enough that a babbling instrument cannot exhaust memory.
pub const MAX_LINE_LEN: usize = 64 * 1024;

/// Bytes could not be framed into lines, or a line could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("line longer than {max} bytes")]
    TooLong { max: usize },
    #[error("line is not valid UTF-8")]
    NotUtf8,
    #[error("connection closed after {len} bytes of an unterminated line")]
    Truncated { len: usize },
    #[error("command contains a line terminator")]
    EmbeddedTerminator,
    #[error("i/o error")]
    Io(#[from] io::Error),
}

/// Newline framing with a maximum line length.
#[derive(Clone, Debug)]
pub struct LineCodec {
    max_len: usize,
    /// Where the search for `\n` resumes, so a slowly arriving line is scanned once.
    next_index: usize,
    /// Inside an over-long line whose error was already returned.
    discarding: bool,
}

impl Default for LineCodec {
    fn default() -> Self {
        Self::new(MAX_LINE_LEN)
    }
}

impl LineCodec {
    pub fn new(max_len: usize) -> Self {
        Self {
            max_len,
            next_index: 0,
            discarding: false,
        }
    }
}

impl Decoder for LineCodec {
    type Item = String;
    type Error = LineError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<String>, LineError> {
        loop {
            let scan_to = buf.len().min(self.max_len.saturating_add(1));
            let newline = buf
                .get(self.next_index..scan_to)
                .and_then(|window| window.iter().position(|b| *b == b'\n'))
                .map(|offset| self.next_index + offset);
            match (self.discarding, newline) {
                (true, Some(end)) => {
                    buf.advance(end + 1);
                    self.discarding = false;
                    self.next_index = 0;
                }
                (true, None) => {
                    buf.advance(scan_to);
                    self.next_index = 0;
                    if buf.is_empty() {
                        return Ok(None);
                    }
                }
                (false, Some(end)) => {
                    self.next_index = 0;
                    let line = buf.split_to(end + 1);
                    return line_text(&line).map(Some);
                }
                (false, None) if buf.len() > self.max_len => {
                    self.discarding = true;
                    return Err(LineError::TooLong { max: self.max_len });
                }
                (false, None) => {
                    self.next_index = scan_to;
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<String>, LineError> {
        if let Some(line) = self.decode(buf)? {
            return Ok(Some(line));
        }
        let len = buf.len();
        buf.clear();
        self.next_index = 0;
        if len == 0 || std::mem::take(&mut self.discarding) {
            Ok(None)
        } else {
            Err(LineError::Truncated { len })
        }
    }
}

/// A line without its terminator: the `\n` and a `\r` before it are dropped.
fn line_text(line: &[u8]) -> Result<String, LineError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    std::str::from_utf8(line)
        .map(str::to_owned)
        .map_err(|_| LineError::NotUtf8)
}

impl Encoder<&str> for LineCodec {
    type Error = LineError;

    fn encode(&mut self, line: &str, buf: &mut BytesMut) -> Result<(), LineError> {
        if line.contains(['\n', '\r']) {
            return Err(LineError::EmbeddedTerminator);
        }
        buf.reserve(line.len() + 1);
        buf.put_slice(line.as_bytes());
        buf.put_u8(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut LineCodec, buf: &mut BytesMut) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(line) = codec.decode(buf).unwrap() {
            lines.push(line);
        }
        lines
    }

    #[test]
    fn an_empty_buffer_needs_more_bytes() {
        let mut buf = BytesMut::new();
        assert!(LineCodec::default().decode(&mut buf).unwrap().is_none());
    }

    #[test]
    fn a_partial_line_is_left_in_the_buffer() {
        let mut codec = LineCodec::default();
        let mut buf = BytesMut::from(&b"48.0"[..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert_eq!(&buf[..], b"48.0");
        buf.extend_from_slice(b"01\n");
        assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("48.001"));
        assert!(buf.is_empty());
    }

    #[test]
    fn several_lines_in_one_read_and_crlf_terminators() {
        let mut codec = LineCodec::default();
        let mut buf = BytesMut::from(&b"1\r\n+0,\"No error\"\n\nKEYSIGHT"[..]);
        assert_eq!(
            decode_all(&mut codec, &mut buf),
            ["1", "+0,\"No error\"", ""]
        );
        assert_eq!(&buf[..], b"KEYSIGHT");
    }

    #[test]
    fn an_over_long_line_is_an_error_then_skipped_to_the_next_line() {
        let mut codec = LineCodec::new(8);
        let mut buf = BytesMut::from(&b"0123456789"[..]);
        assert!(matches!(
            codec.decode(&mut buf),
            Err(LineError::TooLong { max: 8 })
        ));
        buf.extend_from_slice(b"abcdef\n48.0\n");
        assert_eq!(decode_all(&mut codec, &mut buf), ["48.0"]);
    }

    #[test]
    fn a_line_of_exactly_the_maximum_is_accepted() {
        let mut codec = LineCodec::new(4);
        let mut buf = BytesMut::from(&b"1234\n"[..]);
        assert_eq!(codec.decode(&mut buf).unwrap().as_deref(), Some("1234"));
    }

    #[test]
    fn invalid_utf8_is_an_error_and_the_next_line_still_decodes() {
        let mut codec = LineCodec::default();
        let mut buf = BytesMut::from(&b"\xff\xfe\n1\n"[..]);
        assert!(matches!(codec.decode(&mut buf), Err(LineError::NotUtf8)));
        assert_eq!(decode_all(&mut codec, &mut buf), ["1"]);
    }

    #[test]
    fn an_unterminated_line_at_eof_is_truncated_not_accepted() {
        let mut codec = LineCodec::default();
        let mut buf = BytesMut::from(&b"48.0"[..]);
        assert!(matches!(
            codec.decode_eof(&mut buf),
            Err(LineError::Truncated { len: 4 })
        ));
        assert!(codec.decode_eof(&mut buf).unwrap().is_none());
    }

    #[test]
    fn encoding_appends_the_terminator_and_refuses_embedded_ones() {
        let mut codec = LineCodec::default();
        let mut buf = BytesMut::new();
        codec.encode("OUTP OFF", &mut buf).unwrap();
        assert_eq!(&buf[..], b"OUTP OFF\n");
        assert!(matches!(
            codec.encode("OUTP OFF\nOUTP ON", &mut buf),
            Err(LineError::EmbeddedTerminator)
        ));
        assert_eq!(&buf[..], b"OUTP OFF\n");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_frame_into_lines_or_typed_errors(
            input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        ) {
            let mut codec = LineCodec::new(64);
            let mut buf = BytesMut::from(&input[..]);
            for _ in 0..input.len() + 1 {
                match codec.decode(&mut buf) {
                    Ok(Some(_)) | Err(_) => {}
                    Ok(None) => break,
                }
            }
            let _ = codec.decode_eof(&mut buf);
        }
    }
}
