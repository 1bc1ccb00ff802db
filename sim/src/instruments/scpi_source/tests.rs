//! Program messages run against the command tree with a world behind it. Exchanges over
//! the byte pipe are tested through `SimBench` in `sim/tests`.

use super::*;
use crate::instruments::test_world::{lesso_world, text};
use crate::world::lock;

fn world() -> Mutex<World> {
    Mutex::new(lesso_world())
}

fn run(world: &Mutex<World>, message: &str) -> String {
    text(execute(&mut lock(world), message.as_bytes()))
}

#[tokio::test(start_paused = true)]
async fn identifies_itself() {
    let w = world();
    assert_eq!(
        run(&w, "*IDN?"),
        "RIG-SIM,SOURCE-SINK-60V-120A,SIM0001,1.0\n"
    );
    assert_eq!(run(&w, "*OPC?"), "1\n");
}

#[tokio::test(start_paused = true)]
async fn compound_messages_and_short_forms() {
    let w = world();
    assert_eq!(run(&w, "sour:volt 55.3;volt?"), "55.3\n");
    assert_eq!(run(&w, "VOLT 5600mV;:SOUR:VOLT?;:OUTP?"), "5.6;0\n");
    assert_eq!(run(&w, "SOUR:CURR:LIM 40;:SOUR:CURR:LIM:POS?"), "40.0\n");
    assert_eq!(
        run(&w, "SOUR:VOLT:PROT:LEV 58.4;:SOUR:VOLT:PROT?"),
        "58.4\n"
    );
    assert_eq!(run(&w, "SOUR:VOLT MAX;:SOUR:VOLT?"), "60.0\n");
}

#[tokio::test(start_paused = true)]
async fn errors_are_queued_in_order_and_drained() {
    let w = world();
    assert_eq!(run(&w, "SOUR:VOLT 61"), "");
    assert_eq!(run(&w, "FOO:BAR 1"), "");
    assert_eq!(run(&w, "OUTP MAYBE"), "");
    assert_eq!(run(&w, "SOUR:VOLT 1,2"), "");
    assert_eq!(run(&w, "SYST:ERR:COUN?"), "4\n");
    assert_eq!(run(&w, "SYST:ERR?"), "-222,\"Data out of range\"\n");
    assert_eq!(run(&w, "SYST:ERR?"), "-113,\"Undefined header\"\n");
    assert_eq!(run(&w, "SYST:ERR?"), "-224,\"Illegal parameter value\"\n");
    assert_eq!(run(&w, "SYST:ERR?"), "-108,\"Parameter not allowed\"\n");
    assert_eq!(run(&w, "SYST:ERR?"), "0,\"No error\"\n");
    assert_eq!(
        run(&w, "SOUR:VOLT?"),
        "0.0\n",
        "a refused command changes nothing"
    );
}

#[tokio::test(start_paused = true)]
async fn the_error_queue_overflows_into_minus_350() {
    let w = world();
    for _ in 0..40 {
        run(&w, "FOO");
    }
    assert_eq!(run(&w, "SYST:ERR:COUN?"), "16\n");
    for _ in 0..15 {
        assert_eq!(run(&w, "SYST:ERR?"), "-113,\"Undefined header\"\n");
    }
    assert_eq!(run(&w, "SYST:ERR?"), "-350,\"Queue overflow\"\n");
}

#[tokio::test(start_paused = true)]
async fn cls_empties_the_queue_and_rst_restores_power_on_settings() {
    let w = world();
    run(&w, "SOUR:VOLT 56;:OUTP ON;:FOO");
    assert_eq!(run(&w, "*CLS;SYST:ERR?"), "0,\"No error\"\n");
    run(&w, "*RST");
    assert_eq!(run(&w, "SOUR:VOLT?;:OUTP?"), "0.0;0\n");
    assert_eq!(run(&w, "SOUR:VOLT:PROT?"), "66.0\n");
}

