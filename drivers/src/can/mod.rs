//! CAN: frames, DBC decoding, and the ports frames travel through.
//!
//! [`CanPort`] is the one type over every backend: the virtual bench's
//! [`MemoryCanBus`], SocketCAN ([`SocketCanPort`], Linux only) and socketcand
//! ([`socketcand`]); its module doc states the reconnect policy. [`KeepAlive`] is the
//! inverter's 0x305 task, [`FrameStatistics`] the per-id period and gap figures.
//! Signals are decoded from DBC text: `testplans/dbc/pylon_lv.dbc` ([`PYLON_LV_DBC`])
//! and the extension [`PYLON_LV_EXTENDED_DBC`] (0x35E, 0x35A, 0x35F).

mod dbc;
mod extended;
mod frame;
mod keepalive;
mod memory;
mod port;
mod socketcan_port;
pub mod socketcand;
mod stats;

pub use dbc::{CanDatabase, DbcError, DecodedFrame, DecodedSignal, SignalInfo, SignalKind};
pub use extended::{
    ALARMS_WARNINGS_ID, INFO_ID, MANUFACTURER_ID, PYLON_LV_EXTENDED_DBC, TwoBitState, frame_ascii,
};
pub use frame::{CanFrame, CanId, FrameError, MAX_DATA_LEN};
pub use keepalive::{KEEP_ALIVE_ID, KEEP_ALIVE_PERIOD, KeepAlive, KeepAliveReport};
pub use memory::{MemoryBusError, MemoryCanBus, MemoryCanPort, MemoryCanSender};
pub use port::{CanPort, CanPortError, CanSender};
pub use socketcan_port::{
    ErrorFrames, SocketCanError, SocketCanErrorKind, SocketCanFilter, SocketCanPort, probe_af_can,
};
pub use socketcand::{SocketcandPort, SocketcandSender};
pub use stats::{FrameStatistics, PeriodStats};

/// The Pylontech low-voltage DBC shipped in `testplans/dbc/`, built in so that the
/// virtual bench and the tests need no file lookup.
pub const PYLON_LV_DBC: &str = include_str!("../../../testplans/dbc/pylon_lv.dbc");
