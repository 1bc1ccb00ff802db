//! Where an instrument or bus is reached, as the bench file spells it: every
//! resource-string syntax, parsed into an [`Endpoint`] with typed errors.
//!
//! An `Endpoint` is passive data (labgrid's split): it says where, never how to talk.
//! The spellings follow what lab engineers already write: VISA for SCPI raw sockets,
//! URLs for the rest.
//!
//! | Syntax | Example |
//! | --- | --- |
//! | virtual bench | `sim:source` (a-z, 0-9 and `_`) |
//! | raw TCP socket | `TCPIP::10.0.0.20::5025::SOCKET`, `TCPIP0::[fe80::1]::SOCKET` (port 5025), `tcp://10.0.0.20:5025` |
//! | serial | `/dev/ttyUSB0?baud=9600&parity=none&data_bits=8&stop_bits=1`, `COM3?baud=115200` |
//! | Modbus TCP | `modbus-tcp://10.0.0.30:502?unit=1` (port 502 and unit 1 by default) |
//! | Modbus RTU | `modbus-rtu:/dev/ttyUSB1?baud=9600&unit=1` (serial parameters as above) |
//! | SocketCAN | `socketcan:can0` |
//! | socketcand | `socketcand://10.0.0.5:29536/can0` (port 29536 by default) |
//!
//! VISA is case-insensitive (`tcpip0::host::5025::socket`); the other prefixes too,
//! except `sim:` and `tcp://`. VISA INSTR resources (`TCPIP0::host::inst0::INSTR`,
//! `USB0::…::INSTR`, GPIB, ASRL) are recognised and refused by name: they need a VISA
//! library, which is out of scope (see the crate doc).
//!
//! Serial defaults are 9600 Bd 8N1: the Waveshare boards' factory setting (protocols.md
//! §6.1), ESPEC's library default (§5.3) and the rate inverters poll a Pylontech-protocol
//! BMS at (§2.1, §2.10). The Pylontech specification's own default is 115200 Bd and a
//! Watlow F4 may run at 19200 (§5.1): give `baud=` explicitly for those.

mod network;
mod serial_line;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

const VALID_ENDPOINTS: &str = "sim:NAME, TCPIP::HOST::PORT::SOCKET, tcp://HOST:PORT, \
     /dev/PATH?baud=N&parity=none|even|odd&data_bits=5-8&stop_bits=1|2, \
     modbus-tcp://HOST[:PORT]?unit=N, modbus-rtu:/dev/PATH?baud=N&unit=N, socketcan:IFACE, \
     socketcand://HOST[:PORT]/BUS";

/// The port SCPI instruments listen on for raw-socket connections (protocols.md §4.1:
/// "Keysight and most others: port 5025"); used when `TCPIP::host::SOCKET` omits it.
pub const DEFAULT_SCPI_PORT: u16 = 5025;
/// Modbus TCP's port (protocols.md §4.6, §5.2).
pub const DEFAULT_MODBUS_TCP_PORT: u16 = 502;
/// socketcand's port (§3.1).
pub const DEFAULT_SOCKETCAND_TCP_PORT: u16 = 29536;

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
    /// An endpoint of the built-in virtual bench (`sim:source`).
    Sim {
        endpoint: String,
    },
    /// A raw TCP socket. An IPv6 host is stored without its brackets.
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

/// A resource string could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid resource `{input}`: {kind} (valid forms: {VALID_ENDPOINTS})")]
pub struct EndpointError {
    /// The string as written in the bench file.
    pub input: String,
    pub kind: EndpointErrorKind,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointErrorKind {
    #[error("the resource is empty")]
    Empty,
    #[error("unrecognised syntax")]
    UnknownSyntax,
    /// A VISA resource other than a raw socket.
    #[error(
        "VISA INSTR resources (VXI-11, HiSLIP, USBTMC, GPIB, ASRL) need a VISA library, \
         which rig does not use: reach the instrument by its raw socket"
    )]
    VisaInstr,
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

impl FromStr for Endpoint {
    type Err = EndpointError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        parse(input.trim()).map_err(|kind| EndpointError {
            input: input.to_owned(),
            kind,
        })
    }
}

/// Prefixes of VISA INSTR resources that are not `TCPIP` (USBTMC, GPIB, ASRL).
const VISA_INSTR_PREFIXES: &[&str] = &["usb", "gpib", "asrl"];

fn parse(s: &str) -> Result<Endpoint, EndpointErrorKind> {
    use network as net;
    if s.is_empty() {
        return Err(EndpointErrorKind::Empty);
    }
    let lower = s.to_ascii_lowercase();
    if let Some(rest) = strip_prefix_ci(s, &lower, "modbus-tcp://") {
        return net::modbus_tcp(rest);
    }
    if let Some(rest) = strip_prefix_ci(s, &lower, "modbus-rtu:") {
        return serial_line::modbus_rtu(rest);
    }
    if let Some(rest) = strip_prefix_ci(s, &lower, "socketcand://") {
        return net::socketcand(rest);
    }
    if let Some(interface) = strip_prefix_ci(s, &lower, "socketcan:") {
        net::check_interface(interface)?;
        return Ok(Endpoint::SocketCan {
            interface: interface.to_owned(),
        });
    }
    if serial_line::is_serial_path(&lower) {
        return serial_line::serial(s);
    }
    if let Some(name) = s.strip_prefix("sim:") {
        return net::sim(name);
    }
    if let Some(rest) = s.strip_prefix("tcp://") {
        let (host, port) = net::tcp_url(rest)?;
        return Ok(Endpoint::TcpSocket { host, port });
    }
    if VISA_INSTR_PREFIXES.iter().any(|p| lower.starts_with(p)) {
        return Err(EndpointErrorKind::VisaInstr);
    }
    if let Some((interface, rest)) = s.split_once("::") {
        return net::visa_socket(interface, rest);
    }
    Err(EndpointErrorKind::UnknownSyntax)
}

fn strip_prefix_ci<'a>(s: &'a str, lower: &str, prefix: &str) -> Option<&'a str> {
    lower
        .starts_with(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
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
