//! The electronic loads ("load_dl3000", "load_bk8600") driven by the rig's `ScpiLoad`
//! in virtual time: the pack discharges at the set current and the BMS sees it; raw
//! replies, refusals and garbage.

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rig_drivers::scpi::{LoadDialect, ScpiErrorKind, ScpiLoad};
use tokio::io::{AsyncWriteExt, DuplexStream};

use crate::support::{Io, after, ask_line, bench, fed_garbage, ready, run_paused};

const T: Duration = Duration::from_secs(1);

const LOADS: [(&str, LoadDialect); 2] = [
    ("load_dl3000", LoadDialect::RigolDl3000),
    ("load_bk8600", LoadDialect::Bk8600),
];

async fn load(
    bench: &rig_sim::SimBench,
    endpoint: &str,
    dialect: LoadDialect,
) -> ScpiLoad<DuplexStream> {
    ScpiLoad::open(
        bench.open(endpoint).unwrap(),
        Arc::from("load"),
        dialect,
        T,
        None,
    )
    .await
    .unwrap()
    .0
}

/// A line written, one LF line read back.
async fn ask(pipe: &mut DuplexStream, line: &str) -> String {
    ask_line(pipe, line, "\n").await
}

#[tokio::test(start_paused = true)]
async fn each_load_discharges_the_pack_at_the_set_current() {
    for (endpoint, dialect) in LOADS {
        let bench = ready(&[]).await;
        let mut load = load(&bench, endpoint, dialect).await;
        assert_eq!(load.measure_current().await.unwrap(), 0.0, "{endpoint}");
        load.set_constant_current(30.0).await.unwrap();
        load.set_input(true).await.unwrap();
        assert!(load.input().await.unwrap());
        let soc_before = bench.snapshot().bms.soc;
        let s = after(&bench, 600.0).await;
        assert_eq!(
            s.bms.pack_current_a, -30.0,
            "{endpoint}: the BMS sees the discharge"
        );
        assert!(s.bms.soc < soc_before, "{endpoint}");
        assert_eq!(load.measure_current().await.unwrap(), 30.0);
        let volts = load.measure_voltage().await.unwrap();
        assert!(
            (volts - s.source.measured_voltage_v).abs() < 0.01,
            "{volts}"
        );
        let watts = load.measure_power().await.unwrap();
        assert!((watts - 30.0 * volts).abs() < 0.1, "{watts}");
        let err = load.set_constant_current(500.0).await.unwrap_err();
        assert!(
            matches!(err.kind, ScpiErrorKind::InstrumentError { code: -222, .. }),
            "{endpoint}: {err:?}"
        );
        load.set_input(false).await.unwrap();
        let s = after(&bench, 1.0).await;
        assert_eq!(s.bms.pack_current_a, 0.0);
    }
}

#[tokio::test(start_paused = true)]
async fn rapid_shutdown_opens_the_pack_under_the_load() {
    let bench = ready(&[]).await;
    let mut io = Io::open(&bench);
    let mut load = load(&bench, "load_bk8600", LoadDialect::Bk8600).await;
    load.set_constant_current(20.0).await.unwrap();
    load.set_input(true).await.unwrap();
    assert_eq!(load.measure_current().await.unwrap(), 20.0);
    io.relay(1, true).await;
    let _ = after(&bench, 1.0).await;
    assert_eq!(load.measure_current().await.unwrap(), 0.0);
    assert_eq!(load.measure_voltage().await.unwrap(), 0.0, "open terminals");
    io.relay(1, false).await;
    let _ = after(&bench, 1.0).await;
    assert_eq!(load.measure_current().await.unwrap(), 20.0);
}

#[tokio::test(start_paused = true)]
async fn load_replies_and_refusals_on_the_wire() {
    let bench = bench(&[]);
    let mut pipe = bench.open("load_dl3000").unwrap();
    assert_eq!(
        ask(&mut pipe, "*IDN?").await,
        "RIGOL TECHNOLOGIES,DL3031A,RIGSIM0001,rig-sim-1.0"
    );
    pipe.write_all(b":SOUR:FUNC RES\n:LOAD:STAT ON\n:SOUR:CURR:LEV:IMM 61\n")
        .await
        .unwrap();
    assert_eq!(
        ask(&mut pipe, ":SYST:ERR?").await,
        "-221,\"Settings conflict\""
    );
    assert_eq!(
        ask(&mut pipe, ":SYST:ERR?").await,
        "-113,\"Undefined header\""
    );
    assert_eq!(
        ask(&mut pipe, ":SYST:ERR?").await,
        "-222,\"Data out of range\""
    );
    assert_eq!(ask(&mut pipe, ":SYST:ERR?").await, "0,\"No error\"");
    assert_eq!(ask(&mut pipe, ":SOUR:INP:STAT?").await, "0");
    let mut bk = bench.open("load_bk8600").unwrap();
    assert_eq!(
        ask(&mut bk, "*IDN?").await,
        "B&K Precision,8610,RIGSIM0001,rig-sim-1.0"
    );
}

fn survives_garbage(garbage: Vec<u8>) {
    run_paused(async move {
        let bench = bench(&[]);
        let mut pipe = fed_garbage(&bench, "load_bk8600", &garbage, b"\n").await;
        assert_eq!(ask(&mut pipe, "*OPC?").await, "1");
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_load_survives_garbage(garbage in proptest::collection::vec(any::<u8>(), 0..600)) {
        survives_garbage(garbage);
    }
}
