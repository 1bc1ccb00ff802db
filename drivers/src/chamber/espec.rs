//! ESPEC P-300 / SCP-220 family, ASCII over RS-232/RS-485 or a serial-to-TCP
//! forwarder (protocols.md §5.3): a command and CR LF, one reply line, errors start
//! with `NA:`.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::bytes::BytesMut;
use tokio_util::codec::Decoder;

use super::{Chamber, ChamberError, ChamberErrorKind};
use crate::scpi::LineCodec;
use crate::traffic::{Direction, TrafficReporter, TrafficSink, Wire};
use crate::transport::{ByteStream, OpenExchange, discard_late_answer};

/// §5.3: "errors start with `NA:`".
const REFUSAL_PREFIX: &str = "NA:";
/// Replies are short (`23.0,25.0,80.0,-40.0`); anything longer is garbage.
const MAX_REPLY_LEN: usize = 256;

/// `TEMP?` → `PV,SP,upper_limit,lower_limit`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TempReading {
    pub process_value: f64,
    pub set_point: f64,
    pub upper_limit: f64,
    pub lower_limit: f64,
}

impl TempReading {
    /// Parses `23.0,25.0,80.0,-40.0`.
    pub fn parse(reply: &str) -> Option<Self> {
        let fields: Vec<f64> = reply
            .split(',')
            .map(|f| f.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
            .collect::<Option<_>>()?;
        let [process_value, set_point, upper_limit, lower_limit] = fields[..] else {
            return None;
        };
        Some(Self {
            process_value,
            set_point,
            upper_limit,
            lower_limit,
        })
    }
}

/// An opened ESPEC controller.
#[derive(Debug)]
pub struct EspecP300<S> {
    stream: S,
    codec: LineCodec,
    buf: BytesMut,
    traffic: TrafficReporter,
    /// RS-485 address; commands are then prefixed `<addr>,` (§5.3).
    address: Option<u8>,
    timeout: Duration,
    limits: (f64, f64),
    /// A command whose reply was not read (timed out, or its future dropped).
    open: OpenExchange,
}

impl<S: ByteStream> EspecP300<S> {
    /// Reads `TEMP?` once (proving the controller answers) and keeps its limits for
    /// checking set points.
    pub async fn open(
        stream: S,
        instrument: Arc<str>,
        address: Option<u8>,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, TempReading), ChamberError> {
        let mut chamber = Self {
            stream,
            codec: LineCodec::new(MAX_REPLY_LEN),
            buf: BytesMut::with_capacity(256),
            traffic: TrafficReporter::new(instrument, traffic),
            address,
            timeout,
            limits: (f64::NEG_INFINITY, f64::INFINITY),
            open: OpenExchange::default(),
        };
        let reading = chamber.temperature().await?;
        chamber.limits = (reading.lower_limit, reading.upper_limit);
        Ok((chamber, reading))
    }

    /// The controller's own set-point limits (lower, upper), °C, as read at open.
    pub fn limits(&self) -> (f64, f64) {
        self.limits
    }

    /// `TEMP?`.
    pub async fn temperature(&mut self) -> Result<TempReading, ChamberError> {
        const OP: &str = "read the temperature (TEMP?)";
        let reply = self.exchange("TEMP?", OP).await?;
        TempReading::parse(&reply)
            .ok_or_else(|| self.error(OP, ChamberErrorKind::Malformed { reply }))
    }

    /// Sends any command and returns its reply line (refusals are errors).
    pub async fn command(&mut self, command: &str) -> Result<String, ChamberError> {
        self.exchange(command, "send a command").await
    }

    async fn exchange(
        &mut self,
        command: &str,
        operation: &'static str,
    ) -> Result<String, ChamberError> {
        let line = match self.address {
            Some(address) => format!("{address},{command}"),
            None => command.to_owned(),
        };
        self.discard_late_answer().await;
        let timeout = self.timeout;
        let result = tokio::time::timeout(timeout, self.round_trip(&line)).await;
        let reply = match result {
            Ok(Ok(reply)) => reply,
            Ok(Err(kind)) => {
                self.buf.clear();
                return Err(self.error(operation, kind));
            }
            Err(_elapsed) => {
                self.buf.clear();
                return Err(self.error(operation, ChamberErrorKind::Timeout { after: timeout }));
            }
        };
        if reply.starts_with(REFUSAL_PREFIX) {
            return Err(self.error(operation, ChamberErrorKind::Refused { reply }));
        }
        Ok(reply)
    }

    /// After a command whose reply was never read (timed out, or its future dropped),
    /// what that reply brings is read and dropped, so it cannot pass for the next one's.
    async fn discard_late_answer(&mut self) {
        let Some(since) = self.open.stale_since() else {
            return;
        };
        let late = discard_late_answer(&mut self.stream, since, self.timeout).await;
        if !late.is_empty() {
            let text = String::from_utf8_lossy(&late).trim().to_owned();
            self.traffic.report(Direction::Received, Wire::Text(text));
        }
        self.buf.clear();
        self.open.end();
    }

    async fn round_trip(&mut self, line: &str) -> Result<String, ChamberErrorKind> {
        self.open.begin();
        self.traffic
            .report(Direction::Sent, Wire::Text(line.to_owned()));
        let wire = format!("{line}\r\n");
        self.stream
            .write_all(wire.as_bytes())
            .await
            .map_err(ChamberErrorKind::Io)?;
        self.stream.flush().await.map_err(ChamberErrorKind::Io)?;
        loop {
            match self.codec.decode(&mut self.buf) {
                Ok(Some(reply)) => {
                    self.open.end();
                    self.traffic
                        .report(Direction::Received, Wire::Text(reply.clone()));
                    return Ok(reply.trim().to_owned());
                }
                Ok(None) => {}
                Err(e) => return Err(ChamberErrorKind::Framing(e)),
            }
            let read = self
                .stream
                .read_buf(&mut self.buf)
                .await
                .map_err(ChamberErrorKind::Io)?;
            if read == 0 {
                return Err(ChamberErrorKind::Closed);
            }
        }
    }

