//! The pack's RS485 link (Pylontech protocol): 0x42 analog values, 0x44 alarms and
//! 0x92 charge management polled into `rs485.*` channels.

use rig_drivers::rs485::pylontech::{AnalogData, PylonError};
use tokio::sync::mpsc::{Receiver, UnboundedSender};
use tokio::sync::oneshot;

use super::Feed;
use crate::bench::{ChannelKind, Channels, Rs485Field};
use crate::expr::{ChannelId, Value};
use crate::quantity::{Dim, Quantity};
use crate::runner::failure::InstrumentFailure;
use crate::runner::instruments::Rs485Link;
use crate::runner::log::EventLog;

/// What a plan asks the pack over RS485, between two polls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rs485Command {
    /// 0x95, turn off module.
    TurnOff,
}

impl std::fmt::Display for Rs485Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rs485Command::TurnOff => "0x95 turn off module",
        })
    }
}

/// A command and where its outcome goes.
pub type Rs485Request = (Rs485Command, oneshot::Sender<Result<(), PylonError>>);

/// One pack on the link: the address it answers at and the channels its answers feed.
#[derive(Debug, PartialEq)]
struct Pack {
    address: u8,
    online: Option<ChannelId>,
    fields: Vec<(ChannelId, Rs485Field)>,
}

