//! Connecting the bench's instruments through their drivers, and putting them into
//! their safe state. The runner never knows whether an instrument is real or simulated:
//! a resource string yields a byte stream or a CAN port, and the driver talks bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use rig_drivers::can::{CanDatabase, CanPort};
use rig_drivers::chamber::{Chamber, EspecP300, RunEvent, WatlowF4, WatlowF4t, WordOrder};
use rig_drivers::modbus::RelayBoard;
use rig_drivers::modbus::{ModbusFraming, attach, connect_modbus};
use rig_drivers::relays::{Daq970a, Numato};
use rig_drivers::rs485::pylontech::PylontechClient;
use rig_drivers::scpi::{ScpiLoad, ScpiSource};
use rig_drivers::traffic::TrafficSink;
use rig_drivers::transport::{BoxStream, Endpoint, connect_tcp, open_serial};
use rig_reports::EventKind;
use tokio::sync::Mutex;

use super::log::EventLog;
use super::roles::{BoardRole, ChamberRole, Protection, SourceRole};
use crate::bench::{Bench, Driver, InstrumentSpec, SafeState};
use crate::clock;

/// Why an instrument could not be used. Always verdict error: says nothing of the DUT.
#[derive(Debug, Clone)]
pub struct InstrumentFailure {
    pub instrument: String,
    pub message: String,
}

impl std::fmt::Display for InstrumentFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.instrument, self.message)
    }
}

pub fn failure(instrument: &str, message: impl std::fmt::Display) -> InstrumentFailure {
    InstrumentFailure {
        instrument: instrument.to_string(),
        message: message.to_string(),
    }
}

pub type SharedSource = Arc<Mutex<SourceRole>>;
pub type SharedBoard = Arc<Mutex<BoardRole>>;

/// The BMS CAN link: a port on a bus plus the database that decodes it.
pub struct CanLink {
    pub name: String,
    pub port: CanPort,
    pub db: CanDatabase,
}

pub type SharedChamber = Arc<Mutex<ChamberRole>>;

/// The pack's RS485 link: a client and the pack's address.
pub struct Rs485Link {
    pub name: String,
    pub client: PylontechClient<BoxStream>,
    pub address: u8,
}

/// Every connected instrument of a run.
#[derive(Default)]
pub struct Instruments {
    pub source: Option<(InstrumentSpec, SharedSource)>,
    pub boards: BTreeMap<String, (InstrumentSpec, SharedBoard)>,
    pub can: Option<(InstrumentSpec, CanLink)>,
    /// Sends on the BMS's bus after the CAN sampler took the link (the keep-alive).
    pub can_sender: Option<(String, rig_drivers::can::CanSender)>,
    pub chamber: Option<(InstrumentSpec, SharedChamber)>,
    pub rs485: Option<(InstrumentSpec, Rs485Link)>,
    /// The pack's RS232 console, written to by plans; it holds no energy, so it has no
    /// safe state (`SafeState::Nothing`).
    pub rs232: Option<(InstrumentSpec, Mutex<super::rs232::Rs232Console>)>,
    /// Commands for the pack over RS485, sent by its sampler, which owns the link.
    pub rs485_commands: Option<(
        String,
        tokio::sync::mpsc::Sender<super::samplers::Rs485Request>,
    )>,
    /// Names in connection order; safe states are applied in reverse.
    pub order: Vec<String>,
}

/// Opens byte streams and CAN ports for resources. The virtual bench serves `sim:`
/// resources in-process; real resources go to the network.
pub struct Connector<'a> {
    pub sim: Option<&'a rig_sim::SimBench>,
}

