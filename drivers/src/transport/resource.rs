//! Bench resource strings: where an instrument is reached, as the bench file spells it.
//!
//! A [`Resource`] is passive data (labgrid's split): it says where, never how to talk.
//! The spellings follow what lab engineers already write: VISA for SCPI raw sockets
//! (`TCPIP::10.0.0.20::5025::SOCKET`), URLs for the rest. Syntaxes of the design that
//! have no transport yet are recognised and refused by name, so a bench file written
//! for a later version says "not implemented yet" rather than "invalid".

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

/// The port SCPI instruments listen on for raw-socket connections (protocols.md §4.1:
/// "Keysight and most others: port 5025"); used when `TCPIP::host::SOCKET` omits it.
pub const DEFAULT_SCPI_PORT: u16 = 5025;

const VALID_SYNTAXES: &str =
    "sim:NAME, TCPIP::HOST::PORT::SOCKET, TCPIP::HOST::SOCKET (port 5025), tcp://HOST:PORT";

/// Where an instrument is reached.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// An endpoint of the built-in virtual bench (`sim:source`).
    Sim { endpoint: String },
    /// A raw TCP socket (`TCPIP::host::port::SOCKET` or `tcp://host:port`). An IPv6
    /// host is stored without its brackets.
    TcpSocket { host: String, port: u16 },
}

/// Transports the design names that this version cannot open yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportKind {
    Serial,
    SocketCan,
    Socketcand,
    ModbusTcp,
    ModbusRtu,
    /// VISA resources other than raw sockets: VXI-11, HiSLIP, USBTMC, GPIB, ASRL.
    VisaInstrument,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Serial => "serial port",
            TransportKind::SocketCan => "SocketCAN",
            TransportKind::Socketcand => "socketcand",
            TransportKind::ModbusTcp => "Modbus TCP",
            TransportKind::ModbusRtu => "Modbus RTU",
            TransportKind::VisaInstrument => "VISA INSTR (VXI-11, HiSLIP, USBTMC, GPIB, ASRL)",
        })
    }
}

/// A resource string could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid resource `{input}`: {kind} (valid forms: {VALID_SYNTAXES})")]
pub struct ResourceError {
    /// The string as written in the bench file.
    pub input: String,
    pub kind: ResourceErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResourceErrorKind {
    #[error("the resource is empty")]
    Empty,
    #[error("unrecognised syntax")]
    UnknownSyntax,
    #[error("{kind} resources are not implemented yet")]
    NotSupportedYet { kind: TransportKind },
    #[error("a simulated instrument name uses only a-z, 0-9 and _")]
    InvalidSimName,
    #[error("invalid host `{host}`")]
    InvalidHost { host: String },
    #[error("the port is missing")]
    MissingPort,
    #[error("invalid port `{port}`, expected 1-65535")]
    InvalidPort { port: String },
    #[error("a VISA socket resource is TCPIP[0]::HOST[::PORT]::SOCKET")]
    MalformedVisa,
    #[error("unknown parameter `{name}`")]
    UnknownParameter { name: String },
    #[error("invalid value `{value}` for `{name}`")]
    InvalidParameter { name: String, value: String },
    #[error("invalid serial port `{path}`, expected /dev/… or COMn")]
    InvalidSerialPath { path: String },
    #[error("invalid CAN interface or bus name `{name}` (1-15 of a-z, 0-9, _ - .)")]
    InvalidInterface { name: String },
    #[error("the CAN bus name is missing (socketcand://HOST[:PORT]/BUS)")]
    MissingBus,
}

impl FromStr for Resource {
    type Err = ResourceError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input.trim()).map_err(|kind| ResourceError {
            input: input.to_owned(),
            kind,
        })
    }
}

impl fmt::Display for Resource {
    /// The canonical spelling: `sim:NAME` or `TCPIP::HOST::PORT::SOCKET`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::Sim { endpoint } => write!(f, "sim:{endpoint}"),
            Resource::TcpSocket { host, port } if host.contains(':') => {
                write!(f, "TCPIP::[{host}]::{port}::SOCKET")
            }
            Resource::TcpSocket { host, port } => write!(f, "TCPIP::{host}::{port}::SOCKET"),
        }
    }
}

