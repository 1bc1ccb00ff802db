//! SocketCAN (Linux kernel CAN) through the `socketcan` crate's tokio socket.
//!
//! Opening first probes for AF_CAN, so a kernel without CAN support says so by name
//! ([`SocketCanErrorKind::NoKernelSupport`]) instead of the interface lookup's
//! misleading "No such device" (rust-crates.md §1: `open` fails with ENODEV before any
//! socket exists, while binding to "all interfaces" fails with EAFNOSUPPORT). On other
//! operating systems `open` always fails with [`SocketCanErrorKind::NotLinux`].
//!
//! The socket subscribes to the controller's error frames: a bus-off ends the link
//! ([`SocketCanErrorKind::BusOff`]), since a controller off the bus hears nothing and a
//! rig that took that silence for a sleeping BMS would judge the pack on a broken link;
//! the other error frames (warnings, error-passive, missing ACKs while the BMS sleeps)
//! are counted ([`SocketCanPort::error_frames`]) and skipped. An interface taken down
//! fails the pending read and every send with ENETDOWN ([`SocketCanErrorKind::Io`]).
//!
//! The socket is the crate's plain one on tokio's `AsyncFd`, not its tokio socket:
//! that one waits for readability only, and a socket whose interface went down is not
//! readable, it reports an error (EPOLLERR), so its pending read never ended (found on
//! vcan: tests/socketcan.rs). Reads here wait for readability or an error.

use std::io;

use super::frame::CanId;

/// A SocketCAN interface could not be opened, or stopped carrying frames.
#[derive(Debug, thiserror::Error)]
#[error("SocketCAN interface `{interface}`: {kind}")]
pub struct SocketCanError {
    pub interface: String,
    #[source]
    pub kind: SocketCanErrorKind,
}

impl SocketCanError {
    /// The link broke while in use (as opposed to an interface that cannot be opened):
    /// reopening may help.
    pub fn is_transport(&self) -> bool {
        matches!(
            self.kind,
            SocketCanErrorKind::BusOff { .. } | SocketCanErrorKind::Io(_)
        )
    }
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
    /// The error frame's classes, decoded.
    #[error(
        "the CAN controller went bus-off ({detail}); it hears and sends nothing until restarted"
    )]
    BusOff { detail: String },
    // The cause is in the message: the rig reports errors by their message alone.
    #[error("{0}")]
    Io(#[source] io::Error),
}

/// A receive filter the kernel applies (CAN_RAW_FILTER): a frame passes when its
/// identifier, masked, equals the filter's, masked. Standard filters never pass
/// extended frames and the other way round.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketCanFilter {
    id: CanId,
    mask: u32,
}

/// `CAN_EFF_FLAG`: the identifier is 29 bits.
const EFF_FLAG: u32 = 0x8000_0000;

impl SocketCanFilter {
    /// Frames with exactly this identifier.
    pub fn exact(id: CanId) -> Self {
        Self::masked(id, u32::MAX)
    }

    /// Frames whose identifier matches `id` in the bits set in `mask`.
    pub fn masked(id: CanId, mask: u32) -> Self {
        Self { id, mask }
    }

    /// The kernel's `can_filter` words: the format flag is always compared, so a
    /// standard filter does not pass an extended frame with the same low bits; the
    /// RTR flag is not (remote frames are skipped by the port anyway).
    fn raw(self) -> (u32, u32) {
        match self.id {
            CanId::Standard(id) => (u32::from(id), (self.mask & 0x7FF) | EFF_FLAG),
            CanId::Extended(id) => (id | EFF_FLAG, (self.mask & 0x1FFF_FFFF) | EFF_FLAG),
        }
    }
}

/// Error frames the controller reported that did not end the link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorFrames {
    pub count: u64,
    /// The last one, decoded ("no ACK", "controller: TX error-passive", ...).
    pub last: Option<String>,
}

/// `CAN_ERR_BUSOFF` in an error frame's identifier.
const ERR_BUSOFF: u32 = 0x0040;

/// Whether an error frame with these class bits ends the link.
fn ends_the_link(error_bits: u32) -> bool {
    error_bits & ERR_BUSOFF != 0
}

