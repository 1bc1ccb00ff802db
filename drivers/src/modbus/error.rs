//! What can go wrong in one Modbus exchange, for every Modbus driver.
//!
//! tokio-modbus nests its result: the outer error is the wire (transport, protocol),
//! the inner one the device's exception. Both are kept apart here as well, so a caller
//! can tell "reconnect may help" from "the device refused".

use std::io;
use std::time::Duration;

use tokio_modbus::{ExceptionCode, ProtocolError};

#[derive(Debug, thiserror::Error)]
pub enum ModbusErrorKind {
    #[error("no answer within {after:?}")]
    Timeout { after: Duration },
    #[error("transport error")]
    Transport(#[source] io::Error),
    /// The answer came from another unit or for another function code.
    #[error("protocol error")]
    Protocol(#[source] ProtocolError),
    /// The device understood the request and refused it.
    #[error("the device answered with exception {:#04x} ({})", u8::from(*.code), .code)]
    Exception { code: ExceptionCode },
    /// A well-formed answer that does not fit the request: a short coil list, a write
    /// echo with another address or value.
    #[error("unexpected answer {response}")]
    UnexpectedResponse { response: String },
}

impl ModbusErrorKind {
    /// The wire broke, as opposed to the device refusing or answering oddly.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            ModbusErrorKind::Timeout { .. }
                | ModbusErrorKind::Transport(_)
                | ModbusErrorKind::Protocol(_)
        )
    }
}
