//! SCPI: the line codec, a thin client, vendor dialects and the source/sink driver.
//!
//! Layers, bottom up: [`LineCodec`] frames bytes into lines; [`ScpiClient`] runs
//! timed exchanges and the error queue over any [`ByteStream`](crate::transport::ByteStream);
//! [`Dialect`] renders each operation's text; [`ScpiSource`] is the source/sink role
//! driver and [`ScpiLoad`] the electronic-load one. The main type is `ScpiSource`.

mod client;
mod codec;
pub mod common;
mod dialect;
mod error;
mod load;
mod response;
#[cfg(test)]
pub(crate) mod script;
mod source;

pub use client::ScpiClient;
pub use codec::{LineCodec, LineError, MAX_LINE_LEN};
pub use dialect::{Dialect, OcpMode, Parameter, UnknownDialect};
pub use error::{ScpiError, ScpiErrorKind};
pub use load::{LoadDialect, ScpiLoad};
pub use response::{Identity, parse_bool, parse_error_entry, parse_identity, parse_number};
pub use source::{ProtectionReadback, ScpiSource};
