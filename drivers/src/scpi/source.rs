//! The DC source/sink driver: a bidirectional supply in front of the battery.
//!
//! `open` returns a handle only once the instrument has identified itself, its status
//! is cleared and its output is off, so no code can hold an unopened driver. Every
//! setting is followed by an error-queue check (instruments silently reject or clamp
//! out-of-range values, protocols.md §4.4), and protections are read back before the
//! rig may energise anything (§4.5 step 2).

use std::sync::Arc;
use std::time::Duration;

use super::client::ScpiClient;
use super::common::CLEAR_STATUS;
use super::dialect::{Dialect, OcpMode, Parameter};
use super::error::{ScpiError, ScpiErrorKind};
use super::response::Identity;
use crate::traffic::TrafficSink;
use crate::transport::ByteStream;

/// Largest relative difference between a written and a read-back setting. Below one
/// unit the tolerance stays 1e-3 absolute (1 mV, 1 mA), so a zero setting can match.
const READBACK_TOLERANCE: f64 = 1e-3;

/// The protection levels as the instrument reports them after programming.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ProtectionReadback {
    pub ovp_volts: f64,
    pub ocp_amps: f64,
}

/// An opened SCPI source/sink.
#[derive(Debug)]
pub struct ScpiSource<S> {
    client: ScpiClient<S>,
    dialect: Dialect,
}

impl<S: ByteStream> ScpiSource<S> {
    /// Identifies the instrument (`*IDN?`), clears its status (`*CLS`), switches the
    /// output off and checks the error queue.
    pub async fn open(
        stream: S,
        instrument: Arc<str>,
        dialect: Dialect,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, Identity), ScpiError> {
        let mut client = ScpiClient::new(stream, instrument, timeout, traffic);
        let identity = client.identify().await?;
        client.write(CLEAR_STATUS).await?;
        for command in dialect.open_commands() {
            client.write(command).await?;
        }
        client.write(dialect.set_output(false)).await?;
        client.check_error_queue().await?;
        Ok((Self { client, dialect }, identity))
    }

