//! The pack's RS485 link (Pylontech protocol): 0x42 analog values, 0x44 alarms and
//! 0x92 charge management polled into `rs485.*` channels.

use rig_drivers::rs485::pylontech::{AnalogData, PylonError};
use tokio::sync::mpsc::{Receiver, UnboundedSender};
use tokio::sync::oneshot;

use super::Feed;
use crate::bench::{ChannelKind, Channels, Rs485Field};
use crate::expr::{ChannelId, Value};
use crate::quantity::{Dim, Quantity};
use crate::runner::instruments::{Rs485Link, failure};
use crate::runner::log::EventLog;

/// What a plan asks the pack over RS485, between two polls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rs485Command {
    /// 0x95, turn off module.
    TurnOff,
}

/// A command and where its outcome goes.
pub type Rs485Request = (Rs485Command, oneshot::Sender<Result<(), String>>);

/// Poll every `period_s`, and send the plan's commands between polls. A poll the pack does not answer turns `rs485.online` false
/// (a sleeping BMS is silent, LOSUN 2.3-3) and polling goes on; the executor decides
/// whether that silence is the pack's behaviour or a broken link, as for CAN. Any
/// other failure (garbage, a framing or checksum error) ends the link as an error.
pub async fn rs485(
    mut link: Rs485Link,
    mut commands: Receiver<Rs485Request>,
    channels: Channels,
    period_s: f64,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let prefix = format!("{}.", link.name);
    let fields: Vec<(ChannelId, Rs485Field)> = channels
        .iter()
        .filter(|(_, s)| s.name.starts_with(&prefix))
        .filter_map(|(id, s)| match s.kind {
            ChannelKind::Rs485 { field } => Some((id, field)),
            _ => None,
        })
        .collect();
    let online = channels
        .iter()
        .find(|(_, s)| s.kind == ChannelKind::Rs485Online && s.name.starts_with(&prefix))
        .map(|(id, _)| id);
    let clock = log.clock();
    let mut next = clock.now_s();
    loop {
        let reading = poll(&mut link).await;
        let t = clock.now_s();
        let mut values: Vec<(ChannelId, Value)> = Vec::new();
        match reading {
            Ok(r) => {
                values.extend(online.map(|id| (id, Value::Bool(true))));
                values.extend(
                    fields
                        .iter()
                        .filter_map(|(id, f)| r.value(*f).map(|v| (*id, v))),
                );
            }
            Err(e)
                if matches!(
                    e.kind,
                    rig_drivers::rs485::pylontech::PylonErrorKind::Timeout { .. }
                ) =>
            {
                values.extend(online.map(|id| (id, Value::Bool(false))));
            }
            Err(e) => {
                let _ = tx.send(Feed::Failed(failure(&link.name, e)));
                return;
            }
        }
        for (id, value) in values {
            if tx.send(Feed::Sample { id, value, t }).is_err() {
                return;
            }
        }
        next += period_s;
        // One client, one exchange at a time: commands wait for the poll to finish.
        loop {
            tokio::select! {
                // Fixed order, not tokio's random one: same inputs, same log.
                biased;
                () = clock.sleep_until_s(next.max(clock.now_s())) => break,
                Some((command, reply)) = commands.recv() => {
                    let result = match command {
                        Rs485Command::TurnOff => link.client.turn_off(link.address).await,
                    };
                    let _ = reply.send(result.map_err(|e| e.to_string()));
                }
            }
        }
    }
}

struct Reading {
    analog: AnalogData,
    status: [u8; 5],
    management: rig_drivers::rs485::pylontech::ChargeManagement,
}

async fn poll(link: &mut Rs485Link) -> Result<Reading, PylonError> {
    let analog = link.client.analog(link.address).await?;
    let alarms = link.client.alarms(link.address).await?;
    let management = link.client.charge_management(link.address).await?;
    Ok(Reading {
        analog,
        status: alarms.status,
        management,
    })
}

impl Reading {
    fn value(&self, field: Rs485Field) -> Option<Value> {
        use Rs485Field::*;
        let q = |v: f64, d: Dim| Some(Value::Num(Quantity::new(v, d)));
        let cells = &self.analog.cell_voltages;
        let min = cells.iter().copied().fold(f64::INFINITY, f64::min);
        let max = cells.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let temps = &self.analog.temperatures;
        match field {
            PackVoltage => q(self.analog.voltage, Dim::Voltage),
            PackCurrent => q(self.analog.current, Dim::Current),
            Cell(n) => cells
                .get(usize::from(n).checked_sub(1)?)
                .and_then(|v| q(*v, Dim::Voltage)),
            CellVoltageMin if !cells.is_empty() => q(min, Dim::Voltage),
            CellVoltageMax if !cells.is_empty() => q(max, Dim::Voltage),
            CellVoltageSpread if !cells.is_empty() => q(max - min, Dim::Voltage),
            TemperatureMax if !temps.is_empty() => q(
                temps.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Dim::Temperature,
            ),
            TemperatureMin if !temps.is_empty() => q(
                temps.iter().copied().fold(f64::INFINITY, f64::min),
                Dim::Temperature,
            ),
            RemainingCapacity => q(self.analog.remaining_capacity, Dim::Charge),
            TotalCapacity => q(self.analog.total_capacity, Dim::Charge),
            Soc if self.analog.total_capacity > 0.0 => q(
                100.0 * self.analog.remaining_capacity / self.analog.total_capacity,
                Dim::Percent,
            ),
            Cycles => q(f64::from(self.analog.cycles), Dim::Number),
            Protection(bit) => Some(Value::Bool(self.status[0] & (1 << bit) != 0)),
            ChargeMosfet => Some(Value::Bool(self.status[1] & 0b10 != 0)),
            DischargeMosfet => Some(Value::Bool(self.status[1] & 0b100 != 0)),
            ChargeEnable => Some(Value::Bool(self.management.status & 0x80 != 0)),
            DischargeEnable => Some(Value::Bool(self.management.status & 0x40 != 0)),
            ChargeVoltageLimit => q(self.management.charge_voltage_limit, Dim::Voltage),
            DischargeVoltageLimit => q(self.management.discharge_voltage_limit, Dim::Voltage),
            ChargeCurrentLimit => q(self.management.charge_current_limit, Dim::Current),
            DischargeCurrentLimit => q(self.management.discharge_current_limit, Dim::Current),
            _ => None,
        }
    }
}
