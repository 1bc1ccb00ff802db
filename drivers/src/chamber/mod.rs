//! Thermal chambers (protocols.md §5): Watlow F4T (Modbus TCP, floats), Watlow F4
//! (Modbus RTU, scaled integers) and ESPEC P-300 family (ASCII).
//!
//! Each driver implements the small role trait [`Chamber`]: set point, process value,
//! run/stop. "Run" is not a standard register on Watlow controllers: the chamber
//! builder wires one event output to the conditioning circuit (§5.1, §5.5), so the
//! bench names it ([`RunEvent`]). [`wait_stable`] is the "wait until the temperature
//! is within a band for a time" helper plans use, on tokio's clock.
//!
//! Set points are checked against the controller's range before they are sent (§5.6).

mod error;
mod espec;
mod stable;
#[cfg(test)]
mod tests;
mod watlow_f4;
mod watlow_f4t;

use std::future::Future;

pub use error::{ChamberError, ChamberErrorKind};
pub use espec::{EspecP300, TempReading};
pub use stable::{StabilityCriteria, wait_stable};
pub use watlow_f4::WatlowF4;
pub use watlow_f4t::{WatlowF4t, WordOrder};

/// Which event output switches the chamber's conditioning on, and its polarity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunEvent {
    /// Event output number, 1-8.
    pub output: u8,
    /// `true`: the output on means "run" (the usual wiring).
    pub active_high: bool,
}

impl Default for RunEvent {
    /// Event output 1, active high: TestEquity's and ESPEC's usual "condition event".
    fn default() -> Self {
        Self {
            output: 1,
            active_high: true,
        }
    }
}

/// The chamber role: small on purpose (STYLE item 9).
pub trait Chamber {
    /// Writes the temperature set point, °C.
    fn set_point(&mut self, celsius: f64) -> impl Future<Output = Result<(), ChamberError>> + Send;
    /// Reads the set point back, °C.
    fn read_set_point(&mut self) -> impl Future<Output = Result<f64, ChamberError>> + Send;
    /// The measured chamber temperature, °C.
    fn process_value(&mut self) -> impl Future<Output = Result<f64, ChamberError>> + Send;
    /// Starts (`true`) or stops conditioning.
    fn set_running(&mut self, run: bool) -> impl Future<Output = Result<(), ChamberError>> + Send;
    /// Whether conditioning runs, as the controller reads it back.
    fn running(&mut self) -> impl Future<Output = Result<bool, ChamberError>> + Send;
}