impl Connector<'_> {
    fn sim(&self, spec: &InstrumentSpec) -> Result<&rig_sim::SimBench, InstrumentFailure> {
        self.sim
            .ok_or_else(|| failure(&spec.name, "`sim:` resources need the virtual bench"))
    }

    /// A byte stream to an instrument (SCPI, or Modbus RTU through a gateway or port).
    pub(super) async fn stream(
        &self,
        spec: &InstrumentSpec,
    ) -> Result<BoxStream, InstrumentFailure> {
        let boxed = |s: BoxStream| -> Result<BoxStream, InstrumentFailure> { Ok(s) };
        match &spec.resource {
            Endpoint::Sim { endpoint } => boxed(Box::new(
                self.sim(spec)?
                    .open(endpoint)
                    .map_err(|e| failure(&spec.name, e))?,
            )),
            Endpoint::TcpSocket { host, port } => boxed(Box::new(
                connect_tcp(host, *port, clock::secs(spec.timeout_s))
                    .await
                    .map_err(|e| failure(&spec.name, e))?,
            )),
            Endpoint::Serial(config) | Endpoint::ModbusRtu { serial: config, .. } => boxed(
                Box::new(open_serial(config).map_err(|e| failure(&spec.name, e))?),
            ),
            other => Err(failure(
                &spec.name,
                format!("`{other}` is not a byte stream"),
            )),
        }
    }

    /// A Modbus context for a chamber: over a byte stream (the virtual bench, a TCP
    /// socket or gateway) in the framing the controller speaks there, MBAP for the F4T
    /// on port 502, RTU for the F4 behind a gateway; RTU framing on a serial port.
    async fn modbus(
        &self,
        spec: &InstrumentSpec,
        traffic: &TrafficSink,
        framing: ModbusFraming,
    ) -> Result<(tokio_modbus::client::Context, u8), InstrumentFailure> {
        let name: Arc<str> = Arc::from(spec.name.as_str());
        match &spec.resource {
            Endpoint::Sim { .. } | Endpoint::TcpSocket { .. } => {
                let stream = self.stream(spec).await?;
                Ok((
                    attach(stream, framing, spec.unit, name, Some(traffic.clone())),
                    spec.unit,
                ))
            }
            other => connect_modbus(
                other,
                name,
                clock::secs(spec.timeout_s),
                Some(traffic.clone()),
            )
            .await
            .map_err(|e| failure(&spec.name, e)),
        }
    }

    async fn can_port(&self, spec: &InstrumentSpec) -> Result<CanPort, InstrumentFailure> {
        match &spec.resource {
            Endpoint::Sim { endpoint } => Ok(CanPort::from(
                self.sim(spec)?
                    .can_port(endpoint)
                    .map_err(|e| failure(&spec.name, e))?,
            )),
            other => CanPort::open(other, clock::secs(spec.timeout_s))
                .await
                .map_err(|e| failure(&spec.name, e)),
        }
    }
}

impl Instruments {
    /// Connect every instrument of the bench, logging identities. Sources are left with
    /// their output off and their protection (OVP/OCP) programmed and read back.
    pub async fn connect(
        bench: &Bench,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
        protection: (f64, f64),
    ) -> Result<Instruments, (Instruments, InstrumentFailure)> {
        let mut out = Instruments::default();
        for spec in bench.instruments.values() {
            if let Err(f) = out
                .connect_one(spec, connector, log, traffic, Some(protection))
                .await
            {
                log.emit(EventKind::Error {
                    instrument: Some(f.instrument.clone()),
                    message: format!("connecting failed: {}", f.message),
                });
                return Err((out, f));
            }
        }
        Ok(out)
    }

    /// Connect every instrument that answers, without programming protections (a
    /// probe energises nothing); the failures are returned, each logged.
    pub async fn connect_all(
        bench: &Bench,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
    ) -> (Instruments, Vec<InstrumentFailure>) {
        let mut out = Instruments::default();
        let mut failed = Vec::new();
        for spec in bench.instruments.values() {
            if let Err(f) = out.connect_one(spec, connector, log, traffic, None).await {
                log.emit(EventKind::Error {
                    instrument: Some(f.instrument.clone()),
                    message: format!("connecting failed: {}", f.message),
                });
                failed.push(f);
            }
        }
        (out, failed)
    }

