//! A step's actions, one function each: log what is done, then do it on the instrument
//! the bench connected for the role. A failure is the instrument's, never the DUT's.

use std::time::Duration;

use rig_drivers::can::KeepAlive;
use rig_drivers::chamber::Chamber;
use rig_reports::EventKind;

use super::Executor;
use crate::bench::Setpoint;
use crate::expr::{ChannelId, Value};
use crate::plan::{Action, RelayOp, SourceSettings};
use crate::quantity::{Dim, Quantity, format_duration};
use crate::runner::failure::{Cause, InstrumentFailure};
use crate::runner::rs232::LINE_ENDING;
use crate::runner::samplers::Feed;
use crate::runner::samplers::Rs485Command;

fn not_connected(role: &str) -> InstrumentFailure {
    InstrumentFailure::new(role, Cause::NotConnected)
}

impl Executor<'_> {
    pub(super) async fn apply(
        &mut self,
        step: usize,
        action: &Action,
    ) -> Result<(), InstrumentFailure> {
        match action {
            Action::Source(settings) => self.apply_source(step, settings).await,
            Action::Chamber { setpoint_c, run } => {
                self.apply_chamber(step, *setpoint_c, *run).await
            }
            Action::Rs485(crate::plan::Rs485Command::TurnOff) => {
                self.apply_rs485(step, Rs485Command::TurnOff).await
            }
            Action::Rs232 { line } => self.apply_rs232(step, line).await,
            Action::KeepAlive { on } => self.apply_keepalive(step, *on).await,
            Action::Relay { relay, op } => self.apply_relay(step, relay, *op).await,
        }
    }

    async fn apply_source(
        &mut self,
        step: usize,
        settings: &SourceSettings,
    ) -> Result<(), InstrumentFailure> {
        self.log.emit(EventKind::Action {
            step,
            description: describe_source(settings),
        });
        let (spec, source) = self
            .instruments
            .source
            .as_ref()
            .ok_or_else(|| not_connected("source"))?;
        let mut s = source.lock().await;
        let r = async {
            // Limits before the voltage, the output last: a new voltage never meets the
            // old, possibly larger, limits.
            if let Some(a) = settings.current_limit {
                s.set_current_limit(a).await?;
            }
            if let Some(a) = settings.sink_limit {
                s.set_sink_limit(a).await?;
            }
            if let Some(v) = settings.voltage {
                s.set_voltage(v).await?;
            }
            if let Some(o) = settings.output {
                s.set_output(o).await?;
            }
            Ok::<(), crate::runner::roles::RoleError>(())
        }
        .await;
        drop(s);
        r.map_err(|e| InstrumentFailure::new(&spec.name, e))?;
        self.record_setpoints(settings)
    }

    /// The set points just written, as readings of the source's set point channels
    /// (logged like any sample), so a measurement can take the level a ramp reached.
    fn record_setpoints(&mut self, settings: &SourceSettings) -> Result<(), InstrumentFailure> {
        let now = self.clock.now();
        for (id, value) in self.setpoint_values(settings) {
            self.take(Feed::Sample { id, value, t: now })?;
        }
        Ok(())
    }

    /// The set point channels `settings` writes, each with its value.
    fn setpoint_values(&self, settings: &SourceSettings) -> Vec<(ChannelId, Value)> {
        let Some((spec, _)) = self.instruments.source.as_ref() else {
            return Vec::new();
        };
        [
            (Setpoint::Voltage, settings.voltage),
            (Setpoint::CurrentLimit, settings.current_limit),
            (Setpoint::SinkLimit, settings.sink_limit),
        ]
        .into_iter()
        .filter_map(|(setpoint, value)| {
            let (id, _) = (self.channels).find(&format!("{}.{}", spec.name, setpoint.name()))?;
            Some((id, Value::Num(Quantity::new(value?, setpoint.dim()))))
        })
        .collect()
    }

    /// The set point channels `settings` wrote just now, as readings.
    pub(super) fn setpoint_channels(
        &self,
        settings: &SourceSettings,
    ) -> Vec<(ChannelId, Duration)> {
        let now = self.clock.now();
        (self.setpoint_values(settings).into_iter())
            .map(|(id, _)| (id, now))
            .collect()
    }

    async fn apply_chamber(
        &mut self,
        step: usize,
        setpoint_c: Option<f64>,
        run: Option<bool>,
    ) -> Result<(), InstrumentFailure> {
        self.log.emit(EventKind::Action {
            step,
            description: describe_chamber(setpoint_c, run),
        });
        let (spec, chamber) = self
            .instruments
            .chamber
            .as_ref()
            .ok_or_else(|| not_connected("chamber"))?;
        let mut c = chamber.lock().await;
        let r = async {
            if let Some(t) = setpoint_c {
                c.set_point(t).await?;
            }
            if let Some(r) = run {
                c.set_running(r).await?;
            }
            Ok::<(), rig_drivers::chamber::ChamberError>(())
        }
        .await;
        r.map_err(|e| InstrumentFailure::new(&spec.name, e))
    }

    /// The RS485 sampler owns the link: the command goes to it, and waits for the poll
    /// in progress.
    async fn apply_rs485(
        &mut self,
        step: usize,
        command: Rs485Command,
    ) -> Result<(), InstrumentFailure> {
        let (name, commands) = self
            .instruments
            .rs485_commands
            .as_ref()
            .ok_or_else(|| not_connected("rs485"))?;
        self.log.emit(EventKind::Action {
            step,
            description: format!("rs485: {command}"),
        });
        let ended = || InstrumentFailure::new(name, Cause::LinkEnded);
        let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
        commands
            .send((command, reply_tx))
            .await
            .map_err(|_| ended())?;
        match reply_rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(InstrumentFailure::new(
                name,
                Cause::Rs485Command { command, error },
            )),
            Err(_) => Err(ended()),
        }
    }

    async fn apply_rs232(&mut self, step: usize, line: &str) -> Result<(), InstrumentFailure> {
        let (spec, console) = self
            .instruments
            .rs232
            .as_ref()
            .ok_or_else(|| not_connected("rs232"))?;
        self.log.emit(EventKind::Action {
            step,
            description: format!("rs232: send {line:?} + {}", LINE_ENDING.escape_default()),
        });
        console
            .lock()
            .await
            .send_line(line)
            .await
            .map_err(|e| InstrumentFailure::new(&spec.name, e))
    }

    async fn apply_keepalive(&mut self, step: usize, on: bool) -> Result<(), InstrumentFailure> {
        let (bus, sender) = self
            .instruments
            .can_sender
            .as_ref()
            .ok_or_else(|| not_connected("bms"))?;
        let description = match (on, self.keepalive.take()) {
            (true, Some(running)) => {
                self.keepalive = Some(running);
                "inverter keep-alive: on (already sending)".to_string()
            }
            (true, None) => {
                self.keepalive = Some(KeepAlive::inverter(sender.clone()));
                format!("inverter keep-alive: on, 0x305 every second on {bus}")
            }
            (false, Some(running)) => {
                let report = running.stop().await;
                if report.failed > 0 {
                    let cause = Cause::KeepAliveFrames {
                        sent: report.sent,
                        failed: report.failed,
                    };
                    return Err(InstrumentFailure::new(bus, cause));
                }
                format!("inverter keep-alive: off after {} frames", report.sent)
            }
            (false, None) => "inverter keep-alive: off (was not sending)".to_string(),
        };
        self.log.emit(EventKind::Action { step, description });
        Ok(())
    }

    async fn apply_relay(
        &mut self,
        step: usize,
        relay: &str,
        op: RelayOp,
    ) -> Result<(), InstrumentFailure> {
        let wire = self.bench.relays.get(relay).ok_or_else(|| {
            let cause = Cause::RelayNotWired {
                relay: relay.to_string(),
            };
            InstrumentFailure::new("rig", cause)
        })?;
        let (board_name, number) = (wire.board.clone(), wire.number);
        let (_, board) = self
            .instruments
            .boards
            .get(&board_name)
            .ok_or_else(|| not_connected(&board_name))?;
        let board = board.clone();
        self.log.emit(EventKind::Action {
            step,
            description: describe_relay(relay, op),
        });
        let set = |closed: bool| {
            let board = board.clone();
            let board_name = board_name.clone();
            async move {
                let r = board.lock().await.set_relay(number, closed).await;
                r.map_err(|e| InstrumentFailure::new(&board_name, e))
            }
        };
        match op {
            RelayOp::Close => set(true).await,
            RelayOp::Open => set(false).await,
            RelayOp::Pulse { length } => {
                set(true).await?;
                let waited = self.pass_time(length).await;
                // Release even if a sampler failed meanwhile: a held button is not safe.
                let released = set(false).await;
                waited?;
                released
            }
        }
    }
}

