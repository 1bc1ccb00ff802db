//! Plans: the YAML a test engineer writes ([`raw`]), and the checked, resolved form the
//! runner executes ([`model`]). Parse low, then resolve high: the runner never sees a
//! raw plan.

pub mod model;
pub mod raw;
mod requires;
mod resolve;
mod trial;

pub use model::{
    Action, DisplayUnit, Edge, EnvelopeLimits, Expectation, Location, MeasureKind, MeasureWindow,
    Measurement, Plan, Ramp, RelayOp, Rs485Command, SourceSettings, Step, Window,
};
pub use requires::{Count, MAX_PACKS_PATH};
pub use resolve::{load_plan, load_plan_for};
pub use trial::{load_trial, trial_name};