    fn error(&self, operation: &'static str, kind: ChamberErrorKind) -> ChamberError {
        ChamberError {
            instrument: Arc::clone(self.traffic.instrument()),
            operation,
            kind,
        }
    }
}

impl<S: ByteStream> Chamber for EspecP300<S> {
    /// `TEMP, S25.0`, checked against the controller's own limits first.
    async fn set_point(&mut self, celsius: f64) -> Result<(), ChamberError> {
        const OP: &str = "write the set point";
        let (low, high) = self.limits;
        if !celsius.is_finite() || celsius < low || celsius > high {
            return Err(self.error(
                OP,
                ChamberErrorKind::OutOfRange {
                    value: celsius,
                    low,
                    high,
                },
            ));
        }
        self.exchange(&format!("TEMP, S{celsius:.1}"), OP)
            .await
            .map(drop)
    }

    async fn read_set_point(&mut self) -> Result<f64, ChamberError> {
        Ok(self.temperature().await?.set_point)
    }

    async fn process_value(&mut self) -> Result<f64, ChamberError> {
        Ok(self.temperature().await?.process_value)
    }

    /// `POWER,ON` (constant mode) / `POWER,OFF` (§5.3).
    async fn set_running(&mut self, run: bool) -> Result<(), ChamberError> {
        let command = if run { "POWER,ON" } else { "POWER,OFF" };
        self.exchange(command, "switch the chamber").await.map(drop)
    }

    /// `MODE?` (§5.3): `OFF` and `STANDBY` do not condition the air; `CONSTANT` and a
    /// running program (`RUN…`) do.
    async fn running(&mut self) -> Result<bool, ChamberError> {
        const OP: &str = "read the mode (MODE?)";
        let reply = self.exchange("MODE?", OP).await?;
        let mode = reply.trim().to_ascii_uppercase();
        match mode.as_str() {
            "OFF" | "STANDBY" => Ok(false),
            "CONSTANT" => Ok(true),
            m if m.starts_with("RUN") => Ok(true),
            _ => Err(self.error(OP, ChamberErrorKind::Malformed { reply })),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use tokio_test::io::{Builder, Mock};

    use super::*;

    const T: Duration = Duration::from_secs(1);

    async fn open(mock: Mock, address: Option<u8>) -> EspecP300<Mock> {
        EspecP300::open(mock, Arc::from("chamber"), address, T, None)
            .await
            .unwrap()
            .0
    }

    #[tokio::test]
    async fn set_point_run_and_read_byte_exact() {
        let mock = Builder::new()
            .write(b"TEMP?\r\n")
            .read(b"23.0,25.0,80.0,-40.0\r\n")
            .write(b"TEMP, S-10.5\r\n")
            .read(b"OK: TEMP, S-10.5\r\n")
            .write(b"POWER,ON\r\n")
            .read(b"OK: POWER,ON\r\n")
            .write(b"TEMP?\r\n")
            .read(b"22.5,-10.5,80.0,-40.0\r\n")
            .build();
        let mut chamber = open(mock, None).await;
        chamber.set_point(-10.5).await.unwrap();
        chamber.set_running(true).await.unwrap();
        assert_eq!(chamber.process_value().await.unwrap(), 22.5);
    }

    #[tokio::test]
    async fn rs485_address_prefix_and_refusals() {
        let mock = Builder::new()
            .write(b"1,TEMP?\r\n")
            .read(b"23.0,25.0,80.0,-40.0\r\n")
            .write(b"1,POWER,OFF\r\n")
            .read(b"NA:CONT NOT READY-2\r\n")
            .build();
        let mut chamber = open(mock, Some(1)).await;
        let err = chamber.set_running(false).await.unwrap_err();
        assert!(
            matches!(&err.kind, ChamberErrorKind::Refused { reply } if reply == "NA:CONT NOT READY-2")
        );
        let err = chamber.set_point(90.0).await.unwrap_err();
        assert!(matches!(
            err.kind,
            ChamberErrorKind::OutOfRange { high: 80.0, .. }
        ));
    }

    #[tokio::test]
    async fn garbage_replies_are_malformed() {
        let mock = Builder::new()
            .write(b"TEMP?\r\n")
            .read(b"23.0,25.0\r\n")
            .build();
        let err = EspecP300::open(mock, Arc::from("chamber"), None, T, None)
            .await
            .unwrap_err();
        assert!(matches!(err.kind, ChamberErrorKind::Malformed { .. }));
    }

    #[tokio::test(start_paused = true)]
    async fn a_controller_that_stops_mid_line_times_out() {
        let mock = Builder::new()
            .write(b"TEMP?\r\n")
            .read(b"23.0,2")
            .wait(T * 10)
            .build();
        let err = EspecP300::open(mock, Arc::from("chamber"), None, T, None)
            .await
            .unwrap_err();
        assert!(matches!(err.kind, ChamberErrorKind::Timeout { .. }));
        assert!(err.kind.is_transport());
    }

    proptest! {
        #[test]
        fn temp_replies_never_panic(s in "\\PC{0,80}") {
            let _ = TempReading::parse(&s);
        }
    }
}
