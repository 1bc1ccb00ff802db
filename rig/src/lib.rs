//! `rig`: the engine of the hardware-in-the-loop test rig for 48 V LiFePO4 packs.
//!
//! A run goes: load and validate ([`bench`], [`dut`], [`plan`]), connect, execute and
//! supervise ([`runner`]), tear down to the safe state, and leave an event log that the
//! reports crate renders. The binary (`main.rs`, [`cli`]) is glue over these modules.

pub mod bench;
pub mod cli;
pub mod clock;
pub mod diag;
pub mod discover;
pub mod dut;
pub mod exit;
pub mod expr;
pub mod firmware;
pub mod input;
pub mod plan;
pub mod progress;
pub mod quantity;
pub mod results;
pub mod runner;
pub mod schema;
pub mod serve;
pub mod stop;
pub mod trace;
pub mod ui;
pub mod yaml_recovery;
