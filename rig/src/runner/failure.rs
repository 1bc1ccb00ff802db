//! Why a run ends in error rather than with a verdict on the DUT: an instrument (or the
//! rig itself) failed. [`InstrumentFailure`] names the instrument and carries a typed
//! [`Cause`]: a driver's own error, kept whole so code and tests can match on it, or one
//! of the rig's causes (a timeout, a silent link, an envelope violation, a stopped
//! sampler). A cause renders to the one-line message the event log shows.
//!
//! The messages are a fixed part of the log: they read as they always have, so logs of
//! the same run stay byte-identical across refactors. A driver's error renders as its
//! own `Display`, without its `source` chain.

use rig_drivers::can::{CanPortError, DbcError};
use rig_drivers::chamber::ChamberError;
use rig_drivers::modbus::{ModbusConnectError, RelayBoardError};
use rig_drivers::relays::NumatoError;
use rig_drivers::rs485::pylontech::PylonError;
use rig_drivers::scpi::ScpiError;
use rig_drivers::transport::{Endpoint, SerialError, TransportError};

use super::envelope::Violation;
use super::roles::RoleError;
use super::rs232::Rs232Error;
use super::samplers::Rs485Command;
use crate::quantity::format_duration;

/// Why an instrument could not be used. Always verdict error: says nothing of the DUT.
#[derive(Debug)]
pub struct InstrumentFailure {
    /// The bench name of the instrument, or `rig` for the rig's own failures.
    pub instrument: String,
    /// Boxed: a driver's error can be large, and failures travel in `Result`s and the
    /// samplers' feed.
    pub cause: Box<Cause>,
}

impl InstrumentFailure {
    pub fn new(instrument: &str, cause: impl Into<Cause>) -> InstrumentFailure {
        InstrumentFailure {
            instrument: instrument.to_string(),
            cause: Box::new(cause.into()),
        }
    }
}

impl std::fmt::Display for InstrumentFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.instrument, self.cause)
    }
}

impl std::error::Error for InstrumentFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&*self.cause)
    }
}

/// The text of a panic's payload, for the message of the failure it becomes.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// A link the BMS talks on, named as failure messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Medium {
    Can,
    Rs485,
}

impl Medium {
    /// What the rig stops getting when the link is silent.
    pub fn silence_of(self) -> &'static str {
        match self {
            Medium::Can => "CAN frame",
            Medium::Rs485 => "RS485 answer",
        }
    }
}

impl std::fmt::Display for Medium {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Medium::Can => "CAN",
            Medium::Rs485 => "RS485",
        })
    }
}

/// What the source's output did after an envelope violation.
#[derive(Debug)]
pub enum OutputAfter {
    /// The violation was seen on another instrument (the BMS's temperature): the
    /// source is switched off by the teardown, as on every error.
    Untouched,
    SwitchedOff,
    SwitchOffFailed(RoleError),
}

impl std::fmt::Display for OutputAfter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutputAfter::Untouched => Ok(()),
            OutputAfter::SwitchedOff => f.write_str("; output switched off"),
            OutputAfter::SwitchOffFailed(e) => {
                write!(f, "; switching the output off failed: {e}")
            }
        }
    }
}

