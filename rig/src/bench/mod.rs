//! Bench files: which instrument is where, its driver, ratings and timing, and how the
//! pack is wired to the relay/input board. The built-in `sim` bench is the default, so
//! `rig run` works on a machine with no instruments.

mod channels;
mod file;
mod safe_state;

pub use channels::{ChannelKind, ChannelSpec, Channels, RS485_PROTECTIONS, Rs485Field};
pub use file::{BUILTIN_SIM_BENCH, Bench, BoardWire, Driver, InstrumentSpec};
pub use safe_state::SafeState;