    async fn connect_one(
        &mut self,
        spec: &InstrumentSpec,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
        protection: Option<(f64, f64)>,
    ) -> Result<(), InstrumentFailure> {
        let name: Arc<str> = Arc::from(spec.name.as_str());
        let timeout = clock::secs(spec.timeout_s);
        match spec.driver {
            Driver::ScpiSource | Driver::ScpiLoad => {
                let (mut source, identity) = open_source(spec, connector, traffic).await?;
                // Nothing is energised before its limits are programmed and read back.
                let protection = match protection {
                    Some((ovp, ocp)) => Some(
                        source
                            .program_protection(ovp, ocp)
                            .await
                            .map_err(|e| failure(&spec.name, e))?,
                    ),
                    None => None,
                };
                let identity = match protection {
                    Some(Protection::LoadIdle) => {
                        format!("{identity}; protection: constant current 0 A, input confirmed off")
                    }
                    _ => identity,
                };
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity,
                });
                if let Some(Protection::Programmed { ovp_v, ocp_a }) = protection {
                    log.emit(EventKind::ProtectionProgrammed {
                        instrument: spec.name.clone(),
                        ovp_v,
                        ocp_a,
                    });
                }
                self.source = Some((spec.clone(), Arc::new(Mutex::new(source))));
            }
            Driver::WaveshareRelayD | Driver::Daq970a | Driver::NumatoRelay => {
                let (board, identity) = open_board(spec, connector, traffic).await?;
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity,
                });
                self.boards.insert(
                    spec.name.clone(),
                    (spec.clone(), Arc::new(Mutex::new(board))),
                );
            }
            Driver::WatlowF4t | Driver::WatlowF4 | Driver::EspecP300 => {
                let (chamber, identity) = open_chamber(spec, connector, traffic).await?;
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity,
                });
                self.chamber = Some((spec.clone(), Arc::new(Mutex::new(chamber))));
            }
            Driver::PylontechRs485 => {
                let stream = connector.stream(spec).await?;
                let mut client = PylontechClient::new(stream, name, timeout, Some(traffic.clone()));
                // Ask 0x4F first and speak the version the pack answers with (protocols.md 2.10).
                let ver = client
                    .adopt_version(spec.address)
                    .await
                    .map_err(|e| failure(&spec.name, e))?;
                let info = client
                    .manufacturer_info(spec.address)
                    .await
                    .map_err(|e| failure(&spec.name, e))?;
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity: format!(
                        "{} {}, software {}.{}, address {}, protocol VER {:#04x}",
                        info.manufacturer.trim(),
                        info.device_name.trim(),
                        info.software_version[0],
                        info.software_version[1],
                        spec.address,
                        ver
                    ),
                });
                self.rs485 = Some((
                    spec.clone(),
                    Rs485Link {
                        name: spec.name.clone(),
                        client,
                        address: spec.address,
                    },
                ));
            }
            Driver::Rs232Console => {
                // Write-only: there is no identity to ask for (the console protocol is
                // undocumented, LOSUN 2.6-2), so connecting is opening the port.
                let stream = connector.stream(spec).await?;
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity: format!(
                        "RS232 console port, write-only, lines end with {}",
                        super::rs232::LINE_ENDING.escape_default()
                    ),
                });
                self.rs232 = Some((
                    spec.clone(),
                    Mutex::new(super::rs232::Rs232Console::new(
                        &spec.name,
                        stream,
                        spec.timeout_s,
                        Some(traffic.clone()),
                    )),
                ));
            }
            Driver::BmsCan => {
                let port = connector.can_port(spec).await?;
                let texts: Vec<&str> = if spec.dbc.is_empty() {
                    vec![rig_drivers::can::PYLON_LV_DBC]
                } else {
                    spec.dbc.iter().map(String::as_str).collect()
                };
                let db = CanDatabase::parse_all(&texts).map_err(|e| failure(&spec.name, e))?;
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity: "CAN link (listen-only)".into(),
                });
                self.can_sender = Some((spec.name.clone(), port.sender()));
                self.can = Some((
                    spec.clone(),
                    CanLink {
                        name: spec.name.clone(),
                        port,
                        db,
                    },
                ));
            }
        }
        self.order.push(spec.name.clone());
        Ok(())
    }

    /// Put every connected instrument into the safe state its bench entry declares:
    /// sources first (they hold the energy), then the rest in reverse connection order,
    /// each bounded in time. Returns the instruments that could not be made safe.
    pub async fn make_safe(
        &self,
        log: &EventLog,
        connector: &Connector<'_>,
        traffic: &TrafficSink,
    ) -> Vec<String> {
        let mut order: Vec<&String> = self.order.iter().rev().collect();
        order.sort_by_key(|name| self.source.as_ref().is_none_or(|(s, _)| &s.name != *name));
        let mut unsafe_left = Vec::new();
        for name in order {
            let Some((mut action, mut result)) = self.make_one_safe(name).await else {
                continue;
            };
            // An instrument whose connection broke may still be reachable: reconnect once.
            if let Err(first) = &result {
                let first = first.clone();
                let retry = if let Some((spec, _)) =
                    self.source.as_ref().filter(|(s, _)| &s.name == name)
                {
                    Some(reconnect_source(spec, connector, traffic).await)
                } else if let Some((spec, _)) = self.boards.get(name.as_str()) {
                    Some(reconnect_board(spec, connector, traffic).await)
                } else {
                    None
                };
                if let Some(retry) = retry {
                    result = retry.map_err(|e| format!("{first}; reconnecting failed: {e}"));
                    if result.is_ok() {
                        action = format!("{action}, after reconnecting ({first})");
                    }
                }
            }
            let ok = result.is_ok();
            if !ok {
                unsafe_left.push(name.clone());
            }
            log.emit(EventKind::SafeState {
                instrument: name.clone(),
                action,
                ok,
                error: result.err(),
            });
        }
        unsafe_left
    }

    async fn make_one_safe(&self, name: &str) -> Option<(String, Result<(), String>)> {
        let bounded = |r: Result<Result<(), String>, ()>| {
            r.map_err(|()| "timed out".to_string()).and_then(|r| r)
        };
        if let Some((spec, source)) = self.source.as_ref().filter(|(s, _)| s.name == name) {
            let SafeState::Source {
                current_limit_a,
                sink_limit_a,
                voltage_v,
            } = spec.safe_state
            else {
                return None;
            };
            let source = source.clone();
            let r = clock::within(spec.timeout_s * 5.0, async move {
                let mut s = source.lock().await;
                // Output off first: whatever fails after it, nothing is energised.
                s.set_output(false).await.map_err(|e| e.to_string())?;
                s.set_current_limit(current_limit_a)
                    .await
                    .map_err(|e| e.to_string())?;
                s.set_sink_limit(sink_limit_a)
                    .await
                    .map_err(|e| e.to_string())?;
                if let Some(v) = voltage_v {
                    s.set_voltage(v).await.map_err(|e| e.to_string())?;
                }
                Ok(())
            })
            .await;
            let mut action = format!(
                "output off, current limit {current_limit_a} A, sink limit {sink_limit_a} A"
            );
            if let Some(v) = voltage_v {
                action.push_str(&format!(", voltage {v} V"));
            }
            return Some((action, bounded(r)));
        }
        if let Some((spec, chamber)) = self.chamber.as_ref().filter(|(s, _)| s.name == name) {
            let SafeState::Chamber { setpoint_c, run } = spec.safe_state else {
                return None;
            };
            let chamber = chamber.clone();
            let r = clock::within(spec.timeout_s * 4.0, async move {
                let mut c = chamber.lock().await;
                if let Some(t) = setpoint_c {
                    c.set_point(t).await.map_err(|e| e.to_string())?;
                }
                c.set_running(run).await.map_err(|e| e.to_string())
            })
            .await;
            let mut action = if run {
                "conditioning on".to_string()
            } else {
                "conditioning stopped".to_string()
            };
            if let Some(t) = setpoint_c {
                action = format!("set point {t} degC, {action}");
            }
            return Some((action, bounded(r)));
        }
        let (spec, board) = self.boards.get(name)?;
        let SafeState::Board { closed, wired } = &spec.safe_state else {
            return None;
        };
        let board = board.clone();
        let (closed, wired) = (closed.clone(), wired.clone());
        let action = if closed.is_empty() {
            "all relays open".to_string()
        } else {
            format!("relays open except channel {:?} closed", closed)
        };
        let r = clock::within(spec.timeout_s * 10.0, async move {
            let mut b = board.lock().await;
            b.apply_safe(&closed, &wired)
                .await
                .map_err(|e| e.to_string())
        })
        .await;
        Some((action, bounded(r)))
    }

    /// The hard stop after a second signal: only the source's output off, at once.
    pub async fn emergency_output_off(&self, log: &EventLog) -> bool {
        let Some((spec, source)) = &self.source else {
            return true;
        };
        let source = source.clone();
        let r = clock::within(spec.timeout_s, async move {
            source
                .lock()
                .await
                .set_output(false)
                .await
                .map_err(|e| e.to_string())
        })
        .await;
        let r = r.map_err(|()| "timed out".to_string()).and_then(|r| r);
        let ok = r.is_ok();
        log.emit(EventKind::SafeState {
            instrument: spec.name.clone(),
            action: "hard stop: output off".into(),
            ok,
            error: r.err(),
        });
        ok
    }
}

