//! Each injected defect changes the behaviour it names, and only what follows from it.
//!
//! One story is told to the healthy twin and to each defective one, observed the way a
//! plan would (CAN, dry contacts, source current), and the observations are compared.

use rig_sim::Defect;
use tokio::time::{Instant, sleep_until};

use crate::support::{Can, Io, Scpi, bench, secs};

/// What the story observed.
#[derive(Clone, Debug, PartialEq)]
struct Story {
    cocp_flag_during_trip: bool,
    ccl_during_trip: f64,
    charge_enable_during_trip: bool,
    dry_contact_1_during_trip: bool,
    charging_after_recovery_delay: bool,
    locked_after_third_trip: bool,
    locked_after_fourth_trip: bool,
    charging_after_reset: bool,
}

impl Story {
    /// The manual's behaviour (3.4 COCP, 3.3.3 E reset, 3.3.3.1 D dry contacts).
    const HEALTHY: Story = Story {
        cocp_flag_during_trip: true,
        ccl_during_trip: 0.0,
        charge_enable_during_trip: false,
        dry_contact_1_during_trip: false,
        charging_after_recovery_delay: true,
        locked_after_third_trip: true,
        locked_after_fourth_trip: true,
        charging_after_reset: true,
    };

    fn differences(&self, other: &Story) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut differ = |name, a: bool| {
            if a {
                out.push(name);
            }
        };
        differ(
            "cocp_flag_during_trip",
            self.cocp_flag_during_trip != other.cocp_flag_during_trip,
        );
        differ(
            "ccl_during_trip",
            self.ccl_during_trip != other.ccl_during_trip,
        );
        differ(
            "charge_enable_during_trip",
            self.charge_enable_during_trip != other.charge_enable_during_trip,
        );
        differ(
            "dry_contact_1_during_trip",
            self.dry_contact_1_during_trip != other.dry_contact_1_during_trip,
        );
        differ(
            "charging_after_recovery_delay",
            self.charging_after_recovery_delay != other.charging_after_recovery_delay,
        );
        differ(
            "locked_after_third_trip",
            self.locked_after_third_trip != other.locked_after_third_trip,
        );
        differ(
            "locked_after_fourth_trip",
            self.locked_after_fourth_trip != other.locked_after_fourth_trip,
        );
        differ(
            "charging_after_reset",
            self.charging_after_reset != other.charging_after_reset,
        );
        out
    }
}

/// Charge at 80 A (trip at 75 A after 2 s, release after 60 s) through four would-be
/// trips, then press reset for 8 s.
async fn tell(defects: &[Defect]) -> Story {
    let bench = bench(defects);
    let mut source = Scpi::open(&bench);
    let mut io = Io::open(&bench);
    io.decouple().await;
    source.charge_at(80.0).await;
    let t0 = Instant::now();

    sleep_until(t0 + secs(2.0)).await;
    let mut can = Can::attach(&bench);
    let cocp_flag_during_trip = can.next(0x359).await.get("protection_charge_overcurrent") == 1.0;
    let ccl_during_trip = can.next(0x351).await.get("charge_current_limit");
    let charge_enable_during_trip = can.next(0x35C).await.get("charge_enable") == 1.0;
    let dry_contact_1_during_trip = io.dry_contacts().await.0;

    sleep_until(t0 + secs(62.0)).await;
    let charging_after_recovery_delay = source.number("MEAS:CURR?").await > 0.0;
    sleep_until(t0 + secs(126.0)).await;
    let locked_after_third_trip = bench.snapshot().bms.locked;
    sleep_until(t0 + secs(188.0)).await;
    let locked_after_fourth_trip = bench.snapshot().bms.locked;

    source.set("OUTP OFF").await;
    io.press_reset(8.0).await;
    source.set("SOUR:CURR:LIM:POS 50").await;
    source.set("OUTP ON").await;
    let charging_after_reset = source.number("MEAS:CURR?").await == 50.0;

    Story {
        cocp_flag_during_trip,
        ccl_during_trip,
        charge_enable_during_trip,
        dry_contact_1_during_trip,
        charging_after_recovery_delay,
        locked_after_third_trip,
        locked_after_fourth_trip,
        charging_after_reset,
    }
}

async fn assert_breaks(defect: Defect, expected: &[&str]) {
    let story = tell(&[defect]).await;
    assert_eq!(
        Story::HEALTHY.differences(&story),
        expected,
        "{defect} ({}): {story:?}",
        defect.description()
    );
}

#[tokio::test(start_paused = true)]
async fn the_healthy_twin_follows_the_manual() {
    assert_eq!(tell(&[]).await, Story::HEALTHY);
}

#[tokio::test(start_paused = true)]
async fn cocp_no_lockout_never_locks() {
    assert_breaks(
        Defect::CocpNoLockout,
        &["locked_after_third_trip", "locked_after_fourth_trip"],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn cocp_lockout_after_four_locks_one_trip_late() {
    assert_breaks(Defect::CocpLockoutAfterFour, &["locked_after_third_trip"]).await;
}

#[tokio::test(start_paused = true)]
async fn cocp_no_recovery_holds_the_first_trip() {
    // Never released, so never tripped again: it cannot lock either.
    assert_breaks(
        Defect::CocpNoRecovery,
        &[
            "charging_after_recovery_delay",
            "locked_after_third_trip",
            "locked_after_fourth_trip",
        ],
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn cocp_flag_missing_hides_the_protection_on_can() {
    assert_breaks(Defect::CocpFlagMissing, &["cocp_flag_during_trip"]).await;
}

#[tokio::test(start_paused = true)]
async fn ccl_not_zeroed_keeps_announcing_the_limit() {
    assert_breaks(Defect::CclNotZeroed, &["ccl_during_trip"]).await;
}

#[tokio::test(start_paused = true)]
async fn charge_enable_stuck_keeps_the_0x35c_bit() {
    assert_breaks(Defect::ChargeEnableStuck, &["charge_enable_during_trip"]).await;
}

#[tokio::test(start_paused = true)]
async fn dry_contact_stuck_keeps_output_1_closed() {
    assert_breaks(Defect::DryContactStuck, &["dry_contact_1_during_trip"]).await;
}

#[tokio::test(start_paused = true)]
async fn reset_ignored_leaves_the_lock_out() {
    assert_breaks(Defect::ResetIgnored, &["charging_after_reset"]).await;
}

#[test]
fn every_defect_has_a_test_here() {
    // Adding a defect to the catalogue must add a story test above (the first eight) or
    // in sim/tests/bench/behaviours.rs, thermal.rs, failures.rs, packs.rs and
    // balancing.rs (the rest); a parametric one in parametric.rs.
    assert_eq!(
        Defect::ALL.len(),
        8 + crate::behaviours::DEFECTS_COVERED.len()
            + crate::thermal::DEFECTS_COVERED.len()
            + crate::failures::DEFECTS_COVERED.len()
            + crate::packs::DEFECTS_COVERED.len()
            + crate::balancing::DEFECTS_COVERED.len()
            + crate::parametric::DEFECTS_COVERED.len()
            + crate::parametric::SHIFT_ONLY.len()
    );
}
