//! The `rig` binary as users run it, in one test binary: each test binary links the
//! whole rig with its database, web and plotting crates, and CI builds every one of
//! them, so the families share one link. Each module is one family of tests.

mod served;
mod soak;

mod cli;
mod operator;
mod results;
mod serve;
mod signals;
mod socketcan;
mod ui_browser;
