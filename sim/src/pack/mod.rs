//! The cells: open-circuit voltage from state of charge, and coulomb counting.
//!
//! All cells of the string are identical (no imbalance yet), so the pack is one cell
//! curve times the number of cells in series plus one DC resistance.

mod cells;
mod ocv;

pub(crate) use cells::Pack;
