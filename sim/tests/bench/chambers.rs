//! The Watlow F4 (Modbus RTU, "chamber_f4") and ESPEC P-300 (ASCII, "chamber_espec")
//! front ends: driven by the rig's drivers in virtual time, as raw bytes (protocols.md
//! 5.1 example frames, 5.3 replies), and fed garbage.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rig_drivers::chamber::{Chamber, ChamberErrorKind, EspecP300, RunEvent, WatlowF4};
use rig_drivers::modbus::with_crc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;

use crate::support::{ANSWER_TIMEOUT, after, ask_line, bench, fed_garbage, run_paused, secs};

const T: Duration = Duration::from_secs(1);

async fn f4(bench: &rig_sim::SimBench) -> WatlowF4 {
    let ctx = rig_drivers::modbus::attach(
        bench.open("chamber_f4").unwrap(),
        rig_drivers::modbus::ModbusFraming::Rtu,
        1,
        Arc::from("chamber"),
        None,
    );
    WatlowF4::open(ctx, Arc::from("chamber"), RunEvent::default(), T)
        .await
        .unwrap()
}

async fn espec(bench: &rig_sim::SimBench) -> EspecP300<DuplexStream> {
    EspecP300::open(
        bench.open("chamber_espec").unwrap(),
        Arc::from("chamber"),
        None,
        T,
        None,
    )
    .await
    .unwrap()
    .0
}

