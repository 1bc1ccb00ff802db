//! Bench files of every instrument family: what parses, and what is refused with the
//! line and column of the mistake.

use super::{Bench, ChannelKind, Channels, Driver, Role, SafeState};
use crate::diag::SourceFile;

pub(super) fn parse(text: &str) -> Result<Bench, String> {
    Bench::parse(SourceFile::new("bench.yaml", text)).map_err(|p| {
        p.iter()
            .map(|x| x.one_line())
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Each `(from, to, wanted)`: `fixture` with `from` replaced by `to` is refused with
/// an error that contains `wanted`.
pub(super) fn assert_refusals(fixture: &str, cases: &[(&str, &str, &str)]) {
    for (from, to, wanted) in cases {
        assert!(fixture.contains(from), "fixture lacks {from:?}");
        let err =
            parse(&fixture.replacen(from, to, 1)).expect_err(&format!("{to:?} should be refused"));
        assert!(
            err.contains(wanted),
            "{to:?}: expected {wanted:?} in:\n{err}"
        );
    }
}

const DAQ_NUMATO: &str = r#"
name: families
instruments:
  source:
    driver: scpi-load
    dialect: bk-8600
    resource: /dev/ttyUSB3?baud=9600
    ratings: { max_voltage: 120 V, max_current: 60 A }
  daq:
    driver: keysight-daq970a
    resource: TCPIP::192.0.2.23::5025::SOCKET
  relays8:
    driver: numato-relay
    resource: /dev/ttyACM0
  bms:
    driver: bms-can
    resource: socketcan:can0
    dbc: pylon_lv_extended
  chamber:
    driver: espec-p300
    resource: TCPIP::192.0.2.31::10001::SOCKET
    address: 1
relays:
  reset_button: { board: daq, channel: 101 }
  rsd: { board: relays8, channel: 0 }
inputs:
  charge_enable: { board: daq, input: 302, bit: 0 }
  discharge_enable: { board: relays8, input: 7 }
"#;

#[test]
fn every_family_parses_into_its_role() {
    let bench = parse(DAQ_NUMATO).unwrap();
    let role = |n: &str| bench.instruments[n].driver.role();
    assert_eq!(role("source"), Role::Source);
    assert_eq!(bench.instruments["source"].driver, Driver::ScpiLoad);
    assert_eq!(role("daq"), Role::Board);
    assert_eq!(role("relays8"), Role::Board);
    assert_eq!(role("chamber"), Role::Chamber);
    assert!(bench.instruments["chamber"].address_given);
    assert_eq!(bench.relays["reset_button"].number, 101);
    assert_eq!(bench.inputs["charge_enable"].bit, Some(0));
    // Boards other than the Waveshare switch only what the bench wires.
    assert_eq!(
        bench.instruments["daq"].safe_state,
        SafeState::Board { wired: vec![101] }
    );
}

#[test]
fn the_extended_database_adds_the_sma_frames_as_channels() {
    let bench = parse(DAQ_NUMATO).unwrap();
    let channels = Channels::of(&bench, 1);
    for name in [
        "bms.sma_alarm_high_voltage",
        "bms.mfr_char_0",
        "bms.info_capacity",
        "bms.charge_current_limit",
        "bms.period.bms_alarmswarnings",
    ] {
        assert!(channels.find(name).is_some(), "no channel {name}");
    }
    let plain = parse(&DAQ_NUMATO.replace("dbc: pylon_lv_extended", "dbc: pylon_lv")).unwrap();
    assert!(
        Channels::of(&plain, 1)
            .find("bms.sma_alarm_high_voltage")
            .is_none()
    );
    assert!(matches!(
        channels.find("bms.info_capacity").map(|(_, s)| &s.kind),
        Some(ChannelKind::CanSignal { .. })
    ));
}

/// Each mistake is refused with its position and a message naming what is allowed.
#[test]
fn wiring_mistakes_name_the_line() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "channel: 101 }",
            "channel: 99 }",
            "bench.yaml:24:40: relay `reset_button`: DAQ970A channels are slot*100+channel",
        ),
        (
            "input: 302, bit: 0 }",
            "input: 302 }",
            "bench.yaml:27:39: input `charge_enable`: a DAQ970A input is a bit of a digital port",
        ),
        (
            "input: 302, bit: 0 }",
            "input: 302, bit: 8 }",
            "bench.yaml:27:49: input `charge_enable`: bit is 0 to 7, not 8",
        ),
        (
            "{ board: relays8, channel: 0 }",
            "{ board: relays8, channel: 8 }",
            "relay `rsd`: the Numato module has 8 channels, numbered 0 to 7, not 8",
        ),
        (
            "{ board: relays8, input: 7 }",
            "{ board: relays8, input: 7, bit: 1 }",
            "bit numbers apply to DAQ970A digital ports only",
        ),
        (
            "    dialect: bk-8600\n",
            "",
            "a `scpi-load` needs its `dialect`",
        ),
        (
            "dialect: bk-8600",
            "dialect: keysight-rp7900",
            "unknown load dialect `keysight-rp7900`",
        ),
        (
            "resource: /dev/ttyACM0",
            "resource: modbus-tcp://192.0.2.9:502?unit=1",
            "a `numato-relay` instrument cannot be reached at",
        ),
        (
            "dbc: pylon_lv_extended",
            "dbc: pylon_lv_extendd",
            "cannot read the DBC",
        ),
    ];
    assert_refusals(DAQ_NUMATO, cases);
}

