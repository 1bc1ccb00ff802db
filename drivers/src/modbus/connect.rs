//! Opening a Modbus client context on an [`Endpoint`] or on any byte stream.
//!
//! Every context wraps its stream in a [`TapStream`], so the ADUs reach the event log.
//! Reconnect policy: none inside the drivers; a transport error
//! ([`ModbusErrorKind::is_transport`](super::ModbusErrorKind::is_transport)) is
//! returned and the rig reopens the endpoint.

use std::sync::Arc;
use std::time::Duration;

use tokio_modbus::Slave;
use tokio_modbus::client::{rtu, tcp};

use super::exchange::ModbusLink;
use super::resync::ResyncStream;

use crate::traffic::TrafficSink;
use crate::transport::{
    ByteStream, Endpoint, SerialError, TapStream, TransportError, connect_tcp, open_serial,
};

/// Which Modbus framing runs over a stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModbusFraming {
    /// MBAP header, no CRC (Modbus TCP).
    Tcp,
    /// Address + PDU + CRC (Modbus RTU on RS485, or an in-memory pipe).
    Rtu,
}

/// A Modbus endpoint could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ModbusConnectError {
    #[error(transparent)]
    Tcp(#[from] TransportError),
    #[error(transparent)]
    Serial(#[from] SerialError),
    #[error("`{endpoint}` is not a Modbus resource (modbus-tcp://… or modbus-rtu:…)")]
    NotModbus { endpoint: String },
}

/// A client for `unit` over an already open stream: the traffic tapped at the wire, and
/// stale answers kept from tokio-modbus (see [`ModbusLink`]).
pub fn attach<S: ByteStream>(
    stream: S,
    framing: ModbusFraming,
    unit: u8,
    instrument: Arc<str>,
    traffic: Option<TrafficSink>,
) -> ModbusLink {
    let tap = TapStream::new(stream, instrument, traffic);
    let exchanges = ModbusLink::shared();
    let stream = ResyncStream::new(tap, framing, exchanges.clone());
    let context = match framing {
        ModbusFraming::Tcp => tcp::attach_slave(stream, Slave(unit)),
        ModbusFraming::Rtu => rtu::attach_slave(stream, Slave(unit)),
    };
    ModbusLink::new(context, exchanges)
}

/// Connects to `modbus-tcp://` or opens `modbus-rtu:`; returns the link and the unit
/// the endpoint names.
pub async fn connect_modbus(
    endpoint: &Endpoint,
    instrument: Arc<str>,
    timeout: Duration,
    traffic: Option<TrafficSink>,
) -> Result<(ModbusLink, u8), ModbusConnectError> {
    match endpoint {
        Endpoint::ModbusTcp { host, port, unit } => {
            let stream = connect_tcp(host, *port, timeout).await?;
            let context = attach(stream, ModbusFraming::Tcp, *unit, instrument, traffic);
            Ok((context, *unit))
        }
        Endpoint::ModbusRtu { serial, unit } => {
            let stream = open_serial(serial)?;
            let context = attach(stream, ModbusFraming::Rtu, *unit, instrument, traffic);
            Ok((context, *unit))
        }
        other => Err(ModbusConnectError::NotModbus {
            endpoint: other.to_string(),
        }),
    }
}
