//! SocketCAN (Linux kernel CAN) through the `socketcan` crate's tokio socket.
//!
//! Opening first probes for AF_CAN, so a kernel without CAN support says so by name
//! ([`SocketCanErrorKind::NoKernelSupport`]) instead of the interface lookup's
//! misleading "No such device" (rust-crates.md §1: `open` fails with ENODEV before any
//! socket exists, while binding to "all interfaces" fails with EAFNOSUPPORT). On other
//! operating systems `open` always fails with [`SocketCanErrorKind::NotLinux`].

use std::io;

/// A SocketCAN interface could not be used.
#[derive(Debug, thiserror::Error)]
#[error("SocketCAN interface `{interface}`: {kind}")]
pub struct SocketCanError {
    pub interface: String,
    #[source]
    pub kind: SocketCanErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum SocketCanErrorKind {
    #[error(
        "this kernel has no CAN support (AF_CAN unavailable; load the can and can_raw modules)"
    )]
    NoKernelSupport,
    #[error("no such network interface (check `ip link show`)")]
    NoSuchInterface,
    #[error("SocketCAN exists on Linux only")]
    NotLinux,
    #[error("i/o error")]
    Io(#[source] io::Error),
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::sync::Arc;

    use socketcan::{EmbeddedFrame, ExtendedId, Id, Socket, StandardId};

    use super::{SocketCanError, SocketCanErrorKind};
    use crate::can::frame::{CanFrame, CanId};

    /// `EAFNOSUPPORT` on Linux: the address family (AF_CAN) is not supported.
    const EAFNOSUPPORT: i32 = 97;
    /// `ENODEV` on Linux.
    const ENODEV: i32 = 19;

    /// An open SocketCAN interface.
    #[derive(Clone, Debug)]
    pub struct SocketCanPort {
        socket: Arc<socketcan::tokio::CanSocket>,
        interface: String,
    }

    impl SocketCanPort {
        /// Needs a tokio runtime (the socket registers with its reactor).
        pub fn open(interface: &str) -> Result<Self, SocketCanError> {
            let error = |kind| SocketCanError {
                interface: interface.to_owned(),
                kind,
            };
            probe_af_can().map_err(error)?;
            let socket = socketcan::tokio::CanSocket::open(interface).map_err(|e| {
                error(match e.raw_os_error() {
                    Some(ENODEV) => SocketCanErrorKind::NoSuchInterface,
                    _ => SocketCanErrorKind::Io(e),
                })
            })?;
            Ok(Self {
                socket: Arc::new(socket),
                interface: interface.to_owned(),
            })
        }

        pub fn interface(&self) -> &str {
            &self.interface
        }

        pub async fn send(&self, frame: &CanFrame) -> io::Result<()> {
            self.socket.write_frame(to_socketcan(frame)?).await
        }

        /// The next data frame; remote and error frames are skipped.
        pub async fn recv(&self) -> io::Result<CanFrame> {
            loop {
                if let socketcan::CanFrame::Data(data) = self.socket.read_frame().await? {
                    let id = match data.id() {
                        Id::Standard(id) => CanId::Standard(id.as_raw()),
                        Id::Extended(id) => CanId::Extended(id.as_raw()),
                    };
                    if let Ok(frame) = CanFrame::new(id, data.data()) {
                        return Ok(frame);
                    }
                }
            }
        }
    }

    /// Binding a raw CAN socket to "all interfaces" (index 0) fails with EAFNOSUPPORT
    /// exactly when the kernel has no AF_CAN.
    pub fn probe_af_can() -> Result<(), SocketCanErrorKind> {
        match socketcan::CanSocket::open_iface(0) {
            Ok(_) => Ok(()),
            Err(e) if e.raw_os_error() == Some(EAFNOSUPPORT) => {
                Err(SocketCanErrorKind::NoKernelSupport)
            }
            Err(e) => Err(SocketCanErrorKind::Io(e)),
        }
    }

    fn to_socketcan(frame: &CanFrame) -> io::Result<socketcan::CanFrame> {
        let id: Option<Id> = match frame.id() {
            CanId::Standard(raw) => StandardId::new(raw).map(Id::Standard),
            CanId::Extended(raw) => ExtendedId::new(raw).map(Id::Extended),
        };
        id.and_then(|id| socketcan::CanFrame::new(id, frame.data()))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, frame.to_string()))
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::io;

    use super::{SocketCanError, SocketCanErrorKind};
    use crate::can::frame::CanFrame;

    /// Never constructed off Linux.
    #[derive(Clone, Debug)]
    pub struct SocketCanPort {
        never: std::convert::Infallible,
    }

    impl SocketCanPort {
        pub fn open(interface: &str) -> Result<Self, SocketCanError> {
            Err(SocketCanError {
                interface: interface.to_owned(),
                kind: SocketCanErrorKind::NotLinux,
            })
        }
        pub fn interface(&self) -> &str {
            match self.never {}
        }
        pub async fn send(&self, _frame: &CanFrame) -> io::Result<()> {
            match self.never {}
        }
        pub async fn recv(&self) -> io::Result<CanFrame> {
            match self.never {}
        }
    }

    pub fn probe_af_can() -> Result<(), SocketCanErrorKind> {
        Err(SocketCanErrorKind::NotLinux)
    }
}

pub use imp::{SocketCanPort, probe_af_can};

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs everywhere: on a kernel with CAN the probe passes and an unknown interface
    /// is named as such; on this project's machines (no AF_CAN) the typed error shows.
    #[tokio::test]
    async fn opening_reports_a_typed_reason() {
        let err = SocketCanPort::open("rigcan-none0").unwrap_err();
        assert_eq!(err.interface, "rigcan-none0");
        match probe_af_can() {
            Err(SocketCanErrorKind::NoKernelSupport) => {
                eprintln!(
                    "SKIP SocketCAN I/O: this kernel has no AF_CAN; the error path is tested"
                );
                assert!(matches!(err.kind, SocketCanErrorKind::NoKernelSupport));
                assert!(err.to_string().contains("this kernel has no CAN support"));
            }
            Err(SocketCanErrorKind::NotLinux) => {
                assert!(matches!(err.kind, SocketCanErrorKind::NotLinux));
            }
            Ok(()) => assert!(matches!(err.kind, SocketCanErrorKind::NoSuchInterface)),
            Err(other) => panic!("unexpected probe result {other:?}"),
        }
    }
}
