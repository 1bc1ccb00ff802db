//! Bench files: which instrument is where, its driver, ratings and timing, and how the
//! pack is wired to the relay/input board. The built-in `sim` bench is the default, so
//! `rig run` works on a machine with no instruments.

mod channels;
mod file;
mod installation;
mod safe_state;
#[cfg(test)]
mod tests;

pub use channels::{
    ChannelKind, ChannelSpec, Channels, RS485_PROTECTIONS, Rs485Field, rs485_prefix,
};
pub use file::{BUILTIN_SIM_BENCH, Bench, BoardWire, Driver, InstrumentSpec, Role};
pub use safe_state::SafeState;
