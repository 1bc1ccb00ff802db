//! Keysight DAQ970A (and 34970A/34972A) switching and digital I/O over SCPI
//! (protocols.md §6.3). Channels are `slot × 100 + channel` (`@101`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::Relays;
use crate::scpi::{Identity, ScpiClient, ScpiError, ScpiErrorKind, common::CLEAR_STATUS};
use crate::traffic::TrafficSink;
use crate::transport::ByteStream;

/// A DAQ channel address: slot 1-3, channel 1-99.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DaqChannel(u16);

impl DaqChannel {
    /// `101` = slot 1 channel 1; `None` outside slots 1-3 or channel 0.
    pub fn new(number: u16) -> Option<Self> {
        let (slot, channel) = (number / 100, number % 100);
        ((1..=3).contains(&slot) && channel >= 1).then_some(Self(number))
    }

    pub fn number(self) -> u16 {
        self.0
    }
}

impl fmt::Display for DaqChannel {
    /// The SCPI channel list: `(@101)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(@{})", self.0)
    }
}

/// An opened DAQ970A.
#[derive(Debug)]
pub struct Daq970a<S> {
    client: ScpiClient<S>,
}

impl<S: ByteStream> Daq970a<S> {
    /// `*IDN?`, `*CLS`, error queue.
    pub async fn open(
        stream: S,
        instrument: Arc<str>,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, Identity), ScpiError> {
        let mut client = ScpiClient::new(stream, instrument, timeout, traffic);
        let identity = client.identify().await?;
        client.write(CLEAR_STATUS).await?;
        client.check_error_queue().await?;
        Ok((Self { client }, identity))
    }

    /// `*IDN?` and nothing else: for a probe, which leaves the error queue as it is.
    pub async fn open_read_only(
        stream: S,
        instrument: Arc<str>,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, Identity), ScpiError> {
        let mut client = ScpiClient::new(stream, instrument, timeout, traffic);
        let identity = client.identify().await?;
        Ok((Self { client }, identity))
    }

    pub fn client(&mut self) -> &mut ScpiClient<S> {
        &mut self.client
    }

    /// `ROUT:CLOS (@ch)` or `ROUT:OPEN (@ch)`, then the error queue.
    pub async fn route(&mut self, channel: DaqChannel, closed: bool) -> Result<(), ScpiError> {
        let verb = if closed { "CLOS" } else { "OPEN" };
        self.client.write(&format!("ROUT:{verb} {channel}")).await?;
        self.client.check_error_queue().await
    }

    /// `ROUT:CLOS? (@ch)` → 1/0.
    pub async fn is_closed(&mut self, channel: DaqChannel) -> Result<bool, ScpiError> {
        self.client
            .query_bool(&format!("ROUT:CLOS? {channel}"))
            .await
    }

    /// `SENS:DIG:DATA:BYTE? (@302)`: the 8 input bits of a DIO port.
    pub async fn read_digital_byte(&mut self, channel: DaqChannel) -> Result<u8, ScpiError> {
        let query = format!("SENS:DIG:DATA:BYTE? {channel}");
        let value = self.client.query_number(&query).await?;
        if value.fract() == 0.0 && (0.0..=255.0).contains(&value) {
            Ok(value as u8)
        } else {
            let kind = ScpiErrorKind::MalformedResponse {
                response: value.to_string(),
            };
            Err(self.client.error(&query, kind))
        }
    }

    /// `SOUR:DIG:DATA:BYTE <v>,(@301)`.
    pub async fn write_digital_byte(
        &mut self,
        channel: DaqChannel,
        value: u8,
    ) -> Result<(), ScpiError> {
        self.client
            .write(&format!("SOUR:DIG:DATA:BYTE {value},{channel}"))
            .await?;
        self.client.check_error_queue().await
    }
}

impl<S: ByteStream> Relays for Daq970a<S> {
    type Error = ScpiError;

    async fn set_relay(&mut self, channel: u16, closed: bool) -> Result<(), ScpiError> {
        match DaqChannel::new(channel) {
            Some(channel) => self.route(channel, closed).await,
            None => {
                let kind = ScpiErrorKind::MalformedResponse {
                    response: format!("channel {channel} is not slot×100+channel (101-399)"),
                };
                Err(self.client.error("ROUT", kind))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::relays::pulse;
    use crate::scpi::script::{Script, TIMEOUT};

    fn ch(n: u16) -> DaqChannel {
        DaqChannel::new(n).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn switching_and_digital_input_byte_exact() {
        let mock = Script::new()
            .ask("*IDN?", "Keysight Technologies,DAQ970A,MY1,A.03")
            .send("*CLS")
            .no_error()
            .send("ROUT:CLOS (@101)")
            .no_error()
            .ask("ROUT:CLOS? (@101)", "1")
            .send("ROUT:OPEN (@101)")
            .no_error()
            .ask("SENS:DIG:DATA:BYTE? (@302)", "+165")
            .send("SOUR:DIG:DATA:BYTE 5,(@301)")
            .no_error()
            .send("ROUT:CLOS (@205)")
            .no_error()
            .send("ROUT:OPEN (@205)")
            .no_error()
            .build();
        let (mut daq, _) = Daq970a::open(mock, Arc::from("dio"), TIMEOUT, None)
            .await
            .unwrap();
        daq.route(ch(101), true).await.unwrap();
        assert!(daq.is_closed(ch(101)).await.unwrap());
        daq.route(ch(101), false).await.unwrap();
        assert_eq!(daq.read_digital_byte(ch(302)).await.unwrap(), 0xA5);
        daq.write_digital_byte(ch(301), 5).await.unwrap();
        pulse(&mut daq, 205, Duration::from_secs(8)).await.unwrap();
    }

    #[tokio::test]
    async fn out_of_range_bytes_and_channels_are_refused() {
        let mock = Script::new()
            .ask("*IDN?", "Keysight Technologies,DAQ970A,MY1,A.03")
            .send("*CLS")
            .no_error()
            .ask("SENS:DIG:DATA:BYTE? (@302)", "256")
            .build();
        let (mut daq, _) = Daq970a::open(mock, Arc::from("dio"), TIMEOUT, None)
            .await
            .unwrap();
        assert!(daq.read_digital_byte(ch(302)).await.is_err());
        assert!(daq.set_relay(7, true).await.is_err());
        assert_eq!(DaqChannel::new(400), None);
        assert_eq!(DaqChannel::new(100), None);
    }
}
