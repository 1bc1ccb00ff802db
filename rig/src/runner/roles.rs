//! The instrument roles a plan addresses (source, relay board, chamber), each over
//! every driver family that can fill it. The runner talks to a role; which family
//! answers is the bench file's business, so a plan moves between benches unchanged.

use rig_drivers::chamber::{Chamber, ChamberError, EspecP300, WatlowF4, WatlowF4t};
use rig_drivers::modbus::{RelayBoard, RelayBoardError};
use rig_drivers::relays::{Daq970a, DaqChannel, Numato, NumatoError};
use rig_drivers::scpi::{Parameter, ScpiError, ScpiLoad, ScpiSource};
use rig_drivers::transport::BoxStream;

/// Why a role could not do what was asked: the error of the driver family that fills
/// it, shown as it is, or a request the family cannot serve.
#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error(transparent)]
    Scpi(#[from] ScpiError),
    #[error(transparent)]
    RelayBoard(#[from] RelayBoardError),
    #[error(transparent)]
    Numato(#[from] NumatoError),
    /// A load refuses what it cannot do; plan validation already rejects such plans on
    /// a load bench, so this only guards direct callers.
    #[error("an electronic load cannot set a {what} ({value} requested): it only sinks current")]
    LoadCannot { what: &'static str, value: f64 },
    #[error("the load's input reads back on after switching it off")]
    LoadInputStillOn,
    #[error("DAQ970A channel {channel} does not exist")]
    NoDaqChannel { channel: u16 },
    #[error("DAQ970A port {port} does not exist")]
    NoDaqPort { port: u16 },
}

/// The DC source/sink role: a bidirectional source, or an electronic load on a
/// discharge-only bench. Currents are signed the source's way: positive charges the
/// pack, negative discharges it.
pub enum SourceRole {
    Supply(ScpiSource<BoxStream>),
    Load(ScpiLoad<BoxStream>),
}

/// How the source role was made harmless before the first step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Protection {
    /// OVP and OCP as read back.
    Programmed { ovp_v: f64, ocp_a: f64 },
    /// A load at 0 A with its input off.
    LoadIdle,
}

impl SourceRole {
    pub async fn set_current_limit(&mut self, amps: f64) -> Result<(), RoleError> {
        match self {
            SourceRole::Supply(s) => Ok(s.set_current_limit(amps).await?),
            // Zero charge current is what a load always has.
            SourceRole::Load(_) if amps == 0.0 => Ok(()),
            SourceRole::Load(_) => Err(RoleError::LoadCannot {
                what: "charge current limit",
                value: amps,
            }),
        }
    }

    pub async fn set_sink_limit(&mut self, amps: f64) -> Result<(), RoleError> {
        match self {
            SourceRole::Supply(s) => Ok(s.set_sink_limit(amps).await?),
            SourceRole::Load(l) => Ok(l.set_constant_current(amps).await?),
        }
    }

    pub async fn set_voltage(&mut self, volts: f64) -> Result<(), RoleError> {
        match self {
            SourceRole::Supply(s) => Ok(s.set_voltage(volts).await?),
            SourceRole::Load(_) => Err(RoleError::LoadCannot {
                what: "voltage",
                value: volts,
            }),
        }
    }

    pub async fn set_output(&mut self, on: bool) -> Result<(), RoleError> {
        match self {
            SourceRole::Supply(s) => Ok(s.set_output(on).await?),
            SourceRole::Load(l) => Ok(l.set_input(on).await?),
        }
    }

    /// A setting as the instrument holds it, in driver units; `None` where its dialect
    /// has no query for it (or a load, which has no such setting).
    pub async fn setting(&mut self, parameter: Parameter) -> Result<Option<f64>, RoleError> {
        match self {
            SourceRole::Supply(s) if s.dialect().query(parameter).is_some() => {
                Ok(Some(s.read_setting(parameter).await?))
            }
            _ => Ok(None),
        }
    }

    pub async fn output(&mut self) -> Result<bool, RoleError> {
        match self {
            SourceRole::Supply(s) => Ok(s.output().await?),
            SourceRole::Load(l) => Ok(l.input().await?),
        }
    }

    pub async fn measure_voltage(&mut self) -> Result<f64, RoleError> {
        match self {
            SourceRole::Supply(s) => Ok(s.measure_voltage().await?),
            SourceRole::Load(l) => Ok(l.measure_voltage().await?),
        }
    }

    /// Signed: a load's reading (drawn from the pack) comes back negative.
    pub async fn measure_current(&mut self) -> Result<f64, RoleError> {
        match self {
            SourceRole::Supply(s) => Ok(s.measure_current().await?),
            SourceRole::Load(l) => Ok(-l.measure_current().await?.abs()),
        }
    }

    /// What protects the pack before anything is energised. A source gets OVP and OCP
    /// programmed and read back; a load has no protection settings in its SCPI set
    /// (protocols.md 4.3), so it gets a 0 A constant current with its input confirmed
    /// off: it can never charge, and it sinks only what a plan sets.
    pub async fn program_protection(
        &mut self,
        ovp: f64,
        ocp: f64,
    ) -> Result<Protection, RoleError> {
        match self {
            SourceRole::Supply(s) => {
                let r = s.program_protection(ovp, ocp).await?;
                Ok(Protection::Programmed {
                    ovp_v: r.ovp_volts,
                    ocp_a: r.ocp_amps,
                })
            }
            SourceRole::Load(l) => {
                l.set_constant_current(0.0).await?;
                if l.input().await? {
                    return Err(RoleError::LoadInputStillOn);
                }
                Ok(Protection::LoadIdle)
            }
        }
    }
}

/// The relay-and-input role: a Waveshare Modbus board, a DAQ970A or a Numato module.
/// Channels are numbered as each instrument numbers them (see `BoardWire`).
pub enum BoardRole {
    Waveshare(RelayBoard),
    Daq970a(Daq970a<BoxStream>),
    Numato(Numato<BoxStream>),
}

impl BoardRole {
    pub async fn set_relay(&mut self, channel: u16, closed: bool) -> Result<(), RoleError> {
        match self {
            BoardRole::Waveshare(b) => {
                let channel = u8::try_from(channel).unwrap_or(u8::MAX);
                Ok(b.set_relay(channel, closed).await?)
            }
            BoardRole::Daq970a(d) => {
                let ch = DaqChannel::new(channel).ok_or(RoleError::NoDaqChannel { channel })?;
                Ok(d.route(ch, closed).await?)
            }
            BoardRole::Numato(n) => Ok(n.set(channel, closed).await?),
        }
    }

    /// Whether each relay is closed, as the instrument reads it back.
    pub async fn read_relays(&mut self, channels: &[u16]) -> Result<Vec<bool>, RoleError> {
        match self {
            BoardRole::Waveshare(b) => {
                let all = b.read_relays().await?;
                Ok(channels
                    .iter()
                    .map(|&c| {
                        all.get(usize::from(c).wrapping_sub(1))
                            .copied()
                            .unwrap_or(false)
                    })
                    .collect())
            }
            BoardRole::Daq970a(d) => {
                let mut out = Vec::with_capacity(channels.len());
                for &c in channels {
                    let ch = DaqChannel::new(c).ok_or(RoleError::NoDaqChannel { channel: c })?;
                    out.push(d.is_closed(ch).await?);
                }
                Ok(out)
            }
            BoardRole::Numato(n) => {
                let mut out = Vec::with_capacity(channels.len());
                for &c in channels {
                    out.push(n.is_closed(c).await?);
                }
                Ok(out)
            }
        }
    }

    /// Each input's level: (input number, bit of a DAQ970A port).
    pub async fn read_inputs(
        &mut self,
        inputs: &[(u16, Option<u8>)],
    ) -> Result<Vec<bool>, RoleError> {
        match self {
            BoardRole::Waveshare(b) => {
                let all = b.read_inputs().await?;
                Ok(inputs
                    .iter()
                    .map(|&(n, _)| {
                        all.get(usize::from(n).wrapping_sub(1))
                            .copied()
                            .unwrap_or(false)
                    })
                    .collect())
            }
            BoardRole::Daq970a(d) => {
                // One query per port, however many bits of it are wired.
                let mut ports: Vec<(u16, u8)> = Vec::new();
                let mut out = Vec::with_capacity(inputs.len());
                for &(port, bit) in inputs {
                    let byte = match ports.iter().find(|(p, _)| *p == port) {
                        Some(&(_, b)) => b,
                        None => {
                            let ch = DaqChannel::new(port).ok_or(RoleError::NoDaqPort { port })?;
                            let b = d.read_digital_byte(ch).await?;
                            ports.push((port, b));
                            b
                        }
                    };
                    out.push(byte & (1 << bit.unwrap_or(0).min(7)) != 0);
                }
                Ok(out)
            }
            BoardRole::Numato(n) => {
                let mut out = Vec::with_capacity(inputs.len());
                for &(gpio, _) in inputs {
                    out.push(n.read_gpio(gpio).await?);
                }
                Ok(out)
            }
        }
    }

    /// Every relay open. The Waveshare board opens all eight in one request; the others
    /// open the relays the bench wires (`wired`), so a relay nobody declared is never
    /// touched on an instrument that may serve other benches.
    pub async fn open_all(&mut self, wired: &[u16]) -> Result<(), RoleError> {
        match self {
            BoardRole::Waveshare(b) => Ok(b.all_off().await?),
            _ => {
                for &channel in wired {
                    self.set_relay(channel, false).await?;
                }
                Ok(())
            }
        }
    }

    /// The relays [`Self::open_all`] opens, as the board reads them back: the channels
    /// that still read closed (the Waveshare board's eight, the others' wired ones).
    pub async fn still_closed(&mut self, wired: &[u16]) -> Result<Vec<u16>, RoleError> {
        let channels: Vec<u16> = match self {
            BoardRole::Waveshare(_) => (1..=u16::from(rig_drivers::modbus::CHANNELS)).collect(),
            _ => wired.to_vec(),
        };
        let closed = self.read_relays(&channels).await?;
        Ok(channels
            .into_iter()
            .zip(closed)
            .filter_map(|(c, closed)| closed.then_some(c))
            .collect())
    }
}

/// The chamber role over the three controller families.
pub enum ChamberRole {
    F4t(WatlowF4t),
    F4(WatlowF4),
    Espec(EspecP300<BoxStream>),
}

impl ChamberRole {
    /// The controller's set-point range, °C, where it reports one.
    pub fn range(&self) -> (f64, f64) {
        match self {
            ChamberRole::F4t(c) => c.range(),
            ChamberRole::F4(c) => c.range(),
            ChamberRole::Espec(c) => c.limits(),
        }
    }
}

impl Chamber for ChamberRole {
    async fn set_point(&mut self, celsius: f64) -> Result<(), ChamberError> {
        match self {
            ChamberRole::F4t(c) => c.set_point(celsius).await,
            ChamberRole::F4(c) => c.set_point(celsius).await,
            ChamberRole::Espec(c) => c.set_point(celsius).await,
        }
    }

    async fn read_set_point(&mut self) -> Result<f64, ChamberError> {
        match self {
            ChamberRole::F4t(c) => c.read_set_point().await,
            ChamberRole::F4(c) => c.read_set_point().await,
            ChamberRole::Espec(c) => c.read_set_point().await,
        }
    }

    async fn process_value(&mut self) -> Result<f64, ChamberError> {
        match self {
            ChamberRole::F4t(c) => c.process_value().await,
            ChamberRole::F4(c) => c.process_value().await,
            ChamberRole::Espec(c) => c.process_value().await,
        }
    }

    async fn set_running(&mut self, run: bool) -> Result<(), ChamberError> {
        match self {
            ChamberRole::F4t(c) => c.set_running(run).await,
            ChamberRole::F4(c) => c.set_running(run).await,
            ChamberRole::Espec(c) => c.set_running(run).await,
        }
    }

    async fn running(&mut self) -> Result<bool, ChamberError> {
        match self {
            ChamberRole::F4t(c) => c.running().await,
            ChamberRole::F4(c) => c.running().await,
            ChamberRole::Espec(c) => c.running().await,
        }
    }
}
