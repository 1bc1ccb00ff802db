//! Bench files: which instrument is where, its driver, ratings and timing, and how the
//! pack is wired to the relay/input board. The built-in `sim` bench is the default, so
//! `rig run` works on a machine with no instruments.
//!
//! `file` holds the format as written and runs the checks: each instrument
//! (`instrument`, with the fields of its driver's family in `entry`), the wiring
//! (`wiring`), the safe states (`safe_state`), what a virtual bench injects
//! (`injection`) and the installation (`installation`). `channels` lists what a plan
//! may read from the checked bench.

pub mod calibration;
mod channels;
mod driver;
mod entry;
mod file;
mod injection;
mod installation;
mod instrument;
mod literal;
mod safe_state;
mod sizing;
#[cfg(test)]
mod tests;
mod wiring;

pub use channels::{
    ChannelKind, ChannelSpec, Channels, RS485_PROTECTIONS, Rs485Field, Setpoint, rs485_prefix,
};
pub use driver::{Driver, Role};
pub use file::{BUILTIN_SIM_BENCH, Bench, schema};
pub use instrument::InstrumentSpec;
pub use safe_state::SafeState;
pub use sizing::{HEADROOM as SIZING_HEADROOM, needs};
pub use wiring::BoardWire;
