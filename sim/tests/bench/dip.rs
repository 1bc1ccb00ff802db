//! The DIP switches (Lesso 3.3.3.3, LOSUN 2.4): the RS485 address the pack answers at,
//! the RS485 baud rate (the wire time of every answer), and the protocol ID that decides
//! whether the pack speaks the Pylon/SMA frame set on CAN.

use std::sync::Arc;
use std::time::Duration;

use rig_drivers::rs485::pylontech::PylontechClient;
use rig_sim::{Baud, DipSettings, Installation, PackParams, ProtocolId, SimBench, SimConfig};
use tokio::io::DuplexStream;
use tokio::time::Instant;

use crate::support::{Can, secs};

fn bench_with(dip: DipSettings) -> SimBench {
    SimBench::start(SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Installation {
            dip,
            ..Installation::default()
        },
        source: Default::default(),
    })
}

fn client(bench: &SimBench) -> PylontechClient<DuplexStream> {
    let stream = bench.open("rs485").expect("rs485 endpoint");
    PylontechClient::new(stream, Arc::from("rs485"), Duration::from_secs(1), None)
}

/// LOSUN 2.4: "different batteries can be distinguished by setting the address via the
/// dip switch"; #1 and #3 ON is address 5.
#[tokio::test(start_paused = true)]
async fn the_pack_answers_at_its_dip_address_only() {
    let bench = bench_with(DipSettings::losun([true, false, true, false]));
    let mut c = client(&bench);
    let a = c.analog(5).await.expect("an answer at address 5");
    assert_eq!(a.command_value, 5);
    assert!(c.analog(2).await.is_err(), "silent at the default address");
}

/// Seconds of virtual time one 0x42 exchange takes.
async fn exchange_time(baud: Baud) -> f64 {
    let bench = bench_with(DipSettings {
        rs485_baud: baud,
        ..DipSettings::default()
    });
    let mut c = client(&bench);
    let start = Instant::now();
    c.analog(2).await.expect("an answer");
    start.elapsed().as_secs_f64()
}

/// Lesso 3.3.3.3 DIP 1 "ON: 115200 OFF: 9600": a 0x42 answer of about 140 characters
/// takes ~146 ms at 9600 Bd and ~12 ms at 115200 Bd.
#[tokio::test(start_paused = true)]
async fn dip_1_sets_the_rs485_baud_rate() {
    let slow = exchange_time(Baud::B9600).await;
    let fast = exchange_time(Baud::B115200).await;
    assert!((0.13..0.2).contains(&slow), "9600 Bd: {slow} s");
    assert!(fast < 0.02, "115200 Bd: {fast} s");
}

/// Lesso 3.3.3.3: protocol ID0/ID1 are brands of the Pylon/SMA CAN set; ID2 (Schneider)
/// and the reserved setting leave a Pylon/SMA inverter without frames ("Fail to follow
/// the DIP switch setting will cause the communication fault").
#[tokio::test(start_paused = true)]
async fn the_protocol_id_decides_whether_the_pack_speaks_on_can() {
    for (protocol, speaks) in [
        (ProtocolId::Id0, true),
        (ProtocolId::Id1, true),
        (ProtocolId::Id2, false),
        (ProtocolId::Reserved, false),
    ] {
        let bench = bench_with(DipSettings {
            protocol,
            ..DipSettings::default()
        });
        let mut can = Can::attach(&bench);
        let frames = can.collect(secs(5.0)).await;
        assert_eq!(!frames.is_empty(), speaks, "{protocol:?}");
    }
}
