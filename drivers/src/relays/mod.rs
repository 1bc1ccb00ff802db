//! Relays and digital inputs (protocols.md §6): the Waveshare Modbus board
//! ([`RelayBoard`](crate::modbus::RelayBoard)), the Keysight DAQ970A over SCPI
//! ([`Daq970a`]) and Numato USB relay modules ([`Numato`]), behind the small role trait
//! [`Relays`], plus [`pulse`]: close a relay for a given time ("press reset for 8 s").

mod daq970a;
mod numato;
mod pulse;

use std::future::Future;

pub use daq970a::{Daq970a, DaqChannel};
pub use numato::{Numato, NumatoError, NumatoErrorKind, parse_numato_reply};
pub use pulse::pulse;

/// The relay role: close or open one channel.
pub trait Relays {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Closes (`true`) or opens a channel, numbered as the instrument numbers them
    /// (Waveshare 1-8, DAQ970A 101-340, Numato from 0).
    fn set_relay(
        &mut self,
        channel: u16,
        closed: bool,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

impl Relays for crate::modbus::RelayBoard {
    type Error = crate::modbus::RelayBoardError;

    async fn set_relay(&mut self, channel: u16, closed: bool) -> Result<(), Self::Error> {
        let channel = u8::try_from(channel).unwrap_or(u8::MAX);
        crate::modbus::RelayBoard::set_relay(self, channel, closed).await
    }
}
