//! The simulated F4T over the virtual bench's duplex pipe, driven by tokio-modbus's TCP
//! client and by the rig's own `WatlowF4t` driver, in paused time.

use std::sync::Arc;

use rig_drivers::chamber::{Chamber, RunEvent, WatlowF4t, WordOrder};
use rig_drivers::modbus::{ModbusFraming, attach};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_modbus::client::{Reader, Writer, tcp::attach_slave};
use tokio_modbus::{ExceptionCode, Slave};

use crate::bench::SimBench;
use crate::clock::{self, Duration};
use crate::config::{PackParams, SimConfig};

fn bench() -> SimBench {
    SimBench::start(SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Default::default(),
        source: Default::default(),
    })
}

async fn wait(seconds: u64) {
    clock::sleep_until(clock::now() + Duration::from_secs(seconds)).await;
}

#[tokio::test(start_paused = true)]
async fn tokio_modbus_reads_25_degrees_as_section_5_2_and_drives_the_ramp() {
    let bench = bench();
    let mut ctx = attach_slave(bench.open("chamber").unwrap(), Slave(1));
    assert_eq!(
        ctx.read_holding_registers(2820, 2).await.unwrap(),
        Ok(vec![0x0000, 0x41C8])
    );
    // 55.0 °C = 0x425C0000, low word first.
    ctx.write_multiple_registers(2782, &[0x0000, 0x425C])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ctx.read_holding_registers(2782, 2).await.unwrap(),
        Ok(vec![0x0000, 0x425C])
    );
    wait(600).await;
    assert_eq!(bench.snapshot().chamber.air_c, 25.0, "stopped: no ramp");
    ctx.write_single_register(16594, 63).await.unwrap().unwrap();
    wait(600).await;
    let air = bench.snapshot().chamber.air_c;
    assert!((air - 45.0).abs() < 1e-6, "2 °C/min for 10 min: {air}");
    assert_eq!(
        ctx.read_holding_registers(16594, 1).await.unwrap(),
        Ok(vec![63])
    );
}

#[tokio::test(start_paused = true)]
async fn the_rigs_driver_runs_the_chamber_and_the_pack_follows() {
    let bench = bench();
    let instrument: Arc<str> = Arc::from("chamber");
    let context = attach(
        bench.open("chamber").unwrap(),
        ModbusFraming::Tcp,
        1,
        instrument.clone(),
        None,
    );
    let mut f4t = WatlowF4t::open(
        context,
        instrument,
        1,
        WordOrder::LowWordFirst,
        RunEvent::default(),
        std::time::Duration::from_secs(1),
    )
    .await
    .unwrap();
    assert_eq!(f4t.range(), (-40.0, 150.0));
    f4t.set_point(55.0).await.unwrap();
    assert_eq!(f4t.read_set_point().await.unwrap(), 55.0);
    f4t.set_running(true).await.unwrap();
    wait(15 * 60).await;
    assert_eq!(f4t.process_value().await.unwrap(), 55.0);
    assert!(
        f4t.set_point(200.0).await.is_err(),
        "outside the range read at open"
    );
    wait(4 * 3600).await;
    let s = bench.snapshot();
    assert!(s.bms.temperature_c > 50.0, "{}", s.bms.temperature_c);
    assert!(s.bms.over_temperature_active);
    f4t.set_running(false).await.unwrap();
    wait(8 * 3600).await;
    assert!((f4t.process_value().await.unwrap() - 25.0).abs() < 0.5);
    let s = bench.snapshot();
    assert!(!s.bms.over_temperature_active, "{}", s.bms.temperature_c);
}

#[tokio::test(start_paused = true)]
async fn exceptions_other_units_and_garbage() {
    let bench = bench();
    let mut ctx = attach_slave(bench.open("chamber").unwrap(), Slave(1));
    assert_eq!(
        ctx.read_holding_registers(100, 2).await.unwrap(),
        Err(ExceptionCode::IllegalDataAddress)
    );
    assert_eq!(
        ctx.write_single_register(16594, 1).await.unwrap(),
        Err(ExceptionCode::IllegalDataValue)
    );

    let mut raw = bench.open("chamber").unwrap();
    // Unit 7 is not there: no answer; then unit 1 on the same connection answers.
    raw.write_all(&[0, 1, 0, 0, 0, 6, 7, 0x03, 0x0B, 0x04, 0, 2])
        .await
        .unwrap();
    raw.write_all(&[0, 2, 0, 0, 0, 6, 1, 0x03, 0x0B, 0x04, 0, 2])
        .await
        .unwrap();
    let mut reply = [0u8; 13];
    raw.read_exact(&mut reply).await.unwrap();
    assert_eq!(
        reply,
        [0, 2, 0, 0, 0, 7, 1, 0x03, 0x04, 0x00, 0x00, 0x41, 0xC8]
    );
    // An FC10 whose byte count disagrees with its quantity is an illegal function
    // (decoded as a custom request), not a panic.
    raw.write_all(&[
        0, 3, 0, 0, 0, 8, 1, 0x10, 0x0A, 0xDE, 0x00, 0x02, 0x09, 0x00,
    ])
    .await
    .unwrap();
    let mut reply = [0u8; 9];
    raw.read_exact(&mut reply).await.unwrap();
    assert_eq!(reply, [0, 3, 0, 0, 0, 3, 1, 0x90, 0x01]);
    // Not Modbus at all: the controller drops the connection.
    raw.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap();
    let mut rest = Vec::new();
    assert_eq!(raw.read_to_end(&mut rest).await.unwrap(), 0);
}
