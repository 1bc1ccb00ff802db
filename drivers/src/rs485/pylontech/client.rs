//! The inverter side of the link: one timed request, one checked response.
//!
//! A response is accepted only if it decodes (LCHKSUM, LENID, CHKSUM), comes from the
//! addressed battery with CID1 `46`, and carries RTN 0 (§2.13: "never treat a frame
//! with a non-zero RTN as data"). VER is configurable (§2.10); [`PylontechClient::adopt_version`]
//! asks 0x4F and reuses the pack's answer, as an inverter does.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::bytes::BytesMut;
use tokio_util::codec::Decoder;

use super::codec::{BadFrame, PylonCodec, encode_frame};
use super::frame::{CID1_BATTERY, Cid2, DEFAULT_VER, Frame, ReturnCode, WHOLE_SYSTEM};
use super::info::{
    AlarmInfo, AnalogData, ChargeManagement, FirmwareVersion, InfoError, ManufacturerInfo,
    SerialNumber, SystemParameters,
};
use crate::traffic::{Direction, TrafficReporter, TrafficSink, Wire};
use crate::transport::{ByteStream, OpenExchange, discard_late_answer};

/// A request to one pack failed.
#[derive(Debug)]
pub struct PylonError {
    /// The bench name of the link.
    pub instrument: Arc<str>,
    /// The battery addressed.
    pub adr: u8,
    pub command: Cid2,
    pub kind: PylonErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum PylonErrorKind {
    #[error("no answer within {after:?}")]
    Timeout { after: Duration },
    /// Bytes came but no frame in them before the timeout: garbage on the line, which
    /// is never a pack that has gone quiet.
    #[error("no frame within {after:?}, only {bytes} bytes of garbage")]
    Garbled { after: Duration, bytes: u64 },
    #[error("i/o error")]
    Io(#[source] std::io::Error),
    #[error("the port was closed")]
    Closed,
    #[error("bad frame")]
    BadFrame(#[source] BadFrame),
    /// A valid frame from another address or for another CID1.
    #[error("answer from ADR {adr:#04X} CID1 {cid1:#04X}")]
    UnexpectedFrame { adr: u8, cid1: u8 },
    /// The pack refused: a non-zero RTN.
    #[error("the battery answered {rtn}")]
    Refused { rtn: ReturnCode },
    #[error("malformed INFO")]
    Info(#[source] InfoError),
    /// §2.5: ADR 0 and 255 are reserved.
    #[error("address {adr:#04X} is reserved")]
    ReservedAddress { adr: u8 },
}

impl PylonErrorKind {
    /// The wire broke; reopening the port may help.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            PylonErrorKind::Timeout { .. }
                | PylonErrorKind::Garbled { .. }
                | PylonErrorKind::Io(_)
                | PylonErrorKind::Closed
        )
    }
}

impl fmt::Display for PylonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "link `{}`, battery {:#04X}, command {}: {}",
            self.instrument, self.adr, self.command, self.kind
        )
    }
}

impl std::error::Error for PylonError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

/// A Pylontech RS485 master over any byte stream.
#[derive(Debug)]
pub struct PylontechClient<S> {
    stream: S,
    codec: PylonCodec,
    buf: BytesMut,
    ver: u8,
    timeout: Duration,
    traffic: TrafficReporter,
    /// An exchange whose answer was not read (timed out, or its future dropped).
    open: OpenExchange,
}