#[test]
fn a_load_has_no_voltage_or_charge_safe_state() {
    let text = DAQ_NUMATO.replace(
        "    ratings: { max_voltage: 120 V, max_current: 60 A }\n",
        "    ratings: { max_voltage: 120 V, max_current: 60 A }\n    safe_state: { voltage: 40 V }\n",
    );
    let err = parse(&text).unwrap_err();
    assert!(
        err.contains("`safe_state.voltage` does not apply to the `scpi-load` instrument `source`"),
        "{err}"
    );
    let charging = DAQ_NUMATO.replace(
        "    ratings: { max_voltage: 120 V, max_current: 60 A }\n",
        "    ratings: { max_voltage: 120 V, max_current: 60 A }\n    safe_state: { current_limit: 5 A }\n",
    );
    let err = parse(&charging).unwrap_err();
    assert!(
        err.contains(
            "`safe_state.current_limit` does not apply to the `scpi-load` instrument `source`"
        ),
        "{err}"
    );
}

const CONSOLE: &str = r#"
name: console
instruments:
  bms:
    driver: bms-can
    resource: socketcan:can0
  rs232:
    driver: rs232-console
    resource: /dev/ttyUSB4?baud=9600
"#;

#[test]
fn an_rs232_console_is_a_write_only_role_on_a_byte_stream() {
    let bench = parse(CONSOLE).unwrap();
    let console = &bench.instruments["rs232"];
    assert_eq!(console.driver, Driver::Rs232Console);
    assert_eq!(console.driver.role(), Role::Rs232);
    // Nothing to switch on the way out, and nothing to read.
    assert_eq!(console.safe_state, SafeState::Nothing);
    let channels = Channels::of(&bench, 1);
    assert!(channels.names().all(|n| !n.starts_with("rs232")));
    let tcp = CONSOLE.replace("/dev/ttyUSB4?baud=9600", "TCPIP::192.0.2.43::10002::SOCKET");
    assert!(parse(&tcp).is_ok());
}

#[test]
fn rs232_console_mistakes_name_the_line() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "resource: /dev/ttyUSB4?baud=9600",
            "resource: socketcan:can1",
            "bench.yaml:9:15: a `rs232-console` instrument cannot be reached at `socketcan:can1` (hint: use a serial port",
        ),
        (
            "  rs232:\n",
            "  console:\n",
            "bench.yaml:8:13: a `rs232-console` instrument must be named `rs232`, not `console`",
        ),
        (
            "resource: /dev/ttyUSB4?baud=9600",
            "resource: sim:rs233",
            "bench.yaml:9:15: the virtual bench has no endpoint `rs233`",
        ),
        (
            "driver: rs232-console",
            "driver: rs232-consol",
            "bench.yaml:8:13: unknown driver `rs232-consol` (hint: did you mean rs232-console?)",
        ),
        (
            "resource: /dev/ttyUSB4?baud=9600",
            "resource: /dev/ttyUSB4?baud=9600\n    address: 2",
            "`address` applies to `pylontech-rs485` links and ESPEC controllers only",
        ),
        (
            "resource: /dev/ttyUSB4?baud=9600",
            "resource: /dev/ttyUSB4?baud=9600\n    safe_state: { output: off }",
            "`safe_state.output` does not apply to the `rs232-console` instrument `rs232`",
        ),
    ];
    assert_refusals(CONSOLE, cases);
}

/// Issue 13: a bench `timeout: 1e300 s` validated and panicked converting to a Duration;
/// a poll period of a microsecond flooded the log.
#[test]
fn bench_durations_are_bounded() {
    let sim = super::BUILTIN_SIM_BENCH;
    let cases: &[(&str, &str, &str)] = &[
        (
            "poll: 1 s",
            "poll: 1 s\n    timeout: 1e300 s",
            "`timeout` must be at most 30 days",
        ),
        (
            "poll: 1 s",
            "poll: 0.000001 ms",
            "`poll` must be at least 10 ms",
        ),
    ];
    assert_refusals(sim, cases);
}