#[tokio::test(start_paused = true)]
async fn garbage_never_panics() {
    let w = world();
    for message in [
        "\u{0}\u{1}\u{2}",
        "*IDN",
        ":::",
        "SOUR:VOLT NAN",
        "SOUR:VOLT INF",
        "SOUR:VOLT #H7FFF",
        "SOUR:VOLT 1e400",
        "MEAS:VOLT",
        "OUTP \"ON\"",
        "SOUR:CURR:LIM:NEG #B101",
        "Ωμ",
    ] {
        assert_eq!(run(&w, message), "", "{message}");
    }
    let queued = run(&w, "SYST:ERR:COUN?");
    assert_ne!(queued, "0\n");
    assert_eq!(run(&w, "SOUR:VOLT?"), "0.0\n");
}

#[tokio::test(start_paused = true)]
async fn random_program_messages_never_panic() {
    let w = world();
    let mut bytes = crate::test_bytes::Bytes::new(7);
    let alphabet: &[u8] = b"SOUR:VOLT CURR LIM NEG POS PROT OUTP MEAS ? ; : , * 0123456789.-+eE #HBQ \"' ON OFF MAX MIN mV kA \xff\x00";
    for i in 0..5000 {
        let message = bytes.string(40, if i % 2 == 0 { Some(alphabet) } else { None });
        execute(&mut lock(&w), &message);
    }
    let s = lock(&w).snapshot().source;
    assert!((0.0..=60.0).contains(&s.voltage_setpoint_v));
    assert!((0.0..=120.0).contains(&s.current_limit_pos_a));
    assert!((0.0..=120.0).contains(&s.current_limit_neg_a));
}

#[tokio::test(start_paused = true)]
async fn the_sink_limit_reads_negative_and_is_kept_as_a_magnitude() {
    let w = world();
    assert_eq!(
        run(&w, "SOUR:CURR:LIM:NEG -30;:SOUR:CURR:LIM:NEG?"),
        "-30.0\n"
    );
    assert_eq!(lock(&w).snapshot().source.current_limit_neg_a, 30.0);
    assert_eq!(run(&w, "SOUR:CURR:LIM:NEG 5"), "");
    assert_eq!(run(&w, "SYST:ERR?"), "-222,\"Data out of range\"\n");
    // Zero reads back without a sign.
    assert_eq!(run(&w, "SOUR:CURR:LIM:NEG 0;:SOUR:CURR:LIM:NEG?"), "0.0\n");
    assert_eq!(
        run(&w, "SOUR:CURR:LIM:NEG MIN;:SOUR:CURR:LIM:NEG?"),
        "-120.0\n"
    );
}

/// A twin sized for a large pack (`SimConfig::source`): set points and protections
/// follow its rating, and `*RST` returns to its own maxima.
#[tokio::test(start_paused = true)]
async fn a_sized_unit_takes_what_its_rating_allows() {
    let config = crate::config::SimConfig {
        pack: crate::config::PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Default::default(),
        source: crate::config::SourceRating {
            max_voltage_v: 60.0,
            max_current_a: 800.0,
        },
    };
    let w = Mutex::new(World::new(&config, crate::clock::now()));
    assert_eq!(
        run(&w, "SOUR:CURR:LIM:POS 500;:SOUR:CURR:LIM:POS?"),
        "500.0\n"
    );
    assert_eq!(
        run(&w, "SOUR:CURR:LIM:NEG -800;:SOUR:CURR:LIM:NEG?"),
        "-800.0\n"
    );
    assert_eq!(run(&w, "SOUR:CURR:PROT 880;:SOUR:CURR:PROT?"), "880.0\n");
    assert_eq!(run(&w, "SOUR:CURR:LIM:POS 801"), "");
    assert_eq!(run(&w, "SYST:ERR?"), "-222,\"Data out of range\"\n");
    let reset: f64 = run(&w, "*RST;:SOUR:CURR:PROT?").trim().parse().unwrap();
    assert!((reset - 880.0).abs() < 1e-6, "{reset}");
    // The default unit refuses what the sized one takes.
    let small = world();
    assert_eq!(run(&small, "SOUR:CURR:LIM:POS 500"), "");
    assert_eq!(run(&small, "SYST:ERR?"), "-222,\"Data out of range\"\n");
}