    /// Identifies the instrument and sends nothing else: for a probe, which leaves an
    /// instrument as it found it (output, limits, error queue, remote lock).
    pub async fn open_read_only(
        stream: S,
        instrument: Arc<str>,
        dialect: Dialect,
        timeout: Duration,
        traffic: Option<TrafficSink>,
    ) -> Result<(Self, Identity), ScpiError> {
        let mut client = ScpiClient::new(stream, instrument, timeout, traffic);
        let identity = client.identify().await?;
        Ok((Self { client, dialect }, identity))
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The underlying client, for commands the driver does not wrap.
    pub fn client(&mut self) -> &mut ScpiClient<S> {
        &mut self.client
    }

    /// Voltage set point, V.
    pub async fn set_voltage(&mut self, volts: f64) -> Result<(), ScpiError> {
        self.set(Parameter::Voltage, volts).await
    }

    /// Current limit while sourcing (charging), A.
    pub async fn set_current_limit(&mut self, amps: f64) -> Result<(), ScpiError> {
        self.set(Parameter::CurrentLimit, amps).await
    }

    /// Current limit while sinking (discharging), A, given as a magnitude; the dialect
    /// applies the instrument's sign convention.
    pub async fn set_sink_limit(&mut self, amps: f64) -> Result<(), ScpiError> {
        self.set(Parameter::SinkLimit, amps).await
    }

    /// Switches the output, and for real instruments waits with `*OPC?` until the
    /// output relay and the ramp have completed before the error-queue check.
    pub async fn set_output(&mut self, on: bool) -> Result<(), ScpiError> {
        self.client.write(self.dialect.set_output(on)).await?;
        if self.dialect.waits_for_completion() {
            self.client.wait_complete().await?;
        }
        self.client.check_error_queue().await
    }

    /// Measured power, W (sign as the current's).
    pub async fn measure_power(&mut self) -> Result<f64, ScpiError> {
        self.client.query_number(self.dialect.measure_power()).await
    }

    /// Hands the front panel back (EA `SYST:LOCK OFF`, ITECH `SYST:LOC`); nothing for
    /// Generic and Keysight. The output is left as it is: switch it off first.
    pub async fn release(&mut self) -> Result<(), ScpiError> {
        for command in self.dialect.release_commands() {
            self.client.write(command).await?;
        }
        Ok(())
    }

    /// Writes over-voltage and over-current protection, then reads both back and fails
    /// with [`ScpiErrorKind::ReadbackMismatch`] if the instrument holds other values.
    pub async fn program_protection(
        &mut self,
        ovp_volts: f64,
        ocp_amps: f64,
    ) -> Result<ProtectionReadback, ScpiError> {
        self.set(Parameter::OverVoltageProtection, ovp_volts)
            .await?;
        self.set(Parameter::OverCurrentProtection, ocp_amps).await?;
        let ovp_volts = self
            .read_back(Parameter::OverVoltageProtection, ovp_volts)
            .await?;
        let ocp_amps = match self.dialect.ocp_mode() {
            OcpMode::Level => {
                self.read_back(Parameter::OverCurrentProtection, ocp_amps)
                    .await?
            }
            OcpMode::TripAtLimit => {
                let query = self.query_of(Parameter::OverCurrentProtection)?;
                if !self.client.query_bool(query).await? {
                    let kind = ScpiErrorKind::ReadbackMismatch {
                        setting: Parameter::OverCurrentProtection,
                        wrote: 1.0,
                        read: 0.0,
                    };
                    return Err(self.client.error(query, kind));
                }
                ocp_amps
            }
        };
        Ok(ProtectionReadback {
            ovp_volts,
            ocp_amps,
        })
    }

    /// The instrument's current value of a setting, in driver units.
    pub async fn read_setting(&mut self, parameter: Parameter) -> Result<f64, ScpiError> {
        let query = self.query_of(parameter)?;
        let answer = self.client.query_number(query).await?;
        Ok(self.dialect.reading(parameter, answer))
    }

    fn query_of(&self, parameter: Parameter) -> Result<&'static str, ScpiError> {
        self.dialect.query(parameter).ok_or_else(|| {
            let kind = ScpiErrorKind::NotSupported {
                setting: parameter,
                dialect: self.dialect,
            };
            self.client.error(&format!("({parameter}?)"), kind)
        })
    }

    /// Measured terminal voltage, V.
    pub async fn measure_voltage(&mut self) -> Result<f64, ScpiError> {
        self.client
            .query_number(self.dialect.measure_voltage())
            .await
    }

    /// Measured current, A: positive into the battery (charging), negative out of it.
    pub async fn measure_current(&mut self) -> Result<f64, ScpiError> {
        self.client
            .query_number(self.dialect.measure_current())
            .await
    }

    /// Whether the output is on.
    pub async fn output(&mut self) -> Result<bool, ScpiError> {
        self.client.query_bool(self.dialect.query_output()).await
    }

    async fn set(&mut self, parameter: Parameter, value: f64) -> Result<(), ScpiError> {
        let Some(command) = self.dialect.set(parameter, value) else {
            let kind = ScpiErrorKind::NotSupported {
                setting: parameter,
                dialect: self.dialect,
            };
            return Err(self.client.error(&format!("({parameter})"), kind));
        };
        if !value.is_finite() || value < 0.0 {
            let kind = ScpiErrorKind::InvalidValue {
                setting: parameter,
                value,
            };
            return Err(self.client.error(&command, kind));
        }
        self.client.write(&command).await?;
        for command in self.dialect.after_set(parameter) {
            self.client.write(command).await?;
        }
        self.client.check_error_queue().await
    }

    async fn read_back(&mut self, parameter: Parameter, wrote: f64) -> Result<f64, ScpiError> {
        let read = self.read_setting(parameter).await?;
        if (read - wrote).abs() <= READBACK_TOLERANCE * wrote.abs().max(1.0) {
            return Ok(read);
        }
        let kind = ScpiErrorKind::ReadbackMismatch {
            setting: parameter,
            wrote,
            read,
        };
        let query = self.dialect.query(parameter).unwrap_or_default();
        Err(self.client.error(query, kind))
    }
}

#[cfg(test)]
mod tests {
    use tokio_test::io::Mock;

