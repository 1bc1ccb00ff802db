//! COCP (manual 3.4) as the rig observes it: source current, CAN, dry contacts.

use tokio::time::{Instant, sleep_until};

use crate::support::{Can, Io, Scpi, after, ready, secs};

/// Lesso profile (assumptions): trip above 75 A after 2 s, release after 60 s, lock on
/// the third consecutive trip, counter cleared 60 s after a release.
const TRIP_DELAY: f64 = 2.0;
const RECOVERY: f64 = 60.0;

#[tokio::test(start_paused = true)]
async fn trips_after_the_trip_delay_and_not_before() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(80.0).await;
    assert_eq!(source.number("MEAS:CURR?").await, 80.0);

    let s = after(&bench, TRIP_DELAY - 0.1).await;
    assert!(!s.bms.cocp_active);
    assert!(s.bms.charge_mosfet_on);
    assert_eq!(source.number("MEAS:CURR?").await, 80.0);

    let s = after(&bench, 0.1).await;
    assert!(s.bms.cocp_active);
    assert_eq!(s.bms.cocp_trips, 1);
    assert!(!s.bms.charge_mosfet_on && s.bms.discharge_mosfet_on);
    assert_eq!(source.number("MEAS:CURR?").await, 0.0);
    // Open terminals: the source reads its own set point.
    assert_eq!(source.number("MEAS:VOLT?").await, 58.0);
}

#[tokio::test(start_paused = true)]
async fn a_current_below_the_trip_current_never_trips() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(70.0).await;
    let s = after(&bench, 600.0).await;
    assert!(!s.bms.cocp_active);
    assert_eq!(s.bms.cocp_trips, 0);
    assert_eq!(source.number("MEAS:CURR?").await, 70.0);
}

#[tokio::test(start_paused = true)]
async fn recovers_after_the_recovery_delay() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(80.0).await;
    let s = after(&bench, TRIP_DELAY + RECOVERY - 0.1).await;
    assert!(s.bms.cocp_active);
    let s = after(&bench, 0.1).await;
    assert!(!s.bms.cocp_active);
    assert!(s.bms.charge_mosfet_on);
    assert_eq!(s.bms.cocp_trips, 1);
    assert_eq!(source.number("MEAS:CURR?").await, 80.0);
}

#[tokio::test(start_paused = true)]
async fn locks_on_the_third_consecutive_trip_and_stays_locked() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    let mut io = Io::open(&bench);
    io.decouple().await;
    source.charge_at(80.0).await;

    // Trips at 2 s, 64 s and 126 s: each release lets 80 A through again at once.
    let third_trip = 3.0 * TRIP_DELAY + 2.0 * RECOVERY;
    let s = after(&bench, third_trip - 0.1).await;
    assert_eq!(s.bms.cocp_trips, 2);
    assert!(!s.bms.locked);
    let s = after(&bench, 0.1).await;
    assert_eq!(s.bms.cocp_trips, 3);
    assert!(s.bms.locked);

    let s = after(&bench, 10.0 * RECOVERY).await;
    assert!(s.bms.locked && s.bms.cocp_active && !s.bms.charge_mosfet_on);
    assert_eq!(source.number("MEAS:CURR?").await, 0.0);

    let mut can = Can::attach(&bench);
    assert_eq!(can.next(0x351).await.get("charge_current_limit"), 0.0);
    assert_eq!(
        can.next(0x359).await.get("protection_charge_overcurrent"),
        1.0
    );
    let enables = can.next(0x35C).await;
    assert_eq!(
        (
            enables.get("charge_enable"),
            enables.get("discharge_enable")
        ),
        (0.0, 1.0)
    );
    assert_eq!(io.dry_contacts().await, (false, true));
}

#[tokio::test(start_paused = true)]
async fn the_counter_clears_after_trip_free_charging() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(80.0).await;
    let s = after(&bench, TRIP_DELAY + RECOVERY).await;
    assert!(!s.bms.cocp_active);
    assert_eq!(s.bms.cocp_trips, 1);

    // Charge below the trip current for the counter-clear time.
    source.set("SOUR:CURR:LIM:POS 50").await;
    let s = after(&bench, 59.9).await;
    assert_eq!(s.bms.cocp_trips, 1);
    assert_eq!(s.bms.pack_current_a, 50.0);
    let s = after(&bench, 0.1).await;
    assert_eq!(s.bms.cocp_trips, 0);

    // Two more trips do not lock: the first one no longer counts.
    source.set("SOUR:CURR:LIM:POS 80").await;
    let s = after(&bench, 2.0 * TRIP_DELAY + RECOVERY).await;
    assert_eq!(s.bms.cocp_trips, 2);
    assert!(!s.bms.locked);
    let s = after(&bench, RECOVERY + TRIP_DELAY).await;
    assert!(s.bms.locked);
}

#[tokio::test(start_paused = true)]
async fn can_reports_the_protection_while_tripped_and_clears_it_after() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    let mut can = Can::attach(&bench);
    let limits = can.next(0x351).await;
    assert_eq!(limits.get("charge_voltage_limit"), 56.0);
    assert_eq!(limits.get("charge_current_limit"), 70.0);
    assert_eq!(limits.get("discharge_current_limit"), 100.0);
    assert_eq!(limits.get("discharge_voltage_limit"), 48.0);

    source.charge_at(80.0).await;
    let t0 = Instant::now();
    let mut can = Can::attach(&bench);
    let measured = can.next(0x356).await;
    assert_eq!(measured.get("pack_current"), 80.0);
    assert_eq!(measured.get("pack_temperature"), 25.0);

    sleep_until(t0 + secs(TRIP_DELAY)).await;
    let mut can = Can::attach(&bench);
    assert_eq!(
        can.next(0x359).await.get("protection_charge_overcurrent"),
        1.0
    );
    assert_eq!(can.next(0x356).await.get("pack_current"), 0.0);

    // Below the trip current from now on, so the release sticks.
    source.set("SOUR:CURR:LIM:POS 50").await;
    sleep_until(t0 + secs(TRIP_DELAY + RECOVERY)).await;
    let mut can = Can::attach(&bench);
    assert_eq!(can.next(0x351).await.get("charge_current_limit"), 70.0);
    assert_eq!(
        can.next(0x359).await.get("protection_charge_overcurrent"),
        0.0
    );
    assert_eq!(can.next(0x35C).await.get("charge_enable"), 1.0);
}
