//! From the raw plan to the resolved plan: bind names, check units, unroll repeats, and
//! check every set point against the envelope (DUT profile limits and bench ratings).
//! All problems are collected; the plan is rejected before any instrument is touched.
//!
//! One pass, the `Resolver` (`resolver.rs`), walks the raw plan in the order it is
//! written; each file here adds the methods that resolve one kind of thing:
//!
//! - `load`: the plan file, its DUT profile, and the fields of the plan as a whole;
//! - `steps`: steps and `repeat:` groups, unrolled in order, and a step's timeout;
//! - `source`: the `source:` action (set points, shorthands, load benches, output on);
//! - `ramp`: the `ramp:` staircase of one set point;
//! - `actions`: the other actions (relay, chamber, inverter, RS485, RS232);
//! - `expectations`: `expect:` entries;
//! - `measurements`: `measure:` entries (kind, window, name), and `limits`: their
//!   limits and display unit;
//! - `names`: the names a plan may use, and `{index}` in step names;
//! - `quantities`: constants with units (`56 V`, `dut.cocp.trip_delay + 3 s`);
//! - `envelope`: what the rig may apply to the pack, and the check of a set point.

mod actions;
mod envelope;
mod expectations;
mod limits;
mod load;
mod measurements;
mod names;
mod quantities;
mod ramp;
mod resolver;
mod source;
mod steps;
#[cfg(test)]
mod test_support;

pub use load::{load_plan, load_plan_for};
