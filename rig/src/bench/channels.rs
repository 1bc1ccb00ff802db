//! The channels a bench provides: every name a plan may read, with its type.

use rig_drivers::can::SignalKind;

use super::driver::Role;
use super::file::Bench;
use super::instrument::InstrumentSpec;
use crate::expr::{ChannelId, Type};
use crate::quantity::Dim;

/// Where a channel's values come from.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelKind {
    SourceVoltage,
    SourceCurrent,
    SourceOutput,
    /// A set point the rig last programmed into the source (not a measurement): what a
    /// `ramp:` level or a `source:` action wrote, known from the moment it was written.
    SourceSetpoint(Setpoint),
    /// A relay's state as the board reads it back.
    Relay {
        name: String,
    },
    /// A digital input (`dio.<name>`).
    Input {
        name: String,
    },
    /// A DBC signal on the BMS CAN link.
    CanSignal {
        signal: String,
    },
    /// True while the BMS sends frames: false after the link's `silence` without one
    /// (asleep, unplugged, crashed).
    CanOnline,
    /// A value a pack reports over RS485: the master's as `rs485.<name>`, pack `k` of
    /// several in parallel (1 is the master) as `rs485.pack<k>.<name>`.
    Rs485 {
        pack: u8,
        field: Rs485Field,
    },
    /// True while the pack answers on RS485, false after an unanswered poll.
    Rs485Online {
        pack: u8,
    },
    /// Seconds between the last two frames with this id.
    CanPeriod {
        id: rig_drivers::can::CanId,
    },
    /// A chamber's measured air temperature.
    ChamberTemperature,
    /// A chamber's set point as it reads it back.
    ChamberSetpoint,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChannelSpec {
    pub name: String,
    pub ty: Type,
    pub unit: &'static str,
    pub kind: ChannelKind,
}

/// All channels of a bench, indexed by [`ChannelId`].
#[derive(Clone, Debug, Default)]
pub struct Channels {
    specs: Vec<ChannelSpec>,
}

/// The channel name prefix of pack `pack` (1 = the master) on the RS485 link `link`:
/// the master keeps the single-pack names, so plans for one pack read the same.
pub fn rs485_prefix(link: &str, pack: u8) -> String {
    if pack <= 1 {
        link.to_string()
    } else {
        format!("{link}.pack{pack}")
    }
}

/// The source's set points as channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setpoint {
    Voltage,
    CurrentLimit,
    SinkLimit,
}

impl Setpoint {
    pub const ALL: [Setpoint; 3] = [
        Setpoint::Voltage,
        Setpoint::CurrentLimit,
        Setpoint::SinkLimit,
    ];

    /// The channel's name after the source's (`source.current_limit`).
    pub fn name(self) -> &'static str {
        match self {
            Setpoint::Voltage => "voltage_setpoint",
            Setpoint::CurrentLimit => "current_limit",
            Setpoint::SinkLimit => "sink_limit",
        }
    }

    pub fn dim(self) -> Dim {
        match self {
            Setpoint::Voltage => Dim::Voltage,
            _ => Dim::Current,
        }
    }
}

impl Channels {
    /// The channels of a bench with `packs` packs in parallel (the plan's `requires:`):
    /// the RS485 link has a set of channels per pack.
    pub fn of(bench: &Bench, packs: u8) -> Channels {
        let mut channels = Channels::default();
        for inst in bench.instruments.values() {
            match inst.driver.role() {
                Role::Source => channels.source(inst),
                Role::Can => channels.can(inst),
                // The console is written to only: it has nothing to read.
                Role::Board | Role::Rs232 => {}
                Role::Rs485 => channels.rs485(inst, packs),
                Role::Chamber => channels.chamber(inst),
            }
        }
        for name in bench.relays.keys() {
            let kind = ChannelKind::Relay { name: name.clone() };
            channels.push(format!("relays.{name}"), Type::Bool, kind);
        }
        for name in bench.inputs.keys() {
            let kind = ChannelKind::Input { name: name.clone() };
            channels.push(format!("dio.{name}"), Type::Bool, kind);
        }
        channels
    }

    fn push(&mut self, name: String, ty: Type, kind: ChannelKind) {
        let unit = match ty {
            Type::Num(d) => d.base_unit(),
            Type::Bool => "",
        };
        self.specs.push(ChannelSpec {
            name,
            ty,
            unit,
            kind,
        });
    }

