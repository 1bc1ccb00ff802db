//! Running one resolved plan on a bench: connect, program protection, sample, execute
//! the steps, and put every instrument into its safe state on every way out, writing
//! everything to the event log as it happens.
//!
//! The main entry point is [`run_plan`] (`run.rs`). One plan runs on its own
//! current-thread tokio runtime, paused and auto-advancing on the virtual bench, so a
//! run is deterministic. A run that cannot go on ends with an [`InstrumentFailure`]
//! whose [`Cause`] is typed (`failure.rs`).

mod envelope;
mod executor;
mod failure;
mod ingest;
mod instruments;
mod log;
pub mod matrix;
mod prepare;
mod probe;
mod roles;
pub(crate) mod rs232;
mod run;
mod samplers;
mod skip;
mod store;
mod traffic;
mod twin;

pub use executor::Outcome;
pub(crate) use executor::messages::window_text;
pub use failure::{Cause, InstrumentFailure, SafeStateError, panic_message as panic_text};
pub use ingest::CanIngest;
pub use prepare::{Prepared, prepare};
pub use probe::{ProbeOptions, ProbeReport, ProbedChannel, ProbedInstrument, probe};
pub use run::{PlanOutcome, log_path, on_plan_thread, run_plan};
pub use skip::{packs_for, reason as skip_reason};
pub use twin::pack_params;