/// Bytes written, then exactly `len` bytes read back.
async fn exchange(pipe: &mut DuplexStream, request: &[u8], len: usize) -> Vec<u8> {
    pipe.write_all(request).await.unwrap();
    let mut answer = vec![0u8; len];
    timeout(ANSWER_TIMEOUT, pipe.read_exact(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    answer
}

/// Lines written, one CR LF line read back per line.
async fn ask(pipe: &mut DuplexStream, line: &str) -> String {
    ask_line(pipe, line, "\r\n").await
}

#[tokio::test(start_paused = true)]
async fn the_f4_driver_heats_the_chamber_and_the_pack_follows() {
    let bench = bench(&[]);
    let mut chamber = f4(&bench).await;
    assert_eq!(chamber.decimals(), 1);
    assert_eq!(chamber.range(), (-40.0, 150.0));
    chamber.set_point(45.0).await.unwrap();
    assert_eq!(chamber.read_set_point().await.unwrap(), 45.0);
    assert_eq!(chamber.process_value().await.unwrap(), 25.0);
    chamber.set_running(true).await.unwrap();
    let s = after(&bench, 5.0 * 60.0).await;
    assert!((s.chamber.air_c - 35.0).abs() < 0.1, "2 °C/min: {s:?}");
    let s = after(&bench, 3600.0).await;
    assert_eq!(chamber.process_value().await.unwrap(), 45.0);
    assert!(s.chamber.running);
    assert!(
        s.bms.temperature_c > 40.0,
        "the pack warms with the air: {} °C",
        s.bms.temperature_c
    );
    chamber.set_running(false).await.unwrap();
    assert!(!bench.snapshot().chamber.running);
    let err = chamber.set_point(151.0).await.unwrap_err();
    assert!(matches!(err.kind, ChamberErrorKind::OutOfRange { .. }));
}

#[tokio::test(start_paused = true)]
async fn the_espec_driver_cools_the_same_chamber_air() {
    let bench = bench(&[]);
    let mut chamber = espec(&bench).await;
    chamber.set_point(-10.0).await.unwrap();
    chamber.set_running(true).await.unwrap();
    let s = after(&bench, 30.0 * 60.0).await;
    assert_eq!(s.chamber.air_c, -10.0);
    assert_eq!(s.chamber.set_point_c, -10.0);
    assert_eq!(chamber.process_value().await.unwrap(), -10.0);
    // One chamber, several controller front ends: the F4 reads the same air.
    let mut other = f4(&bench).await;
    assert_eq!(other.process_value().await.unwrap(), -10.0);
    assert_eq!(other.read_set_point().await.unwrap(), -10.0);
    chamber.set_running(false).await.unwrap();
    let s = after(&bench, 1800.0).await;
    assert!(!s.chamber.running);
    assert!(s.chamber.air_c > -10.0, "drifting back to ambient");
}

#[tokio::test(start_paused = true)]
async fn the_example_frames_of_protocols_md_5_1_and_f4_exceptions() {
    let bench = bench(&[]);
    let mut pipe = bench.open("chamber_f4").unwrap();
    // Read PV: address 1, FC03, register 100, one register.
    let read_pv = [0x01, 0x03, 0x00, 0x64, 0x00, 0x01, 0xC5, 0xD5];
    let answer = exchange(&mut pipe, &read_pv, 7).await;
    // Byte count 2, 25.0 °C with one decimal = 250 = 0x00FA.
    assert_eq!(answer[..5], [0x01, 0x03, 0x02, 0x00, 0xFA]);
    // Set SP 25.0 °C: echoed.
    let set_sp = [0x01, 0x06, 0x01, 0x2C, 0x00, 0xFA, 0xC9, 0xBC];
    assert_eq!(exchange(&mut pipe, &set_sp, 8).await, set_sp);
    // Set point 150.1 °C (1501): exception 03, illegal data value.
    let too_hot = with_crc(&[0x01, 0x06, 0x01, 0x2C, 0x05, 0xDD]);
    assert_eq!(
        exchange(&mut pipe, &too_hot, 5).await[..3],
        [0x01, 0x86, 0x03]
    );
    // Input 2 (register 104) is not fitted: exception 02, illegal data address.
    let input_2 = with_crc(&[0x01, 0x03, 0x00, 0x68, 0x00, 0x01]);
    assert_eq!(
        exchange(&mut pipe, &input_2, 5).await[..3],
        [0x01, 0x83, 0x02]
    );
    // FC01 is no F4 function: exception 01.
    let coils = with_crc(&[0x01, 0x01, 0x00, 0x00, 0x00, 0x08]);
    assert_eq!(
        exchange(&mut pipe, &coils, 5).await[..3],
        [0x01, 0x81, 0x01]
    );
    // Another address: no answer; then address 1 still answers.
    let other = with_crc(&[0x02, 0x03, 0x00, 0x64, 0x00, 0x01]);
    pipe.write_all(&other).await.unwrap();
    let mut extra = [0u8; 1];
    assert!(timeout(secs(1.0), pipe.read(&mut extra)).await.is_err());
    assert_eq!(
        exchange(&mut pipe, &read_pv, 7).await[..3],
        [0x01, 0x03, 0x02]
    );
    assert_eq!(bench.snapshot().chamber.set_point_c, 25.0);
}

#[tokio::test(start_paused = true)]
async fn espec_replies_and_refusals_on_the_wire() {
    let bench = bench(&[]);
    let mut pipe = bench.open("chamber_espec").unwrap();
    assert_eq!(ask(&mut pipe, "TEMP?").await, "25.0,25.0,150.0,-40.0");
    assert_eq!(
        ask(&mut pipe, "TEMP, S40.0 H60.0 L0.0").await,
        "OK: TEMP, S40.0 H60.0 L0.0"
    );
    assert_eq!(ask(&mut pipe, "TEMP, S70.0").await, "NA:DATA OUT OF RANGE");
    assert_eq!(
        ask(&mut pipe, "TEMP, S-50.0 L-60").await,
        "NA:DATA OUT OF RANGE"
    );
    assert_eq!(ask(&mut pipe, "CHAMBER,EXPLODE").await, "NA:CMD ERR");
    assert_eq!(ask(&mut pipe, "HUMI?").await, "NA:CMD ERR");
    assert_eq!(ask(&mut pipe, "MODE?").await, "STANDBY");
    assert_eq!(ask(&mut pipe, "1,POWER,ON").await, "OK: POWER,ON");
    assert_eq!(ask(&mut pipe, "MON?").await, "25.0,,CONSTANT,0");
    assert_eq!(ask(&mut pipe, "TEMP?").await, "25.0,40.0,60.0,0.0");
    // A line far longer than any command is refused once, then the next one answered.
    let long = "X".repeat(10_000);
    assert_eq!(ask(&mut pipe, &long).await, "NA:CMD ERR");
    assert_eq!(ask(&mut pipe, "MODE?").await, "CONSTANT");
    assert_eq!(bench.snapshot().chamber.set_point_c, 40.0);
}

/// Random bytes, then a well-formed request: the controller must still answer it.
fn survives_garbage(endpoint: &'static str, garbage: Vec<u8>) {
    run_paused(async move {
        let bench = bench(&[]);
        // Nothing after the garbage: the F4 frames by silence, the ESPEC line is ended
        // below.
        let mut pipe = fed_garbage(&bench, endpoint, &garbage, b"").await;
        if endpoint == "chamber_f4" {
            let read_pv = [0x01, 0x03, 0x00, 0x64, 0x00, 0x01, 0xC5, 0xD5];
            assert_eq!(
                exchange(&mut pipe, &read_pv, 7).await[..3],
                [0x01, 0x03, 0x02]
            );
        } else {
            // End whatever line the garbage left open, then ask.
            pipe.write_all(b"\r\n").await.unwrap();
            let mut sink = vec![0u8; 4096];
            let _ = timeout(secs(0.5), pipe.read(&mut sink)).await;
            let mode = ask(&mut pipe, "MODE?").await;
            assert!(
                ["OFF", "STANDBY", "CONSTANT"].contains(&mode.as_str()),
                "{mode}"
            );
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_f4_survives_garbage(garbage in proptest::collection::vec(any::<u8>(), 0..600)) {
        survives_garbage("chamber_f4", garbage);
    }

    #[test]
    fn the_espec_survives_garbage(garbage in proptest::collection::vec(any::<u8>(), 0..600)) {
        survives_garbage("chamber_espec", garbage);
    }
}
