//! Every resource-string syntax of the bench, parsed into an [`Endpoint`].
//!
//! [`Resource`] (`sim:`, TCP sockets) is what the engine opens today and stays as it
//! is; `Endpoint` is its superset with serial ports, Modbus TCP/RTU, SocketCAN and
//! socketcand. Every `Resource` converts into an `Endpoint`.
//!
//! | Syntax | Example |
//! | --- | --- |
//! | serial | `/dev/ttyUSB0?baud=9600&parity=none&data_bits=8&stop_bits=1`, `COM3?baud=115200` |
//! | Modbus TCP | `modbus-tcp://10.0.0.30:502?unit=1` (port 502 and unit 1 by default) |
//! | Modbus RTU | `modbus-rtu:/dev/ttyUSB1?baud=9600&unit=1` (serial parameters as above) |
//! | SocketCAN | `socketcan:can0` |
//! | socketcand | `socketcand://10.0.0.5:29536/can0` (port 29536 by default) |
//!
//! Serial defaults are 9600 Bd 8N1, the default of every RS485 device of protocols.md
//! (§2.1 lists 115200 for Pylontech packs: give `baud=` explicitly).

use std::fmt;
use std::str::FromStr;

use super::resource::{Resource, ResourceErrorKind};

const VALID_ENDPOINTS: &str = "sim:NAME, TCPIP::HOST::PORT::SOCKET, tcp://HOST:PORT, \
     /dev/PATH?baud=N&parity=none|even|odd&data_bits=5-8&stop_bits=1|2, \
     modbus-tcp://HOST[:PORT]?unit=N, modbus-rtu:/dev/PATH?baud=N&unit=N, socketcan:IFACE, \
     socketcand://HOST[:PORT]/BUS";

/// Modbus TCP's port (protocols.md §4.6, §5.2).
pub const DEFAULT_MODBUS_TCP_PORT: u16 = 502;
/// socketcand's port (§3.1).
pub const DEFAULT_SOCKETCAND_TCP_PORT: u16 = 29536;
/// Linux IFNAMSIZ (16) less the terminating NUL.
const MAX_INTERFACE_LEN: usize = 15;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Parity {
    #[default]
    None,
    Even,
    Odd,
}

/// A serial port and its line settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SerialConfig {
    /// `/dev/ttyUSB0`, `COM3`.
    pub path: String,
    pub baud: u32,
    pub parity: Parity,
    /// 5-8.
    pub data_bits: u8,
    /// 1 or 2.
    pub stop_bits: u8,
}

impl SerialConfig {
    /// 9600 8N1.
    pub fn new(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            baud: 9600,
            parity: Parity::None,
            data_bits: 8,
            stop_bits: 1,
        }
    }
}

/// Where an instrument or bus is reached; see the module doc for the syntaxes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Sim {
        endpoint: String,
    },
    TcpSocket {
        host: String,
        port: u16,
    },
    Serial(SerialConfig),
    ModbusTcp {
        host: String,
        port: u16,
        unit: u8,
    },
    ModbusRtu {
        serial: SerialConfig,
        unit: u8,
    },
    SocketCan {
        interface: String,
    },
    Socketcand {
        host: String,
        port: u16,
        bus: String,
    },
}

impl From<Resource> for Endpoint {
    fn from(resource: Resource) -> Self {
        match resource {
            Resource::Sim { endpoint } => Endpoint::Sim { endpoint },
            Resource::TcpSocket { host, port } => Endpoint::TcpSocket { host, port },
        }
    }
}

/// An endpoint string could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid resource `{input}`: {kind} (valid forms: {VALID_ENDPOINTS})")]
pub struct EndpointError {
    pub input: String,
    pub kind: ResourceErrorKind,
}

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input.trim()).map_err(|kind| EndpointError {
            input: input.to_owned(),
            kind,
        })
    }
}

