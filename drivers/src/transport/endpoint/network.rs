//! The network syntaxes: `sim:`, raw TCP sockets (VISA and `tcp://`), Modbus TCP and
//! socketcand, and the host, port and CAN interface names they share.

use std::net::Ipv6Addr;

use super::{
    DEFAULT_MODBUS_TCP_PORT, DEFAULT_SCPI_PORT, DEFAULT_SOCKETCAND_TCP_PORT, Endpoint,
    EndpointErrorKind as Kind, serial_line,
};

/// Linux IFNAMSIZ (16) less the terminating NUL.
const MAX_INTERFACE_LEN: usize = 15;

pub(super) fn sim(name: &str) -> Result<Endpoint, Kind> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(Kind::InvalidSimName);
    }
    Ok(Endpoint::Sim {
        endpoint: name.to_owned(),
    })
}

/// After `tcp://`: `host:port` or `[v6]:port`, nothing after the port.
pub(super) fn tcp_url(rest: &str) -> Result<(String, u16), Kind> {
    let (host, after_host) = split_host(rest, ":")?;
    let port = match after_host {
        None | Some("") => return Err(Kind::MissingPort),
        Some(port) => parse_port(port)?,
    };
    Ok((host, port))
}

/// `TCPIP[0]::host::port::SOCKET`, `TCPIP[0]::host::SOCKET`; VISA is case-insensitive.
/// Other VISA resources of a `TCPIP` interface (VXI-11, HiSLIP) are INSTR resources.
pub(super) fn visa_socket(interface: &str, rest: &str) -> Result<Endpoint, Kind> {
    if !matches!(interface.to_ascii_uppercase().as_str(), "TCPIP" | "TCPIP0") {
        return Err(Kind::MalformedVisa);
    }
    let (host, after_host) = split_host(rest, "::")?;
    let fields: Vec<&str> = after_host
        .map(|r| r.split("::").collect())
        .unwrap_or_default();
    let upper: Vec<String> = fields.iter().map(|f| f.to_ascii_uppercase()).collect();
    let port = match upper.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["SOCKET"] => DEFAULT_SCPI_PORT,
        [_, "SOCKET"] => parse_port(fields.first().copied().unwrap_or_default())?,
        [] | [.., "INSTR"] => return Err(Kind::VisaInstr),
        _ => return Err(Kind::MalformedVisa),
    };
    Ok(Endpoint::TcpSocket { host, port })
}

pub(super) fn modbus_tcp(rest: &str) -> Result<Endpoint, Kind> {
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (host, port) = host_port(authority, DEFAULT_MODBUS_TCP_PORT)?;
    let mut params = serial_line::Params::parse(query)?;
    let unit = match params.take("unit") {
        None => 1,
        // Modbus TCP gateways accept unit 0 and 255 as "the device itself".
        Some(v) => v
            .parse::<u8>()
            .map_err(|_| serial_line::invalid_param("unit", &v))?,
    };
    params.reject_unknown()?;
    Ok(Endpoint::ModbusTcp { host, port, unit })
}

pub(super) fn socketcand(rest: &str) -> Result<Endpoint, Kind> {
    let (authority, bus) = rest.rsplit_once('/').ok_or(Kind::MissingBus)?;
    if bus.is_empty() {
        return Err(Kind::MissingBus);
    }
    check_interface(bus)?;
    let (host, port) = host_port(authority, DEFAULT_SOCKETCAND_TCP_PORT)?;
    Ok(Endpoint::Socketcand {
        host,
        port,
        bus: bus.to_owned(),
    })
}

pub(super) fn check_interface(name: &str) -> Result<(), Kind> {
    let valid = !name.is_empty()
        && name.len() <= MAX_INTERFACE_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if valid {
        Ok(())
    } else {
        Err(Kind::InvalidInterface {
            name: name.to_owned(),
        })
    }
}

/// `host[:port]`, IPv6 in brackets (or bare, without a port); `default` when the port
/// is omitted.
fn host_port(s: &str, default: u16) -> Result<(String, u16), Kind> {
    if has_port(s) {
        tcp_url(s)
    } else if s.contains(':') && !s.starts_with('[') {
        tcp_url(&format!("[{s}]:{default}"))
    } else {
        tcp_url(&format!("{s}:{default}"))
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

/// Splits a host (plain, or an IPv6 address in brackets) from what follows `separator`.
fn split_host<'a>(s: &'a str, separator: &str) -> Result<(String, Option<&'a str>), Kind> {
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

fn invalid_host(host: &str) -> Kind {
    Kind::InvalidHost {
        host: host.to_owned(),
    }
}

fn parse_port(port: &str) -> Result<u16, Kind> {
    let invalid = || Kind::InvalidPort {
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
