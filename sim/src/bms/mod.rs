//! The BMS firmware of the twin: the protections of manual 3.4 (COCP/DOCP with the
//! peak-discharge limits, COVP/POVP, CUVP/PUVP, CHTP/DHTP/CLTP/DLTP, SCP, reversed
//! polarity, sensor failure), the RUN/ALM/SOC LEDs, the reset button, sleep and wake,
//! the SOC display, the rapid-shutdown input, the dry contacts, what it announces on
//! CAN and what it answers on RS485 (Pylontech protocol). The main type is [`Firmware`],
//! one per pack; with packs in parallel, `parallel` is the master's report for the
//! whole system and `rs485_chain` the group's addresses on the RS485 bus.

mod balancing;
mod button;
mod can_frames;
mod communication;
mod failure;
mod firmware;
mod leds;
mod overcurrent;
mod parallel;
mod precharge;
mod reboot;
mod recharge;
mod rs485;
mod rs485_chain;
mod sleep;
mod soc;
mod temperature;
mod voltage;

pub(crate) use balancing::{ChargeState, bleeding, extremes};
pub(crate) use can_frames::CanReport;
pub(crate) use can_frames::encode_frames;
pub(crate) use firmware::{Firmware, PackReading};
pub(crate) use parallel::{Member, aggregate};
pub(crate) use rs485::PylonStatus;
pub(crate) use rs485_chain::PylonChain;
