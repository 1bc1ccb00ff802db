//! The Waveshare "Modbus RTU Relay (D)": 8 relays and 8 opto-isolated inputs on RS485
//! (protocols.md §6.1).
//!
//! On the bench its relays press the pack's buttons and drive its rapid-shutdown input,
//! and its inputs read the pack's dry contacts. Relay `n` is coil `n - 1`, input `n` is
//! discrete input `n - 1`. The factory setting links each input to its relay; `open`
//! undoes that before anything else, or a dry contact closing would switch a relay.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio_modbus::{Address, Request, Response};

use super::error::ModbusErrorKind;
use super::exchange::{ModbusLink, call, unexpected};
use super::{ModbusFraming, attach};
use crate::traffic::TrafficSink;
use crate::transport::ByteStream;

/// Relays, and inputs, on the board.
pub const CHANNELS: u8 = 8;

/// §6.1: "Firmware version: holding register 0x8000".
const FIRMWARE_VERSION_REGISTER: Address = 0x8000;
/// §6.1: "write 0 to control-mode registers 0x1000–0x1007 (FC06/FC10) to decouple
/// them" \[U\]. Written one register at a time with FC06, the function every firmware
/// revision is documented to accept.
const CONTROL_MODE_REGISTERS: Address = 0x1000;
const CONTROL_MODE_NORMAL: u16 = 0x0000;
/// §6.1: "coil 0x00FF = all relays".
const ALL_RELAYS_COIL: Address = 0x00FF;

/// What the board says about itself when opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardIdentity {
    /// Modbus unit (slave) address.
    pub unit: u8,
    /// Holding register 0x8000 as read; Waveshare's encoding of it is not documented
    /// in our references, so it is kept raw.
    pub firmware_version: u16,
}

/// How a board is reached: its framing, unit and exchange timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardLink {
    pub framing: ModbusFraming,
    pub unit: u8,
    pub timeout: Duration,
}

/// What opening a board changes on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BoardSetup {
    /// Every channel to normal control mode, so the inputs no longer drive the relays
    /// (a run).
    Decouple,
    /// Nothing: the board is read as found (a probe).
    LeaveAsFound,
}

/// An opened relay board.
pub struct RelayBoard {
    context: ModbusLink,
    instrument: Arc<str>,
    unit: u8,
    timeout: Duration,
}

