//! Every syntax parses, prints canonically and parses back; every mistake is refused
//! with its reason.

use proptest::prelude::*;

use super::*;

fn serial(path: &str, baud: u32, parity: Parity, data_bits: u8, stop_bits: u8) -> SerialConfig {
    SerialConfig {
        path: path.into(),
        baud,
        parity,
        data_bits,
        stop_bits,
    }
}

fn sim(name: &str) -> Endpoint {
    Endpoint::Sim {
        endpoint: name.into(),
    }
}

fn tcp(host: &str, port: u16) -> Endpoint {
    Endpoint::TcpSocket {
        host: host.into(),
        port,
    }
}

fn modbus_tcp(host: &str, port: u16, unit: u8) -> Endpoint {
    Endpoint::ModbusTcp {
        host: host.into(),
        port,
        unit,
    }
}

fn socketcand(host: &str, port: u16, bus: &str) -> Endpoint {
    Endpoint::Socketcand {
        host: host.into(),
        port,
        bus: bus.into(),
    }
}

/// Each `(input, parsed, canonical)`: the input parses to `parsed`, which prints as
/// `canonical`, which parses back to `parsed`.
fn assert_round_trips(table: &[(&str, Endpoint, &str)]) {
    for (input, expected, canonical) in table {
        let parsed: Endpoint = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(&parsed, expected, "{input}");
        assert_eq!(parsed.to_string(), *canonical, "{input}");
        assert_eq!(canonical.parse::<Endpoint>(), Ok(parsed), "{input}");
    }
}

/// Each `(input, kind)`: the input is refused for that reason.
fn assert_refused(table: &[(&str, EndpointErrorKind)]) {
    for (input, kind) in table {
        let err = input.parse::<Endpoint>().expect_err(input);
        assert_eq!(&err.kind, kind, "{input}");
        assert_eq!(err.input, *input);
    }
}

#[test]
fn sim_and_socket_syntaxes_print_canonically() {
    let v6 = "TCPIP::[fe80::1]::5025::SOCKET";
    assert_round_trips(&[
        ("sim:source", sim("source"), "sim:source"),
        ("sim:bms_can2", sim("bms_can2"), "sim:bms_can2"),
        (
            "TCPIP::10.0.0.20::5025::SOCKET",
            tcp("10.0.0.20", 5025),
            "TCPIP::10.0.0.20::5025::SOCKET",
        ),
        (
            "TCPIP0::10.0.0.21::30000::SOCKET",
            tcp("10.0.0.21", 30000),
            "TCPIP::10.0.0.21::30000::SOCKET",
        ),
        (
            "tcpip0::psu.lab.local::5025::socket",
            tcp("psu.lab.local", 5025),
            "TCPIP::psu.lab.local::5025::SOCKET",
        ),
        (
            "TCPIP::10.0.0.20::SOCKET",
            tcp("10.0.0.20", DEFAULT_SCPI_PORT),
            "TCPIP::10.0.0.20::5025::SOCKET",
        ),
        (v6, tcp("fe80::1", 5025), v6),
        (
            "tcp://127.0.0.1:5025",
            tcp("127.0.0.1", 5025),
            "TCPIP::127.0.0.1::5025::SOCKET",
        ),
        (
            "tcp://[::1]:5555",
            tcp("::1", 5555),
            "TCPIP::[::1]::5555::SOCKET",
        ),
        (
            "  tcp://chamber-1:502 ",
            tcp("chamber-1", 502),
            "TCPIP::chamber-1::502::SOCKET",
        ),
    ]);
}