fn parse(s: &str) -> Result<Resource, ResourceErrorKind> {
    if s.is_empty() {
        return Err(ResourceErrorKind::Empty);
    }
    if let Some(name) = s.strip_prefix("sim:") {
        return parse_sim(name);
    }
    if let Some(rest) = s.strip_prefix("tcp://") {
        return parse_tcp_url(rest);
    }
    if let Some(kind) = not_supported_yet(s) {
        return Err(ResourceErrorKind::NotSupportedYet { kind });
    }
    if let Some((interface, rest)) = s.split_once("::") {
        return parse_visa(interface, rest);
    }
    Err(ResourceErrorKind::UnknownSyntax)
}

fn not_supported_yet(s: &str) -> Option<TransportKind> {
    let lower = s.to_ascii_lowercase();
    let prefixes = [
        ("/dev/", TransportKind::Serial),
        ("socketcand://", TransportKind::Socketcand),
        ("socketcan:", TransportKind::SocketCan),
        ("modbus-tcp://", TransportKind::ModbusTcp),
        ("modbus-rtu:", TransportKind::ModbusRtu),
        ("usb", TransportKind::VisaInstrument),
        ("gpib", TransportKind::VisaInstrument),
        ("asrl", TransportKind::VisaInstrument),
    ];
    let by_prefix = prefixes
        .into_iter()
        .find(|(prefix, _)| lower.starts_with(prefix))
        .map(|(_, kind)| kind);
    let windows_com_port = lower
        .strip_prefix("com")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    by_prefix.or(windows_com_port.then_some(TransportKind::Serial))
}

fn parse_sim(name: &str) -> Result<Resource, ResourceErrorKind> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(ResourceErrorKind::InvalidSimName);
    }
    Ok(Resource::Sim {
        endpoint: name.to_owned(),
    })
}

/// `host:port` or `[v6]:port`, nothing after the port.
fn parse_tcp_url(rest: &str) -> Result<Resource, ResourceErrorKind> {
    let (host, after_host) = split_host(rest, ":")?;
    let port = match after_host {
        None | Some("") => return Err(ResourceErrorKind::MissingPort),
        Some(port) => parse_port(port)?,
    };
    Ok(Resource::TcpSocket { host, port })
}

/// `TCPIP[0]::host::port::SOCKET`, `TCPIP[0]::host::SOCKET`; VISA is case-insensitive.
fn parse_visa(interface: &str, rest: &str) -> Result<Resource, ResourceErrorKind> {
    if !matches!(interface.to_ascii_uppercase().as_str(), "TCPIP" | "TCPIP0") {
        return Err(ResourceErrorKind::MalformedVisa);
    }
    let (host, after_host) = split_host(rest, "::")?;
    let fields: Vec<&str> = after_host
        .map(|r| r.split("::").collect())
        .unwrap_or_default();
    let upper: Vec<String> = fields.iter().map(|f| f.to_ascii_uppercase()).collect();
    let port = match upper.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["SOCKET"] => DEFAULT_SCPI_PORT,
        [_, "SOCKET"] => parse_port(fields.first().copied().unwrap_or_default())?,
        [] | [.., "INSTR"] => {
            return Err(ResourceErrorKind::NotSupportedYet {
                kind: TransportKind::VisaInstrument,
            });
        }
        _ => return Err(ResourceErrorKind::MalformedVisa),
    };
    Ok(Resource::TcpSocket { host, port })
}

