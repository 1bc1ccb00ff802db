//! Issue 17: the results database, history, gating and bench reservation, through the
//! `rig` binary as a lab uses it. Every test runs on SQLite, and again on a real
//! PostgreSQL server when `RIG_TEST_POSTGRES` names one (`.ci/run` starts it); without
//! it the PostgreSQL half says it was skipped.

mod common;
mod gate;
mod lock;
mod rows;