#[test]
fn serial_and_modbus_syntaxes_print_canonically() {
    let full = "/dev/ttyUSB0?baud=9600&parity=none&data_bits=8&stop_bits=1";
    let usb0 = Endpoint::Serial(serial("/dev/ttyUSB0", 9600, Parity::None, 8, 1));
    let rtu = Endpoint::ModbusRtu {
        serial: serial("/dev/ttyUSB1", 19200, Parity::None, 8, 1),
        unit: 3,
    };
    assert_round_trips(&[
        (full, usb0.clone(), full),
        ("/dev/ttyUSB0", usb0, full),
        (
            "COM3?baud=115200&parity=even&stop_bits=2",
            Endpoint::Serial(serial("COM3", 115_200, Parity::Even, 8, 2)),
            "COM3?baud=115200&parity=even&data_bits=8&stop_bits=2",
        ),
        (
            "modbus-rtu:/dev/ttyUSB1?baud=19200&unit=3",
            rtu,
            "modbus-rtu:/dev/ttyUSB1?baud=19200&parity=none&data_bits=8&stop_bits=1&unit=3",
        ),
        (
            "modbus-tcp://10.0.0.30:502?unit=1",
            modbus_tcp("10.0.0.30", 502, 1),
            "modbus-tcp://10.0.0.30:502?unit=1",
        ),
        (
            "modbus-tcp://chamber-1",
            modbus_tcp("chamber-1", DEFAULT_MODBUS_TCP_PORT, 1),
            "modbus-tcp://chamber-1:502?unit=1",
        ),
        (
            "modbus-tcp://[::1]:1502?unit=0",
            modbus_tcp("::1", 1502, 0),
            "modbus-tcp://[::1]:1502?unit=0",
        ),
    ]);
}

#[test]
fn can_syntaxes_print_canonically() {
    let can0 = Endpoint::SocketCan {
        interface: "can0".into(),
    };
    let cand = "socketcand://10.0.0.5:29536/can0";
    assert_round_trips(&[
        ("socketcan:can0", can0, "socketcan:can0"),
        (cand, socketcand("10.0.0.5", 29536, "can0"), cand),
        (
            "socketcand://gw/vcan1",
            socketcand("gw", DEFAULT_SOCKETCAND_TCP_PORT, "vcan1"),
            "socketcand://gw:29536/vcan1",
        ),
    ]);
}

#[test]
fn bad_sim_and_socket_resources_name_the_problem() {
    use EndpointErrorKind as K;
    let host = |h: &str| K::InvalidHost { host: h.into() };
    let port = |p: &str| K::InvalidPort { port: p.into() };
    assert_refused(&[
        ("", K::Empty),
        ("   ", K::Empty),
        ("source", K::UnknownSyntax),
        ("http://10.0.0.20", K::UnknownSyntax),
        ("sim:", K::InvalidSimName),
        ("sim:Source", K::InvalidSimName),
        ("sim:bms-can", K::InvalidSimName),
        ("tcp://10.0.0.20", K::MissingPort),
        ("tcp://10.0.0.20:", K::MissingPort),
        ("tcp://:5025", host("")),
        ("tcp://10.0.0.20:0", port("0")),
        ("tcp://10.0.0.20:65536", port("65536")),
        ("tcp://10.0.0.20:5025/x", port("5025/x")),
        ("tcp://10.0.0.20:-1", port("-1")),
        ("tcp://[::1:5025", host("[::1:5025")),
        ("tcp://[nope]:5025", host("nope")),
        ("tcp://a b:5025", host("a b")),
        ("TCPIP::10.0.0.20::abc::SOCKET", port("abc")),
        ("TCPIP::10.0.0.20::5025", K::MalformedVisa),
        ("TCPIP::10.0.0.20::5025::SOCKET::x", K::MalformedVisa),
        ("TCPIP1::10.0.0.20::5025::SOCKET", K::MalformedVisa),
        ("TCPIP::::5025::SOCKET", host("")),
    ]);
}