    use super::*;
    use crate::scpi::script::{Script, TIMEOUT};

    const IDN: &str = "RIG,SIM-SOURCE-100V-200A,0001,0.1.0";

    /// What `open` must send, with a well-behaved instrument's answers.
    fn opening(script: &mut Script) -> &mut Script {
        script
            .ask("*IDN?", IDN)
            .send("*CLS")
            .send("OUTP OFF")
            .no_error()
    }

    async fn open(script: &mut Script) -> ScpiSource<Mock> {
        let (source, _identity) = ScpiSource::open(
            script.build(),
            Arc::from("source"),
            Dialect::Generic,
            TIMEOUT,
            None,
        )
        .await
        .unwrap();
        source
    }

    #[tokio::test]
    async fn open_identifies_clears_and_switches_the_output_off() {
        let (_source, identity) = ScpiSource::open(
            opening(&mut Script::new()).build(),
            Arc::from("source"),
            Dialect::Generic,
            TIMEOUT,
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            identity,
            Identity {
                manufacturer: "RIG".into(),
                model: "SIM-SOURCE-100V-200A".into(),
                serial: "0001".into(),
                firmware: "0.1.0".into(),
            }
        );
    }

    #[tokio::test]
    async fn every_setter_sends_its_command_then_checks_the_error_queue() {
        let mut source = open(
            opening(&mut Script::new())
                .send("SOUR:VOLT 56.000")
                .no_error()
                .send("SOUR:CURR:LIM:POS 80.000")
                .no_error()
                .send("SOUR:CURR:LIM:NEG -50.000")
                .no_error()
                .send("OUTP ON")
                .no_error()
                .send("OUTP OFF")
                .no_error(),
        )
        .await;
        source.set_voltage(56.0).await.unwrap();
        source.set_current_limit(80.0).await.unwrap();
        source.set_sink_limit(50.0).await.unwrap();
        source.set_output(true).await.unwrap();
        source.set_output(false).await.unwrap();
    }

    #[tokio::test]
    async fn protections_are_written_then_read_back() {
        let mut source = open(
            opening(&mut Script::new())
                .send("SOUR:VOLT:PROT 58.000")
                .no_error()
                .send("SOUR:CURR:PROT 105.000")
                .no_error()
                .ask("SOUR:VOLT:PROT?", "5.80000E+01")
                .ask("SOUR:CURR:PROT?", "105.000"),
        )
        .await;
        let readback = source.program_protection(58.0, 105.0).await.unwrap();
        assert_eq!(
            readback,
            ProtectionReadback {
                ovp_volts: 58.0,
                ocp_amps: 105.0
            }
        );
    }

    #[tokio::test]
    async fn a_protection_that_reads_back_differently_is_refused() {
        let mut source = open(
            opening(&mut Script::new())
                .send("SOUR:VOLT:PROT 58.000")
                .no_error()
                .send("SOUR:CURR:PROT 105.000")
                .no_error()
                .ask("SOUR:VOLT:PROT?", "58.000")
                .ask("SOUR:CURR:PROT?", "100.000"),
        )
        .await;
        let err = source.program_protection(58.0, 105.0).await.unwrap_err();
        assert_eq!(err.command, "SOUR:CURR:PROT?");
        assert!(matches!(
            err.kind,
            ScpiErrorKind::ReadbackMismatch {
                setting: Parameter::OverCurrentProtection,
                wrote: 105.0,
                read: 100.0,
            }
        ));
        assert_eq!(
            err.to_string(),
            "instrument `source`, command `SOUR:CURR:PROT?`: \
             over-current protection reads back as 100, 105 was written"
        );
    }

    #[tokio::test]
    async fn a_rejected_value_names_the_setter_command() {
        let mut source = open(
            opening(&mut Script::new())
                .send("SOUR:VOLT 70.000")
                .ask("SYST:ERR?", "-222,\"Data out of range\"")
                .no_error(),
        )
        .await;
        let err = source.set_voltage(70.0).await.unwrap_err();
        assert_eq!(err.command, "SOUR:VOLT 70.000");
        assert!(matches!(
            err.kind,
            ScpiErrorKind::InstrumentError { code: -222, .. }
        ));
    }