impl<S: ByteStream> PylontechClient<S> {
    /// A client sending VER `20` (the V3.3 examples); see [`Self::set_version`].
    pub fn new(
        stream: S,
        instrument: Arc<str>,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Self {
        Self {
            stream,
            codec: PylonCodec::new(),
            buf: BytesMut::with_capacity(512),
            ver: DEFAULT_VER,
            timeout,
            traffic: TrafficReporter::new(instrument, traffic),
            open: OpenExchange::default(),
        }
    }

    /// The VER of the requests (`0x20`, `0x25`, `0x28`, …).
    pub fn set_version(&mut self, ver: u8) {
        self.ver = ver;
    }

    pub fn version(&self) -> u8 {
        self.ver
    }

    /// Bytes the codec has dropped as garbage so far.
    pub fn dropped_bytes(&self) -> u64 {
        self.codec.dropped()
    }

    /// 0x4F: the VER of the pack's response (the pack ignores the request's VER).
    pub async fn protocol_version(&mut self, adr: u8) -> Result<u8, PylonError> {
        let frame = self.request(adr, Cid2::ProtocolVersion, vec![]).await?;
        Ok(frame.ver)
    }

    /// Asks 0x4F and uses the answer as VER from now on (§2.10).
    pub async fn adopt_version(&mut self, adr: u8) -> Result<u8, PylonError> {
        let ver = self.protocol_version(adr).await?;
        self.ver = ver;
        Ok(ver)
    }

    /// 0x42 for one module; the command value is the ADR (§2.5).
    pub async fn analog(&mut self, adr: u8) -> Result<AnalogData, PylonError> {
        let frame = self.request(adr, Cid2::AnalogValues, vec![adr]).await?;
        self.parse(adr, Cid2::AnalogValues, AnalogData::parse(&frame.info))
    }

    /// 0x44 for one module.
    pub async fn alarms(&mut self, adr: u8) -> Result<AlarmInfo, PylonError> {
        let frame = self.request(adr, Cid2::AlarmInfo, vec![adr]).await?;
        self.parse(adr, Cid2::AlarmInfo, AlarmInfo::parse(&frame.info))
    }

    /// 0x47.
    pub async fn system_parameters(&mut self, adr: u8) -> Result<SystemParameters, PylonError> {
        let frame = self.request(adr, Cid2::SystemParameters, vec![]).await?;
        self.parse(
            adr,
            Cid2::SystemParameters,
            SystemParameters::parse(&frame.info),
        )
    }

    /// 0x51.
    pub async fn manufacturer_info(&mut self, adr: u8) -> Result<ManufacturerInfo, PylonError> {
        let frame = self.request(adr, Cid2::ManufacturerInfo, vec![]).await?;
        self.parse(
            adr,
            Cid2::ManufacturerInfo,
            ManufacturerInfo::parse(&frame.info),
        )
    }

    /// 0x92 for one module.
    pub async fn charge_management(&mut self, adr: u8) -> Result<ChargeManagement, PylonError> {
        let frame = self.request(adr, Cid2::ChargeManagement, vec![adr]).await?;
        self.parse(
            adr,
            Cid2::ChargeManagement,
            ChargeManagement::parse(&frame.info),
        )
    }

    /// 0x93 for one module: its serial number without the field's padding (§2.7).
    pub async fn serial_number(&mut self, adr: u8) -> Result<String, PylonError> {
        let frame = self.request(adr, Cid2::SerialNumber, vec![adr]).await?;
        self.parse(adr, Cid2::SerialNumber, SerialNumber::parse(&frame.info))
            .map(|s| s.serial)
    }

    /// 0x96 for one module: manufacturer and main-line versions (§2.7).
    pub async fn firmware_version(&mut self, adr: u8) -> Result<FirmwareVersion, PylonError> {
        let frame = self.request(adr, Cid2::FirmwareVersion, vec![adr]).await?;
        self.parse(
            adr,
            Cid2::FirmwareVersion,
            FirmwareVersion::parse(&frame.info),
        )
    }

    /// 0x95 for one module: the pack answers with an empty INFO, then turns off
    /// (protocols.md 2.7; LOSUN 2.3-3 sleep entry 5, "forced shutdown through upper
    /// computer software").
    pub async fn turn_off(&mut self, adr: u8) -> Result<(), PylonError> {
        self.request(adr, Cid2::TurnOff, vec![adr]).await.map(drop)
    }

    /// 0x42 whole system (command value 0xFF at the master's `adr`, §2.5): one
    /// [`AnalogData`] per module, in the answer's order; see [`AnalogData::parse_system`].
    pub async fn analog_whole_system(&mut self, adr: u8) -> Result<Vec<AnalogData>, PylonError> {
        let info = self.analog_whole_system_raw(adr).await?;
        self.parse(adr, Cid2::AnalogValues, AnalogData::parse_system(&info))
    }

    /// 0x44 whole system; its layout is assumed to be 0x42's [U], see
    /// [`AlarmInfo::parse_system`].
    pub async fn alarms_whole_system(&mut self, adr: u8) -> Result<Vec<AlarmInfo>, PylonError> {
        let frame = self
            .request(adr, Cid2::AlarmInfo, vec![WHOLE_SYSTEM])
            .await?;
        self.parse(adr, Cid2::AlarmInfo, AlarmInfo::parse_system(&frame.info))
    }

    /// 0x42 whole system, INFO returned raw: the multi-module layout is not in the
    /// V3.3 PDF, so a caller can keep the bytes of an answer the parser refuses.
    pub async fn analog_whole_system_raw(&mut self, adr: u8) -> Result<Vec<u8>, PylonError> {
        let frame = self
            .request(adr, Cid2::AnalogValues, vec![WHOLE_SYSTEM])
            .await?;
        Ok(frame.info)
    }

    /// One exchange: the checked response frame with RTN 0.
    pub async fn request(
        &mut self,
        adr: u8,
        command: Cid2,
        info: Vec<u8>,
    ) -> Result<Frame, PylonError> {
        let error = |kind| PylonError {
            instrument: Arc::clone(self.traffic.instrument()),
            adr,
            command,
            kind,
        };
        if adr == 0 || adr == 0xFF {
            return Err(error(PylonErrorKind::ReservedAddress { adr }));
        }
        let request = Frame::request(self.ver, adr, command, info);
        self.discard_late_answer().await;
        let timeout = self.timeout;
        let dropped_before = self.codec.dropped();
        let result = tokio::time::timeout(timeout, self.exchange(&request)).await;
        let frame = match result {
            Ok(Ok(frame)) => frame,
            Ok(Err(kind)) => {
                self.buf.clear();
                return Err(self.error(adr, command, kind));
            }
            Err(_elapsed) => {
                // What the codec threw away; a frame cut off mid-way is a stall, not garbage.
                let garbage = self.codec.dropped() - dropped_before;
                self.buf.clear();
                let kind = if garbage > 0 {
                    PylonErrorKind::Garbled {
                        after: timeout,
                        bytes: garbage,
                    }
                } else {
                    PylonErrorKind::Timeout { after: timeout }
                };
                return Err(self.error(adr, command, kind));
            }
        };
        if frame.adr != adr || frame.cid1 != CID1_BATTERY {
            let kind = PylonErrorKind::UnexpectedFrame {
                adr: frame.adr,
                cid1: frame.cid1,
            };
            return Err(self.error(adr, command, kind));
        }
        match ReturnCode::from(frame.cid2) {
            ReturnCode::Normal => Ok(frame),
            rtn => Err(self.error(adr, command, PylonErrorKind::Refused { rtn })),
        }
    }

    /// After an exchange whose answer was never read, what that answer brings is read
    /// and dropped (and shown as received), so it cannot pass for the next one's.
    async fn discard_late_answer(&mut self) {
        let Some(since) = self.open.stale_since() else {
            return;
        };
        let late = discard_late_answer(&mut self.stream, since, self.timeout).await;
        if !late.is_empty() {
            self.traffic.report(
                Direction::Received,
                Wire::Text(String::from_utf8_lossy(&late).trim().to_owned()),
            );
        }
        self.buf.clear();
        self.open.end();
    }

    async fn exchange(&mut self, request: &Frame) -> Result<Frame, PylonErrorKind> {
        let wire = encode_frame(request);
        self.buf.clear();
        self.open.begin();
        self.traffic.report(
            Direction::Sent,
            Wire::Text(String::from_utf8_lossy(&wire).trim_end().to_owned()),
        );
        self.stream
            .write_all(&wire)
            .await
            .map_err(PylonErrorKind::Io)?;
        self.stream.flush().await.map_err(PylonErrorKind::Io)?;
        loop {
            let before = self.buf.clone();
            if let Some(item) = self
                .codec
                .decode(&mut self.buf)
                .map_err(PylonErrorKind::Io)?
            {
                let consumed = before.len() - self.buf.len();
                let raw = before.get(..consumed).unwrap_or_default();
                self.traffic.report(
                    Direction::Received,
                    Wire::Text(String::from_utf8_lossy(raw).trim().to_owned()),
                );
                // A whole frame (good or bad) has been read: the exchange is over.
                self.open.end();
                return item.map_err(PylonErrorKind::BadFrame);
            }
            let read = self
                .stream
                .read_buf(&mut self.buf)
                .await
                .map_err(PylonErrorKind::Io)?;
            if read == 0 {
                return Err(PylonErrorKind::Closed);
            }
        }
    }

    fn parse<T>(
        &self,
        adr: u8,
        command: Cid2,
        parsed: Result<T, InfoError>,
    ) -> Result<T, PylonError> {
        parsed.map_err(|e| self.error(adr, command, PylonErrorKind::Info(e)))
    }

    fn error(&self, adr: u8, command: Cid2, kind: PylonErrorKind) -> PylonError {
        PylonError {
            instrument: Arc::clone(self.traffic.instrument()),
            adr,
            command,
            kind,
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio_test::io::Builder;

    use super::*;
    use crate::rs485::pylontech::codec::encode_frame;

    const TIMEOUT: Duration = Duration::from_secs(1);

    fn response(ver: u8, adr: u8, rtn: u8, info: Vec<u8>) -> Vec<u8> {
        encode_frame(&Frame {
            ver,
            adr,
            cid1: 0x46,
            cid2: rtn,
            info,
        })
    }

    fn client(mock: tokio_test::io::Mock) -> PylontechClient<tokio_test::io::Mock> {
        PylontechClient::new(mock, Arc::from("bms_rs485"), TIMEOUT, None)
    }

    #[tokio::test]
    async fn adopts_the_version_from_0x4f_then_uses_it() {
        let mock = Builder::new()
            .write(b"~2002464F0000FD98\r")
            .read(&response(0x28, 0x02, 0x00, vec![]))
            .write(&encode_frame(&Frame::request(
                0x28,
                0x02,
                Cid2::ChargeManagement,
                vec![2],
            )))
            .read(&response(
                0x28,
                0x02,
                0x00,
                vec![0x02, 0xDA, 0xC0, 0xBB, 0x80, 0x01, 0xF4, 0x03, 0xE8, 0x40],
            ))
            .build();
        let mut c = client(mock);
        assert_eq!(c.adopt_version(2).await.unwrap(), 0x28);
        let m = c.charge_management(2).await.unwrap();
        assert!(!m.charge_enable() && m.discharge_enable());
    }

    #[tokio::test]
    async fn turn_off_byte_exact() {
        // LENID 2 (the ADR as command value): LCHKSUM 0xE; CHKSUM over
        // "20024695E00202" = 0xFD2B.
        let mock = Builder::new()
            .write(b"~20024695E00202FD2B\r")
            .read(&response(0x20, 0x02, 0x00, vec![]))
            .write(b"~20024695E00202FD2B\r")
            .read(&response(0x20, 0x02, 0x04, vec![]))
            .build();
        let mut c = client(mock);
        c.turn_off(2).await.unwrap();
        let refused = c.turn_off(2).await.unwrap_err();
        assert!(
            matches!(refused.kind, PylonErrorKind::Refused { .. }),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn serial_number_and_firmware_byte_exact() {
        // protocols.md 2.7, computed there: 0x93 `~20024693E00202FD2D`, 0x96
        // `~20024696E00202FD2A`.
        let mut serial = vec![0x02];
        serial.extend_from_slice(b"PPTBH0123456789\0");
        let mock = Builder::new()
            .write(b"~20024693E00202FD2D\r")
            .read(&response(0x20, 0x02, 0x00, serial))
            .write(b"~20024696E00202FD2A\r")
            .read(&response(0x20, 0x02, 0x00, vec![0x02, 1, 3, 2, 0, 7]))
            .build();
        let mut c = client(mock);
        assert_eq!(c.serial_number(2).await.unwrap(), "PPTBH0123456789");
        let v = c.firmware_version(2).await.unwrap();
        assert_eq!((v.manufacturer, v.main_line), ([1, 3], [2, 0, 7]));
        assert_eq!(v.to_string(), "1.3 / 2.0.7");
    }

    #[tokio::test]
    async fn a_garbled_serial_or_short_firmware_is_a_typed_error() {
        let mut garbled = vec![0x03];
        garbled.extend_from_slice(b"ABC\x01EFGHIJKLMNOP");
        let mock = Builder::new()
            .write(&encode_frame(&Frame::request(
                0x20,
                0x03,
                Cid2::SerialNumber,
                vec![3],
            )))
            .read(&response(0x20, 0x03, 0x00, garbled))
            .write(&encode_frame(&Frame::request(
                0x20,
                0x03,
                Cid2::FirmwareVersion,
                vec![3],
            )))
            .read(&response(0x20, 0x03, 0x00, vec![0x03, 1]))
            .build();
        let mut c = client(mock);
        let err = c.serial_number(3).await.unwrap_err();
        assert!(
            matches!(
                err.kind,
                PylonErrorKind::Info(InfoError::NotText {
                    position: 4,
                    byte: 0x01,
                    ..
                })
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "link `bms_rs485`, battery 0x03, command 0x93 (get module serial number): malformed INFO"
        );
        let err = c.firmware_version(3).await.unwrap_err();
        assert!(matches!(
            err.kind,
            PylonErrorKind::Info(InfoError::Truncated { .. })
        ));
    }

    #[tokio::test]
    async fn whole_system_answers_are_parsed_per_module() {
        let block = crate::rs485::pylontech::info::tests::analog_info()[2..].to_vec();
        let mut analog = vec![0x11, 2];
        analog.extend_from_slice(&block);
        analog.extend_from_slice(&block);
        let mut alarms = vec![0x11, 1, 1, 0x00, 0, 0x00, 0x00, 0x00];
        alarms.extend_from_slice(&[0x00, 0x06, 0x00, 0x00, 0x00]);
        let mock = Builder::new()
            .write(b"~20024642E002FFFD09\r")
            .read(&response(0x20, 0x02, 0x00, analog))
            .write(&encode_frame(&Frame::request(
                0x20,
                0x02,
                Cid2::AlarmInfo,
                vec![0xFF],
            )))
            .read(&response(0x20, 0x02, 0x00, alarms))
            .write(b"~20024642E002FFFD09\r")
            .read(&response(0x20, 0x02, 0x00, vec![0x11, 2]))
            .build();
        let mut c = client(mock);
        let modules = c.analog_whole_system(2).await.unwrap();
        assert_eq!(modules.len(), 2);
        assert!(modules.iter().all(|m| m.command_value == 0xFF));
        assert_eq!(modules[1].total_capacity, 100.0);
        let alarms = c.alarms_whole_system(2).await.unwrap();
        assert!(alarms[0].charge_mosfet_on());
        let err = c.analog_whole_system(2).await.unwrap_err();
        assert!(matches!(
            err.kind,
            PylonErrorKind::Info(InfoError::Module { module: 1, .. })
        ));
    }

    #[tokio::test]
    async fn a_response_split_across_reads_with_garbage_before_it() {
        let wire = response(0x20, 0x02, 0x00, vec![]);
        let mock = Builder::new()
            .write(b"~2002464F0000FD98\r")
            .read(b"\x00\x00")
            .read(&wire[..5])
            .read(&wire[5..])
            .build();
        let mut c = client(mock);
        assert_eq!(c.protocol_version(2).await.unwrap(), 0x20);
        assert_eq!(c.dropped_bytes(), 2);
    }

    #[tokio::test]
    async fn a_non_zero_rtn_is_a_refusal_not_data() {
        let mock = Builder::new()
            .write(b"~20024642E00202FD33\r")
            .read(&response(0x20, 0x02, 0x90, vec![]))
            .build();
        let err = client(mock).analog(2).await.unwrap_err();
        assert!(matches!(
            err.kind,
            PylonErrorKind::Refused {
                rtn: ReturnCode::AdrError
            }
        ));
        assert_eq!(
            err.to_string(),
            "link `bms_rs485`, battery 0x02, command 0x42 (get analog values): the battery answered ADR error"
        );
    }

    #[tokio::test]
    async fn a_bad_checksum_and_another_address_are_typed() {
        let mut wire = response(0x20, 0x02, 0x00, vec![]);
        let n = wire.len();
        wire[n - 2] = if wire[n - 2] == b'0' { b'1' } else { b'0' };
        let mock = Builder::new()
            .write(b"~2002464F0000FD98\r")
            .read(&wire)
            .write(b"~2002464F0000FD98\r")
            .read(&response(0x20, 0x03, 0x00, vec![]))
            .build();
        let mut c = client(mock);
        let err = c.protocol_version(2).await.unwrap_err();
        assert!(matches!(
            err.kind,
            PylonErrorKind::BadFrame(BadFrame::Checksum { .. })
        ));
        let err = c.protocol_version(2).await.unwrap_err();
        assert!(matches!(
            err.kind,
            PylonErrorKind::UnexpectedFrame { adr: 3, .. }
        ));
    }

    #[tokio::test]
    async fn malformed_info_names_the_field() {
        let mock = Builder::new()
            .write(b"~20024692E00202FD2E\r")
            .read(&response(0x20, 0x02, 0x00, vec![0x02, 0xDA]))
            .build();
        let err = client(mock).charge_management(2).await.unwrap_err();
        assert!(matches!(
            err.kind,
            PylonErrorKind::Info(InfoError::Truncated {
                field: "charge voltage limit",
                ..
            })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_pack_that_stops_mid_frame_times_out() {
        let mock = Builder::new()
            .write(b"~2002464F0000FD98\r")
            .read(b"~2002460")
            .wait(TIMEOUT * 10)
            .build();
        let err = client(mock).protocol_version(2).await.unwrap_err();
        assert!(matches!(err.kind, PylonErrorKind::Timeout { .. }));
        assert!(err.kind.is_transport());
    }

    #[tokio::test(start_paused = true)]
    async fn garbage_instead_of_a_frame_is_garbled_not_a_quiet_pack() {
        let mock = Builder::new()
            .write(b"~2002464F0000FD98\r")
            .read(b"\x00\xff garbage \x13\x37")
            .wait(TIMEOUT * 10)
            .build();
        let err = client(mock).protocol_version(2).await.unwrap_err();
        assert!(
            matches!(err.kind, PylonErrorKind::Garbled { bytes: 13, .. }),
            "{:?}",
            err.kind
        );
        assert!(err.kind.is_transport());
    }

    #[tokio::test]
    async fn reserved_addresses_are_refused_before_sending() {
        let mut c = client(Builder::new().build());
        let err = c.analog(0).await.unwrap_err();
        assert!(matches!(
            err.kind,
            PylonErrorKind::ReservedAddress { adr: 0 }
        ));
    }
}