fn parse(s: &str) -> Result<Endpoint, ResourceErrorKind> {
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = strip_prefix_ci(s, &lower, "modbus-tcp://") {
        return parse_modbus_tcp(rest);
    }
    if let Some(rest) = strip_prefix_ci(s, &lower, "modbus-rtu:") {
        let (serial, mut params) = parse_serial(rest)?;
        let unit = take_unit(&mut params)?;
        reject_unknown(&params)?;
        return Ok(Endpoint::ModbusRtu { serial, unit });
    }
    if let Some(rest) = strip_prefix_ci(s, &lower, "socketcand://") {
        return parse_socketcand(rest);
    }
    if let Some(interface) = strip_prefix_ci(s, &lower, "socketcan:") {
        check_interface(interface)?;
        return Ok(Endpoint::SocketCan {
            interface: interface.to_owned(),
        });
    }
    if is_serial_path(&lower) {
        let (serial, params) = parse_serial(s)?;
        reject_unknown(&params)?;
        return Ok(Endpoint::Serial(serial));
    }
    s.parse::<Resource>()
        .map(Endpoint::from)
        .map_err(|e| e.kind)
}

fn strip_prefix_ci<'a>(s: &'a str, lower: &str, prefix: &str) -> Option<&'a str> {
    lower
        .starts_with(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

fn is_serial_path(lower: &str) -> bool {
    let path = lower.split('?').next().unwrap_or_default();
    path.starts_with("/dev/")
        || path
            .strip_prefix("com")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

type Params = Vec<(String, String)>;

fn parse_params(query: Option<&str>) -> Result<Params, ResourceErrorKind> {
    let Some(query) = query else {
        return Ok(Vec::new());
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| invalid_param(pair, ""))?;
            Ok((k.to_ascii_lowercase(), v.to_owned()))
        })
        .collect()
}