    #[tokio::test]
    async fn negative_and_non_finite_values_are_never_sent() {
        let mut source = open(opening(&mut Script::new())).await;
        for (result, command) in [
            (source.set_voltage(f64::NAN).await, "SOUR:VOLT NaN"),
            (source.set_sink_limit(-5.0).await, "SOUR:CURR:LIM:NEG 5.000"),
            (
                source.set_current_limit(f64::INFINITY).await,
                "SOUR:CURR:LIM:POS inf",
            ),
        ] {
            let err = result.unwrap_err();
            assert_eq!(err.command, command);
            assert!(matches!(err.kind, ScpiErrorKind::InvalidValue { .. }));
        }
    }

    #[tokio::test]
    async fn measurements_and_output_state() {
        let mut source = open(
            opening(&mut Script::new())
                .ask("MEAS:VOLT?", "52.125 V")
                .ask("MEAS:CURR?", "-1.25000E+01")
                .ask("OUTP?", "1")
                .ask("SOUR:CURR:LIM:NEG?", "-50.000"),
        )
        .await;
        assert_eq!(source.measure_voltage().await.unwrap(), 52.125);
        assert_eq!(source.measure_current().await.unwrap(), -12.5);
        assert!(source.output().await.unwrap());
        assert_eq!(
            source.read_setting(Parameter::SinkLimit).await.unwrap(),
            50.0
        );
    }

    #[tokio::test]
    async fn a_malformed_measurement_is_an_error_naming_the_query() {
        let mut source = open(
            opening(&mut Script::new())
                .ask("MEAS:VOLT?", "9.91E+37")
                .ask("MEAS:CURR?", "OVP TRIPPED"),
        )
        .await;
        let err = source.measure_voltage().await.unwrap_err();
        assert_eq!(err.command, "MEAS:VOLT?");
        assert!(matches!(
            &err.kind,
            ScpiErrorKind::MalformedResponse { response } if response == "9.91E+37"
        ));
        let err = source.measure_current().await.unwrap_err();
        assert!(matches!(err.kind, ScpiErrorKind::MalformedResponse { .. }));
    }

    #[tokio::test]
    async fn the_source_can_move_into_a_spawned_task() {
        let mut source = open(opening(&mut Script::new()).ask("OUTP?", "0")).await;
        let task = tokio::spawn(async move { source.output().await });
        assert!(!task.await.unwrap().unwrap());
    }

