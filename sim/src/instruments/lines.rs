//! Newline-terminated program messages from an untrusted byte stream.
//!
//! Lines end at `\n`; a `\r` before it is dropped. Instruments that end commands with
//! CR alone (the Numato modules) use [`LineReader::ending_at_cr`]: lines end at `\r` and
//! a `\n` after it (a CR LF sender) is dropped. A line longer than [`MAX_LINE`] is
//! discarded up to its newline and reported once as [`Line::Overlong`], so a client that
//! never sends a newline cannot make the instrument buffer without bound.

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest program message accepted, in bytes.
pub(crate) const MAX_LINE: usize = 4096;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    Text(Vec<u8>),
    /// A line longer than [`MAX_LINE`] was discarded.
    Overlong,
}

pub(crate) struct LineReader<R> {
    inner: R,
    terminator: u8,
    buf: Vec<u8>,
    discarding: bool,
    eof: bool,
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            terminator: b'\n',
            buf: Vec::new(),
            discarding: false,
            eof: false,
        }
    }

    pub(crate) fn ending_at_cr(inner: R) -> Self {
        Self {
            inner,
            terminator: b'\r',
            buf: Vec::new(),
            discarding: false,
            eof: false,
        }
    }

    /// The next line, or `None` once the peer has closed. An unterminated last line
    /// before the close is still returned.
    pub(crate) async fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        let mut chunk = [0u8; 1024];
        loop {
            if self.terminator == b'\r' && self.buf.first() == Some(&b'\n') {
                self.buf.remove(0);
                continue;
            }
            if let Some(end) = self.buf.iter().position(|&b| b == self.terminator) {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if std::mem::take(&mut self.discarding) {
                    return Ok(Some(Line::Overlong));
                }
                return Ok(Some(Line::Text(line)));
            }
            if self.buf.len() > MAX_LINE {
                self.buf.clear();
                self.discarding = true;
            }
            if self.eof {
                if std::mem::take(&mut self.discarding) {
                    self.buf.clear();
                    return Ok(Some(Line::Overlong));
                }
                if self.buf.is_empty() {
                    return Ok(None);
                }
                let mut line = std::mem::take(&mut self.buf);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(Line::Text(line)));
            }
            let n = self.inner.read(&mut chunk).await?;
            if n == 0 {
                self.eof = true;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(script: &[&[u8]]) -> Vec<Line> {
        let mut reader = LineReader::new(stream(script));
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().await.unwrap() {
            out.push(line);
        }
        out
    }

    /// The chunks, then the stream closes.
    fn stream(script: &[&[u8]]) -> std::io::Cursor<Vec<u8>> {
        std::io::Cursor::new(script.concat())
    }

    fn text(s: &str) -> Line {
        Line::Text(s.as_bytes().to_vec())
    }

    #[tokio::test]
    async fn splits_at_newline_and_tolerates_crlf() {
        assert_eq!(
            lines(&[b"*IDN?\r\nOUTP ON\n", b"\n"]).await,
            [text("*IDN?"), text("OUTP ON"), text("")]
        );
    }

    #[tokio::test]
    async fn a_line_split_across_reads_is_joined() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut reader = LineReader::new(server);
        use tokio::io::AsyncWriteExt;
        client.write_all(b"MEAS:").await.unwrap();
        client.write_all(b"VOLT?\n").await.unwrap();
        assert_eq!(reader.next_line().await.unwrap(), Some(text("MEAS:VOLT?")));
    }

    #[tokio::test]
    async fn cr_terminated_lines_tolerate_crlf() {
        let mut reader = LineReader::ending_at_cr(stream(&[b"ver\rrelay on 0\r\nid get\r\n"]));
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().await.unwrap() {
            out.push(line);
        }
        assert_eq!(out, [text("ver"), text("relay on 0"), text("id get")]);
    }

    #[tokio::test]
    async fn an_unterminated_last_line_is_kept() {
        assert_eq!(lines(&[b"OUTP OFF"]).await, [text("OUTP OFF")]);
    }

    #[tokio::test]
    async fn overlong_lines_are_dropped_once_and_the_stream_resyncs() {
        let long = vec![b'A'; 3 * MAX_LINE];
        assert_eq!(
            lines(&[&long, b"\n*IDN?\n"]).await,
            [Line::Overlong, text("*IDN?")]
        );
        assert_eq!(lines(&[&long]).await, [Line::Overlong]);
    }
}