/// Open a fresh connection to a source and switch its output off (opening does that),
/// then program its safe limits.
async fn reconnect_source(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
) -> Result<(), String> {
    let SafeState::Source {
        current_limit_a,
        sink_limit_a,
        ..
    } = spec.safe_state
    else {
        return Ok(());
    };
    let attempt = async {
        let (mut source, _) = open_source(spec, connector, traffic)
            .await
            .map_err(|f| f.message)?;
        source.set_output(false).await.map_err(|e| e.to_string())?;
        source
            .set_current_limit(current_limit_a)
            .await
            .map_err(|e| e.to_string())?;
        source
            .set_sink_limit(sink_limit_a)
            .await
            .map_err(|e| e.to_string())
    };
    clock::within(spec.timeout_s * 6.0, attempt)
        .await
        .map_err(|()| "timed out".to_string())?
}

/// Open a fresh connection to a relay board and set its relays to the safe state.
async fn reconnect_board(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
) -> Result<(), String> {
    let SafeState::Board { closed, wired } = &spec.safe_state else {
        return Ok(());
    };
    let attempt = async {
        let (mut board, _) = open_board(spec, connector, traffic)
            .await
            .map_err(|f| f.message)?;
        board
            .apply_safe(closed, wired)
            .await
            .map_err(|e| e.to_string())
    };
    clock::within(spec.timeout_s * 12.0, attempt)
        .await
        .map_err(|()| "timed out".to_string())?
}