/// VXI-11, HiSLIP, USBTMC, GPIB and ASRL need a VISA library: refused by name, not as
/// an unknown syntax.
#[test]
fn visa_instr_resources_are_refused_by_name() {
    assert_refused(&[
        (
            "TCPIP0::10.0.0.20::inst0::INSTR",
            EndpointErrorKind::VisaInstr,
        ),
        (
            "TCPIP0::10.0.0.20::hislip0::INSTR",
            EndpointErrorKind::VisaInstr,
        ),
        ("TCPIP::10.0.0.20", EndpointErrorKind::VisaInstr),
        (
            "USB0::0x2EC7::0x6300::1234::INSTR",
            EndpointErrorKind::VisaInstr,
        ),
        ("GPIB0::5::INSTR", EndpointErrorKind::VisaInstr),
        ("ASRL3::INSTR", EndpointErrorKind::VisaInstr),
    ]);
    let err = "USB0::0x2EC7::0x6300::1234::INSTR"
        .parse::<Endpoint>()
        .unwrap_err()
        .to_string();
    assert!(err.contains("need a VISA library"), "{err}");
    assert!(!err.contains("not implemented"), "{err}");
}

#[test]
fn bad_serial_and_modbus_resources_name_the_problem() {
    use EndpointErrorKind as K;
    let p = |n: &str, v: &str| K::InvalidParameter {
        name: n.into(),
        value: v.into(),
    };
    let unknown = |n: &str| K::UnknownParameter { name: n.into() };
    let path = |p: &str| K::InvalidSerialPath { path: p.into() };
    assert_refused(&[
        ("/dev/ttyUSB0?baud=fast", p("baud", "fast")),
        ("/dev/ttyUSB0?parity=mark", p("parity", "mark")),
        ("/dev/ttyUSB0?data_bits=9", p("data_bits", "9")),
        ("/dev/ttyUSB0?stop_bits=3", p("stop_bits", "3")),
        ("/dev/ttyUSB0?baud", p("baud", "")),
        ("/dev/ttyUSB0?speed=9600", unknown("speed")),
        ("/dev/tty USB0", path("/dev/tty USB0")),
        ("modbus-rtu:/dev/ttyUSB0?unit=0", p("unit", "0")),
        ("modbus-rtu:/dev/ttyUSB0?unit=300", p("unit", "300")),
        ("modbus-rtu:tty?unit=1", path("tty")),
        ("modbus-tcp://host:502?unit=x", p("unit", "x")),
        ("modbus-tcp://host:0", K::InvalidPort { port: "0".into() }),
        ("modbus-tcp://host:502?baud=1", unknown("baud")),
    ]);
}

#[test]
fn bad_can_resources_name_the_problem() {
    use EndpointErrorKind as K;
    let interface = |n: &str| K::InvalidInterface { name: n.into() };
    assert_refused(&[
        ("socketcan:", interface("")),
        ("socketcan:can 0", interface("can 0")),
        (
            "socketcan:a_very_long_interface",
            interface("a_very_long_interface"),
        ),
        ("socketcand://host:29536", K::MissingBus),
        ("socketcand://host:29536/", K::MissingBus),
        (
            "socketcand://:29536/can0",
            K::InvalidHost { host: "".into() },
        ),
    ]);
}

#[test]
fn messages_name_the_input_the_problem_and_the_valid_forms() {
    let err = "sim:Source".parse::<Endpoint>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid resource `sim:Source`: a simulated instrument name uses only a-z, 0-9 and _ \
         (valid forms: sim:NAME, TCPIP::HOST::PORT::SOCKET, tcp://HOST:PORT, \
         /dev/PATH?baud=N&parity=none|even|odd&data_bits=5-8&stop_bits=1|2, \
         modbus-tcp://HOST[:PORT]?unit=N, modbus-rtu:/dev/PATH?baud=N&unit=N, \
         socketcan:IFACE, socketcand://HOST[:PORT]/BUS)"
    );
}

proptest! {
    #[test]
    fn any_string_parses_or_fails_without_panicking(s in "\\PC{0,60}") {
        let _ = s.parse::<Endpoint>();
    }

    #[test]
    fn prefixed_noise_never_panics(prefix in prop::sample::select(vec!["modbus-tcp://", "modbus-rtu:", "socketcand://", "socketcan:", "/dev/", "COM", "TCPIP::", "tcp://", "sim:"]), rest in "[ -~]{0,40}") {
        let _ = format!("{prefix}{rest}").parse::<Endpoint>();
    }
}
