//! State of health (Lesso glossary: "the percentage between the full charged capacity
//! and the rated capacity of the battery"): an aged pack holds less charge, says so in
//! 0x355 and on RS485, and empties proportionally sooner.

use std::sync::Arc;
use std::time::Duration;

use rig_drivers::rs485::pylontech::PylontechClient;
use rig_sim::{PackParams, SimBench};

use crate::support::{Can, Scpi, after, ready_with};

fn aged(soh_percent: f64) -> PackParams {
    PackParams {
        soh_percent,
        ..PackParams::lesso_lsrr51v100ah()
    }
}

/// Seconds of a 50 A discharge from the initial 50 % until CUVP.
async fn seconds_to_cuvp(bench: &SimBench) -> f64 {
    let mut source = Scpi::open(bench);
    source.set("SOUR:CURR:PROT 130").await;
    source.set("SOUR:VOLT 40").await;
    source.set("SOUR:CURR:LIM:POS 1").await;
    source.set("SOUR:CURR:LIM:NEG -50").await;
    source.set("OUTP ON").await;
    for step in 1..=3 * 360 {
        if after(bench, 10.0).await.bms.under_voltage_active {
            return f64::from(step) * 10.0;
        }
    }
    panic!("no CUVP after 3 h at 50 A");
}

#[tokio::test(start_paused = true)]
async fn an_aged_pack_empties_proportionally_sooner() {
    let new = seconds_to_cuvp(&ready_with(aged(100.0)).await).await;
    let old = seconds_to_cuvp(&ready_with(aged(80.0)).await).await;
    let ratio = old / new;
    assert!(
        (ratio - 0.8).abs() < 0.02,
        "80 % SOH: {old} s against {new} s ({ratio})"
    );
}

#[tokio::test(start_paused = true)]
async fn soh_is_reported_on_can_and_rs485() {
    let bench = ready_with(aged(80.0)).await;
    let mut can = Can::attach(&bench);
    let f = can.next(0x355).await;
    assert_eq!(f.get("soh"), 80.0);
    assert_eq!(f.get("soc"), 50.0, "SOC is a share of the aged capacity");
    let stream = bench.open("rs485").expect("rs485 endpoint");
    let mut client = PylontechClient::new(stream, Arc::from("rs485"), Duration::from_secs(1), None);
    let a = client.analog(2).await.unwrap();
    assert_eq!((a.remaining_capacity, a.total_capacity), (40.0, 80.0));

    let bench = ready_with(aged(100.0)).await;
    let mut can = Can::attach(&bench);
    assert_eq!(can.next(0x355).await.get("soh"), 100.0);
}
