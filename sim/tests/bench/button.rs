//! The reset button (manual 3.3.3 E: "sleep(3s)/awake(3s)/reset(6~10s)"), pressed by
//! relay 1 of the Modbus board.

use crate::support::{Can, Io, Scpi, after, bench, ready, secs};

async fn lock_out(bench: &rig_sim::SimBench, source: &mut Scpi) {
    source.charge_at(80.0).await;
    let s = after(bench, 3.0 * 2.0 + 2.0 * 60.0).await;
    assert!(s.bms.locked);
    source.set("OUTP OFF").await;
}

#[tokio::test(start_paused = true)]
async fn an_8_s_reset_press_releases_the_lock_out() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    let mut io = Io::open(&bench);
    io.decouple().await;
    lock_out(&bench, &mut source).await;

    io.press_reset(8.0).await;
    let s = bench.snapshot();
    assert!(!s.bms.locked && !s.bms.cocp_active);
    assert_eq!(s.bms.cocp_trips, 0);
    assert!(s.bms.charge_mosfet_on);
    assert_eq!(io.dry_contacts().await, (true, true));
    let mut can = Can::attach(&bench);
    assert_eq!(can.next(0x35C).await.get("charge_enable"), 1.0);

    source.set("SOUR:CURR:LIM:POS 50").await;
    source.set("OUTP ON").await;
    assert_eq!(source.number("MEAS:CURR?").await, 50.0);
}

#[tokio::test(start_paused = true)]
async fn presses_outside_6_to_10_s_do_not_reset() {
    for held in [2.0, 11.0] {
        let bench = ready(&[]).await;
        let mut source = Scpi::open(&bench);
        let mut io = Io::open(&bench);
        io.decouple().await;
        lock_out(&bench, &mut source).await;
        io.press_reset(held).await;
        let s = bench.snapshot();
        assert!(s.bms.locked, "{held} s");
        assert!(!s.bms.asleep, "{held} s");
    }
}

#[tokio::test(start_paused = true)]
async fn a_4_s_press_puts_the_bms_to_sleep_and_can_goes_silent() {
    let bench = ready(&[]).await;
    let mut io = Io::open(&bench);
    let mut can = Can::attach(&bench);
    io.decouple().await;
    assert!(!can.collect(secs(3.0)).await.is_empty());

    io.press_reset(4.0).await;
    let s = bench.snapshot();
    assert!(s.bms.asleep);
    assert!(!s.bms.charge_mosfet_on && !s.bms.discharge_mosfet_on);
    assert_eq!(io.dry_contacts().await, (false, false));
    let mut can = Can::attach(&bench);
    assert!(can.collect(secs(30.0)).await.is_empty());

    // The same press wakes it again.
    io.press_reset(4.0).await;
    assert!(!bench.snapshot().bms.asleep);
    assert_eq!(io.dry_contacts().await, (true, true));
    let mut can = Can::attach(&bench);
    assert_eq!(can.next(0x355).await.get("soc"), 50.0);
}

#[tokio::test(start_paused = true)]
async fn asleep_the_pack_takes_no_charge() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    let mut io = Io::open(&bench);
    io.press_reset(4.0).await;
    // LOSUN 2.3-3 wake-up 1: only a charger above 48 V wakes the pack.
    source.set("SOUR:VOLT:PROT 62").await;
    source.set("SOUR:VOLT 47.5").await;
    source.set("SOUR:CURR:LIM:POS 50").await;
    source.set("OUTP ON").await;
    let s = after(&bench, 60.0).await;
    assert!(s.bms.asleep);
    assert_eq!(s.bms.pack_current_a, 0.0);
    assert_eq!(source.number("MEAS:CURR?").await, 0.0);
    source.set("SOUR:VOLT 58").await;
    let s = after(&bench, 1.0).await;
    assert!(!s.bms.asleep, "a charger above 48 V wakes the pack");
    assert_eq!(source.number("MEAS:CURR?").await, 50.0);
}

#[tokio::test(start_paused = true)]
async fn a_board_left_in_linkage_mode_drives_the_reset_button_and_rapid_shutdown() {
    // Factory linkage: relay 1 follows input 1 (charge enable) onto the reset button and
    // relay 2 follows input 2 (discharge enable) onto the rapid-shutdown input, so a
    // bench that never decouples its board holds the button and flickers the RSD input.
    // The rig decouples every channel when it connects; after that both relays open.
    let bench = bench(&[]);
    let s = bench.snapshot();
    assert!(s.relays.linkage[0] && s.relays.closed[0]);
    assert!(s.relays.linkage[1] && s.relays.closed[1]);
    Io::open(&bench).decouple().await;
    let s = after(&bench, 1.0).await;
    assert!(!s.relays.closed[0] && !s.relays.closed[1]);
    assert!(!s.bms.rapid_shutdown_active && !s.bms.asleep);
    assert!(s.bms.charge_mosfet_on && s.bms.discharge_mosfet_on);
}

/// The CAN node waits out a sleep instead of asking every period, so a wake-up from an
/// input must still bring the frames back at the next tick of the period grid the BMS
/// kept before it slept: woken mid-period, it sends within one period, on the grid.
#[tokio::test(start_paused = true)]
async fn woken_mid_period_the_bms_sends_at_its_next_period_tick() {
    let bench = ready(&[]).await;
    let mut io = Io::open(&bench);
    io.decouple().await;
    let start = tokio::time::Instant::now();
    let mut can = Can::attach(&bench);
    let before = can.collect_timed(secs(3.0)).await;
    let grid = before.first().expect("frames before the sleep").0;
    io.press_reset(4.0).await;
    assert!(bench.snapshot().bms.asleep);
    // Wake at a fraction of a period past a tick: release 0.37 s after one.
    tokio::time::sleep(secs(100.37 - 4.0)).await;
    io.press_reset(4.0).await;
    let woke = start.elapsed().as_secs_f64();
    assert!(!bench.snapshot().bms.asleep);
    let mut can = Can::attach(&bench);
    let after = can.collect_timed(secs(3.0)).await;
    let first = woke + after.first().expect("frames after the wake-up").0;
    assert!(
        first >= woke && first < woke + 1.0,
        "woke at {woke} s, first frame at {first} s"
    );
    // Distance from the nearest tick of the grid.
    let off_grid = ((first - grid).rem_euclid(1.0) - 0.5).abs() - 0.5;
    assert!(
        off_grid.abs() < 1e-6,
        "first frame at {first} s, off the 1 s grid that started at {grid} s"
    );
}