/// The cause of an [`InstrumentFailure`].
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    // The drivers' own errors, as they are.
    #[error(transparent)]
    Scpi(#[from] ScpiError),
    #[error(transparent)]
    Chamber(#[from] ChamberError),
    #[error(transparent)]
    Pylon(#[from] PylonError),
    #[error(transparent)]
    RelayBoard(#[from] RelayBoardError),
    #[error(transparent)]
    Numato(#[from] NumatoError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Serial(#[from] SerialError),
    #[error(transparent)]
    ModbusConnect(#[from] ModbusConnectError),
    #[error(transparent)]
    CanPort(#[from] CanPortError),
    #[error(transparent)]
    Dbc(#[from] DbcError),
    #[error(transparent)]
    Sim(#[from] rig_sim::SimError),
    /// A role (source, relay board) over whichever driver fills it.
    #[error(transparent)]
    Role(#[from] RoleError),
    #[error(transparent)]
    Rs232(#[from] Rs232Error),

    // Connecting.
    #[error("`sim:` resources need the virtual bench")]
    SimNeedsVirtualBench,
    #[error("`{endpoint}` is not a byte stream")]
    NotAByteStream { endpoint: Endpoint },
    /// A plan addresses an instrument the bench has not connected.
    #[error("not connected")]
    NotConnected,
    #[error("relay {relay} is not wired")]
    RelayNotWired { relay: String },

    // The run.
    #[error("no reading of {} within {} of the start", channels.join(", "), format_duration(*within_s))]
    NoFirstReading {
        channels: Vec<String>,
        within_s: f64,
    },
    /// An expectation's condition has no value on the readings: a division by zero or
    /// a number that is not finite. Nothing can be said about the DUT from it.
    #[error(
        "expectation \"{expectation}\" (`{text}`) computes no number from the readings ({observed}): a division by zero or an overflow"
    )]
    Undefined {
        expectation: String,
        text: String,
        observed: String,
    },
    #[error("step {step} \"{name}\" did not finish within its timeout of {}", format_duration(*limit_s))]
    StepTimeout {
        step: usize,
        name: String,
        limit_s: f64,
    },
    #[error("envelope violation: {violation}{output}")]
    Envelope {
        violation: Violation,
        output: OutputAfter,
    },
    /// The BMS fell silent on a link in a plan that does not expect it to: a silent
    /// link cannot be told from a broken cable.
    #[error(
        "no {} from the BMS for longer than the link allows while the plan reads {}; the plan never reads {link}.online, so it does not expect the BMS to fall silent",
        medium.silence_of(),
        reads.join(", ")
    )]
    UnexpectedSilence {
        medium: Medium,
        link: String,
        reads: Vec<String>,
    },
    #[error("every sampler stopped")]
    SamplersStopped,
    #[error("its sampler panicked: {message}")]
    SamplerPanicked { message: String },
    /// The sampler that owns a link (and sends the plan's commands on it) ended.
    #[error("its link has ended")]
    LinkEnded,
    #[error("{command}: {error}")]
    Rs485Command {
        command: Rs485Command,
        error: PylonError,
    },
    #[error("{failed} of {} keep-alive frames could not be sent", sent + failed)]
    KeepAliveFrames { sent: u64, failed: u64 },
    /// The progress watchdog: the run clock stood still while the executor looped.
    #[error(transparent)]
    Stuck(#[from] super::executor::Stuck),
}

/// Why an instrument could not be put into its safe state.
#[derive(Debug, thiserror::Error)]
pub enum SafeStateError {
    #[error("timed out")]
    TimedOut,
    #[error(transparent)]
    Role(#[from] RoleError),
    #[error(transparent)]
    Chamber(#[from] ChamberError),
    /// Opening a fresh connection for a second attempt failed.
    #[error(transparent)]
    Connect(Box<Cause>),
    /// The first attempt failed, and so did the one after reconnecting.
    #[error("{first}; reconnecting failed: {retry}")]
    Reconnect {
        first: Box<SafeStateError>,
        retry: Box<SafeStateError>,
    },
    /// The instrument took the commands, but reads back otherwise.
    #[error("{setting} reads back {read}, not {wanted}")]
    ReadBack {
        setting: &'static str,
        wanted: String,
        read: String,
    },
    /// The first attempt failed, and a further stop request hurried the teardown past
    /// the reconnect that might have helped.
    #[error("{first}; not reconnected: {reason} hurried the teardown")]
    NotReconnected {
        first: Box<SafeStateError>,
        reason: crate::stop::StopReason,
    },
    #[error("the rig panicked: {message}")]
    Panicked { message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_reads_instrument_then_cause() {
        let f = InstrumentFailure::new("source", Cause::NotConnected);
        assert_eq!(f.to_string(), "source: not connected");
    }

    #[test]
    fn the_rigs_causes_read_as_the_log_has_them() {
        let cases = [
            (
                Cause::NoFirstReading {
                    channels: vec!["bms.soc".into(), "source.voltage".into()],
                    within_s: 10.0,
                },
                "no reading of bms.soc, source.voltage within 10 s of the start",
            ),
            (
                Cause::StepTimeout {
                    step: 3,
                    name: "charge".into(),
                    limit_s: 150.0,
                },
                "step 3 \"charge\" did not finish within its timeout of 2 min 30 s",
            ),
            (
                Cause::UnexpectedSilence {
                    medium: Medium::Rs485,
                    link: "rs485.pack2".into(),
                    reads: vec!["rs485.pack2.soc".into()],
                },
                "no RS485 answer from the BMS for longer than the link allows while the plan reads rs485.pack2.soc; the plan never reads rs485.pack2.online, so it does not expect the BMS to fall silent",
            ),
            (
                Cause::KeepAliveFrames { sent: 7, failed: 3 },
                "3 of 10 keep-alive frames could not be sent",
            ),
            (
                Cause::RelayNotWired {
                    relay: "reset".into(),
                },
                "relay reset is not wired",
            ),
            (
                Cause::SamplerPanicked {
                    message: "boom".into(),
                },
                "its sampler panicked: boom",
            ),
        ];
        for (cause, text) in cases {
            assert_eq!(cause.to_string(), text);
        }
    }

    #[test]
    fn an_envelope_violation_says_what_the_output_did() {
        let violation = || Violation::PackVoltageHigh {
            volts: 58.1234,
            max: 57.6,
        };
        let off = Cause::Envelope {
            violation: violation(),
            output: OutputAfter::SwitchedOff,
        };
        assert_eq!(
            off.to_string(),
            "envelope violation: pack voltage 58.123 V above the envelope's maximum 57.6 V; output switched off"
        );
        let untouched = Cause::Envelope {
            violation: violation(),
            output: OutputAfter::Untouched,
        };
        assert_eq!(
            untouched.to_string(),
            "envelope violation: pack voltage 58.123 V above the envelope's maximum 57.6 V"
        );
        let failed = Cause::Envelope {
            violation: violation(),
            output: OutputAfter::SwitchOffFailed(RoleError::LoadInputStillOn),
        };
        assert!(
            failed
                .to_string()
                .ends_with("; switching the output off failed: the load's input reads back on after switching it off"),
            "{failed}"
        );
    }

    #[test]
    fn a_failed_reconnect_names_both_attempts() {
        let e = SafeStateError::Reconnect {
            first: Box::new(SafeStateError::TimedOut),
            retry: Box::new(SafeStateError::Connect(Box::new(
                Cause::SimNeedsVirtualBench,
            ))),
        };
        assert_eq!(
            e.to_string(),
            "timed out; reconnecting failed: `sim:` resources need the virtual bench"
        );
    }
}