#[cfg(target_os = "linux")]
mod imp {
    use std::io;
    use std::sync::{Arc, Mutex, PoisonError};

    use socketcan::{EmbeddedFrame, ExtendedId, Id, Socket, SocketOptions, StandardId};
    use tokio::io::Interest;
    use tokio::io::unix::AsyncFd;

    use super::{ErrorFrames, SocketCanError, SocketCanErrorKind, SocketCanFilter, ends_the_link};
    use crate::can::frame::{CanFrame, CanId};

    /// `EAFNOSUPPORT` on Linux: the address family (AF_CAN) is not supported.
    const EAFNOSUPPORT: i32 = 97;
    /// `ENODEV` on Linux.
    const ENODEV: i32 = 19;
    /// Every error class (`CAN_ERR_MASK`): all are counted, bus-off ends the link.
    const ERR_MASK_ALL: u32 = 0x1FFF_FFFF;

    /// An open SocketCAN interface.
    #[derive(Clone, Debug)]
    pub struct SocketCanPort {
        socket: Arc<AsyncFd<socketcan::CanSocket>>,
        interface: String,
        errors: Arc<Mutex<ErrorFrames>>,
    }

    impl SocketCanPort {
        /// Needs a tokio runtime (the socket registers with its reactor). Receives every
        /// data frame of the other sockets and nodes on the interface, never its own.
        pub fn open(interface: &str) -> Result<Self, SocketCanError> {
            let error = |kind| SocketCanError {
                interface: interface.to_owned(),
                kind,
            };
            probe_af_can().map_err(error)?;
            let socket = socketcan::CanSocket::open(interface).map_err(|e| {
                error(match e.raw_os_error() {
                    Some(ENODEV) => SocketCanErrorKind::NoSuchInterface,
                    _ => SocketCanErrorKind::Io(e),
                })
            })?;
            // Stated rather than left to the defaults: other sockets on this host (the
            // twin on the same vcan0) hear what this one sends (loopback), and this one
            // does not hear itself, as on the memory bus.
            socket
                .set_error_filter(ERR_MASK_ALL)
                .and_then(|()| socket.set_loopback(true))
                .and_then(|()| socket.set_recv_own_msgs(false))
                .and_then(|()| socket.set_nonblocking(true))
                .map_err(|e| error(SocketCanErrorKind::Io(e)))?;
            // SAFETY: the socket owns its descriptor (an `OwnedFd`) until it is dropped,
            // and the `AsyncFd` owns the socket, so the registered descriptor stays open
            // and the same for the registration's whole life.
            let socket = unsafe { AsyncFd::register(socket) }
                .map_err(|e| error(SocketCanErrorKind::Io(e.into())))?;
            Ok(Self {
                socket: Arc::new(socket),
                interface: interface.to_owned(),
                errors: Arc::default(),
            })
        }

        pub fn interface(&self) -> &str {
            &self.interface
        }

        /// Receive only frames that pass one of `filters` (none: receive nothing);
        /// the kernel drops the others before they are queued. Error frames still come.
        pub fn set_filters(&self, filters: &[SocketCanFilter]) -> Result<(), SocketCanError> {
            let raw: Vec<(u32, u32)> = filters.iter().map(|f| f.raw()).collect();
            let socket = self.socket.get_ref();
            let set = if raw.is_empty() {
                socket.set_filter_drop_all()
            } else {
                socket.set_filters(&raw)
            };
            set.map_err(|e| self.error(SocketCanErrorKind::Io(e)))
        }

        pub async fn send(&self, frame: &CanFrame) -> Result<(), SocketCanError> {
            let frame = to_socketcan(frame).map_err(|e| self.error(SocketCanErrorKind::Io(e)))?;
            self.socket
                .async_io(Interest::WRITABLE, |socket| socket.write_frame(&frame))
                .await
                .map_err(|e| self.error(SocketCanErrorKind::Io(e)))
        }