impl fmt::Debug for RelayBoard {
    /// tokio-modbus's `Context` has no `Debug`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RelayBoard")
            .field("instrument", &self.instrument)
            .field("unit", &self.unit)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RelayBoard {
    /// Reads the firmware version, then switches every channel to normal control mode
    /// so that the inputs no longer drive the relays. RTU framing (RS485, or a gateway
    /// that passes RTU frames through).
    pub async fn open<S: ByteStream>(
        stream: S,
        unit: u8,
        instrument: Arc<str>,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, BoardIdentity), RelayBoardError> {
        let link = BoardLink {
            framing: ModbusFraming::Rtu,
            unit,
            timeout,
        };
        Self::open_with(stream, link, instrument, traffic, BoardSetup::Decouple).await
    }

    /// Opens a board over `stream` in the framing it speaks there: RTU (RS485, a
    /// transparent gateway) or Modbus TCP (the boards with an Ethernet port, §6.1),
    /// set up as `setup` says.
    pub async fn open_with<S: ByteStream>(
        stream: S,
        link: BoardLink,
        instrument: Arc<str>,
        traffic: Option<TrafficSink>,
        setup: BoardSetup,
    ) -> Result<(Self, BoardIdentity), RelayBoardError> {
        let BoardLink {
            framing,
            unit,
            timeout,
        } = link;
        if unit == 0 {
            return Err(RelayBoardError {
                instrument,
                operation: RelayOperation::ReadFirmwareVersion,
                kind: RelayBoardErrorKind::BroadcastUnit,
            });
        }
        let mut board = Self {
            context: attach(stream, framing, unit, Arc::clone(&instrument), traffic),
            instrument,
            unit,
            timeout,
        };
        let firmware_version = board.read_firmware_version().await?;
        if setup == BoardSetup::Decouple {
            for channel in 1..=CHANNELS {
                board.decouple_input(channel).await?;
            }
        }
        Ok((
            board,
            BoardIdentity {
                unit,
                firmware_version,
            },
        ))
    }

    /// Closes (`true`) or opens relay `channel` (1-8): FC05 on coil `channel - 1`.
    pub async fn set_relay(&mut self, channel: u8, closed: bool) -> Result<(), RelayBoardError> {
        let operation = RelayOperation::SetRelay { channel, closed };
        let coil = self.coil(channel, operation)?;
        self.write_coil(operation, coil, closed).await
    }

    /// Opens every relay in one request: FC05 on coil 0x00FF with 0x0000.
    pub async fn all_off(&mut self) -> Result<(), RelayBoardError> {
        self.write_coil(RelayOperation::AllOff, ALL_RELAYS_COIL, false)
            .await
    }

    /// Relay states, relay 1 first (`true` = closed): FC01 on coils 0-7.
    pub async fn read_relays(&mut self) -> Result<[bool; 8], RelayBoardError> {
        let operation = RelayOperation::ReadRelays;
        match self
            .call(operation, Request::ReadCoils(0, CHANNELS.into()))
            .await?
        {
            Response::ReadCoils(coils) => self.eight(operation, &coils),
            other => Err(self.error(operation, unexpected(&other))),
        }
    }

    /// Input states, input 1 first (`true` = energised): FC02 on inputs 0-7.
    pub async fn read_inputs(&mut self) -> Result<[bool; 8], RelayBoardError> {
        let operation = RelayOperation::ReadInputs;
        match self
            .call(operation, Request::ReadDiscreteInputs(0, CHANNELS.into()))
            .await?
        {
            Response::ReadDiscreteInputs(inputs) => self.eight(operation, &inputs),
            other => Err(self.error(operation, unexpected(&other))),
        }
    }

    async fn read_firmware_version(&mut self) -> Result<u16, RelayBoardError> {
        let operation = RelayOperation::ReadFirmwareVersion;
        let request = Request::ReadHoldingRegisters(FIRMWARE_VERSION_REGISTER, 1);
        let response = self.call(operation, request).await?;
        if let Response::ReadHoldingRegisters(words) = &response
            && let [version] = words.as_slice()
        {
            return Ok(*version);
        }
        Err(self.error(operation, unexpected(&response)))
    }

    async fn decouple_input(&mut self, channel: u8) -> Result<(), RelayBoardError> {
        let operation = RelayOperation::DecoupleInput { channel };
        let register = CONTROL_MODE_REGISTERS + Address::from(channel.saturating_sub(1));
        let request = Request::WriteSingleRegister(register, CONTROL_MODE_NORMAL);
        match self.call(operation, request).await? {
            Response::WriteSingleRegister(echo_register, echo_value)
                if echo_register == register && echo_value == CONTROL_MODE_NORMAL =>
            {
                Ok(())
            }
            other => Err(self.error(operation, unexpected(&other))),
        }
    }

    async fn write_coil(
        &mut self,
        operation: RelayOperation,
        coil: Address,
        on: bool,
    ) -> Result<(), RelayBoardError> {
        match self
            .call(operation, Request::WriteSingleCoil(coil, on))
            .await?
        {
            Response::WriteSingleCoil(echo_coil, echo_on) if echo_coil == coil && echo_on == on => {
                Ok(())
            }
            other => Err(self.error(operation, unexpected(&other))),
        }
    }

    /// Coil address of a relay, refusing channels the board does not have.
    fn coil(&self, channel: u8, operation: RelayOperation) -> Result<Address, RelayBoardError> {
        if (1..=CHANNELS).contains(&channel) {
            Ok(Address::from(channel.saturating_sub(1)))
        } else {
            Err(RelayBoardError {
                instrument: Arc::clone(&self.instrument),
                operation,
                kind: RelayBoardErrorKind::InvalidChannel { channel },
            })
        }
    }

    /// The first eight bits of a coil or input answer (the device sends whole bytes).
    fn eight(
        &self,
        operation: RelayOperation,
        bits: &[bool],
    ) -> Result<[bool; 8], RelayBoardError> {
        bits.get(..usize::from(CHANNELS))
            .and_then(|first| <[bool; 8]>::try_from(first).ok())
            .ok_or_else(|| {
                let kind = ModbusErrorKind::UnexpectedResponse {
                    response: format!("{} bits where 8 were requested", bits.len()),
                };
                self.error(operation, kind)
            })
    }

    async fn call(
        &mut self,
        operation: RelayOperation,
        request: Request<'static>,
    ) -> Result<Response, RelayBoardError> {
        call(&mut self.context, request, self.timeout)
            .await
            .map_err(|kind| self.error(operation, kind))
    }

    fn error(&self, operation: RelayOperation, kind: ModbusErrorKind) -> RelayBoardError {
        RelayBoardError {
            instrument: Arc::clone(&self.instrument),
            operation,
            kind: RelayBoardErrorKind::Modbus(kind),
        }
    }
}

/// What the driver was doing when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayOperation {
    ReadFirmwareVersion,
    DecoupleInput { channel: u8 },
    SetRelay { channel: u8, closed: bool },
    AllOff,
    ReadRelays,
    ReadInputs,
}

