//! CAN: frames, the in-memory bus of the virtual bench, and DBC decoding.

mod dbc;
mod frame;
mod memory;

pub use dbc::{CanDatabase, DbcError, DecodedFrame, DecodedSignal, SignalInfo, SignalKind};
pub use frame::{CanFrame, CanId, FrameError, MAX_DATA_LEN};
pub use memory::{MemoryBusError, MemoryCanBus, MemoryCanPort};

/// The Pylontech low-voltage DBC shipped in `testplans/dbc/`, built in so that the
/// virtual bench and the tests need no file lookup.
pub const PYLON_LV_DBC: &str = include_str!("../../../testplans/dbc/pylon_lv.dbc");
