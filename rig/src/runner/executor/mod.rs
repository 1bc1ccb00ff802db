//! The step executor: applies each step's actions, then watches its expectations over
//! the samples as they arrive, in time order, and takes its measurements
//! (`measuring.rs`, their arithmetic in `measurement.rs`). It stops at the first failed
//! expectation or measurement
//! (the safe choice for a battery: a plan that has seen the pack misbehave does not go
//! on driving it).
//!
//! The main type is [`Executor`]; its step loop is in `step.rs`. Each expectation is an
//! [`expectation::ExpectationState`] that readings, the close of its window
//! ([`window::StepWindows`]) and the silence of a link (`silence.rs`) decide; the texts
//! of failures are in `messages.rs`, the actions in `actions.rs` (a `ramp:`'s levels
//! counted in `ramp.rs`), and the reading of
//! the samplers' feed in `feed.rs`, where every wait passes the progress watchdog
//! (`watchdog.rs`): an engine whose clock cannot advance is a rig error, not a spin.

mod actions;
mod evidence;
mod expectation;
mod feed;
mod measurement;
mod measuring;
pub(crate) mod messages;
mod ramp;
mod silence;
mod step;
#[cfg(test)]
mod testing;
mod watchdog;
mod window;

pub use step::{Executor, Outcome};
pub use watchdog::Stuck;
