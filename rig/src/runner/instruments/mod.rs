//! The bench's instruments during a run: connecting them through their drivers, and
//! putting them into their safe state. The runner never knows whether an instrument is
//! real or simulated: a resource string yields a byte stream or a CAN port, and the
//! driver talks bytes.
//!
//! The main type is [`Instruments`], every connected instrument of a run; [`Connector`]
//! opens the streams and ports.

mod apply;
mod connect;
mod connected;
mod connector;
mod open;
mod safe;

pub use connect::ConnectEnd;
pub use connected::{
    CanLink, Instruments, Opening, Rs485Link, SharedBoard, SharedChamber, SharedSource,
};
pub use connector::Connector;
