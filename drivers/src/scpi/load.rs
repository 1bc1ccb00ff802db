//! Electronic loads for discharge-only benches: Rigol DL3000 and BK Precision 8600
//! (protocols.md §4.3, second table). Constant-current mode only: the rig discharges
//! a battery at a set current and watches the BMS.
//!
//! Like [`ScpiSource`](super::ScpiSource), `open` returns a handle only once the load
//! has identified itself and its input is off; every setting is followed by an
//! error-queue check and input changes are confirmed with `*OPC?`.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use super::client::ScpiClient;
use super::common::CLEAR_STATUS;
use super::error::{ScpiError, ScpiErrorKind};
use super::response::Identity;
use crate::traffic::TrafficSink;
use crate::transport::ByteStream;

/// How a load family spells its commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadDialect {
    /// Rigol DL3000: `:SOUR:INP:STAT`, `:SOUR:CURR:LEV:IMM` \[S\]; raw socket port
    /// 5555 is claimed by a third-party document \[U\].
    RigolDl3000,
    /// BK Precision 8600: `SYST:REM`, `INP`, `CURR` \[S\].
    Bk8600,
}

impl LoadDialect {
    pub fn name(self) -> &'static str {
        match self {
            LoadDialect::RigolDl3000 => "rigol-dl3000",
            LoadDialect::Bk8600 => "bk-8600",
        }
    }

    pub fn open_commands(self) -> &'static [&'static str] {
        match self {
            LoadDialect::RigolDl3000 => &[],
            LoadDialect::Bk8600 => &["SYST:REM"],
        }
    }

    pub fn set_input(self, on: bool) -> &'static str {
        match (self, on) {
            (LoadDialect::RigolDl3000, true) => ":SOUR:INP:STAT ON",
            (LoadDialect::RigolDl3000, false) => ":SOUR:INP:STAT OFF",
            (LoadDialect::Bk8600, true) => "INP ON",
            (LoadDialect::Bk8600, false) => "INP OFF",
        }
    }

    pub fn query_input(self) -> &'static str {
        match self {
            LoadDialect::RigolDl3000 => ":SOUR:INP:STAT?",
            LoadDialect::Bk8600 => "INP?",
        }
    }

    /// Mode selection, then the level: constant current at `amps`.
    pub fn set_constant_current(self, amps: f64) -> [String; 2] {
        match self {
            LoadDialect::RigolDl3000 => [
                ":SOUR:FUNC CURR".to_owned(),
                format!(":SOUR:CURR:LEV:IMM {amps:.3}"),
            ],
            LoadDialect::Bk8600 => ["FUNC CURR".to_owned(), format!("CURR {amps:.3}")],
        }
    }

    pub fn measure_voltage(self) -> &'static str {
        match self {
            LoadDialect::RigolDl3000 => ":MEAS:VOLT?",
            LoadDialect::Bk8600 => "MEAS:VOLT?",
        }
    }

    pub fn measure_current(self) -> &'static str {
        match self {
            LoadDialect::RigolDl3000 => ":MEAS:CURR?",
            LoadDialect::Bk8600 => "MEAS:CURR?",
        }
    }

    pub fn measure_power(self) -> &'static str {
        match self {
            LoadDialect::RigolDl3000 => ":MEAS:POW?",
            LoadDialect::Bk8600 => "MEAS:POW?",
        }
    }
}

impl fmt::Display for LoadDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LoadDialect {
    type Err = super::dialect::UnknownDialect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rigol-dl3000" | "rigol" => Ok(LoadDialect::RigolDl3000),
            "bk-8600" | "bk8600" | "bk" => Ok(LoadDialect::Bk8600),
            _ => Err(super::dialect::UnknownDialect { name: s.to_owned() }),
        }
    }
}

/// An opened electronic load.
#[derive(Debug)]
pub struct ScpiLoad<S> {
    client: ScpiClient<S>,
    dialect: LoadDialect,
}

impl<S: ByteStream> ScpiLoad<S> {
    /// `*IDN?`, `*CLS`, remote (BK), input off, error queue.
    pub async fn open(
        stream: S,
        instrument: Arc<str>,
        dialect: LoadDialect,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, Identity), ScpiError> {
        let mut client = ScpiClient::new(stream, instrument, timeout, traffic);
        let identity = client.identify().await?;
        client.write(CLEAR_STATUS).await?;
        for command in dialect.open_commands() {
            client.write(command).await?;
        }
        client.write(dialect.set_input(false)).await?;
        client.check_error_queue().await?;
        Ok((Self { client, dialect }, identity))
    }

    /// Identifies the load and sends nothing else: for a probe, which leaves an
    /// instrument as it found it.
    pub async fn open_read_only(
        stream: S,
        instrument: Arc<str>,
        dialect: LoadDialect,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, Identity), ScpiError> {
        let mut client = ScpiClient::new(stream, instrument, timeout, traffic);
        let identity = client.identify().await?;
        Ok((Self { client, dialect }, identity))
    }