fn invalid_param(name: &str, value: &str) -> ResourceErrorKind {
    ResourceErrorKind::InvalidParameter {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

fn take(params: &mut Params, name: &str) -> Option<String> {
    let i = params.iter().position(|(k, _)| k == name)?;
    Some(params.remove(i).1)
}

fn reject_unknown(params: &Params) -> Result<(), ResourceErrorKind> {
    match params.first() {
        None => Ok(()),
        Some((name, _)) => Err(ResourceErrorKind::UnknownParameter { name: name.clone() }),
    }
}

fn take_unit(params: &mut Params) -> Result<u8, ResourceErrorKind> {
    match take(params, "unit") {
        None => Ok(1),
        Some(v) => match v.parse::<u8>() {
            Ok(unit @ 1..=247) => Ok(unit),
            _ => Err(invalid_param("unit", &v)),
        },
    }
}

fn parse_serial(s: &str) -> Result<(SerialConfig, Params), ResourceErrorKind> {
    let (path, query) = match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    };
    let valid_path = !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_' | b':'));
    if !valid_path || !is_serial_path(&path.to_ascii_lowercase()) {
        return Err(ResourceErrorKind::InvalidSerialPath {
            path: path.to_owned(),
        });
    }
    let mut params = parse_params(query)?;
    let mut config = SerialConfig::new(path);
    if let Some(v) = take(&mut params, "baud") {
        config.baud = match v.parse::<u32>() {
            Ok(b @ 50..=4_000_000) => b,
            _ => return Err(invalid_param("baud", &v)),
        };
    }
    if let Some(v) = take(&mut params, "parity") {
        config.parity = match v.to_ascii_lowercase().as_str() {
            "none" | "n" => Parity::None,
            "even" | "e" => Parity::Even,
            "odd" | "o" => Parity::Odd,
            _ => return Err(invalid_param("parity", &v)),
        };
    }
    if let Some(v) = take(&mut params, "data_bits") {
        config.data_bits = match v.parse::<u8>() {
            Ok(b @ 5..=8) => b,
            _ => return Err(invalid_param("data_bits", &v)),
        };
    }
    if let Some(v) = take(&mut params, "stop_bits") {
        config.stop_bits = match v.parse::<u8>() {
            Ok(b @ 1..=2) => b,
            _ => return Err(invalid_param("stop_bits", &v)),
        };
    }
    Ok((config, params))
}

/// `host[:port]`, IPv6 in brackets; `default` when the port is omitted.
fn host_port(s: &str, default: u16) -> Result<(String, u16), ResourceErrorKind> {
    let url = if has_port(s) {
        format!("tcp://{s}")
    } else if s.contains(':') && !s.starts_with('[') {
        format!("tcp://[{s}]:{default}")
    } else {
        format!("tcp://{s}:{default}")
    };
    match url.parse::<Resource>().map_err(|e| e.kind)? {
        Resource::TcpSocket { host, port } => Ok((host, port)),
        Resource::Sim { .. } => Err(ResourceErrorKind::UnknownSyntax),
    }
}

/// Whether `host:port` (or `[v6]:port`) carries a port.
fn has_port(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix('[') {
        rest.split_once(']')
            .is_some_and(|(_, after)| after.starts_with(':'))
    } else {
        s.matches(':').count() == 1
    }
}

fn parse_modbus_tcp(rest: &str) -> Result<Endpoint, ResourceErrorKind> {
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (host, port) = host_port(authority, DEFAULT_MODBUS_TCP_PORT)?;
    let mut params = parse_params(query)?;
    let unit = match take(&mut params, "unit") {
        None => 1,
        // Modbus TCP gateways accept unit 0 and 255 as "the device itself".
        Some(v) => v.parse::<u8>().map_err(|_| invalid_param("unit", &v))?,
    };
    reject_unknown(&params)?;
    Ok(Endpoint::ModbusTcp { host, port, unit })
}

fn parse_socketcand(rest: &str) -> Result<Endpoint, ResourceErrorKind> {
    let (authority, bus) = rest.rsplit_once('/').ok_or(ResourceErrorKind::MissingBus)?;
    if bus.is_empty() {
        return Err(ResourceErrorKind::MissingBus);
    }
    check_interface(bus)?;
    let (host, port) = host_port(authority, DEFAULT_SOCKETCAND_TCP_PORT)?;
    Ok(Endpoint::Socketcand {
        host,
        port,
        bus: bus.to_owned(),
    })
}

fn check_interface(name: &str) -> Result<(), ResourceErrorKind> {
    let valid = !name.is_empty()
        && name.len() <= MAX_INTERFACE_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(ResourceErrorKind::InvalidInterface {
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for SerialConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parity = match self.parity {
            Parity::None => "none",
            Parity::Even => "even",
            Parity::Odd => "odd",
        };
        write!(
            f,
            "{}?baud={}&parity={parity}&data_bits={}&stop_bits={}",
            self.path, self.baud, self.data_bits, self.stop_bits
        )
    }
}

fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

impl fmt::Display for Endpoint {
    /// The canonical spelling, which parses back to the same endpoint.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Sim { endpoint } => write!(f, "sim:{endpoint}"),
            Endpoint::TcpSocket { host, port } => {
                write!(f, "TCPIP::{}::{port}::SOCKET", bracket(host))
            }
            Endpoint::Serial(serial) => write!(f, "{serial}"),
            Endpoint::ModbusTcp { host, port, unit } => {
                write!(f, "modbus-tcp://{}:{port}?unit={unit}", bracket(host))
            }
            Endpoint::ModbusRtu { serial, unit } => write!(f, "modbus-rtu:{serial}&unit={unit}"),
            Endpoint::SocketCan { interface } => write!(f, "socketcan:{interface}"),
            Endpoint::Socketcand { host, port, bus } => {
                write!(f, "socketcand://{}:{port}/{bus}", bracket(host))
            }
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn every_syntax_parses_and_prints_back() {
        let table = [
            (
                "/dev/ttyUSB0?baud=9600&parity=none&data_bits=8&stop_bits=1",
                Endpoint::Serial(serial("/dev/ttyUSB0", 9600, Parity::None, 8, 1)),
            ),
            (
                "/dev/ttyUSB0",
                Endpoint::Serial(serial("/dev/ttyUSB0", 9600, Parity::None, 8, 1)),
            ),
            (
                "COM3?baud=115200&parity=even&stop_bits=2",
                Endpoint::Serial(serial("COM3", 115_200, Parity::Even, 8, 2)),
            ),
            (
                "modbus-tcp://10.0.0.30:502?unit=1",
                Endpoint::ModbusTcp {
                    host: "10.0.0.30".into(),
                    port: 502,
                    unit: 1,
                },
            ),
            (
                "modbus-tcp://chamber-1",
                Endpoint::ModbusTcp {
                    host: "chamber-1".into(),
                    port: 502,
                    unit: 1,
                },
            ),
            (
                "modbus-tcp://[::1]:1502?unit=0",
                Endpoint::ModbusTcp {
                    host: "::1".into(),
                    port: 1502,
                    unit: 0,
                },
            ),
            (
                "modbus-rtu:/dev/ttyUSB1?baud=19200&unit=3",
                Endpoint::ModbusRtu {
                    serial: serial("/dev/ttyUSB1", 19200, Parity::None, 8, 1),
                    unit: 3,
                },
            ),
            (
                "socketcan:can0",
                Endpoint::SocketCan {
                    interface: "can0".into(),
                },
            ),
            (
                "socketcand://10.0.0.5:29536/can0",
                Endpoint::Socketcand {
                    host: "10.0.0.5".into(),
                    port: 29536,
                    bus: "can0".into(),
                },
            ),
            (
                "socketcand://gw/vcan1",
                Endpoint::Socketcand {
                    host: "gw".into(),
                    port: 29536,
                    bus: "vcan1".into(),
                },
            ),
            (
                "TCPIP::10.0.0.20::5025::SOCKET",
                Endpoint::TcpSocket {
                    host: "10.0.0.20".into(),
                    port: 5025,
                },
            ),
            (
                "sim:source",
                Endpoint::Sim {
                    endpoint: "source".into(),
                },
            ),
        ];
        for (input, expected) in table {
            let parsed: Endpoint = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed, expected, "{input}");
            let printed = parsed.to_string();
            assert_eq!(
                printed.parse::<Endpoint>().as_ref(),
                Ok(&parsed),
                "{printed}"
            );
        }
    }

    #[test]
    fn bad_endpoints_name_the_problem() {
        use ResourceErrorKind as K;
        let p = |n: &str, v: &str| K::InvalidParameter {
            name: n.into(),
            value: v.into(),
        };
        let table = [
            ("/dev/ttyUSB0?baud=fast", p("baud", "fast")),
            ("/dev/ttyUSB0?parity=mark", p("parity", "mark")),
            ("/dev/ttyUSB0?data_bits=9", p("data_bits", "9")),
            ("/dev/ttyUSB0?stop_bits=3", p("stop_bits", "3")),
            ("/dev/ttyUSB0?baud", p("baud", "")),
            (
                "/dev/ttyUSB0?speed=9600",
                K::UnknownParameter {
                    name: "speed".into(),
                },
            ),
            (
                "/dev/tty USB0",
                K::InvalidSerialPath {
                    path: "/dev/tty USB0".into(),
                },
            ),
            ("modbus-rtu:/dev/ttyUSB0?unit=0", p("unit", "0")),
            ("modbus-rtu:/dev/ttyUSB0?unit=300", p("unit", "300")),
            (
                "modbus-rtu:tty?unit=1",
                K::InvalidSerialPath { path: "tty".into() },
            ),
            ("modbus-tcp://host:502?unit=x", p("unit", "x")),
            ("modbus-tcp://host:0", K::InvalidPort { port: "0".into() }),
            (
                "modbus-tcp://host:502?baud=1",
                K::UnknownParameter {
                    name: "baud".into(),
                },
            ),
            ("socketcan:", K::InvalidInterface { name: "".into() }),
            (
                "socketcan:can 0",
                K::InvalidInterface {
                    name: "can 0".into(),
                },
            ),
            (
                "socketcan:a_very_long_interface",
                K::InvalidInterface {
                    name: "a_very_long_interface".into(),
                },
            ),
            ("socketcand://host:29536", K::MissingBus),
            ("socketcand://host:29536/", K::MissingBus),
            (
                "socketcand://:29536/can0",
                K::InvalidHost { host: "".into() },
            ),
        ];
        for (input, kind) in table {
            let err = input.parse::<Endpoint>().expect_err(input);
            assert_eq!(err.kind, kind, "{input}");
        }
    }

    proptest! {
        #[test]
        fn any_string_parses_or_fails_without_panicking(s in "\\PC{0,60}") {
            let _ = s.parse::<Endpoint>();
        }

        #[test]
        fn prefixed_noise_never_panics(prefix in prop::sample::select(vec!["modbus-tcp://", "modbus-rtu:", "socketcand://", "socketcan:", "/dev/", "COM"]), rest in "[ -~]{0,40}") {
            let _ = format!("{prefix}{rest}").parse::<Endpoint>();
        }
    }
}
