//! The one error type of SCPI exchanges: which instrument, which command, what kind.
//!
//! The kinds keep "the wire broke" (timeout, i/o, closed, framing; worth a reconnect)
//! apart from "the instrument said no" (an error-queue entry, a readback that differs)
//! and "the answer made no sense" (malformed), as STYLE item 7 asks. Display and
//! `source` are written by hand so the message reads `context: kind` while an i/o
//! cause stays its own link of the chain instead of being printed twice.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::codec::LineError;
use super::dialect::{Dialect, Parameter};

/// An SCPI command or query failed.
#[derive(Debug)]
pub struct ScpiError {
    /// The bench name of the instrument.
    pub instrument: Arc<str>,
    /// The command as sent (or as it would have been sent), without terminator.
    pub command: String,
    pub kind: ScpiErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum ScpiErrorKind {
    #[error("no answer within {after:?}")]
    Timeout { after: Duration },
    #[error("i/o error")]
    Io(#[source] io::Error),
    #[error("connection closed by the instrument")]
    Closed,
    #[error(transparent)]
    Framing(LineError),
    #[error("malformed response {response:?}")]
    MalformedResponse { response: String },
    /// An error-queue entry read after the command (`-222,"Data out of range"`).
    #[error("instrument error {code}, {message:?}")]
    InstrumentError { code: i32, message: String },
    /// A setting read back differently from what was written.
    #[error("{setting} reads back as {read}, {wrote} was written")]
    ReadbackMismatch {
        setting: Parameter,
        wrote: f64,
        read: f64,
    },
    /// Refused before sending: the value is negative or not finite.
    #[error("refusing to send {value} as {setting}: it must be finite and not negative")]
    InvalidValue { setting: Parameter, value: f64 },
    /// The dialect has no command for this setting (Chroma's sink limit).
    #[error("the {dialect} dialect cannot set the {setting}")]
    NotSupported {
        setting: Parameter,
        dialect: Dialect,
    },
    /// After a timeout, `*OPC?`'s `1` did not show up among the stale answers.
    #[error("no `1` among {lines} answers while resynchronising after a timeout")]
    ResyncFailed { lines: usize },
}

impl ScpiErrorKind {
    /// The wire broke: the client cannot tell which answer belongs to which command
    /// any more, or half a command may have been sent.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            ScpiErrorKind::Timeout { .. }
                | ScpiErrorKind::Io(_)
                | ScpiErrorKind::Closed
                | ScpiErrorKind::Framing(LineError::Truncated { .. } | LineError::Io(_))
                | ScpiErrorKind::ResyncFailed { .. }
        )
    }
}

impl fmt::Display for ScpiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "instrument `{}`, command `{}`: {}",
            self.instrument, self.command, self.kind
        )
    }
}

impl std::error::Error for ScpiError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}
