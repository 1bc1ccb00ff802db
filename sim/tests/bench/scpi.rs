//! SCPI exchanges with the simulated source/sink over its byte pipe.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::{Scpi, after, ready};

#[tokio::test(start_paused = true)]
async fn identifies_itself() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    assert_eq!(
        source.query("*IDN?").await,
        "RIG-SIM,SOURCE-SINK-60V-120A,SIM0001,1.0"
    );
    assert_eq!(source.query("*OPC?").await, "1");
}

#[tokio::test(start_paused = true)]
async fn set_points_read_back() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    for (command, query, answer) in [
        ("SOUR:VOLT 56.0", "SOUR:VOLT?", "56.0"),
        ("SOUR:CURR:LIM:POS 50", "SOUR:CURR:LIM:POS?", "50.0"),
        ("SOUR:CURR:LIM:NEG -30", "SOUR:CURR:LIM:NEG?", "-30.0"),
        ("SOUR:VOLT:PROT 58.4", "SOUR:VOLT:PROT?", "58.4"),
        ("SOUR:CURR:PROT 105", "SOUR:CURR:PROT?", "105.0"),
        ("OUTP 1", "OUTP?", "1"),
        ("OUTP OFF", "OUTP?", "0"),
    ] {
        source.set(command).await;
        assert_eq!(source.query(query).await, answer, "{command}");
    }
    let s = bench.snapshot().source;
    assert_eq!(
        (
            s.voltage_setpoint_v,
            s.current_limit_pos_a,
            s.current_limit_neg_a
        ),
        (56.0, 50.0, 30.0)
    );
    assert_eq!((s.ovp_v, s.ocp_a, s.output_on), (58.4, 105.0, false));
}

#[tokio::test(start_paused = true)]
async fn out_of_range_set_points_are_refused_with_minus_222() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.set("SOUR:VOLT 50").await;
    source.set("SOUR:CURR:LIM:NEG -10").await;
    for command in [
        "SOUR:VOLT 61",
        "SOUR:VOLT -1",
        "SOUR:CURR:LIM:POS 121",
        "SOUR:CURR:LIM:NEG 5",
        "SOUR:CURR:LIM:NEG -121",
    ] {
        source.send(command).await;
        assert_eq!(
            source.query("SYST:ERR?").await,
            "-222,\"Data out of range\"",
            "{command}"
        );
    }
    assert_eq!(source.query("SOUR:VOLT?").await, "50.0");
    assert_eq!(source.query("SOUR:CURR:LIM:NEG?").await, "-10.0");
}

#[tokio::test(start_paused = true)]
async fn the_error_queue_drains_in_order() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.send("SOUR:VOLT 99").await;
    source.send("NOT:A:COMMAND").await;
    assert_eq!(source.query("SYST:ERR:COUN?").await, "2");
    assert_eq!(
        source.query("SYST:ERR?").await,
        "-222,\"Data out of range\""
    );
    assert_eq!(source.query("SYST:ERR?").await, "-113,\"Undefined header\"");
    assert_eq!(source.query("SYST:ERR?").await, "0,\"No error\"");
}

#[tokio::test(start_paused = true)]
async fn measures_the_pack_with_the_output_off_and_the_circuit_with_it_on() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    // 16 cells at 50 % SOC: 16 x 3.31 V.
    assert_eq!(source.number("MEAS:VOLT?").await, 52.96);
    assert_eq!(source.number("MEAS:CURR?").await, 0.0);
    source.set("SOUR:VOLT 53.46").await;
    source.set("SOUR:CURR:LIM:POS 50").await;
    source.set("OUTP ON").await;
    // (53.46 - 52.96) V / 0.02 ohm = 25 A, within the limit.
    assert_eq!(source.number("MEAS:CURR?").await, 25.0);
    assert_eq!(source.number("MEAS:VOLT?").await, 53.46);

    // Discharging: a set point below the pack draws up to the negative limit.
    source.set("SOUR:VOLT 48").await;
    source.set("SOUR:CURR:LIM:NEG -20").await;
    assert_eq!(source.number("MEAS:CURR?").await, -20.0);
    assert_eq!(source.number("MEAS:VOLT?").await, 52.56);
    let s = after(&bench, 3600.0).await;
    assert!(
        (s.bms.soc - 0.3).abs() < 1e-3,
        "20 A for 1 h of 100 Ah: {}",
        s.bms.soc
    );
}

#[tokio::test(start_paused = true)]
async fn ovp_switches_the_output_off_until_outp_on() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.set("SOUR:VOLT 56").await;
    source.set("SOUR:CURR:LIM:POS 10").await;
    source.set("SOUR:VOLT:PROT 53").await;
    source.set("OUTP ON").await;
    // 52.96 V + 10 A x 0.02 ohm = 53.16 V > 53 V.
    assert_eq!(source.query("OUTP?").await, "0");
    assert_eq!(source.query("STAT:QUES:COND?").await, "1");
    assert_eq!(
        bench.snapshot().source.tripped,
        Some(rig_sim::SourceProtection::OverVoltage)
    );
    source.set("SOUR:VOLT:PROT 58").await;
    source.set("OUTP ON").await;
    assert_eq!(source.query("OUTP?").await, "1");
    assert_eq!(source.number("MEAS:CURR?").await, 10.0);
}

#[tokio::test(start_paused = true)]
async fn crlf_split_writes_and_overlong_lines() {
    let bench = ready(&[]).await;
    let mut stream = BufReader::new(bench.open("source").unwrap());
    let pipe = stream.get_mut();
    pipe.write_all(b"*ID").await.unwrap();
    pipe.write_all(b"N?\r\n").await.unwrap();
    let mut line = String::new();
    stream.read_line(&mut line).await.unwrap();
    assert_eq!(line, "RIG-SIM,SOURCE-SINK-60V-120A,SIM0001,1.0\n");

    let overlong = vec![b'X'; 20_000];
    stream.get_mut().write_all(&overlong).await.unwrap();
    stream.get_mut().write_all(b"\nSYST:ERR?\n").await.unwrap();
    line.clear();
    stream.read_line(&mut line).await.unwrap();
    assert_eq!(line, "-363,\"Input buffer overrun\"\n");
}

#[tokio::test(start_paused = true)]
async fn two_connections_share_one_instrument() {
    let bench = ready(&[]).await;
    let mut a = Scpi::open(&bench);
    let mut b = Scpi::open(&bench);
    a.set("SOUR:VOLT 42").await;
    assert_eq!(b.query("SOUR:VOLT?").await, "42.0");
}
