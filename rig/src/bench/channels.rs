//! The channels a bench provides: every name a plan may read, with its type.

use rig_drivers::can::{CanDatabase, SignalKind};

use super::file::{Bench, Driver};
use crate::expr::{ChannelId, Type};
use crate::quantity::Dim;

/// Where a channel's values come from.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelKind {
    SourceVoltage,
    SourceCurrent,
    SourceOutput,
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

impl Channels {
    pub fn of(bench: &Bench) -> Channels {
        let mut specs = Vec::new();
        let mut push = |name: String, ty: Type, kind: ChannelKind| {
            let unit = match ty {
                Type::Num(d) => d.base_unit(),
                Type::Bool => "",
            };
            specs.push(ChannelSpec {
                name,
                ty,
                unit,
                kind,
            });
        };
        for inst in bench.instruments.values() {
            match inst.driver {
                Driver::ScpiSource => {
                    push(
                        format!("{}.voltage", inst.name),
                        Type::Num(Dim::Voltage),
                        ChannelKind::SourceVoltage,
                    );
                    push(
                        format!("{}.current", inst.name),
                        Type::Num(Dim::Current),
                        ChannelKind::SourceCurrent,
                    );
                    push(
                        format!("{}.output", inst.name),
                        Type::Bool,
                        ChannelKind::SourceOutput,
                    );
                }
                Driver::BmsCan => {
                    push(
                        format!("{}.online", inst.name),
                        Type::Bool,
                        ChannelKind::CanOnline,
                    );
                    let Some(db) = inst.dbc.as_deref().and_then(|t| CanDatabase::parse(t).ok())
                    else {
                        continue;
                    };
                    // The interval between the last two frames of each message the DBC
                    // describes: the BMS's transmit timing, as a plan can assert it.
                    let mut messages: Vec<(rig_drivers::can::CanId, String)> = Vec::new();
                    for s in db.signals() {
                        if !messages.iter().any(|(id, _)| *id == s.message_id) {
                            messages.push((s.message_id, s.message_name.clone()));
                        }
                    }
                    for (id, message) in messages {
                        push(
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
                        push(
                            format!("{}.{}", inst.name, s.name),
                            ty,
                            ChannelKind::CanSignal {
                                signal: s.name.clone(),
                            },
                        );
                    }
                }
                Driver::WaveshareRelayD => {}
                Driver::WatlowF4t => {
                    push(
                        format!("{}.temperature", inst.name),
                        Type::Num(Dim::Temperature),
                        ChannelKind::ChamberTemperature,
                    );
                    push(
                        format!("{}.setpoint", inst.name),
                        Type::Num(Dim::Temperature),
                        ChannelKind::ChamberSetpoint,
                    );
                }
            }
        }
        for name in bench.relays.keys() {
            push(
                format!("relays.{name}"),
                Type::Bool,
                ChannelKind::Relay { name: name.clone() },
            );
        }
        for name in bench.inputs.keys() {
            push(
                format!("dio.{name}"),
                Type::Bool,
                ChannelKind::Input { name: name.clone() },
            );
        }
        Channels { specs }
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
