//! The standby sleep, LOSUN 2.3-3 sleep 4): "Standby time exceeds 24 hours (no
//! communication, no charging/discharging, no grid power)". A pack nobody talks to
//! sleeps after a day without current; one that the rig or an inverter keeps talking
//! to (RS485 polls, CAN frames) does not, however long no current flows, and the day
//! starts when the talking stops.

use std::sync::Arc;
use std::time::Duration;

use rig_drivers::can::{CanFrame, KEEP_ALIVE_ID};
use rig_drivers::rs485::pylontech::PylontechClient;
use rig_sim::{PackParams, SimBench};
use tokio::time::sleep;

use crate::support::{after, ready_with, secs};

const HOUR: f64 = 3600.0;
/// The profile's standby time (LOSUN 2.3-3: 24 h; the Lesso profile takes it over as
/// an assumption).
const STANDBY: f64 = 24.0 * HOUR;
/// Every 30 s: slower than any real poller, faster than the twin's 60 s hold.
const POLL: f64 = 30.0;

async fn idle_pack() -> SimBench {
    let pack = PackParams::lesso_lsrr51v100ah();
    assert_eq!(
        pack.sleep.standby_s, STANDBY,
        "the fixture assumes a 24 h standby"
    );
    ready_with(pack).await
}

async fn poll_rs485_for(bench: &SimBench, seconds: f64) {
    let stream = bench.open("rs485").expect("rs485 endpoint");
    let mut client =
        PylontechClient::new(stream, Arc::from("bms_rs485"), Duration::from_secs(1), None);
    let polls = (seconds / POLL) as usize;
    for _ in 0..polls {
        client.analog(2).await.expect("an awake pack answers");
        sleep(secs(POLL)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_pack_nobody_talks_to_sleeps_after_a_day_of_standby() {
    let bench = idle_pack().await;
    assert!(!after(&bench, STANDBY - 60.0).await.bms.asleep);
    assert!(after(&bench, 120.0).await.bms.asleep);
}

#[tokio::test(start_paused = true)]
async fn rs485_polls_keep_a_pack_out_of_standby_and_the_day_starts_when_they_stop() {
    let bench = idle_pack().await;
    poll_rs485_for(&bench, 30.0 * HOUR).await;
    assert!(
        !bench.snapshot().bms.asleep,
        "polled for 30 h without current: still awake"
    );
    // The last poll was POLL ago; a day of silence from then on puts it to sleep.
    assert!(!after(&bench, STANDBY - 60.0).await.bms.asleep);
    assert!(after(&bench, 2.0 * 60.0 + POLL).await.bms.asleep);
}

#[tokio::test(start_paused = true)]
async fn an_inverter_s_can_frames_keep_a_pack_out_of_standby() {
    let bench = idle_pack().await;
    let port = bench.can_port("can0").expect("can0");
    let keepalive = CanFrame::standard(KEEP_ALIVE_ID, &[0; 8]).expect("a valid frame");
    for _ in 0..(30.0 * HOUR / POLL) as usize {
        port.send(keepalive.clone());
        sleep(secs(POLL)).await;
    }
    assert!(!bench.snapshot().bms.asleep);
    assert!(after(&bench, STANDBY + 2.0 * 60.0).await.bms.asleep);
}
