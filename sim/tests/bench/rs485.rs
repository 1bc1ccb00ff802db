//! The BMS's RS485 port (Pylontech protocol, protocols.md §2) through the rig's own
//! client: every answer parses with `rig_drivers::rs485::pylontech` and shows the twin.

use std::sync::Arc;
use std::time::Duration;

use rig_drivers::rs485::pylontech::{PylonErrorKind, PylontechClient, ReturnCode, decode_frame};
use tokio::io::DuplexStream;

use crate::support::{Io, Scpi, after, bench, ready, try_ask};

/// §2.5: the first battery.
const ADR: u8 = 2;
const TIMEOUT: Duration = Duration::from_secs(1);

fn client(bench: &rig_sim::SimBench) -> PylontechClient<DuplexStream> {
    let stream = bench.open("rs485").expect("rs485 endpoint");
    PylontechClient::new(stream, Arc::from("bms_rs485"), TIMEOUT, None)
}

#[tokio::test(start_paused = true)]
async fn every_command_parses_and_shows_the_idle_twin() {
    // Decoupled: on a fresh board SOC LED 1 would hold relay 5 (the NTC lead) open.
    let bench = ready(&[]).await;
    let mut c = client(&bench);
    assert_eq!(c.adopt_version(ADR).await.unwrap(), 0x20);

    let m = c.manufacturer_info(ADR).await.unwrap();
    assert_eq!(m.device_name, "LSRR51V100");
    assert_eq!(m.manufacturer, "LESSO");

    let s = bench.snapshot();
    let a = c.analog(ADR).await.unwrap();
    assert_eq!(a.command_value, ADR);
    assert_eq!(a.cell_voltages.len(), 16);
    let cells: Vec<f64> = s
        .bms
        .cell_voltages_v
        .iter()
        .map(|v| (v * 1000.0).round() / 1000.0)
        .collect();
    assert_eq!(a.cell_voltages, cells, "each cell's own voltage");
    assert_eq!(a.voltage, (s.bms.pack_voltage_v * 1000.0).round() / 1000.0);
    assert_eq!(a.temperatures, vec![25.0; 5]);
    assert_eq!(a.current, 0.0);
    assert_eq!((a.remaining_capacity, a.total_capacity), (50.0, 100.0));

    let alarms = c.alarms(ADR).await.unwrap();
    assert!(alarms.charge_mosfet_on() && alarms.discharge_mosfet_on());
    assert!(!alarms.charge_over_current() && !alarms.module_under_voltage());
    assert_eq!(alarms.status[2], 0, "no effective current, not full");

    let p = c.system_parameters(ADR).await.unwrap();
    assert_eq!(p.charge_current_limit, 70.0);
    assert_eq!(p.module_high_voltage_limit, 56.8);
    assert_eq!(p.charge_high_temperature_limit, 50.0);

    let m = c.charge_management(ADR).await.unwrap();
    assert_eq!(
        (m.charge_voltage_limit, m.discharge_voltage_limit),
        (56.0, 48.0)
    );
    assert_eq!(
        (m.charge_current_limit, m.discharge_current_limit),
        (70.0, 100.0)
    );
    assert!(m.charge_enable() && m.discharge_enable());
}

#[tokio::test(start_paused = true)]
async fn charging_shows_in_current_capacity_and_status() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(50.0).await;
    // 50 A for 36 min: 30 Ah into a 100 Ah pack at 50 %.
    let s = after(&bench, 36.0 * 60.0).await;
    let mut c = client(&bench);
    let a = c.analog(ADR).await.unwrap();
    assert_eq!(a.current, 50.0);
    assert!(a.current > 0.0, "charge positive");
    assert_eq!(a.remaining_capacity, (s.bms.soc * 100.0).round());
    assert_eq!(a.remaining_capacity, 80.0);
    let alarms = c.alarms(ADR).await.unwrap();
    assert_eq!(alarms.status[2] & 0xC0, 0x80, "effective charge current");
}

