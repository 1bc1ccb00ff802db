//! Everything `rig` renders from a run's event log: the log format itself, a tolerant
//! reader, per-plan summaries and JUnit XML. Reports read the log alone, so a run
//! that was killed still has one.

pub mod event;
pub mod junit;
pub mod log;
pub mod summary;

pub use event::{Clock, Event, EventKind, SampleValue, Verdict};
