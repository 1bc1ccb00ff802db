//! Program messages run against each load's tree with a world behind it; exchanges
//! through the driver are tested in `sim/tests/bench/loads.rs`.

use super::*;
use crate::config::{PackParams, SimConfig};

fn world() -> World {
    let config = SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Default::default(),
    };
    World::new(&config, clock::now())
}

fn run(world: &mut World, model: LoadModel, message: &str) -> String {
    String::from_utf8(execute(world, model, message.as_bytes())).unwrap()
}

#[tokio::test(start_paused = true)]
async fn both_families_sink_the_set_current() {
    for (model, on, level) in [
        (
            LoadModel::RigolDl3000,
            ":SOUR:INP:STAT ON",
            ":SOUR:CURR:LEV:IMM 25.000",
        ),
        (LoadModel::Bk8600, "INP ON", "CURR 25.000"),
    ] {
        let mut w = world();
        assert_eq!(run(&mut w, model, "MEAS:CURR?"), "0.0\n", "{model:?}");
        run(&mut w, model, "FUNC CURR");
        run(&mut w, model, level);
        run(&mut w, model, on);
        assert_eq!(run(&mut w, model, "MEAS:CURR?"), "25.0\n", "{model:?}");
        let volts: f64 = run(&mut w, model, "MEAS:VOLT?").trim().parse().unwrap();
        let watts: f64 = run(&mut w, model, "MEAS:POW?").trim().parse().unwrap();
        assert!(volts > 45.0 && volts < 56.0, "{volts}");
        assert!((watts - 25.0 * volts).abs() < 0.01, "{watts}");
        assert_eq!(w.snapshot().source.measured_current_a, -25.0);
        assert_eq!(run(&mut w, model, "INP?;CURR?;FUNC?"), "1;25.0;CURR\n");
        assert_eq!(run(&mut w, model, "SYST:ERR?"), "0,\"No error\"\n");
    }
}

#[tokio::test(start_paused = true)]
async fn refusals_go_to_the_error_queue_and_change_nothing() {
    let mut w = world();
    let m = LoadModel::Bk8600;
    run(&mut w, m, "CURR 10");
    for bad in [
        "CURR 200",
        "FUNC VOLT",
        "FUNC BANANA",
        "INP MAYBE",
        "LOAD ON",
        "CURR 1,2",
    ] {
        assert_eq!(run(&mut w, m, bad), "", "{bad}");
    }
    let mut codes = Vec::new();
    loop {
        let entry = run(&mut w, m, "SYST:ERR?");
        let code: i32 = entry.split(',').next().unwrap().parse().unwrap();
        if code == 0 {
            break;
        }
        codes.push(code);
    }
    assert_eq!(codes, [-222, -221, -224, -224, -113, -108]);
    assert_eq!(run(&mut w, m, "CURR?"), "10.0\n");
    // The Rigol has no SYST:REM; the BK does.
    assert_eq!(run(&mut w, m, "SYST:REM;:SYST:ERR?"), "0,\"No error\"\n");
    let r = LoadModel::RigolDl3000;
    assert_eq!(run(&mut w, r, "SYST:REM"), "");
    assert_eq!(run(&mut w, r, "SYST:ERR?"), "-113,\"Undefined header\"\n");
    assert_eq!(run(&mut w, r, "CURR 61"), "");
    assert_eq!(run(&mut w, r, "SYST:ERR?"), "-222,\"Data out of range\"\n");
}

#[tokio::test(start_paused = true)]
async fn the_last_instrument_to_set_the_circuit_drives_it() {
    let mut w = world();
    let m = LoadModel::RigolDl3000;
    run(&mut w, m, "CURR 20;INP ON");
    assert_eq!(w.snapshot().source.measured_current_a, -20.0);
    // Queries leave the circuit alone.
    w.source.output_on = false;
    w.settle();
    run(&mut w, m, "MEAS:CURR?;INP?");
    assert_eq!(w.snapshot().source.measured_current_a, 0.0);
    run(&mut w, m, "*RST");
    assert!(!w.snapshot().source.output_on);
    assert_eq!(
        run(&mut w, m, "*IDN?"),
        "RIGOL TECHNOLOGIES,DL3031A,RIGSIM0001,rig-sim-1.0\n"
    );
}
