//! The virtual bench end to end: real bytes through the endpoints the rig opens, on
//! tokio's paused clock.

mod support;

mod balancing;
mod behaviours;
mod button;
mod capacity;
mod cells;
mod chambers;
mod cocp;
mod defects;
mod dip;
mod endpoints;
mod failures;
mod loads;
mod modbus;
mod packs;
mod parametric;
mod precharge;
mod relays;
mod rs485;
mod rs485_identity;
mod scenario;
mod scpi;
mod soh;
mod standby;
mod thermal;