/// Opens the source role's instrument: a SCPI source/sink or an electronic load.
/// Returns it with its identity line.
async fn open_source(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
) -> Result<(SourceRole, String), InstrumentFailure> {
    let name: Arc<str> = Arc::from(spec.name.as_str());
    let timeout = clock::secs(spec.timeout_s);
    let stream = connector.stream(spec).await?;
    let fail = |e: rig_drivers::scpi::ScpiError| failure(&spec.name, e);
    let (role, identity) = if spec.driver == Driver::ScpiLoad {
        let (load, identity) = ScpiLoad::open(
            stream,
            name,
            spec.load_dialect,
            timeout,
            Some(traffic.clone()),
        )
        .await
        .map_err(fail)?;
        (SourceRole::Load(load), identity)
    } else {
        let (source, identity) =
            ScpiSource::open(stream, name, spec.dialect, timeout, Some(traffic.clone()))
                .await
                .map_err(fail)?;
        (SourceRole::Supply(source), identity)
    };
    Ok((
        role,
        format!(
            "{}, {}, serial {}, firmware {}",
            identity.manufacturer, identity.model, identity.serial, identity.firmware
        ),
    ))
}

/// Opens a relay board of any family, with its identity line.
async fn open_board(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
) -> Result<(BoardRole, String), InstrumentFailure> {
    let name: Arc<str> = Arc::from(spec.name.as_str());
    let timeout = clock::secs(spec.timeout_s);
    let stream = connector.stream(spec).await?;
    match spec.driver {
        Driver::Daq970a => {
            let (daq, id) = Daq970a::open(stream, name, timeout, Some(traffic.clone()))
                .await
                .map_err(|e| failure(&spec.name, e))?;
            Ok((
                BoardRole::Daq970a(daq),
                format!(
                    "{}, {}, serial {}, firmware {}",
                    id.manufacturer, id.model, id.serial, id.firmware
                ),
            ))
        }
        Driver::NumatoRelay => {
            let (module, version) =
                Numato::open(stream, name, spec.channels, timeout, Some(traffic.clone()))
                    .await
                    .map_err(|e| failure(&spec.name, e))?;
            Ok((
                BoardRole::Numato(module),
                format!(
                    "Numato {}-channel relay module, version {version}",
                    spec.channels
                ),
            ))
        }
        _ => {
            let (board, identity) =
                RelayBoard::open(stream, spec.unit, name, timeout, Some(traffic.clone()))
                    .await
                    .map_err(|e| failure(&spec.name, e))?;
            Ok((
                BoardRole::Waveshare(board),
                format!(
                    "Modbus unit {}, firmware register {:#06x}",
                    identity.unit, identity.firmware_version
                ),
            ))
        }
    }
}

