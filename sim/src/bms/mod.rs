//! The BMS firmware of the twin: COCP, the reset button, sleep, the dry contacts and
//! what it announces on CAN. The main type is [`Firmware`].

mod button;
mod can_frames;
mod cocp;
mod firmware;

pub(crate) use can_frames::encode_frames;
pub(crate) use firmware::{Firmware, PackReading};
