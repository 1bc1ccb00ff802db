//! A thin SCPI client over any byte stream: one command per line, one answer per query.
//!
//! The rig is the SCPI *client* here. The `scpi` crate implements the instrument side
//! (the simulated instruments use it); no crate does the controller side over a plain
//! socket, and it is small, so it is written here (protocols.md §7: "plain TCP needs no
//! crate").
//!
//! Every exchange has a timeout taken from tokio's clock only, so the virtual bench's
//! paused clock drives it. Every error names the instrument and the command. Every
//! line sent and received is reported as [`Traffic`](crate::traffic::Traffic).
//!
//! A raw socket has no device clear, so after a timeout, an i/o error or an exchange
//! whose future was dropped halfway (cancelled by a timeout or a stop above it) the
//! next call first resynchronises as protocols.md §4.1 says: it drops what is buffered, sends
//! `*CLS` and `*OPC?`, discards answers up to the `1`, and sends `*CLS` again (the
//! first one may have been glued to half a command, which leaves an error behind). A
//! stale answer that happens to be `1` can still fool this; reconnecting is the only
//! sure cure and is the rig's call.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::error::Elapsed;
use tokio_util::bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use super::codec::{LineCodec, LineError};
use super::common::{CLEAR_STATUS, IDENTIFY, NEXT_ERROR, OPERATION_COMPLETE};
use super::error::{ScpiError, ScpiErrorKind};
use super::response::{Identity, parse_bool, parse_error_entry, parse_identity, parse_number};
use crate::traffic::{Direction, TrafficReporter, TrafficSink, Wire};
use crate::transport::ByteStream;

/// `SYST:ERR?` reads per check: enough to empty any real queue, and bounded so an
/// instrument that never answers `0` cannot keep the client busy forever.
const MAX_ERROR_QUEUE_READS: usize = 32;

/// Stale answers discarded while resynchronising before giving up.
const MAX_STALE_ANSWERS: usize = 16;

/// An SCPI connection to one instrument.
#[derive(Debug)]
pub struct ScpiClient<S> {
    stream: S,
    codec: LineCodec,
    read_buf: BytesMut,
    timeout: Duration,
    traffic: TrafficReporter,
    /// The command an error-queue entry is blamed on.
    last_command: Option<String>,
    /// A timeout or i/o error left an answer unread or half a command sent.
    out_of_step: bool,
}