/// Splits a host (plain, or an IPv6 address in brackets) from what follows `separator`.
fn split_host<'a>(
    s: &'a str,
    separator: &str,
) -> Result<(String, Option<&'a str>), ResourceErrorKind> {
    let (host, after) = if let Some(bracketed) = s.strip_prefix('[') {
        let (v6, after) = bracketed.split_once(']').ok_or_else(|| invalid_host(s))?;
        if v6.parse::<Ipv6Addr>().is_err() {
            return Err(invalid_host(v6));
        }
        let after = match after {
            "" => None,
            after => Some(
                after
                    .strip_prefix(separator)
                    .ok_or_else(|| invalid_host(s))?,
            ),
        };
        (v6, after)
    } else {
        let (host, after) = match s.split_once(separator) {
            Some((host, after)) => (host, Some(after)),
            None => (s, None),
        };
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !valid {
            return Err(invalid_host(host));
        }
        (host, after)
    };
    Ok((host.to_owned(), after))
}

fn invalid_host(host: &str) -> ResourceErrorKind {
    ResourceErrorKind::InvalidHost {
        host: host.to_owned(),
    }
}

fn parse_port(port: &str) -> Result<u16, ResourceErrorKind> {
    let invalid = || ResourceErrorKind::InvalidPort {
        port: port.to_owned(),
    };
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match port.parse::<u16>() {
        Ok(0) | Err(_) => Err(invalid()),
        Ok(n) => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Resource {
        Resource::TcpSocket {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn good_resources_parse_and_print_canonically() {
        let sim = |name: &str| Resource::Sim {
            endpoint: name.into(),
        };
        let table = [
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
                tcp("10.0.0.20", 5025),
                "TCPIP::10.0.0.20::5025::SOCKET",
            ),
            (
                "TCPIP::[fe80::1]::5025::SOCKET",
                tcp("fe80::1", 5025),
                "TCPIP::[fe80::1]::5025::SOCKET",
            ),
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
        ];
        for (input, expected, canonical) in table {
            let parsed: Resource = input.parse().unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(parsed, expected, "{input}");
            assert_eq!(parsed.to_string(), canonical, "{input}");
            assert_eq!(
                canonical.parse::<Resource>().as_ref(),
                Ok(&parsed),
                "{input}"
            );
        }
    }

    #[test]
    fn bad_resources_are_refused_with_a_reason() {
        use ResourceErrorKind as K;
        let host = |h: &str| K::InvalidHost { host: h.into() };
        let port = |p: &str| K::InvalidPort { port: p.into() };
        let later = |kind| K::NotSupportedYet { kind };
        let table = [
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
            (
                "TCPIP0::10.0.0.20::inst0::INSTR",
                later(TransportKind::VisaInstrument),
            ),
            (
                "TCPIP0::10.0.0.20::hislip0::INSTR",
                later(TransportKind::VisaInstrument),
            ),
            ("TCPIP::10.0.0.20", later(TransportKind::VisaInstrument)),
            (
                "USB0::0x2EC7::0x6300::1234::INSTR",
                later(TransportKind::VisaInstrument),
            ),
            ("/dev/ttyUSB0?baud=9600", later(TransportKind::Serial)),
            ("COM3", later(TransportKind::Serial)),
            ("socketcan:can0", later(TransportKind::SocketCan)),
            (
                "socketcand://10.0.0.5:29536/can0",
                later(TransportKind::Socketcand),
            ),
            (
                "modbus-tcp://10.0.0.30:502?unit=1",
                later(TransportKind::ModbusTcp),
            ),
            (
                "modbus-rtu:/dev/ttyUSB1?baud=9600&unit=1",
                later(TransportKind::ModbusRtu),
            ),
        ];
        for (input, kind) in table {
            let err = input
                .parse::<Resource>()
                .expect_err(&format!("{input} should not parse"));
            assert_eq!(err.kind, kind, "{input}");
            assert_eq!(err.input, input);
        }
    }

    #[test]
    fn messages_name_the_input_the_problem_and_the_valid_forms() {
        let err = "socketcan:can0".parse::<Resource>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid resource `socketcan:can0`: SocketCAN resources are not implemented yet \
             (valid forms: sim:NAME, TCPIP::HOST::PORT::SOCKET, TCPIP::HOST::SOCKET (port 5025), \
             tcp://HOST:PORT)"
        );
    }
}