impl fmt::Display for RelayOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayOperation::ReadFirmwareVersion => f.write_str("read the firmware version"),
            RelayOperation::DecoupleInput { channel } => {
                write!(f, "decouple input {channel} from relay {channel}")
            }
            RelayOperation::SetRelay {
                channel,
                closed: true,
            } => write!(f, "close relay {channel}"),
            RelayOperation::SetRelay {
                channel,
                closed: false,
            } => write!(f, "open relay {channel}"),
            RelayOperation::AllOff => f.write_str("open all relays"),
            RelayOperation::ReadRelays => f.write_str("read the relays"),
            RelayOperation::ReadInputs => f.write_str("read the inputs"),
        }
    }
}

/// A relay-board operation failed.
///
/// Display and `source` by hand, as for the SCPI error: `context: kind`, with an i/o
/// or protocol cause as its own link of the chain.
#[derive(Debug)]
pub struct RelayBoardError {
    pub instrument: Arc<str>,
    pub operation: RelayOperation,
    pub kind: RelayBoardErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum RelayBoardErrorKind {
    /// Refused before sending anything.
    #[error("the board has no channel {channel}, channels are 1-8")]
    InvalidChannel { channel: u8 },
    /// Refused before sending anything: unit 0 is Modbus broadcast and never answers.
    #[error("unit 0 is the broadcast address, a board has an address from 1")]
    BroadcastUnit,
    #[error(transparent)]
    Modbus(ModbusErrorKind),
}

impl fmt::Display for RelayBoardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "instrument `{}`, {}: {}",
            self.instrument, self.operation, self.kind
        )
    }
}

