//! The pre-charge circuit (Lesso 3.2 "Built-in pre-charge circuit to avoid rush current
//! when connecting with different inverter/chargers"; troubleshooting "pre-charge
//! failure during connection inverter"): on waking, discharge current is limited by
//! the pre-charge resistor; a terminal that is not pulled up fails the pre-charge and
//! the BMS retries after its delay.

use rig_sim::{PackParams, SimBench};

use crate::support::{Io, Scpi, after, ready};

fn precharge() -> rig_sim::PrechargeParams {
    PackParams::lesso_lsrr51v100ah()
        .precharge
        .expect("the Lesso twin has a pre-charge circuit")
}

/// Asleep by a 4 s press, the source then set as a heavy load at `volts`.
async fn asleep_with_load(volts: f64) -> (SimBench, Scpi, Io) {
    let bench = ready(&[]).await;
    let mut io = Io::open(&bench);
    io.press_reset(4.0).await;
    assert!(after(&bench, 1.0).await.bms.asleep);
    let mut source = Scpi::open(&bench);
    source.set("SOUR:CURR:PROT 130").await;
    source.set(&format!("SOUR:VOLT {volts}")).await;
    source.set("SOUR:CURR:LIM:POS 1").await;
    source.set("SOUR:CURR:LIM:NEG -100").await;
    source.set("OUTP ON").await;
    let s = after(&bench, 1.0).await;
    assert!(s.bms.asleep && s.source.measured_current_a == 0.0);
    (bench, source, io)
}

#[tokio::test(start_paused = true)]
async fn waking_onto_a_heavy_load_limits_the_current_fails_and_retries() {
    let p = precharge();
    let (bench, mut source, mut io) = asleep_with_load(30.0).await;
    io.press_reset(4.0).await;
    let s = after(&bench, 0.5).await;
    assert!(!s.bms.asleep && s.bms.precharging);
    assert!(!s.bms.discharge_mosfet_on);
    // The load holds the terminals at 30 V; only the resistor limits the current.
    let expected = (30.0 - s.bms.pack_voltage_v) / p.resistance_ohm;
    assert!(
        (s.source.measured_current_a - expected).abs() < 0.05,
        "{} A through the pre-charge resistor, expected about {expected} A",
        s.source.measured_current_a
    );
    assert!(s.source.measured_current_a > -1.0, "no rush current");

    let s = after(&bench, p.time_s).await;
    assert_eq!(s.bms.precharge_failures, 1);
    assert!(!s.bms.precharging && !s.bms.discharge_mosfet_on);
    assert_eq!(s.source.measured_current_a, 0.0, "unable to discharge");
    assert!(s.bms.charge_mosfet_on, "charging stays possible");

    // Retried after the delay, and failing again while the load stays.
    let s = after(&bench, p.retry_delay_s).await;
    assert!(s.bms.precharging);
    let s = after(&bench, p.time_s).await;
    assert_eq!(s.bms.precharge_failures, 2);

    // The load is removed: the next attempt passes and the pack discharges again.
    source.set("OUTP OFF").await;
    let s = after(&bench, p.retry_delay_s + p.time_s).await;
    assert_eq!(s.bms.precharge_failures, 2);
    assert!(s.bms.discharge_mosfet_on && !s.bms.precharging);
    source.set("OUTP ON").await;
    let s = after(&bench, 1.0).await;
    assert!(
        s.source.measured_current_a < -50.0,
        "full discharge current"
    );
}

#[tokio::test(start_paused = true)]
async fn waking_onto_an_open_terminal_passes_after_the_precharge_time() {
    let p = precharge();
    let bench = ready(&[]).await;
    let mut io = Io::open(&bench);
    io.press_reset(4.0).await;
    assert!(after(&bench, 1.0).await.bms.asleep);
    io.press_reset(4.0).await;
    let s = after(&bench, 0.1).await;
    assert!(s.bms.precharging && !s.bms.discharge_mosfet_on);
    let s = after(&bench, p.time_s).await;
    assert!(s.bms.discharge_mosfet_on && !s.bms.precharging);
    assert_eq!(s.bms.precharge_failures, 0);
}

#[tokio::test(start_paused = true)]
async fn a_charger_at_the_pack_voltage_wakes_it_and_passes() {
    let p = precharge();
    let (bench, mut source, _io) = asleep_with_load(40.0).await;
    // A charger above 48 V (LOSUN 2.3-3 wake-up 1) whose output sits at the pack's own
    // voltage: the terminals are pulled up.
    let pack_v = bench.snapshot().bms.pack_voltage_v;
    source.set(&format!("SOUR:VOLT {pack_v:.2}")).await;
    let s = after(&bench, 0.5).await;
    assert!(!s.bms.asleep && s.bms.precharging);
    let s = after(&bench, p.time_s).await;
    assert!(s.bms.discharge_mosfet_on);
    assert_eq!(s.bms.precharge_failures, 0);
}
