//! Byte transports the drivers run over, and the resource strings that name them.
//!
//! A driver never opens its own connection: the rig resolves a bench [`Endpoint`] to a
//! [`BoxStream`] (a TCP socket or serial port on a real bench, one half of an in-memory
//! duplex on the virtual bench) and hands the stream to the driver, so the same driver
//! code talks to real and simulated instruments. [`Endpoint`] parses every resource
//! string of a bench file (`sim:`, TCP sockets, serial ports, Modbus TCP/RTU, SocketCAN,
//! socketcand) with typed errors.

mod endpoint;
mod serial;
mod stale;
mod tap;
mod tcp;

pub use endpoint::{
    DEFAULT_MODBUS_TCP_PORT, DEFAULT_SCPI_PORT, DEFAULT_SOCKETCAND_TCP_PORT, Endpoint,
    EndpointError, EndpointErrorKind, Parity, SerialConfig,
};
pub use serial::{SerialError, open_serial};
pub use stale::{OpenExchange, QUIET_GAP, discard_late_answer};
pub use tap::TapStream;
pub use tcp::{TransportError, TransportErrorKind, connect_tcp};

/// Anything a driver can talk bytes over: sockets, serial ports, in-memory pipes and
/// the scripted mocks of the tests. `Debug` so a driver holding one can derive it.
pub trait ByteStream:
    tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug + 'static
{
}

impl<T> ByteStream for T where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + std::fmt::Debug + 'static
{
}

/// A type-erased stream, for code that picks the transport at run time.
pub type BoxStream = Box<dyn ByteStream>;