    pub fn dialect(&self) -> LoadDialect {
        self.dialect
    }

    pub fn client(&mut self) -> &mut ScpiClient<S> {
        &mut self.client
    }

    /// Constant-current mode at `amps` (a magnitude: the load only sinks).
    pub async fn set_constant_current(&mut self, amps: f64) -> Result<(), ScpiError> {
        let [mode, level] = self.dialect.set_constant_current(amps);
        if !amps.is_finite() || amps < 0.0 {
            let kind = ScpiErrorKind::InvalidValue {
                setting: super::dialect::Parameter::SinkLimit,
                value: amps,
            };
            return Err(self.client.error(&level, kind));
        }
        self.client.write(&mode).await?;
        self.client.write(&level).await?;
        self.client.check_error_queue().await
    }

    /// Switches the input, waits with `*OPC?`, checks the error queue.
    pub async fn set_input(&mut self, on: bool) -> Result<(), ScpiError> {
        self.client.write(self.dialect.set_input(on)).await?;
        self.client.wait_complete().await?;
        self.client.check_error_queue().await
    }

    /// Whether the input is on (BK 8616 may not support the query, §4.3).
    pub async fn input(&mut self) -> Result<bool, ScpiError> {
        self.client.query_bool(self.dialect.query_input()).await
    }

    pub async fn measure_voltage(&mut self) -> Result<f64, ScpiError> {
        self.client
            .query_number(self.dialect.measure_voltage())
            .await
    }

    /// Current drawn from the battery, A, a positive number.
    pub async fn measure_current(&mut self) -> Result<f64, ScpiError> {
        self.client
            .query_number(self.dialect.measure_current())
            .await
    }

    pub async fn measure_power(&mut self) -> Result<f64, ScpiError> {
        self.client.query_number(self.dialect.measure_power()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scpi::script::{Script, TIMEOUT};

    #[tokio::test]
    async fn rigol_discharge_at_constant_current() {
        let mock = Script::new()
            .ask("*IDN?", "RIGOL TECHNOLOGIES,DL3021,DL3A1,00.01.02")
            .send("*CLS")
            .send(":SOUR:INP:STAT OFF")
            .no_error()
            .send(":SOUR:FUNC CURR")
            .send(":SOUR:CURR:LEV:IMM 25.000")
            .no_error()
            .send(":SOUR:INP:STAT ON")
            .ask("*OPC?", "1")
            .no_error()
            .ask(":MEAS:CURR?", "24.998")
            .ask(":SOUR:INP:STAT?", "1")
            .build();
        let (mut load, identity) = ScpiLoad::open(
            mock,
            Arc::from("load"),
            LoadDialect::RigolDl3000,
            TIMEOUT,
            None,
        )
        .await
        .unwrap();
        assert_eq!(identity.model, "DL3021");
        load.set_constant_current(25.0).await.unwrap();
        load.set_input(true).await.unwrap();
        assert_eq!(load.measure_current().await.unwrap(), 24.998);
        assert!(load.input().await.unwrap());
    }

    #[tokio::test]
    async fn bk_takes_remote_and_reports_a_rejected_current() {
        let mock = Script::new()
            .ask("*IDN?", "B&K Precision,8600,1,1")
            .send("*CLS")
            .send("SYST:REM")
            .send("INP OFF")
            .no_error()
            .send("FUNC CURR")
            .send("CURR 200.000")
            .ask("SYST:ERR?", "-222,\"Data out of range\"")
            .no_error()
            .ask("MEAS:VOLT?", "51.2")
            .build();
        let (mut load, _) =
            ScpiLoad::open(mock, Arc::from("load"), LoadDialect::Bk8600, TIMEOUT, None)
                .await
                .unwrap();
        let err = load.set_constant_current(200.0).await.unwrap_err();
        assert_eq!(err.command, "CURR 200.000");
        assert!(matches!(
            err.kind,
            ScpiErrorKind::InstrumentError { code: -222, .. }
        ));
        assert_eq!(load.measure_voltage().await.unwrap(), 51.2);
        assert!(load.set_constant_current(-1.0).await.is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_load_that_stops_answering_times_out() {
        let mock = Script::new()
            .ask("*IDN?", "B&K Precision,8600,1,1")
            .send("*CLS")
            .send("SYST:REM")
            .send("INP OFF")
            .no_error()
            .send("MEAS:VOLT?")
            .wait(TIMEOUT * 10)
            .build();
        let (mut load, _) =
            ScpiLoad::open(mock, Arc::from("load"), LoadDialect::Bk8600, TIMEOUT, None)
                .await
                .unwrap();
        let err = load.measure_voltage().await.unwrap_err();
        assert!(matches!(err.kind, ScpiErrorKind::Timeout { .. }));
    }
}
