//! Modbus instruments, over tokio-modbus's RTU client on any byte stream.
//!
//! tokio-modbus does the framing, CRC and matching of answers to requests; this module
//! adds what a test rig needs on top: a timeout on every exchange, errors that name the
//! instrument and the operation, the raw ADUs in the event log (through
//! [`TapStream`](crate::transport::TapStream), since tokio-modbus does not show its
//! frames), and cancel safety: a late answer is never read as the next request's
//! ([`ModbusLink`]). The main type is [`RelayBoard`].

mod checksum;
mod connect;
mod error;
pub(crate) mod exchange;
mod relay_board;
mod resync;

pub use checksum::{crc16, with_crc};
pub use connect::{ModbusConnectError, ModbusFraming, attach, connect_modbus};
pub use error::ModbusErrorKind;
pub use exchange::ModbusLink;
pub use relay_board::{
    BoardIdentity, BoardLink, BoardSetup, CHANNELS, RelayBoard, RelayBoardError,
    RelayBoardErrorKind, RelayOperation,
};
