//! Chamber errors: which chamber, which operation, what kind.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::modbus::ModbusErrorKind;
use crate::scpi::LineError;

/// A chamber operation failed.
#[derive(Debug)]
pub struct ChamberError {
    /// The bench name of the chamber.
    pub instrument: Arc<str>,
    /// What the driver was doing: `write the set point`, `read the process value`.
    pub operation: &'static str,
    pub kind: ChamberErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ChamberErrorKind {
    #[error(transparent)]
    Modbus(ModbusErrorKind),
    #[error("no answer within {after:?}")]
    Timeout { after: Duration },
    #[error("i/o error")]
    Io(#[source] std::io::Error),
    #[error("connection closed by the controller")]
    Closed,
    #[error(transparent)]
    Framing(LineError),
    /// ESPEC's `NA:` replies (`NA:DATA OUT OF RANGE`).
    #[error("the controller refused: {reply:?}")]
    Refused { reply: String },
    #[error("malformed reply {reply:?}")]
    Malformed { reply: String },
    #[error("{value} °C is outside the controller's range {low}…{high} °C")]
    OutOfRange { value: f64, low: f64, high: f64 },
    #[error("event output {output} does not exist (1-8)")]
    InvalidEvent { output: u8 },
    #[error(
        "not within ±{band} °C of {target} °C for {hold:?} within {timeout:?} (last {last:?} °C)"
    )]
    NotStable {
        target: f64,
        band: f64,
        hold: Duration,
        timeout: Duration,
        last: Option<f64>,
    },
}

impl ChamberErrorKind {
    /// The wire broke; reopening may help.
    pub fn is_transport(&self) -> bool {
        match self {
            ChamberErrorKind::Modbus(kind) => kind.is_transport(),
            ChamberErrorKind::Timeout { .. }
            | ChamberErrorKind::Io(_)
            | ChamberErrorKind::Closed
            | ChamberErrorKind::Framing(_) => true,
            _ => false,
        }
    }
}

impl fmt::Display for ChamberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "chamber `{}`, {}: {}",
            self.instrument, self.operation, self.kind
        )
    }
}

impl std::error::Error for ChamberError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}
