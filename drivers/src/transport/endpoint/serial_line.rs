//! Serial ports and their line settings (`/dev/ttyUSB0?baud=9600&parity=none`), on
//! their own or under Modbus RTU, and the `?name=value&…` parameters of every syntax.

use super::{Endpoint, EndpointErrorKind as Kind, SerialConfig};
use crate::transport::Parity;

/// Whether a resource (lower-cased) names a serial port: `/dev/…` or `COMn`.
pub(super) fn is_serial_path(lower: &str) -> bool {
    let path = lower.split('?').next().unwrap_or_default();
    path.starts_with("/dev/")
        || path
            .strip_prefix("com")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(super) fn serial(s: &str) -> Result<Endpoint, Kind> {
    let (serial, params) = serial_config(s)?;
    params.reject_unknown()?;
    Ok(Endpoint::Serial(serial))
}

/// After `modbus-rtu:`: a serial port with its unit (1-247, the RTU slave addresses).
pub(super) fn modbus_rtu(rest: &str) -> Result<Endpoint, Kind> {
    let (serial, mut params) = serial_config(rest)?;
    let unit = match params.take("unit") {
        None => 1,
        Some(v) => match v.parse::<u8>() {
            Ok(unit @ 1..=247) => unit,
            _ => return Err(invalid_param("unit", &v)),
        },
    };
    params.reject_unknown()?;
    Ok(Endpoint::ModbusRtu { serial, unit })
}

/// The query parameters not yet taken, names lower-cased, in the order written.
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    pub(super) fn parse(query: Option<&str>) -> Result<Params, Kind> {
        let Some(query) = query else {
            return Ok(Params(Vec::new()));
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
            .collect::<Result<_, _>>()
            .map(Params)
    }

    pub(super) fn take(&mut self, name: &str) -> Option<String> {
        let i = self.0.iter().position(|(k, _)| k == name)?;
        Some(self.0.remove(i).1)
    }

    /// A parameter left over is one the syntax does not know.
    pub(super) fn reject_unknown(&self) -> Result<(), Kind> {
        match self.0.first() {
            None => Ok(()),
            Some((name, _)) => Err(Kind::UnknownParameter { name: name.clone() }),
        }
    }
}

pub(super) fn invalid_param(name: &str, value: &str) -> Kind {
    Kind::InvalidParameter {
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

/// The port and its line settings; the parameters left for the caller.
fn serial_config(s: &str) -> Result<(SerialConfig, Params), Kind> {
    let (path, query) = match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    };
    let valid_path = !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_' | b':'));
    if !valid_path || !is_serial_path(&path.to_ascii_lowercase()) {
        return Err(Kind::InvalidSerialPath {
            path: path.to_owned(),
        });
    }
    let mut params = Params::parse(query)?;
    let mut config = SerialConfig::new(path);
    if let Some(v) = params.take("baud") {
        config.baud = match v.parse::<u32>() {
            Ok(b @ 50..=4_000_000) => b,
            _ => return Err(invalid_param("baud", &v)),
        };
    }
    if let Some(v) = params.take("parity") {
        config.parity = match v.to_ascii_lowercase().as_str() {
            "none" | "n" => Parity::None,
            "even" | "e" => Parity::Even,
            "odd" | "o" => Parity::Odd,
            _ => return Err(invalid_param("parity", &v)),
        };
    }
    if let Some(v) = params.take("data_bits") {
        config.data_bits = match v.parse::<u8>() {
            Ok(b @ 5..=8) => b,
            _ => return Err(invalid_param("data_bits", &v)),
        };
    }
    if let Some(v) = params.take("stop_bits") {
        config.stop_bits = match v.parse::<u8>() {
            Ok(b @ 1..=2) => b,
            _ => return Err(invalid_param("stop_bits", &v)),
        };
    }
    Ok((config, params))
}
