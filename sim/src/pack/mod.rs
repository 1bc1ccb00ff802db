//! The cells: open-circuit voltage from state of charge, coulomb counting, and the
//! pack's temperature.
//!
//! The string is a number of cells in series, each with its own capacity and initial
//! SOC drawn from a seeded spread (`spread`), its voltage from one LFP curve (`ocv`)
//! plus a share of the pack's DC resistance (`cells`). One temperature for the pack
//! (`thermal`).

mod cells;
mod ocv;
mod spread;
mod thermal;

pub(crate) use cells::Pack;
pub(crate) use thermal::Thermal;