impl<S: ByteStream> ScpiClient<S> {
    pub fn new(
        stream: S,
        instrument: Arc<str>,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Self {
        Self {
            stream,
            codec: LineCodec::default(),
            read_buf: BytesMut::with_capacity(1024),
            timeout,
            traffic: TrafficReporter::new(instrument, traffic),
            last_command: None,
            out_of_step: false,
        }
    }

    /// The bench name of the instrument.
    pub fn instrument(&self) -> &Arc<str> {
        self.traffic.instrument()
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends a command that has no answer.
    pub async fn write(&mut self, command: &str) -> Result<(), ScpiError> {
        self.resync_if_out_of_step().await?;
        self.last_command = Some(command.to_owned());
        // Out of step until the line is sent in full: a write dropped halfway leaves
        // half a command on the wire.
        self.out_of_step = true;
        let result = tokio::time::timeout(self.timeout, self.send(command)).await;
        self.settle(command, result)
    }

    /// Sends a query and returns its one-line answer, terminator removed.
    pub async fn query(&mut self, command: &str) -> Result<String, ScpiError> {
        self.resync_if_out_of_step().await?;
        self.last_command = Some(command.to_owned());
        self.exchange(command).await
    }

    /// A query whose answer is a number (NR1/NR2/NR3, an appended unit is dropped).
    pub async fn query_number(&mut self, command: &str) -> Result<f64, ScpiError> {
        let answer = self.query(command).await?;
        parse_number(&answer).ok_or_else(|| self.malformed(command, answer))
    }

    /// A query whose answer is a boolean (`1`/`0`, `ON`/`OFF`).
    pub async fn query_bool(&mut self, command: &str) -> Result<bool, ScpiError> {
        let answer = self.query(command).await?;
        parse_bool(&answer).ok_or_else(|| self.malformed(command, answer))
    }

    /// `*OPC?`: waits until the instrument has finished every pending operation (its
    /// answer `1` comes only then), bounded by the exchange timeout.
    pub async fn wait_complete(&mut self) -> Result<(), ScpiError> {
        let answer = self.query(OPERATION_COMPLETE).await?;
        if answer.trim() == "1" {
            Ok(())
        } else {
            Err(self.malformed(OPERATION_COMPLETE, answer))
        }
    }

    /// `*IDN?`.
    pub async fn identify(&mut self) -> Result<Identity, ScpiError> {
        let answer = self.query(IDENTIFY).await?;
        parse_identity(&answer).ok_or_else(|| self.malformed(IDENTIFY, answer))
    }

    /// Empties the error queue with `SYST:ERR?` and fails with its first entry, blamed
    /// on the last command sent before the check.
    pub async fn check_error_queue(&mut self) -> Result<(), ScpiError> {
        self.resync_if_out_of_step().await?;
        let mut first_error = None;
        for _ in 0..MAX_ERROR_QUEUE_READS {
            let answer = self.exchange(NEXT_ERROR).await?;
            let Some((code, message)) = parse_error_entry(&answer) else {
                return Err(self.malformed(NEXT_ERROR, answer));
            };
            if code == 0 {
                break;
            }
            first_error.get_or_insert((code, message));
        }
        match first_error {
            None => Ok(()),
            Some((code, message)) => {
                let blamed = self.last_command.as_deref().unwrap_or(NEXT_ERROR);
                Err(self.error(blamed, ScpiErrorKind::InstrumentError { code, message }))
            }
        }
    }

    pub(crate) fn error(&self, command: &str, kind: ScpiErrorKind) -> ScpiError {
        ScpiError {
            instrument: Arc::clone(self.instrument()),
            command: command.to_owned(),
            kind,
        }
    }

    fn malformed(&self, command: &str, response: String) -> ScpiError {
        self.error(command, ScpiErrorKind::MalformedResponse { response })
    }

    /// One query under the timeout, without touching `last_command`.
    async fn exchange(&mut self, command: &str) -> Result<String, ScpiError> {
        // Out of step until the answer is read: a query whose future is dropped (a
        // plan's timeout, a stop) leaves its answer on the wire for the next query.
        self.out_of_step = true;
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout, async {
            self.send(command).await?;
            self.receive().await
        })
        .await;
        self.settle(command, result)
    }

    /// Turns the outcome of a timed exchange into the public error, and remembers when
    /// the wire has fallen out of step.
    fn settle<T>(
        &mut self,
        command: &str,
        result: Result<Result<T, ScpiErrorKind>, Elapsed>,
    ) -> Result<T, ScpiError> {
        let kind = match result {
            Ok(Ok(value)) => {
                self.out_of_step = false;
                return Ok(value);
            }
            Ok(Err(kind)) => kind,
            Err(_elapsed) => ScpiErrorKind::Timeout {
                after: self.timeout,
            },
        };
        // An answer read in full but refused (malformed, an error entry) keeps the wire
        // in step; a timeout or a broken wire does not.
        self.out_of_step = kind.is_transport();
        Err(self.error(command, kind))
    }

    async fn send(&mut self, command: &str) -> Result<(), ScpiErrorKind> {
        let mut frame = BytesMut::with_capacity(command.len() + 1);
        self.codec
            .encode(command, &mut frame)
            .map_err(ScpiErrorKind::Framing)?;
        self.traffic
            .report(Direction::Sent, Wire::Text(command.to_owned()));
        self.stream
            .write_all(&frame)
            .await
            .map_err(ScpiErrorKind::Io)?;
        self.stream.flush().await.map_err(ScpiErrorKind::Io)
    }

    async fn receive(&mut self) -> Result<String, ScpiErrorKind> {
        loop {
            if let Some(line) = self
                .codec
                .decode(&mut self.read_buf)
                .map_err(ScpiErrorKind::Framing)?
            {
                self.traffic
                    .report(Direction::Received, Wire::Text(line.clone()));
                return Ok(line);
            }
            let read = self
                .stream
                .read_buf(&mut self.read_buf)
                .await
                .map_err(ScpiErrorKind::Io)?;
            if read == 0 {
                return match self.codec.decode_eof(&mut self.read_buf) {
                    Ok(_) => Err(ScpiErrorKind::Closed),
                    Err(truncated) => Err(ScpiErrorKind::Framing(truncated)),
                };
            }
        }
    }

    async fn resync_if_out_of_step(&mut self) -> Result<(), ScpiError> {
        if !self.out_of_step {
            return Ok(());
        }
        self.read_buf.clear();
        self.codec = LineCodec::default();
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout, self.resync()).await;
        self.settle(OPERATION_COMPLETE, result)?;
        self.out_of_step = false;
        Ok(())
    }

