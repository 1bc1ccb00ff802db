//! The DAQ970A ("daq970a") and Numato ("numato") relay front ends on the bench's relay
//! and input lines: driven by the rig's drivers in virtual time (reset button, rapid
//! shutdown, dry contacts as the firmware sees them), as raw bytes, with faults and
//! garbage.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rig_drivers::relays::{Daq970a, DaqChannel, Numato, NumatoErrorKind, pulse};
use rig_drivers::scpi::ScpiErrorKind;
use rig_sim::{FaultKind, InstrumentFault, PackParams, SimBench, SimConfig};
use tokio::io::{AsyncWriteExt, DuplexStream};

use crate::support::{Io, Scpi, after, ask_until as ask, bench, fed_garbage, run_paused, secs};

const T: Duration = Duration::from_secs(1);

fn ch(n: u16) -> DaqChannel {
    DaqChannel::new(n).unwrap()
}

async fn daq(bench: &SimBench) -> Daq970a<DuplexStream> {
    Daq970a::open(bench.open("daq970a").unwrap(), Arc::from("dio"), T, None)
        .await
        .unwrap()
        .0
}

async fn numato(bench: &SimBench) -> Numato<DuplexStream> {
    Numato::open(
        bench.open("numato").unwrap(),
        Arc::from("relays"),
        8,
        T,
        None,
    )
    .await
    .unwrap()
    .0
}

/// Three COCP trips in a row lock the charge path out (manual 3.4).
async fn lock_out(bench: &SimBench, source: &mut Scpi) {
    source.charge_at(80.0).await;
    let s = after(bench, 3.0 * 2.0 + 2.0 * 60.0).await;
    assert!(s.bms.locked);
    source.set("OUTP OFF").await;
}

#[tokio::test(start_paused = true)]
async fn a_daq970a_presses_reset_and_asserts_rapid_shutdown() {
    // The Waveshare board is left in its factory linkage mode: a bench wired with a
    // DAQ970A never decouples it, and the DAQ's connection takes the lines.
    let bench = bench(&[]);
    let mut source = Scpi::open(&bench);
    let mut dio = daq(&bench).await;
    assert!(!bench.snapshot().relays.closed[0], "reset not held");
    // Bits 0-1 are the dry contacts; bits 2-7 the LEDs' photo sensors.
    assert_eq!(dio.read_digital_byte(ch(302)).await.unwrap() & 0b11, 0b11);

    lock_out(&bench, &mut source).await;
    pulse(&mut dio, 101, secs(8.0)).await.unwrap();
    let s = bench.snapshot();
    assert!(
        !s.bms.locked,
        "an 8 s press on channel 101 resets the lock-out"
    );
    assert!(s.bms.charge_mosfet_on);

    source.charge_at(50.0).await;
    dio.route(ch(102), true).await.unwrap();
    assert!(dio.is_closed(ch(102)).await.unwrap());
    let s = after(&bench, 1.0).await;
    assert!(s.bms.rapid_shutdown_active);
    assert_eq!(s.bms.pack_current_a, 0.0);
    assert_eq!(
        dio.read_digital_byte(ch(302)).await.unwrap(),
        0,
        "both dry contacts open under rapid shutdown"
    );
    dio.route(ch(102), false).await.unwrap();
    let s = after(&bench, 1.0).await;
    assert!(!s.bms.rapid_shutdown_active);
    assert_eq!(s.bms.pack_current_a, 50.0);
    // Bits 0-1 are the dry contacts; bits 2-7 the LEDs' photo sensors.
    assert_eq!(dio.read_digital_byte(ch(302)).await.unwrap() & 0b11, 0b11);
    // Channels beyond the wired eight switch nothing on the bench.
    dio.route(ch(215), true).await.unwrap();
    assert_eq!(bench.snapshot().relays.closed, [false; 8]);
}