impl std::error::Error for RelayBoardError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use tokio::sync::mpsc;
    use tokio_modbus::ExceptionCode;
    use tokio_test::io::{Builder, Mock};

    use super::*;
    use crate::modbus::with_crc;
    use crate::traffic::{Direction, Traffic, Wire};

    const TIMEOUT: Duration = Duration::from_secs(1);

    // Requests quoted from protocols.md §6.1 ("Example frames with CRC").
    const RELAY_1_ON: [u8; 8] = [
        0x01, // unit
        0x05, // FC05 write single coil
        0x00, 0x00, // coil 0 = relay 1
        0xFF, 0x00, // on
        0x8C, 0x3A, // CRC, low byte first
    ];
    const RELAY_1_OFF: [u8; 8] = [0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0xCD, 0xCA];
    const ALL_OFF: [u8; 8] = [
        0x01, // unit
        0x05, // FC05
        0x00, 0xFF, // coil 0x00FF = all relays
        0x00, 0x00, // off
        0xFD, 0xFA, // CRC
    ];
    const READ_RELAYS: [u8; 8] = [
        0x01, // unit
        0x01, // FC01 read coils
        0x00, 0x00, // from coil 0
        0x00, 0x08, // 8 coils
        0x3D, 0xCC, // CRC
    ];
    const READ_INPUTS: [u8; 8] = [
        0x01, // unit
        0x02, // FC02 read discrete inputs
        0x00, 0x00, // from input 0
        0x00, 0x08, // 8 inputs
        0x79, 0xCC, // CRC
    ];

    /// The exchanges of `open` on unit 1: firmware version 0x00C8, then FC06 0 to the
    /// eight control-mode registers, each echoed.
    fn opening() -> Builder {
        let mut script = Builder::new();
        script
            .write(&with_crc(&[0x01, 0x03, 0x80, 0x00, 0x00, 0x01]))
            .read(&with_crc(&[
                0x01, // unit
                0x03, // FC03
                0x02, // byte count
                0x00, 0xC8, // register 0x8000
            ]));
        for channel in 0..8u8 {
            let request = with_crc(&[0x01, 0x06, 0x10, channel, 0x00, 0x00]);
            script.write(&request).read(&request);
        }
        script
    }

    async fn open(script: &mut Builder) -> RelayBoard {
        let (board, _identity) =
            RelayBoard::open(script.build(), 1, Arc::from("relays"), TIMEOUT, None)
                .await
                .unwrap();
        board
    }

    fn modbus_kind(err: &RelayBoardError) -> &ModbusErrorKind {
        match &err.kind {
            RelayBoardErrorKind::Modbus(kind) => kind,
            other => panic!("expected a Modbus error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn open_reads_the_firmware_and_decouples_the_inputs() {
        let (board, identity) =
            RelayBoard::open(opening().build(), 1, Arc::from("relays"), TIMEOUT, None)
                .await
                .unwrap();
        assert_eq!(
            identity,
            BoardIdentity {
                unit: 1,
                firmware_version: 0x00C8
            }
        );
        assert!(format!("{board:?}").contains("relays"));
    }

    #[tokio::test]
    async fn relays_switch_with_the_reference_frames() {
        let relay_8_on = with_crc(&[0x01, 0x05, 0x00, 0x07, 0xFF, 0x00]);
        let mut board = open(
            opening()
                .write(&RELAY_1_ON)
                .read(&RELAY_1_ON)
                .write(&RELAY_1_OFF)
                .read(&RELAY_1_OFF)
                .write(&relay_8_on)
                .read(&relay_8_on)
                .write(&ALL_OFF)
                .read(&ALL_OFF),
        )
        .await;
        board.set_relay(1, true).await.unwrap();
        board.set_relay(1, false).await.unwrap();
        board.set_relay(8, true).await.unwrap();
        board.all_off().await.unwrap();
    }

    #[tokio::test]
    async fn relay_and_input_states_are_read_channel_1_first() {
        let mut board = open(
            opening()
                .write(&READ_RELAYS)
                .read(&with_crc(&[
                    0x01,        // unit
                    0x01,        // FC01
                    0x01,        // byte count
                    0b0000_0101, // relays 1 and 3 closed
                ]))
                .write(&READ_INPUTS)
                .read(&with_crc(&[
                    0x01,        // unit
                    0x02,        // FC02
                    0x01,        // byte count
                    0b1000_0000, // input 8 energised
                ])),
        )
        .await;
        assert_eq!(
            board.read_relays().await.unwrap(),
            [true, false, true, false, false, false, false, false]
        );
        assert_eq!(
            board.read_inputs().await.unwrap(),
            [false, false, false, false, false, false, false, true]
        );
    }

    #[tokio::test]
    async fn channels_outside_1_to_8_are_refused_before_sending() {
        let mut board = open(&mut opening()).await;
        for channel in [0, 9, 255] {
            let err = board.set_relay(channel, true).await.unwrap_err();
            assert!(matches!(
                err.kind,
                RelayBoardErrorKind::InvalidChannel { channel: c } if c == channel
            ));
        }
        let err = board.set_relay(9, true).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "instrument `relays`, close relay 9: the board has no channel 9, channels are 1-8"
        );
    }

    #[tokio::test]
    async fn unit_0_is_refused_before_sending() {
        let err = RelayBoard::open(
            Builder::new().build(),
            0,
            Arc::from("relays"),
            TIMEOUT,
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(err.kind, RelayBoardErrorKind::BroadcastUnit));
    }

    #[tokio::test]
    async fn an_exception_answer_names_the_operation() {
        let mut board = open(opening().write(&READ_RELAYS).read(&with_crc(&[
            0x01, // unit
            0x81, // FC01 + 0x80: exception
            0x02, // illegal data address
        ])))
        .await;
        let err = board.read_relays().await.unwrap_err();
        assert_eq!(err.operation, RelayOperation::ReadRelays);
        assert!(matches!(
            modbus_kind(&err),
            ModbusErrorKind::Exception {
                code: ExceptionCode::IllegalDataAddress
            }
        ));
        assert!(!modbus_kind(&err).is_transport());
        assert_eq!(
            err.to_string(),
            "instrument `relays`, read the relays: \
             the device answered with exception 0x02 (Illegal data address)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_board_times_out() {
        let mut board = open(opening().write(&RELAY_1_ON).wait(TIMEOUT * 10)).await;
        let err = board.set_relay(1, true).await.unwrap_err();
        assert!(matches!(
            modbus_kind(&err),
            ModbusErrorKind::Timeout { after } if *after == TIMEOUT
        ));
        assert_eq!(
            err.to_string(),
            "instrument `relays`, close relay 1: no answer within 1s"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_with_a_bad_crc_is_never_accepted() {
        let mut corrupted = RELAY_1_ON;
        corrupted[7] ^= 0xFF;
        let mut board = open(
            opening()
                .write(&RELAY_1_ON)
                .read(&corrupted)
                .wait(TIMEOUT * 10),
        )
        .await;
        let err = board.set_relay(1, true).await.unwrap_err();
        assert!(modbus_kind(&err).is_transport(), "{err}");
    }

    #[tokio::test]
    async fn a_garbage_byte_before_the_answer_is_skipped() {
        let mut answer = vec![0x00];
        answer.extend(with_crc(&[0x01, 0x01, 0x01, 0x01]));
        let mut board = open(opening().write(&READ_RELAYS).read(&answer)).await;
        assert_eq!(
            board.read_relays().await.unwrap(),
            [true, false, false, false, false, false, false, false]
        );
    }

    #[tokio::test]
    async fn an_answer_from_another_unit_is_a_protocol_error() {
        let mut board = open(
            opening()
                .write(&READ_RELAYS)
                .read(&with_crc(&[0x02, 0x01, 0x01, 0x00])),
        )
        .await;
        let err = board.read_relays().await.unwrap_err();
        assert!(matches!(modbus_kind(&err), ModbusErrorKind::Protocol(_)));
        assert!(err.source().is_some());
    }

    #[tokio::test]
    async fn a_write_echo_that_differs_is_unexpected() {
        let wrong_echo = with_crc(&[0x01, 0x05, 0x00, 0x01, 0xFF, 0x00]);
        let mut board = open(opening().write(&RELAY_1_ON).read(&wrong_echo)).await;
        let err = board.set_relay(1, true).await.unwrap_err();
        assert!(matches!(
            modbus_kind(&err),
            ModbusErrorKind::UnexpectedResponse { .. }
        ));
    }

    #[tokio::test]
    async fn a_short_coil_answer_is_unexpected_not_a_panic() {
        let mut board = open(
            opening()
                .write(&READ_RELAYS)
                .read(&with_crc(&[0x01, 0x01, 0x00])),
        )
        .await;
        let err = board.read_relays().await.unwrap_err();
        assert!(matches!(
            modbus_kind(&err),
            ModbusErrorKind::UnexpectedResponse { .. }
        ));
    }

    #[tokio::test]
    async fn the_board_can_move_into_a_spawned_task() {
        let mut board = open(opening().write(&ALL_OFF).read(&ALL_OFF)).await;
        let task = tokio::spawn(async move { board.all_off().await });
        assert!(task.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn the_raw_adus_are_reported_as_traffic() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mock: Mock = opening().write(&ALL_OFF).read(&ALL_OFF).build();
        let (mut board, _) = RelayBoard::open(mock, 1, Arc::from("relays"), TIMEOUT, Some(tx))
            .await
            .unwrap();
        board.all_off().await.unwrap();
        let mut seen = Vec::new();
        while let Ok(traffic) = rx.try_recv() {
            seen.push(traffic);
        }
        let record = |direction| Traffic {
            instrument: Arc::from("relays"),
            direction,
            wire: Wire::Bytes(ALL_OFF.to_vec()),
        };
        assert_eq!(seen.len(), 2 * 9 + 2);
        assert_eq!(
            seen[seen.len() - 2..],
            [record(Direction::Sent), record(Direction::Received)]
        );
    }

    /// Issue 13: whatever a board (or a gateway, or a noisy line) answers to a read, the
    /// driver returns an error or the relays; it never panics, and it reads relays only
    /// from a whole reply of its unit with a valid CRC.
    mod garbage {
        use proptest::collection::vec;
        use proptest::prelude::*;
        use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

        use super::*;

        /// A board that answers `open` properly and every read of coils with `reply`.
        async fn serve(mut server: DuplexStream, reply: Vec<u8>) {
            let mut request = [0u8; 8];
            while server.read_exact(&mut request).await.is_ok() {
                let answer = match request[1] {
                    0x03 => with_crc(&[0x01, 0x03, 0x02, 0x00, 0xC8]),
                    0x06 => request.to_vec(),
                    _ => reply.clone(),
                };
                if server.write_all(&answer).await.is_err() {
                    return;
                }
            }
        }

        fn read_relays_answered_with(reply: Vec<u8>) -> Result<[bool; 8], RelayBoardError> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            runtime.block_on(async {
                let (client, server) = tokio::io::duplex(4096);
                tokio::spawn(serve(server, reply));
                let (mut board, _) =
                    RelayBoard::open(client, 1, Arc::from("relays"), TIMEOUT, None)
                        .await
                        .unwrap();
                board.read_relays().await
            })
        }

        /// Whether `bytes` hold a whole FC01 reply of unit 1 with a valid CRC.
        fn holds_a_reply(bytes: &[u8]) -> bool {
            (0..bytes.len()).any(|i| {
                let rest = &bytes[i..];
                let Some(&count) = rest.get(2) else {
                    return false;
                };
                let len = 3 + usize::from(count);
                rest.len() >= len + 2
                    && rest[..2] == [0x01, 0x01]
                    && with_crc(&rest[..len]) == rest[..len + 2]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn garbage_is_never_read_as_relays(reply in vec(any::<u8>(), 0..32)) {
                let result = read_relays_answered_with(reply.clone());
                prop_assert!(result.is_err() || holds_a_reply(&reply), "{reply:02x?}: {result:?}");
            }

            #[test]
            fn a_reply_with_one_byte_damaged_is_refused(
                relays in any::<u8>(),
                at in 0usize..6,
                flip in 1u8..=255,
            ) {
                let mut reply = with_crc(&[0x01, 0x01, 0x01, relays]);
                reply[at] ^= flip;
                let result = read_relays_answered_with(reply.clone());
                prop_assert!(result.is_err(), "{reply:02x?}: {result:?}");
            }
        }
    }
}
