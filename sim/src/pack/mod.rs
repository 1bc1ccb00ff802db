//! The cells: open-circuit voltage from state of charge, coulomb counting, and the
//! pack's temperature.
//!
//! All cells of the string are identical (no imbalance yet), so the pack is one cell
//! curve times the number of cells in series plus one DC resistance.

mod cells;
mod ocv;
mod thermal;

pub(crate) use cells::Pack;
pub(crate) use thermal::Thermal;
