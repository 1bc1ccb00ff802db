//! The Pylontech RS485 ASCII protocol (protocols.md §2), as the inverter (master) speaks
//! it to a pack.
//!
//! Layers, bottom up: [`frame`] holds the plain frame type and the return codes;
//! [`codec`] turns bytes into frames and back (LENGTH/LCHKSUM and CHKSUM verified, a
//! bounded buffer, garbage dropped and counted); [`info`] parses each command's INFO
//! into typed data; [`client`] runs timed request/response exchanges over any
//! [`ByteStream`](crate::transport::ByteStream). The main type is
//! [`PylontechClient`].
//!
//! Reconnect policy: the client never reconnects on its own. After a timeout or a
//! broken frame it drops whatever it had buffered, so the next request starts clean
//! on the half-duplex bus; an i/o error or a closed stream is returned as
//! [`PylonErrorKind::is_transport`] and reopening the port is the caller's call.

pub mod client;
pub mod codec;
pub mod frame;
pub mod info;

pub use client::{PylonError, PylonErrorKind, PylontechClient};
pub use codec::{BadFrame, PylonCodec, checksum, decode_frame, encode_frame, length_field};
pub use frame::{CID1_BATTERY, Cid2, Frame, ReturnCode};
pub use info::{
    AlarmInfo, AlarmState, AnalogData, ChargeManagement, FirmwareVersion, InfoError,
    ManufacturerInfo, SerialNumber, SystemParameters,
};