#[tokio::test(start_paused = true)]
async fn a_numato_presses_reset_and_reads_the_dry_contacts() {
    let bench = bench(&[]);
    let mut source = Scpi::open(&bench);
    let mut relays = numato(&bench).await;
    assert!(relays.read_gpio(0).await.unwrap() && relays.read_gpio(1).await.unwrap());

    lock_out(&bench, &mut source).await;
    pulse(&mut relays, 0, secs(8.0)).await.unwrap();
    assert!(!bench.snapshot().bms.locked);

    relays.set(1, true).await.unwrap();
    assert!(relays.is_closed(1).await.unwrap());
    let s = after(&bench, 1.0).await;
    assert!(s.bms.rapid_shutdown_active);
    assert!(!relays.read_gpio(0).await.unwrap());
    assert!(!relays.read_gpio(1).await.unwrap());
    relays.reset().await.unwrap();
    let s = after(&bench, 1.0).await;
    assert!(!s.bms.rapid_shutdown_active);
    assert!(relays.read_gpio(0).await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn the_last_instrument_to_switch_a_line_drives_it() {
    let bench = bench(&[]);
    let mut io = Io::open(&bench);
    io.decouple().await;
    let mut dio = daq(&bench).await;
    dio.route(ch(102), true).await.unwrap();
    assert!(bench.snapshot().relays.closed[1]);
    io.relay(1, false).await;
    assert!(!bench.snapshot().relays.closed[1], "the board wrote last");
    assert!(
        dio.is_closed(ch(102)).await.unwrap(),
        "the DAQ still reports its own relay"
    );
    let mut relays = numato(&bench).await;
    relays.set(1, true).await.unwrap();
    assert!(bench.snapshot().relays.closed[1]);
    dio.route(ch(102), false).await.unwrap();
    assert!(!bench.snapshot().relays.closed[1]);
    assert!(bench.snapshot().bms.charge_mosfet_on);
}

#[tokio::test(start_paused = true)]
async fn daq970a_replies_and_error_queue_on_the_wire() {
    let bench = bench(&[]);
    let mut pipe = bench.open("daq970a").unwrap();
    assert_eq!(
        ask(&mut pipe, "*IDN?\n", b"\n").await,
        "Keysight Technologies,DAQ970A,RIGSIM0001,rig-sim-1.0\n"
    );
    pipe.write_all(b"ROUT:CLOS (@101,103)\n").await.unwrap();
    assert_eq!(
        ask(&mut pipe, "ROUT:CLOS? (@101:103)\n", b"\n").await,
        "1,0,1\n"
    );
    pipe.write_all(b"ROUT:MONITOR:FOO 1\nROUT:CLOS (@999)\nSOUR:DIG:DATA:BYTE 300,(@301)\n")
        .await
        .unwrap();
    assert_eq!(
        ask(&mut pipe, "SYST:ERR?\n", b"\n").await,
        "-113,\"Undefined header\"\n"
    );
    assert_eq!(
        ask(&mut pipe, "SYST:ERR?\n", b"\n").await,
        "-224,\"Illegal parameter value\"\n"
    );
    assert_eq!(
        ask(&mut pipe, "SYST:ERR?\n", b"\n").await,
        "-222,\"Data out of range\"\n"
    );
    assert_eq!(
        ask(&mut pipe, "SYST:ERR?\n", b"\n").await,
        "0,\"No error\"\n"
    );
    assert_eq!(
        ask(&mut pipe, "*RST;ROUT:CLOS? (@101)\n", b"\n").await,
        "0\n"
    );
    assert!(!bench.snapshot().relays.closed[0]);
}

#[tokio::test(start_paused = true)]
async fn numato_echo_and_prompt_on_the_wire() {
    let bench = bench(&[]);
    let mut pipe = bench.open("numato").unwrap();
    assert_eq!(ask(&mut pipe, "ver\r", b">").await, "ver\n\r00000001\n\r>");
    assert_eq!(
        ask(&mut pipe, "relay on 1\r", b">").await,
        "relay on 1\n\r>"
    );
    assert!(bench.snapshot().relays.closed[1]);
    assert_eq!(
        ask(&mut pipe, "relay on 9\r", b">").await,
        "relay on 9\n\r>"
    );
    assert_eq!(ask(&mut pipe, "launch\r\n", b">").await, "launch\n\r>");
    assert_eq!(
        ask(&mut pipe, "relay readall\r", b">").await,
        "relay readall\n\r02\n\r>"
    );
}

fn config_with(fault: InstrumentFault) -> SimConfig {
    SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: vec![fault],
        installation: Default::default(),
        source: Default::default(),
    }
}

#[tokio::test(start_paused = true)]
async fn instrument_faults_apply_to_the_new_endpoints() {
    let stalled = SimBench::start(config_with(InstrumentFault {
        endpoint: "numato".into(),
        kind: FaultKind::Stall,
        after_s: 0.0,
    }));
    let err = Numato::open(
        stalled.open("numato").unwrap(),
        Arc::from("relays"),
        8,
        T,
        None,
    )
    .await
    .unwrap_err();
    assert!(matches!(err.kind, NumatoErrorKind::Timeout { .. }));

    let garbled = SimBench::start(config_with(InstrumentFault {
        endpoint: "daq970a".into(),
        kind: FaultKind::Garbage,
        after_s: 0.0,
    }));
    let err = Daq970a::open(garbled.open("daq970a").unwrap(), Arc::from("dio"), T, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind, ScpiErrorKind::MalformedResponse { .. }),
        "{err:?}"
    );

    let erring = SimBench::start(config_with(InstrumentFault {
        endpoint: "daq970a".into(),
        kind: FaultKind::Error,
        after_s: 1.0,
    }));
    let mut dio = daq(&erring).await;
    tokio::time::sleep(secs(2.0)).await;
    let err = dio.route(ch(101), true).await.unwrap_err();
    assert!(
        matches!(err.kind, ScpiErrorKind::InstrumentError { .. }),
        "{err:?}"
    );
}

/// Random bytes, then a well-formed command: the instrument must still answer it.
fn survives_garbage(endpoint: &'static str, garbage: Vec<u8>) {
    run_paused(async move {
        let bench = bench(&[]);
        let mut pipe = fed_garbage(&bench, endpoint, &garbage, b"\r\n").await;
        if endpoint == "numato" {
            assert_eq!(ask(&mut pipe, "ver\r", b">").await, "ver\n\r00000001\n\r>");
        } else {
            assert_eq!(ask(&mut pipe, "*OPC?\n", b"\n").await, "1\n");
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_daq970a_survives_garbage(garbage in proptest::collection::vec(any::<u8>(), 0..600)) {
        survives_garbage("daq970a", garbage);
    }

    #[test]
    fn the_daq970a_survives_odd_channel_lists(list in "[@0-9:,!+'\" ()-]{0,40}") {
        survives_garbage("daq970a", format!("ROUT:CLOS? ({list})\nROUT:OPEN {list}\n").into_bytes());
    }

    #[test]
    fn the_numato_survives_garbage(garbage in proptest::collection::vec(any::<u8>(), 0..600)) {
        survives_garbage("numato", garbage);
    }
}