        /// The next data frame; remote frames are skipped, error frames counted, and a
        /// bus-off is an error.
        pub async fn recv(&self) -> Result<CanFrame, SocketCanError> {
            loop {
                let frame = self
                    .socket
                    .async_io(Interest::READABLE | Interest::ERROR, |socket| {
                        socket.read_frame()
                    })
                    .await
                    .map_err(|e| self.error(SocketCanErrorKind::Io(e)))?;
                match frame {
                    socketcan::CanFrame::Data(data) => {
                        let id = match data.id() {
                            Id::Standard(id) => CanId::Standard(id.as_raw()),
                            Id::Extended(id) => CanId::Extended(id.as_raw()),
                        };
                        if let Ok(frame) = CanFrame::new(id, data.data()) {
                            return Ok(frame);
                        }
                    }
                    socketcan::CanFrame::Remote(_) => {}
                    socketcan::CanFrame::Error(error) => {
                        let bits = error.error_bits();
                        let detail = error.into_error().to_string();
                        if ends_the_link(bits) {
                            return Err(self.error(SocketCanErrorKind::BusOff { detail }));
                        }
                        let mut errors = self.errors.lock().unwrap_or_else(PoisonError::into_inner);
                        errors.count += 1;
                        errors.last = Some(detail);
                    }
                }
            }
        }

        /// The error frames received so far that did not end the link.
        pub fn error_frames(&self) -> ErrorFrames {
            self.errors
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone()
        }

        fn error(&self, kind: SocketCanErrorKind) -> SocketCanError {
            SocketCanError {
                interface: self.interface.clone(),
                kind,
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
    use super::{ErrorFrames, SocketCanError, SocketCanErrorKind, SocketCanFilter};
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
        pub fn set_filters(&self, _filters: &[SocketCanFilter]) -> Result<(), SocketCanError> {
            match self.never {}
        }
        pub async fn send(&self, _frame: &CanFrame) -> Result<(), SocketCanError> {
            match self.never {}
        }
        pub async fn recv(&self) -> Result<CanFrame, SocketCanError> {
            match self.never {}
        }
        pub fn error_frames(&self) -> ErrorFrames {
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
    /// The I/O itself is tested on a kernel with vcan (tests/socketcan.rs).
    #[tokio::test]
    async fn opening_reports_a_typed_reason() {
        let err = SocketCanPort::open("rigcan-none0").unwrap_err();
        assert_eq!(err.interface, "rigcan-none0");
        assert!(
            !err.is_transport(),
            "an interface that cannot open is no broken link"
        );
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

    #[test]
    fn filters_compare_the_frame_format_and_not_the_remote_flag() {
        assert_eq!(
            SocketCanFilter::exact(CanId::Standard(0x351)).raw(),
            (0x351, 0x7FF | EFF_FLAG)
        );
        assert_eq!(
            SocketCanFilter::masked(CanId::Standard(0x350), 0x7F0).raw(),
            (0x350, 0x7F0 | EFF_FLAG)
        );
        assert_eq!(
            SocketCanFilter::exact(CanId::Extended(0x18FF_50E5)).raw(),
            (0x18FF_50E5 | EFF_FLAG, 0x1FFF_FFFF | EFF_FLAG)
        );
    }

    #[test]
    fn only_a_bus_off_ends_the_link() {
        assert!(ends_the_link(ERR_BUSOFF));
        // CAN_ERR_CRTL | CAN_ERR_CNT with the bus-off class: still the end.
        assert!(ends_the_link(ERR_BUSOFF | 0x0004 | 0x0200));
        // No ACK (a sleeping BMS), controller warnings, restarted: counted, not fatal.
        for bits in [0x0020, 0x0004, 0x0100, 0x0004 | 0x0200] {
            assert!(!ends_the_link(bits), "{bits:#x}");
        }
    }

    #[test]
    fn an_io_error_says_its_cause() {
        let err = SocketCanError {
            interface: "can0".into(),
            kind: SocketCanErrorKind::Io(io::Error::from_raw_os_error(100)),
        };
        assert!(err.is_transport());
        let text = err.to_string();
        assert!(text.starts_with("SocketCAN interface `can0`: "), "{text}");
        assert!(text.contains("os error 100"), "{text}");
    }
}
