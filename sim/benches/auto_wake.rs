//! The 48 h auto-wake scenario of issue 4, timed: a pack asleep after an under-voltage,
//! left alone for 48 simulated hours, wakes 10 times 4 h apart and then no more (LOSUN
//! manual 2.3-3). Prints the wake times and the wall time the twin needs for the 48 h.
//! Run with `cargo bench -p rig-sim`. Figures only: nothing here asserts a duration.

use std::time::{Duration, Instant};

use rig_drivers::can::CanId;
use rig_sim::{PackParams, SimBench, SimConfig};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const HOUR: f64 = 3600.0;

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("a paused runtime");
    runtime.block_on(scenario());
}

async fn scpi(stream: &mut BufReader<tokio::io::DuplexStream>, line: &str) {
    stream
        .get_mut()
        .write_all(format!("{line}\n").as_bytes())
        .await
        .expect("the simulated source takes commands");
    if line.ends_with('?') {
        let mut answer = String::new();
        stream.read_line(&mut answer).await.expect("an answer");
    }
}

async fn scenario() {
    let bench = SimBench::start(SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Default::default(),
        source: Default::default(),
    });
    // Take the relay board out of its factory linkage mode, as the rig does.
    let io = bench.open("io").expect("relay board");
    let mut board = tokio_modbus::client::rtu::attach_slave(io, tokio_modbus::Slave(1));
    for register in 0x1000..0x1008 {
        use tokio_modbus::client::Writer;
        let _ = board.write_single_register(register, 0).await;
    }
    let mut source = BufReader::new(bench.open("source").expect("source"));
    for line in [
        "SOUR:CURR:LIM:POS 0",
        "SOUR:CURR:LIM:NEG -80",
        "SOUR:VOLT 44",
        "OUTP ON",
    ] {
        scpi(&mut source, line).await;
    }
    while !bench.snapshot().bms.under_voltage_active {
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    scpi(&mut source, "OUTP OFF").await;
    while !bench.snapshot().bms.asleep {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let mut can = bench.can_port("can0").expect("CAN bus");
    let start = tokio::time::Instant::now();
    let end = start + Duration::from_secs_f64(48.0 * HOUR);
    let wall = Instant::now();
    let mut wakes: Vec<f64> = Vec::new();
    let mut last = f64::NEG_INFINITY;
    loop {
        tokio::select! {
            frame = can.recv() => {
                let Ok(frame) = frame else { break };
                let t = start.elapsed().as_secs_f64();
                if frame.id() == CanId::Standard(0x355) {
                    if t - last > 60.0 {
                        wakes.push(t);
                    }
                    last = t;
                }
            }
            () = tokio::time::sleep_until(end) => break,
        }
    }
    let elapsed = wall.elapsed();
    let hours: Vec<String> = wakes.iter().map(|t| format!("{:.2} h", t / HOUR)).collect();
    println!(
        "auto_wake: {} wakes in 48 simulated hours: {}",
        wakes.len(),
        hours.join(", ")
    );
    let gaps: Vec<String> = wakes
        .windows(2)
        .map(|w| format!("{:.3}", (w[1] - w[0]) / HOUR))
        .collect();
    println!("auto_wake: intervals (h): {}", gaps.join(", "));
    println!(
        "auto_wake: 48 h of twin time in {:.3} s of wall time ({} auto-wakes counted by the BMS)",
        elapsed.as_secs_f64(),
        bench.snapshot().bms.auto_wakes
    );
}