    fn source(&mut self, inst: &InstrumentSpec) {
        let name = &inst.name;
        let volts = Type::Num(Dim::Voltage);
        self.push(format!("{name}.voltage"), volts, ChannelKind::SourceVoltage);
        let amps = Type::Num(Dim::Current);
        self.push(format!("{name}.current"), amps, ChannelKind::SourceCurrent);
        self.push(
            format!("{name}.output"),
            Type::Bool,
            ChannelKind::SourceOutput,
        );
        for setpoint in Setpoint::ALL {
            let channel = format!("{name}.{}", setpoint.name());
            let ty = Type::Num(setpoint.dim());
            self.push(channel, ty, ChannelKind::SourceSetpoint(setpoint));
        }
    }

    /// `online`, the period of each message, then each signal of the DBC.
    fn can(&mut self, inst: &InstrumentSpec) {
        self.push(
            format!("{}.online", inst.name),
            Type::Bool,
            ChannelKind::CanOnline,
        );
        let Some(db) = inst.database() else {
            return;
        };
        // The interval between the last two frames of each message the DBC describes:
        // the BMS's transmit timing, as a plan can assert it.
        let mut messages: Vec<(rig_drivers::can::CanId, String)> = Vec::new();
        for s in db.signals() {
            if !messages.iter().any(|(id, _)| *id == s.message_id) {
                messages.push((s.message_id, s.message_name.clone()));
            }
        }
        for (id, message) in messages {
            self.push(
                format!("{}.period.{}", inst.name, message.to_lowercase()),
                Type::Num(Dim::Time),
                ChannelKind::CanPeriod { id },
            );
        }
        for s in db.signals() {
            let ty = match s.kind {
                SignalKind::Flag => Type::Bool,
                SignalKind::Number => {
                    Type::Num(Dim::from_unit_name(&s.unit).unwrap_or(Dim::Number))
                }
            };
            let kind = ChannelKind::CanSignal {
                signal: s.name.clone(),
            };
            self.push(format!("{}.{}", inst.name, s.name), ty, kind);
        }
    }

    fn rs485(&mut self, inst: &InstrumentSpec, packs: u8) {
        for pack in 1..=packs.max(1) {
            let prefix = rs485_prefix(&inst.name, pack);
            let online = ChannelKind::Rs485Online { pack };
            self.push(format!("{prefix}.online"), Type::Bool, online);
            for field in Rs485Field::all() {
                let kind = ChannelKind::Rs485 { pack, field };
                self.push(format!("{prefix}.{}", field.name()), field.ty(), kind);
            }
        }
    }

    fn chamber(&mut self, inst: &InstrumentSpec) {
        let degrees = Type::Num(Dim::Temperature);
        let name = &inst.name;
        self.push(
            format!("{name}.temperature"),
            degrees,
            ChannelKind::ChamberTemperature,
        );
        self.push(
            format!("{name}.setpoint"),
            degrees,
            ChannelKind::ChamberSetpoint,
        );
    }

    pub fn find(&self, name: &str) -> Option<(ChannelId, &ChannelSpec)> {
        self.specs
            .iter()
            .enumerate()
            .find(|(_, s)| s.name == name)
            .map(|(i, s)| (ChannelId(i), s))
    }

    pub fn get(&self, id: ChannelId) -> &ChannelSpec {
        &self.specs[id.0]
    }

    pub fn len(&self) -> usize {
        self.specs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (ChannelId, &ChannelSpec)> {
        self.specs
            .iter()
            .enumerate()
            .map(|(i, s)| (ChannelId(i), s))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.specs.iter().map(|s| s.name.as_str())
    }
}

/// What a Pylontech RS485 poll (0x42 analog, 0x44 alarms, 0x92 charge management,
/// protocols.md 2.8-2.10) yields as channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rs485Field {
    PackVoltage,
    PackCurrent,
    /// Cell voltage, 1-based cell number (16 cells of a 16S pack).
    Cell(u8),
    CellVoltageMin,
    CellVoltageMax,
    /// Highest minus lowest cell: the imbalance.
    CellVoltageSpread,
    TemperatureMax,
    TemperatureMin,
    RemainingCapacity,
    TotalCapacity,
    Soc,
    Cycles,
    /// 0x44 status 1, by bit.
    Protection(u8),
    ChargeMosfet,
    DischargeMosfet,
    ChargeEnable,
    DischargeEnable,
    ChargeVoltageLimit,
    DischargeVoltageLimit,
    ChargeCurrentLimit,
    DischargeCurrentLimit,
}

/// 0x44 status 1 bits (protocols.md 2.9) and their channel names.
pub const RS485_PROTECTIONS: &[(u8, &str)] = &[
    (7, "protection_module_undervoltage"),
    (6, "protection_charge_overtemperature"),
    (5, "protection_discharge_overtemperature"),
    (4, "protection_discharge_overcurrent"),
    (2, "protection_charge_overcurrent"),
    (1, "protection_cell_undervoltage"),
    (0, "protection_module_overvoltage"),
];