#[tokio::test(start_paused = true)]
async fn cocp_clears_charge_enable_and_the_charge_mosfet() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(80.0).await;
    let s = after(&bench, 2.5).await;
    assert!(s.bms.cocp_active);
    let mut c = client(&bench);
    let m = c.charge_management(ADR).await.unwrap();
    assert!(!m.charge_enable() && m.discharge_enable());
    assert_eq!(m.charge_current_limit, 0.0);
    let alarms = c.alarms(ADR).await.unwrap();
    assert!(alarms.charge_over_current());
    assert!(!alarms.charge_mosfet_on() && alarms.discharge_mosfet_on());
    assert_eq!(c.analog(ADR).await.unwrap().current, 0.0);

    // Released after the 60 s recovery delay: enabled again.
    after(&bench, 60.0).await;
    assert!(c.charge_management(ADR).await.unwrap().charge_enable());
}

#[tokio::test(start_paused = true)]
async fn other_versions_and_addresses() {
    let bench = bench(&[]);
    let mut c = client(&bench);
    c.set_version(0x28);
    // 0x4F is answered whatever VER the request has; the rest is refused.
    assert_eq!(c.protocol_version(ADR).await.unwrap(), 0x20);
    let err = c.analog(ADR).await.unwrap_err();
    assert!(matches!(
        err.kind,
        PylonErrorKind::Refused {
            rtn: ReturnCode::VerError
        }
    ));
    c.set_version(0x20);
    // Another battery on the bus: no answer, as from a pack that is not there.
    let err = c.analog(3).await.unwrap_err();
    assert!(matches!(err.kind, PylonErrorKind::Timeout { .. }));
    assert!(c.analog(ADR).await.is_ok(), "the link is still usable");
}

/// Writes raw bytes and reads one answer up to CR, or `None` within the timeout.
async fn raw(stream: &mut DuplexStream, bytes: &[u8]) -> Option<Vec<u8>> {
    try_ask(stream, bytes, b"\r", TIMEOUT).await
}

#[tokio::test(start_paused = true)]
async fn bad_checksum_unknown_command_and_garbage() {
    let bench = bench(&[]);
    let mut stream = bench.open("rs485").unwrap();
    let rtn = |answer: Option<Vec<u8>>| {
        let answer = answer.expect("an answer");
        let frame = decode_frame(&answer[1..answer.len() - 1]).unwrap();
        assert_eq!((frame.ver, frame.adr, frame.cid1), (0x20, ADR, 0x46));
        assert!(frame.info.is_empty());
        frame.cid2
    };
    // protocols.md §2.7 request with its CHKSUM off by one.
    assert_eq!(rtn(raw(&mut stream, b"~20024642E00202FD34\r").await), 0x02);
    // CID2 0xE0: not a command.
    let unknown =
        rig_drivers::rs485::pylontech::encode_frame(&rig_drivers::rs485::pylontech::Frame {
            ver: 0x20,
            adr: ADR,
            cid1: 0x46,
            cid2: 0xE0,
            info: vec![],
        });
    assert_eq!(rtn(raw(&mut stream, &unknown).await), 0x04);
    // Garbage, a cut-off frame and a frame for battery 3: silence.
    assert_eq!(
        raw(&mut stream, b"\x00\xFFnoise\r~2002~20034642E00203FD31\r").await,
        None
    );
    // The port still answers a good request after all that.
    assert_eq!(rtn(raw(&mut stream, b"~2002464F0000FD98\r").await), 0x00);
}

#[tokio::test(start_paused = true)]
async fn asleep_the_bms_is_silent_on_rs485() {
    let bench = ready(&[]).await;
    let mut io = Io::open(&bench);
    io.press_reset(4.0).await;
    assert!(bench.snapshot().bms.asleep);
    let mut c = client(&bench);
    let err = c.protocol_version(ADR).await.unwrap_err();
    assert!(matches!(err.kind, PylonErrorKind::Timeout { .. }));
    // A valid frame addressed to the pack does not wake it (LOSUN 2.3-3 names RS232).
    assert!(bench.snapshot().bms.asleep);
    let mut stream = bench.open("rs485").unwrap();
    assert_eq!(raw(&mut stream, b"~20024642E00202FD34\r").await, None);

    io.press_reset(4.0).await;
    assert!(!bench.snapshot().bms.asleep);
    assert!(c.analog(ADR).await.is_ok());
}
