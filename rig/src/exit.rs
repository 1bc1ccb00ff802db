//! Exit codes of `rig`, distinct so that a release gate never mistakes a broken bench
//! for a good or a bad battery.

/// Every plan passed.
pub const PASSED: i32 = 0;
/// The DUT failed at least one plan (and no plan ended in error).
pub const DUT_FAILED: i32 = 1;
/// The rig or the bench failed (instrument unreachable, protocol error, timeout, could
/// not reach the safe state): the run says nothing reliable about the DUT. Wins over
/// [`DUT_FAILED`], so a CI gate sees that the bench needs attention.
pub const RIG_ERROR: i32 = 2;
/// Invalid input (plan, profile, bench, arguments): nothing was connected or touched.
pub const INVALID_INPUT: i32 = 3;