impl Rs485Field {
    pub fn all() -> Vec<Rs485Field> {
        use Rs485Field::*;
        let mut out = vec![PackVoltage, PackCurrent];
        out.extend((1..=16).map(Cell));
        out.extend([
            CellVoltageMin,
            CellVoltageMax,
            CellVoltageSpread,
            TemperatureMax,
            TemperatureMin,
            RemainingCapacity,
            TotalCapacity,
            Soc,
            Cycles,
        ]);
        out.extend(RS485_PROTECTIONS.iter().map(|(bit, _)| Protection(*bit)));
        out.extend([
            ChargeMosfet,
            DischargeMosfet,
            ChargeEnable,
            DischargeEnable,
            ChargeVoltageLimit,
            DischargeVoltageLimit,
            ChargeCurrentLimit,
            DischargeCurrentLimit,
        ]);
        out
    }

    pub fn name(self) -> String {
        use Rs485Field::*;
        match self {
            PackVoltage => "pack_voltage".into(),
            PackCurrent => "pack_current".into(),
            Cell(n) => format!("cell_{n}"),
            CellVoltageMin => "cell_voltage_min".into(),
            CellVoltageMax => "cell_voltage_max".into(),
            CellVoltageSpread => "cell_voltage_spread".into(),
            TemperatureMax => "temperature_max".into(),
            TemperatureMin => "temperature_min".into(),
            RemainingCapacity => "remaining_capacity".into(),
            TotalCapacity => "total_capacity".into(),
            Soc => "soc".into(),
            Cycles => "cycles".into(),
            Protection(bit) => RS485_PROTECTIONS
                .iter()
                .find(|(b, _)| *b == bit)
                .map_or("protection_unknown", |(_, n)| n)
                .into(),
            ChargeMosfet => "charge_mosfet".into(),
            DischargeMosfet => "discharge_mosfet".into(),
            ChargeEnable => "charge_enable".into(),
            DischargeEnable => "discharge_enable".into(),
            ChargeVoltageLimit => "charge_voltage_limit".into(),
            DischargeVoltageLimit => "discharge_voltage_limit".into(),
            ChargeCurrentLimit => "charge_current_limit".into(),
            DischargeCurrentLimit => "discharge_current_limit".into(),
        }
    }

    pub fn ty(self) -> Type {
        use Rs485Field::*;
        match self {
            PackVoltage
            | Cell(_)
            | CellVoltageMin
            | CellVoltageMax
            | CellVoltageSpread
            | ChargeVoltageLimit
            | DischargeVoltageLimit => Type::Num(Dim::Voltage),
            PackCurrent | ChargeCurrentLimit | DischargeCurrentLimit => Type::Num(Dim::Current),
            TemperatureMax | TemperatureMin => Type::Num(Dim::Temperature),
            RemainingCapacity | TotalCapacity => Type::Num(Dim::Charge),
            Soc => Type::Num(Dim::Percent),
            Cycles => Type::Num(Dim::Number),
            Protection(_) | ChargeMosfet | DischargeMosfet | ChargeEnable | DischargeEnable => {
                Type::Bool
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pack_in_parallel_has_its_rs485_channels() {
        let bench = Bench::builtin_sim();
        let three = Channels::of(&bench, 3);
        for (name, kind) in [
            (
                "rs485.soc",
                ChannelKind::Rs485 {
                    pack: 1,
                    field: Rs485Field::Soc,
                },
            ),
            ("rs485.online", ChannelKind::Rs485Online { pack: 1 }),
            (
                "rs485.pack2.soc",
                ChannelKind::Rs485 {
                    pack: 2,
                    field: Rs485Field::Soc,
                },
            ),
            ("rs485.pack3.online", ChannelKind::Rs485Online { pack: 3 }),
            (
                "rs485.pack3.pack_voltage",
                ChannelKind::Rs485 {
                    pack: 3,
                    field: Rs485Field::PackVoltage,
                },
            ),
        ] {
            assert_eq!(
                three.find(name).map(|(_, s)| &s.kind),
                Some(&kind),
                "{name}"
            );
        }
        assert!(three.find("rs485.pack4.soc").is_none());
        assert!(
            three.find("rs485.pack1.soc").is_none(),
            "the master keeps its names"
        );
        // One pack: exactly the single-pack table, in the same order, so plans and
        // logs of single-pack runs do not change.
        let one = Channels::of(&bench, 1);
        assert!(one.find("rs485.pack2.soc").is_none());
        assert!(one.find("rs485.pack3.soc").is_none());
        let names = |c: &Channels| c.names().map(String::from).collect::<Vec<_>>();
        let per_pack = 1 + Rs485Field::all().len();
        assert_eq!(three.len(), one.len() + 2 * per_pack);
        assert_eq!(names(&Channels::of(&bench, 0)), names(&one));
    }
}