fn describe_source(s: &SourceSettings) -> String {
    let mut parts = Vec::new();
    if let Some(a) = s.current_limit {
        parts.push(format!("current limit {}", Quantity::new(a, Dim::Current)));
    }
    if let Some(a) = s.sink_limit {
        parts.push(format!("sink limit {}", Quantity::new(a, Dim::Current)));
    }
    if let Some(v) = s.voltage {
        parts.push(format!("voltage {}", Quantity::new(v, Dim::Voltage)));
    }
    if let Some(o) = s.output {
        parts.push(format!("output {}", if o { "on" } else { "off" }));
    }
    format!("source: {}", parts.join(", "))
}

fn describe_chamber(setpoint_c: Option<f64>, run: Option<bool>) -> String {
    let mut parts = Vec::new();
    if let Some(t) = setpoint_c {
        parts.push(format!("set point {}", Quantity::new(t, Dim::Temperature)));
    }
    if let Some(r) = run {
        parts.push(if r { "run" } else { "stop" }.to_string());
    }
    format!("chamber: {}", parts.join(", "))
}

fn describe_relay(relay: &str, op: RelayOp) -> String {
    match op {
        RelayOp::Close => format!("relay {relay}: close"),
        RelayOp::Open => format!("relay {relay}: open"),
        RelayOp::Pulse { length } => {
            let seconds = length.as_secs_f64();
            format!("relay {relay}: pulse for {}", format_duration(seconds))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_action_lists_its_settings_in_the_order_they_are_sent() {
        let settings = SourceSettings {
            current_limit: Some(50.0),
            sink_limit: Some(20.0),
            voltage: Some(54.6),
            output: Some(true),
        };
        assert_eq!(
            describe_source(&settings),
            "source: current limit 50 A, sink limit 20 A, voltage 54.6 V, output on"
        );
        let off = SourceSettings {
            output: Some(false),
            ..SourceSettings::default()
        };
        assert_eq!(describe_source(&off), "source: output off");
    }

    #[test]
    fn chamber_and_relay_actions_read_as_the_log_has_them() {
        assert_eq!(
            describe_chamber(Some(45.0), Some(true)),
            "chamber: set point 45 degC, run"
        );
        assert_eq!(describe_chamber(None, Some(false)), "chamber: stop");
        assert_eq!(
            describe_relay(
                "reset_button",
                RelayOp::Pulse {
                    length: std::time::Duration::from_secs(6)
                }
            ),
            "relay reset_button: pulse for 6 s"
        );
        assert_eq!(describe_relay("rsd", RelayOp::Close), "relay rsd: close");
    }
}