/// Opens a chamber controller of any family, with its identity line.
async fn open_chamber(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
) -> Result<(ChamberRole, String), InstrumentFailure> {
    let name: Arc<str> = Arc::from(spec.name.as_str());
    let timeout = clock::secs(spec.timeout_s);
    let run_event = RunEvent {
        output: spec.run_event,
        active_high: true,
    };
    let fail = |e: rig_drivers::chamber::ChamberError| failure(&spec.name, e);
    let chamber = match spec.driver {
        Driver::EspecP300 => {
            let stream = connector.stream(spec).await?;
            let address = spec.address_given.then_some(spec.address);
            let (espec, _) = EspecP300::open(stream, name, address, timeout, Some(traffic.clone()))
                .await
                .map_err(fail)?;
            ChamberRole::Espec(espec)
        }
        Driver::WatlowF4 => {
            let (context, _) = connector.modbus(spec, traffic, ModbusFraming::Rtu).await?;
            ChamberRole::F4(
                WatlowF4::open(context, name, run_event, timeout)
                    .await
                    .map_err(fail)?,
            )
        }
        _ => {
            let (context, _) = connector.modbus(spec, traffic, ModbusFraming::Tcp).await?;
            ChamberRole::F4t(
                WatlowF4t::open(
                    context,
                    name,
                    spec.control_loop,
                    WordOrder::LowWordFirst,
                    run_event,
                    timeout,
                )
                .await
                .map_err(fail)?,
            )
        }
    };
    let (low, high) = chamber.range();
    let identity = match spec.driver {
        Driver::EspecP300 => format!("ESPEC P-300 family, limits {low} to {high} degC"),
        Driver::WatlowF4 => format!(
            "Watlow F4, Modbus unit {}, set-point range {low} to {high} degC",
            spec.unit
        ),
        _ => format!(
            "Watlow F4T, Modbus unit {}, loop {}, set-point range {low} to {high} degC",
            spec.unit, spec.control_loop
        ),
    };
    Ok((chamber, identity))
}
