//! One type over every CAN backend: the virtual bench's memory bus, SocketCAN and
//! socketcand. Enum dispatch keeps it a plain value the runner can own.
//!
//! Every send has a timeout; `recv` waits for bus traffic (a quiet bus is data, not an
//! error: the rig measures gaps), and [`CanPort::recv_timeout`] bounds the wait.
//!
//! Reconnect policy: a port never reconnects by itself. A transport error
//! ([`CanPortError::is_transport`]) ends the port; the rig opens the resource again
//! (for socketcand a new TCP connection and handshake) and records the outage as a
//! gap in the frame statistics. Reconnecting silently would hide exactly the BMS
//! timeouts the rig exists to measure.

use std::time::Duration;

use super::frame::CanFrame;
use super::memory::{MemoryBusError, MemoryCanPort, MemoryCanSender};
use super::socketcan_port::{SocketCanError, SocketCanPort};
use super::socketcand::{SocketcandError, SocketcandPort, SocketcandSender};
use crate::transport::{BoxStream, Endpoint, TransportError, connect_tcp};

/// A CAN port could not be opened, or an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum CanPortError {
    #[error("sending took longer than {after:?}")]
    Timeout { after: Duration },
    #[error(transparent)]
    Memory(#[from] MemoryBusError),
    #[error(transparent)]
    SocketCan(#[from] SocketCanError),
    // The cause in the message: the rig reports an error by its message alone.
    #[error("socketcand: {0}")]
    Socketcand(#[from] SocketcandError),
    #[error(transparent)]
    Connect(#[from] TransportError),
    #[error("`{endpoint}` is not a CAN resource (socketcan:IFACE or socketcand://HOST[:PORT]/BUS)")]
    NotCan { endpoint: String },
}

impl CanPortError {
    /// The link broke (as opposed to a misconfiguration): reopening may help.
    pub fn is_transport(&self) -> bool {
        match self {
            CanPortError::Timeout { .. } | CanPortError::Memory(_) | CanPortError::Connect(_) => {
                true
            }
            CanPortError::Socketcand(e) => e.is_transport(),
            CanPortError::SocketCan(e) => e.is_transport(),
            CanPortError::NotCan { .. } => false,
        }
    }
}

/// A CAN bus connection.
#[derive(Debug)]
pub enum CanPort {
    Memory(MemoryCanPort),
    SocketCan(SocketCanPort),
    Socketcand(SocketcandPort),
}

/// A cloneable sending handle of a [`CanPort`].
#[derive(Clone, Debug)]
pub enum CanSender {
    Memory(MemoryCanSender),
    SocketCan(SocketCanPort),
    Socketcand(SocketcandSender),
}

impl CanPort {
    /// Opens `socketcan:IFACE` or `socketcand://HOST[:PORT]/BUS`. `sim:` ports come
    /// from the virtual bench ([`CanPort::Memory`]); other endpoints are refused.
    pub async fn open(endpoint: &Endpoint, timeout: Duration) -> Result<Self, CanPortError> {
        match endpoint {
            Endpoint::SocketCan { interface } => Self::open_socketcan(interface),
            Endpoint::Socketcand { host, port, bus } => {
                Self::open_socketcand(host, *port, bus, timeout).await
            }
            other => Err(CanPortError::NotCan {
                endpoint: other.to_string(),
            }),
        }
    }

    /// `socketcan:IFACE`: needs Linux with CAN in the kernel; see [`SocketCanPort`].
    pub fn open_socketcan(interface: &str) -> Result<Self, CanPortError> {
        Ok(CanPort::SocketCan(SocketCanPort::open(interface)?))
    }

    /// `socketcand://HOST:PORT/BUS`: TCP connect, then the raw-mode handshake; the
    /// timeout bounds the connect and each handshake step.
    pub async fn open_socketcand(
        host: &str,
        port: u16,
        bus: &str,
        timeout: Duration,
    ) -> Result<Self, CanPortError> {
        let stream = connect_tcp(host, port, timeout).await?;
        Self::socketcand_over(Box::new(stream), bus, timeout).await
    }

    /// The socketcand handshake over an already connected stream.
    pub async fn socketcand_over(
        stream: BoxStream,
        bus: &str,
        timeout: Duration,
    ) -> Result<Self, CanPortError> {
        Ok(CanPort::Socketcand(
            SocketcandPort::open(stream, bus, timeout).await?,
        ))
    }

    pub fn sender(&self) -> CanSender {
        match self {
            CanPort::Memory(port) => CanSender::Memory(port.sender()),
            CanPort::SocketCan(port) => CanSender::SocketCan(port.clone()),
            CanPort::Socketcand(port) => CanSender::Socketcand(port.sender()),
        }
    }

    /// Sends one frame, waiting at most `timeout`.
    pub async fn send(&self, frame: &CanFrame, timeout: Duration) -> Result<(), CanPortError> {
        self.sender().send(frame, timeout).await
    }

    /// The next frame from another node.
    pub async fn recv(&mut self) -> Result<CanFrame, CanPortError> {
        match self {
            CanPort::Memory(port) => Ok(port.recv().await?),
            CanPort::SocketCan(port) => Ok(port.recv().await?),
            CanPort::Socketcand(port) => Ok(port.recv().await?.0),
        }
    }

    /// The next frame, or `None` when the bus stays quiet for `wait`.
    pub async fn recv_timeout(&mut self, wait: Duration) -> Result<Option<CanFrame>, CanPortError> {
        match tokio::time::timeout(wait, self.recv()).await {
            Ok(result) => result.map(Some),
            Err(_quiet) => Ok(None),
        }
    }
}

impl CanSender {
    pub async fn send(&self, frame: &CanFrame, timeout: Duration) -> Result<(), CanPortError> {
        let sending = async {
            match self {
                CanSender::Memory(tx) => {
                    tx.send(frame.clone());
                    Ok(())
                }
                CanSender::SocketCan(port) => Ok(port.send(frame).await?),
                CanSender::Socketcand(tx) => Ok(tx.send(frame).await?),
            }
        };
        tokio::time::timeout(timeout, sending)
            .await
            .map_err(|_| CanPortError::Timeout { after: timeout })?
    }
}

impl From<MemoryCanPort> for CanPort {
    fn from(port: MemoryCanPort) -> Self {
        CanPort::Memory(port)
    }
}