    #[tokio::test]
    async fn a_truncated_identity_fails_open() {
        let err = ScpiSource::open(
            Script::new().ask("*IDN?", "ITECH,IT6018C").build(),
            Arc::from("source"),
            Dialect::Generic,
            TIMEOUT,
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(err.command, "*IDN?");
        assert!(matches!(
            &err.kind,
            ScpiErrorKind::MalformedResponse { response } if response == "ITECH,IT6018C"
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_that_stops_answering_times_out() {
        let mut source = open(
            opening(&mut Script::new())
                .send("MEAS:VOLT?")
                .wait(TIMEOUT * 10),
        )
        .await;
        let err = source.measure_voltage().await.unwrap_err();
        assert_eq!(err.command, "MEAS:VOLT?");
        assert!(matches!(err.kind, ScpiErrorKind::Timeout { after } if after == TIMEOUT));
        assert!(err.kind.is_transport());
    }

    async fn open_as(dialect: Dialect, script: &mut Script) -> ScpiSource<Mock> {
        ScpiSource::open(script.build(), Arc::from("source"), dialect, TIMEOUT, None)
            .await
            .unwrap()
            .0
    }

    #[tokio::test]
    async fn ea_locks_first_waits_for_the_output_and_parses_units() {
        let mut source = open_as(
            Dialect::EaPsb9000,
            Script::new()
                .ask("*IDN?", "EA Elektro-Automatik,PSB 9080-120,123,V2.01")
                .send("*CLS")
                .send("SYST:LOCK ON")
                .send("OUTP OFF")
                .ask("SYST:ERR?", "0,\"No error\"")
                .send("SINK:CURR 50.000")
                .ask("SYST:ERR?", "0,\"No error\"")
                .send("OUTP ON")
                .ask("*OPC?", "1")
                .ask("SYST:ERR?", "0,\"No error\"")
                .ask("MEAS:VOLT?", "48.00 V")
                .ask("OUTP?", "ON")
                .send("SYST:LOCK OFF"),
        )
        .await;
        source.set_sink_limit(50.0).await.unwrap();
        source.set_output(true).await.unwrap();
        assert_eq!(source.measure_voltage().await.unwrap(), 48.0);
        assert!(source.output().await.unwrap());
        source.release().await.unwrap();
    }

    #[tokio::test]
    async fn keysight_ocp_trips_at_the_limit_and_reads_its_state_back() {
        let mut source = open_as(
            Dialect::KeysightRp7900,
            Script::new()
                .ask("*IDN?", "Keysight Technologies,RP7952A,MY1,B.01")
                .send("*CLS")
                .send("OUTP OFF")
                .no_error()
                .send("SOUR:VOLT:PROT 58.000")
                .no_error()
                .send("SOUR:CURR:PROT:STAT ON")
                .no_error()
                .ask("SOUR:VOLT:PROT?", "+5.80000E+01")
                .ask("SOUR:CURR:PROT:STAT?", "1")
                .send("SOUR:CURR:LIM:NEG -50.000")
                .no_error()
                .ask("MEAS:POW?", "-2.6E+03"),
        )
        .await;
        let readback = source.program_protection(58.0, 105.0).await.unwrap();
        assert_eq!(readback.ocp_amps, 105.0);
        source.set_sink_limit(50.0).await.unwrap();
        assert_eq!(source.measure_power().await.unwrap(), -2600.0);
    }

    #[tokio::test]
    async fn itech_enables_ocp_after_its_level() {
        let mut source = open_as(
            Dialect::ItechIt6000c,
            Script::new()
                .ask("*IDN?", "ITECH Ltd.,IT6018C-1500-40,800,1.02")
                .send("*CLS")
                .send("SYST:REM")
                .send("OUTP OFF")
                .no_error()
                .send("VOLT:PROT 58.000")
                .no_error()
                .send("CURR:OVER:PROT:LEV 105.000")
                .send("CURR:OVER:PROT:STAT ON")
                .no_error()
                .ask("VOLT:PROT?", "58.000")
                .ask("CURR:OVER:PROT:LEV?", "105.000"),
        )
        .await;
        source.program_protection(58.0, 105.0).await.unwrap();
    }

    #[tokio::test]
    async fn chroma_uses_conf_outp_and_refuses_a_sink_limit_before_sending() {
        let mut source = open_as(
            Dialect::Chroma62000d,
            Script::new()
                .ask("*IDN?", "Chroma,62150D-600S,1,1.0")
                .send("*CLS")
                .send("CONF:REM ON")
                .send("CONF:OUTP OFF")
                .no_error()
                .send("CONF:OUTP ON")
                .ask("*OPC?", "1")
                .no_error()
                .ask("FETC:CURR?", "12.5"),
        )
        .await;
        let err = source.set_sink_limit(10.0).await.unwrap_err();
        assert!(matches!(
            err.kind,
            ScpiErrorKind::NotSupported {
                setting: Parameter::SinkLimit,
                dialect: Dialect::Chroma62000d
            }
        ));
        source.set_output(true).await.unwrap();
        assert_eq!(source.measure_current().await.unwrap(), 12.5);
    }

    #[tokio::test]
    async fn an_incomplete_operation_answer_is_malformed() {
        let mut source = open_as(
            Dialect::EaPsb9000,
            Script::new()
                .ask("*IDN?", "EA,PSB,1,1")
                .send("*CLS")
                .send("SYST:LOCK ON")
                .send("OUTP OFF")
                .no_error()
                .send("OUTP ON")
                .ask("*OPC?", "0"),
        )
        .await;
        let err = source.set_output(true).await.unwrap_err();
        assert_eq!(err.command, "*OPC?");
        assert!(matches!(err.kind, ScpiErrorKind::MalformedResponse { .. }));
    }
}
