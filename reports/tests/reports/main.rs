//! The report crate from outside, in one test binary (each binary links the crate with
//! plotters; CI built four): each module is one family of tests.

mod log_and_junit;
mod measurements;
mod plot_text;
mod rendered;
