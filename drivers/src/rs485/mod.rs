//! BMS links over RS485. The main module is [`pylontech`]: the Pylontech "PYLON LFP"
//! ASCII protocol (protocols.md §2), also spoken by PACE-style packs.

pub mod pylontech;