    async fn resync(&mut self) -> Result<(), ScpiErrorKind> {
        self.send(CLEAR_STATUS).await?;
        self.send(OPERATION_COMPLETE).await?;
        for _ in 0..MAX_STALE_ANSWERS {
            match self.receive().await {
                Ok(answer) if answer.trim() == "1" => return self.send(CLEAR_STATUS).await,
                Ok(_stale) => {}
                Err(ScpiErrorKind::Framing(LineError::TooLong { .. } | LineError::NotUtf8)) => {}
                Err(broken) => return Err(broken),
            }
        }
        Err(ScpiErrorKind::ResyncFailed {
            lines: MAX_STALE_ANSWERS,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use tokio::sync::mpsc;

    use super::*;
    use crate::scpi::script::{Script, TIMEOUT};
    use crate::traffic::Traffic;
    use crate::transport::BoxStream;

    fn client(script: &mut Script) -> ScpiClient<tokio_test::io::Mock> {
        ScpiClient::new(script.build(), Arc::from("source"), TIMEOUT, None)
    }

    #[tokio::test]
    async fn a_query_sends_one_line_and_returns_the_answer_without_terminator() {
        let mut client = client(Script::new().ask("MEAS:VOLT?", "5.20000E+01"));
        assert_eq!(client.query("MEAS:VOLT?").await.unwrap(), "5.20000E+01");
    }

    #[tokio::test]
    async fn a_boxed_stream_works_like_any_other() {
        let stream: BoxStream = Box::new(Script::new().ask("*OPC?", "1").build());
        let mut client = ScpiClient::new(stream, Arc::from("source"), TIMEOUT, None);
        assert!(client.query_bool("*OPC?").await.unwrap());
    }

    #[tokio::test]
    async fn answers_split_across_reads_and_crlf_are_reassembled() {
        let mock = tokio_test::io::Builder::new()
            .write(b"*OPC?\n")
            .read(b"")
            .read(b"1\r")
            .read(b"\n")
            .build();
        let mut client = ScpiClient::new(mock, Arc::from("source"), TIMEOUT, None);
        assert_eq!(client.query("*OPC?").await.unwrap(), "1");
    }

    #[tokio::test]
    async fn every_line_is_reported_as_text_traffic() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mock = Script::new().send("*CLS").ask("OUTP?", "0").build();
        let mut client = ScpiClient::new(mock, Arc::from("source"), TIMEOUT, Some(tx));
        client.write("*CLS").await.unwrap();
        assert!(!client.query_bool("OUTP?").await.unwrap());

        let record = |direction, text: &str| Traffic {
            instrument: Arc::from("source"),
            direction,
            wire: Wire::Text(text.to_owned()),
        };
        let mut seen = Vec::new();
        while let Ok(traffic) = rx.try_recv() {
            seen.push(traffic);
        }
        assert_eq!(
            seen,
            [
                record(Direction::Sent, "*CLS"),
                record(Direction::Sent, "OUTP?"),
                record(Direction::Received, "0"),
            ]
        );
    }

    #[tokio::test]
    async fn the_error_queue_is_drained_and_its_first_entry_blamed_on_the_last_command() {
        let mut client = client(
            Script::new()
                .send("SOUR:VOLT 70.000")
                .ask("SYST:ERR?", "-222,\"Data out of range\"")
                .ask("SYST:ERR?", "-221,\"Settings conflict\"")
                .no_error(),
        );
        client.write("SOUR:VOLT 70.000").await.unwrap();
        let err = client.check_error_queue().await.unwrap_err();
        assert_eq!(err.command, "SOUR:VOLT 70.000");
        assert!(matches!(
            &err.kind,
            ScpiErrorKind::InstrumentError { code: -222, message } if message == "Data out of range"
        ));
        assert_eq!(
            err.to_string(),
            "instrument `source`, command `SOUR:VOLT 70.000`: \
             instrument error -222, \"Data out of range\""
        );
    }

    #[tokio::test]
    async fn the_error_queue_check_gives_up_after_32_reads() {
        let mut script = Script::new();
        for _ in 0..32 {
            script.ask("SYST:ERR?", "-350,\"Queue overflow\"");
        }
        let err = client(&mut script).check_error_queue().await.unwrap_err();
        assert!(matches!(
            err.kind,
            ScpiErrorKind::InstrumentError { code: -350, .. }
        ));
    }

    #[tokio::test]
    async fn garbage_in_the_error_queue_is_malformed() {
        let mut client = client(Script::new().ask("SYST:ERR?", "garbage"));
        let err = client.check_error_queue().await.unwrap_err();
        assert_eq!(err.command, "SYST:ERR?");
        assert!(matches!(
            &err.kind,
            ScpiErrorKind::MalformedResponse { response } if response == "garbage"
        ));
    }

    #[tokio::test]
    async fn a_command_with_a_newline_is_refused_before_sending() {
        let mut client = client(&mut Script::new());
        let err = client.write("OUTP ON\nOUTP OFF").await.unwrap_err();
        assert!(matches!(
            err.kind,
            ScpiErrorKind::Framing(LineError::EmbeddedTerminator)
        ));
    }

    #[tokio::test]
    async fn a_closed_connection_and_a_truncated_answer_are_errors() {
        let mut client = client(Script::new().send("MEAS:VOLT?"));
        let err = client.query("MEAS:VOLT?").await.unwrap_err();
        assert!(matches!(err.kind, ScpiErrorKind::Closed));

        let mock = tokio_test::io::Builder::new()
            .write(b"MEAS:VOLT?\n")
            .read(b"48.0")
            .build();
        let mut client = ScpiClient::new(mock, Arc::from("source"), TIMEOUT, None);
        let err = client.query("MEAS:VOLT?").await.unwrap_err();
        assert!(matches!(
            err.kind,
            ScpiErrorKind::Framing(LineError::Truncated { len: 4 })
        ));
    }

    #[tokio::test]
    async fn an_io_error_is_kept_as_the_cause() {
        let mock = tokio_test::io::Builder::new()
            .write(b"MEAS:VOLT?\n")
            .read_error(std::io::ErrorKind::ConnectionReset.into())
            .build();
        let mut client = ScpiClient::new(mock, Arc::from("source"), TIMEOUT, None);
        let err = client.query("MEAS:VOLT?").await.unwrap_err();
        assert!(matches!(err.kind, ScpiErrorKind::Io(_)));
        assert!(err.source().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_instrument_times_out() {
        let mut client = client(Script::new().send("MEAS:VOLT?").wait(TIMEOUT * 10));
        let err = client.query("MEAS:VOLT?").await.unwrap_err();
        assert!(matches!(err.kind, ScpiErrorKind::Timeout { after } if after == TIMEOUT));
        assert_eq!(
            err.to_string(),
            "instrument `source`, command `MEAS:VOLT?`: no answer within 1s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_timeout_the_late_answer_is_discarded_before_the_next_query() {
        let mut client = client(
            Script::new()
                .send("MEAS:VOLT?")
                .wait(TIMEOUT * 3 / 2)
                .answer("48.000")
                .send("*CLS")
                .ask("*OPC?", "1")
                .send("*CLS")
                .ask("MEAS:CURR?", "-12.500"),
        );
        assert!(client.query_number("MEAS:VOLT?").await.is_err());
        assert_eq!(client.query_number("MEAS:CURR?").await.unwrap(), -12.5);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_resync_is_reported_and_retried_on_the_next_call() {
        let mut client = client(
            Script::new()
                .send("MEAS:VOLT?")
                .wait(TIMEOUT * 3 / 2)
                .send("*CLS")
                .send("*OPC?")
                .wait(TIMEOUT)
                .send("*CLS")
                .ask("*OPC?", "1")
                .send("*CLS")
                .send("OUTP OFF"),
        );
        assert!(client.query("MEAS:VOLT?").await.is_err());
        let err = client.query("MEAS:VOLT?").await.unwrap_err();
        assert_eq!(err.command, "*OPC?");
        assert!(matches!(err.kind, ScpiErrorKind::Timeout { .. }));
        client.write("OUTP OFF").await.unwrap();
    }
}