/// The packs the channel table has for the link `name`, master first. Pack `k` answers
/// at the master's address + k - 1 (protocols.md 2.5: the packs of a group count up
/// from the master's ADR); a pack whose address would pass 255 has no channels polled.
fn packs(channels: &Channels, name: &str, master: u8) -> Vec<Pack> {
    let prefix = format!("{name}.");
    let prefix = prefix.as_str();
    let mine = move || {
        channels
            .iter()
            .filter(move |(_, s)| s.name.starts_with(prefix))
    };
    let count = mine()
        .filter_map(|(_, s)| match s.kind {
            ChannelKind::Rs485Online { pack } => Some(pack),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    (1..=count)
        .filter_map(|pack| {
            Some(Pack {
                address: master.checked_add(pack - 1)?,
                online: mine()
                    .find(|(_, s)| s.kind == ChannelKind::Rs485Online { pack })
                    .map(|(id, _)| id),
                fields: mine()
                    .filter_map(|(id, s)| match s.kind {
                        ChannelKind::Rs485 { pack: p, field } if p == pack => Some((id, field)),
                        _ => None,
                    })
                    .collect(),
            })
        })
        .collect()
}

/// Poll every `period_s`, and send the plan's commands between polls. Each poll cycle
/// asks the master, then each slave in address order (fixed, so runs are
/// deterministic). A poll a pack does not answer turns its `online` false (a sleeping
/// BMS is silent, LOSUN 2.3-3) and polling goes on; the executor decides whether that
/// silence is the pack's behaviour or a broken link, as for CAN. Any other failure
/// (garbage, a framing or checksum error) ends the link as an error.
pub async fn rs485(
    mut link: Rs485Link,
    mut commands: Receiver<Rs485Request>,
    channels: Channels,
    period_s: f64,
    log: EventLog,
    tx: UnboundedSender<Feed>,
) {
    let packs = packs(&channels, &link.name, link.address);
    let clock = log.clock();
    let mut next = clock.now_s();
    loop {
        for pack in &packs {
            let reading = poll(&mut link, pack.address).await;
            let t = clock.now_s();
            let mut values: Vec<(ChannelId, Value)> = Vec::new();
            match reading {
                Ok(r) => {
                    values.extend(pack.online.map(|id| (id, Value::Bool(true))));
                    values.extend(
                        pack.fields
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
                    values.extend(pack.online.map(|id| (id, Value::Bool(false))));
                }
                Err(e) => {
                    let _ = tx.send(Feed::Failed(InstrumentFailure::new(&link.name, e)));
                    return;
                }
            }
            for (id, value) in values {
                if tx.send(Feed::Sample { id, value, t }).is_err() {
                    return;
                }
            }
        }
        next += period_s;
        // One client, one exchange at a time: commands wait for the poll to finish, and
        // those queued during it go first. A cycle longer than the period (each silent
        // slave costs a timeout) would otherwise poll back to back and starve them.
        while let Ok((command, reply)) = commands.try_recv() {
            serve(&mut link, command, reply).await;
        }
        // Behind schedule: skip the missed polls rather than catch up on them.
        next = next.max(clock.now_s());
        loop {
            tokio::select! {
                // Fixed order, not tokio's random one: same inputs, same log.
                biased;
                () = clock.sleep_until_s(next) => break,
                Some((command, reply)) = commands.recv() => serve(&mut link, command, reply).await,
            }
        }
    }
}

async fn serve(
    link: &mut Rs485Link,
    command: Rs485Command,
    reply: oneshot::Sender<Result<(), PylonError>>,
) {
    let result = match command {
        Rs485Command::TurnOff => link.client.turn_off(link.address).await,
    };
    let _ = reply.send(result);
}

struct Reading {
    analog: AnalogData,
    status: [u8; 5],
    management: rig_drivers::rs485::pylontech::ChargeManagement,
}

async fn poll(link: &mut Rs485Link, address: u8) -> Result<Reading, PylonError> {
    let analog = link.client.analog(address).await?;
    let alarms = link.client.alarms(address).await?;
    let management = link.client.charge_management(address).await?;
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use rig_drivers::rs485::pylontech::PylontechClient;
    use tokio::io::AsyncReadExt;
    use tokio::sync::mpsc;

    use super::*;
    use crate::bench::Bench;
    use crate::clock::RunClock;

    type Asked = Arc<Mutex<Vec<(u8, u8)>>>;

    /// A line that only listens, and the (ADR, CID2) of every request written to it
    /// (`~` VER ADR CID1 CID2 ... CR, protocols.md 2.2: ADR is chars 3-4, CID2 7-8).
    fn silent_line() -> (tokio::io::DuplexStream, Asked) {
        let (ours, mut line) = tokio::io::duplex(4096);
        let asked: Asked = Arc::default();
        let recorder = asked.clone();
        tokio::spawn(async move {
            let mut frame = Vec::new();
            let mut byte = [0u8; 1];
            while line.read_exact(&mut byte).await.is_ok() {
                frame.push(byte[0]);
                if byte[0] == b'\r' {
                    let hex = |r: std::ops::Range<usize>| {
                        frame
                            .get(r)
                            .and_then(|h| std::str::from_utf8(h).ok())
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                    };
                    if let (Some(adr), Some(cid2)) = (hex(3..5), hex(7..9)) {
                        recorder.lock().unwrap().push((adr, cid2));
                    }
                    frame.clear();
                }
            }
        });
        (ours, asked)
    }

    /// The master at 2 on `stream`, answers awaited for 1 s.
    fn link(stream: tokio::io::DuplexStream) -> Rs485Link {
        Rs485Link {
            name: "rs485".into(),
            client: PylontechClient::new(
                Box::new(stream),
                "rs485".into(),
                Duration::from_secs(1),
                None,
            ),
            address: 2,
        }
    }

    /// Three packs, none answering (a scripted line that only listens): each cycle asks
    /// the master at 2, then the slaves at 3 and 4, and marks each offline in turn.
    #[test]
    fn polls_the_master_then_each_slave_in_address_order() {
        let runtime = crate::clock::runtime(true).unwrap();
        runtime.block_on(async {
            let (ours, asked) = silent_line();
            let channels = Channels::of(&Bench::builtin_sim(), 3);
            let dir = tempfile::tempdir().unwrap();
            let log = EventLog::create(&dir.path().join("order.events.jsonl"), RunClock::start())
                .unwrap();
            let link = link(ours);
            let (tx, mut feed) = mpsc::unbounded_channel();
            let (_commands, commands_rx) = mpsc::channel(1);
            let sampler = tokio::spawn(rs485(link, commands_rx, channels.clone(), 10.0, log, tx));
            let mut seen = Vec::new();
            while seen.len() < 6 {
                match feed.recv().await {
                    Some(Feed::Sample { id, value, t }) => {
                        seen.push((channels.get(id).name.clone(), value, t))
                    }
                    other => panic!("expected samples, got {other:?}"),
                }
            }
            sampler.abort();
            let names: Vec<&str> = seen.iter().map(|(n, _, _)| n.as_str()).collect();
            assert_eq!(
                names,
                [
                    "rs485.online",
                    "rs485.pack2.online",
                    "rs485.pack3.online",
                    "rs485.online",
                    "rs485.pack2.online",
                    "rs485.pack3.online"
                ]
            );
            assert!(seen.iter().all(|(_, v, _)| *v == Value::Bool(false)));
            // One timeout per pack, then the next cycle at the 10 s period.
            let times: Vec<f64> = seen.iter().map(|(_, _, t)| t.round()).collect();
            assert_eq!(times, [1.0, 2.0, 3.0, 11.0, 12.0, 13.0]);
            let addresses: Vec<u8> = asked.lock().unwrap().iter().map(|(adr, _)| *adr).collect();
            assert_eq!(addresses[..6], [2, 3, 4, 2, 3, 4]);
        });
    }

    /// A poll cycle longer than the period (three silent packs at 1 s each, polled every
    /// 2 s) must not starve the plan's commands: a turn-off queued during the first
    /// cycle goes out right after it, before the next poll.
    #[test]
    fn a_command_queued_during_a_late_cycle_goes_before_the_next_poll() {
        let runtime = crate::clock::runtime(true).unwrap();
        runtime.block_on(async {
            let (ours, asked) = silent_line();
            let channels = Channels::of(&Bench::builtin_sim(), 3);
            let dir = tempfile::tempdir().unwrap();
            let log =
                EventLog::create(&dir.path().join("late.events.jsonl"), RunClock::start()).unwrap();
            let link = link(ours);
            let (tx, _feed) = mpsc::unbounded_channel();
            let (commands, commands_rx) = mpsc::channel(1);
            let sampler = tokio::spawn(rs485(link, commands_rx, channels, 2.0, log, tx));
            let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
            commands
                .send((Rs485Command::TurnOff, reply_tx))
                .await
                .unwrap();
            let reply = tokio::time::timeout(Duration::from_secs(20), reply_rx).await;
            sampler.abort();
            assert!(
                matches!(
                    &reply,
                    Ok(Ok(Err(PylonError {
                        kind: rig_drivers::rs485::pylontech::PylonErrorKind::Timeout { .. },
                        ..
                    })))
                ),
                "the command was answered (by a timeout on this silent line): {reply:?}"
            );
            assert_eq!(
                asked.lock().unwrap()[..4],
                [(2, 0x42), (3, 0x42), (4, 0x42), (2, 0x95)]
            );
        });
    }
}
