//! Connecting the bench's instruments through their drivers, and putting them into
//! their safe state. The runner never knows whether an instrument is real or simulated:
//! a resource string yields a byte stream or a CAN port, and the driver talks bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use rig_drivers::can::{CanDatabase, MemoryCanPort};
use rig_drivers::modbus::RelayBoard;
use rig_drivers::scpi::{Dialect, ScpiSource};
use rig_drivers::traffic::TrafficSink;
use rig_drivers::transport::{BoxStream, Resource, connect_tcp};
use rig_reports::EventKind;
use tokio::sync::Mutex;

use super::log::EventLog;
use crate::bench::{Bench, Driver, InstrumentSpec};
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

pub type SharedSource = Arc<Mutex<ScpiSource<BoxStream>>>;
pub type SharedBoard = Arc<Mutex<RelayBoard>>;

/// The BMS CAN link: a port on a bus plus the database that decodes it.
pub struct CanLink {
    pub name: String,
    pub port: MemoryCanPort,
    pub db: CanDatabase,
}

/// Every connected instrument of a run.
#[derive(Default)]
pub struct Instruments {
    pub source: Option<(InstrumentSpec, SharedSource)>,
    pub boards: BTreeMap<String, (InstrumentSpec, SharedBoard)>,
    pub can: Option<(InstrumentSpec, CanLink)>,
    /// Names in connection order; safe states are applied in reverse.
    pub order: Vec<String>,
}

/// Opens byte streams and CAN ports for resources. The virtual bench serves `sim:`
/// resources in-process; real resources go to the network.
pub struct Connector<'a> {
    pub sim: Option<&'a rig_sim::SimBench>,
}

impl Connector<'_> {
    async fn stream(&self, spec: &InstrumentSpec) -> Result<BoxStream, InstrumentFailure> {
        match &spec.resource {
            Resource::Sim { endpoint } => {
                let sim = self.sim.ok_or_else(|| {
                    failure(&spec.name, "`sim:` resources need the virtual bench")
                })?;
                sim.open(endpoint)
                    .map(|s| Box::new(s) as BoxStream)
                    .map_err(|e| failure(&spec.name, e))
            }
            Resource::TcpSocket { host, port } => {
                connect_tcp(host, *port, clock::secs(spec.timeout_s))
                    .await
                    .map(|s| Box::new(s) as BoxStream)
                    .map_err(|e| failure(&spec.name, e))
            }
        }
    }

    fn can_port(&self, spec: &InstrumentSpec) -> Result<MemoryCanPort, InstrumentFailure> {
        match &spec.resource {
            Resource::Sim { endpoint } => {
                let sim = self.sim.ok_or_else(|| {
                    failure(&spec.name, "`sim:` resources need the virtual bench")
                })?;
                sim.can_port(endpoint).map_err(|e| failure(&spec.name, e))
            }
            other => Err(failure(
                &spec.name,
                format!("a CAN link over {other} is not supported yet"),
            )),
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
                .connect_one(spec, connector, log, traffic, protection)
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

    async fn connect_one(
        &mut self,
        spec: &InstrumentSpec,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
        (ovp, ocp): (f64, f64),
    ) -> Result<(), InstrumentFailure> {
        let name: Arc<str> = Arc::from(spec.name.as_str());
        let timeout = clock::secs(spec.timeout_s);
        match spec.driver {
            Driver::ScpiSource => {
                let stream = connector.stream(spec).await?;
                let (mut source, identity) = ScpiSource::open(
                    stream,
                    name,
                    Dialect::Generic,
                    timeout,
                    Some(traffic.clone()),
                )
                .await
                .map_err(|e| failure(&spec.name, e))?;
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity: format!(
                        "{}, {}, serial {}, firmware {}",
                        identity.manufacturer, identity.model, identity.serial, identity.firmware
                    ),
                });
                // Nothing is energised before its limits are programmed and read back.
                source
                    .program_protection(ovp, ocp)
                    .await
                    .map_err(|e| failure(&spec.name, e))?;
                log.emit(EventKind::ProtectionProgrammed {
                    instrument: spec.name.clone(),
                    ovp_v: ovp,
                    ocp_a: ocp,
                });
                self.source = Some((spec.clone(), Arc::new(Mutex::new(source))));
            }
            Driver::WaveshareRelayD => {
                let stream = connector.stream(spec).await?;
                let (board, identity) =
                    RelayBoard::open(stream, spec.unit, name, timeout, Some(traffic.clone()))
                        .await
                        .map_err(|e| failure(&spec.name, e))?;
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity: format!(
                        "Modbus unit {}, firmware register {:#06x}",
                        identity.unit, identity.firmware_version
                    ),
                });
                self.boards.insert(
                    spec.name.clone(),
                    (spec.clone(), Arc::new(Mutex::new(board))),
                );
            }
            Driver::BmsCan => {
                let port = connector.can_port(spec)?;
                let text = spec
                    .dbc
                    .as_deref()
                    .unwrap_or(rig_drivers::can::PYLON_LV_DBC);
                let db = CanDatabase::parse(text).map_err(|e| failure(&spec.name, e))?;
                log.emit(EventKind::InstrumentConnected {
                    instrument: spec.name.clone(),
                    driver: spec.driver.name().into(),
                    resource: spec.resource.to_string(),
                    identity: "CAN link (listen-only)".into(),
                });
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

    /// Put every connected instrument into its safe state, in reverse connection order,
    /// each bounded in time. Returns the instruments that could not be made safe.
    pub async fn make_safe(&self, log: &EventLog) -> Vec<String> {
        let mut unsafe_left = Vec::new();
        for name in self.order.iter().rev() {
            let (action, result) = if let Some((spec, source)) =
                self.source.as_ref().filter(|(s, _)| &s.name == name)
            {
                let source = source.clone();
                let r = clock::within(spec.timeout_s * 4.0, async move {
                    let mut s = source.lock().await;
                    // Output off first: whatever fails after it, nothing is energised.
                    s.set_output(false).await?;
                    s.set_current_limit(0.0).await?;
                    s.set_sink_limit(0.0).await
                })
                .await;
                (
                    "output off, current limits 0 A",
                    r.map_err(|_| "timed out".to_string())
                        .and_then(|r| r.map_err(|e| e.to_string())),
                )
            } else if let Some((spec, board)) = self.boards.get(name) {
                let board = board.clone();
                let r = clock::within(spec.timeout_s * 2.0, async move {
                    board.lock().await.all_off().await
                })
                .await;
                (
                    "all relays open",
                    r.map_err(|_| "timed out".to_string())
                        .and_then(|r| r.map_err(|e| e.to_string())),
                )
            } else {
                continue;
            };
            let ok = result.is_ok();
            if !ok {
                unsafe_left.push(name.clone());
            }
            log.emit(EventKind::SafeState {
                instrument: name.clone(),
                action: action.into(),
                ok,
                error: result.err(),
            });
        }
        unsafe_left
    }
}
