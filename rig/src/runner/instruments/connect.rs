//! Connecting the bench's instruments, one driver family at a time, each logged with
//! its identity. Sources are left with their output off and their protection (OVP/OCP)
//! programmed and read back before anything else happens.

use std::sync::Arc;

use rig_drivers::can::{CanDatabase, PYLON_LV_DBC};
use rig_drivers::rs485::pylontech::PylontechClient;
use rig_drivers::traffic::TrafficSink;
use rig_reports::EventKind;
use tokio::sync::Mutex;

use super::open::{open_board, open_chamber, open_source};
use super::{CanLink, Connector, Instruments, Opening, Rs485Link};
use crate::bench::{Bench, Driver, InstrumentSpec};
use crate::clock;
use crate::runner::failure::InstrumentFailure;
use crate::runner::log::EventLog;
use crate::runner::roles::Protection;
use crate::runner::rs232::{LINE_ENDING, Rs232Console};
use crate::stop::StopReason;

/// Why connecting the bench ended early.
#[derive(Debug)]
pub enum ConnectEnd {
    /// An instrument could not be connected (logged).
    Failed(InstrumentFailure),
    /// A stop was requested: the instruments after the last one connected were not.
    Stopped(StopReason),
}

impl Instruments {
    /// Connect every instrument of the bench into `self`, logging identities. Sources
    /// are left with their output off and their protection (OVP/OCP) programmed and
    /// read back. Whatever was connected stays in `self` on every way out (an error, a
    /// stop, a panic), so the teardown makes it safe. A stop is seen between
    /// instruments: an opening is a few exchanges, each bounded by the instrument's
    /// timeout, and one cut halfway would leave an instrument nobody can account for.
    pub async fn connect(
        &mut self,
        bench: &Bench,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
        protection: (f64, f64),
    ) -> Result<(), ConnectEnd> {
        for spec in bench.instruments.values() {
            if let Some(reason) = crate::stop::requested() {
                return Err(ConnectEnd::Stopped(reason));
            }
            if let Err(f) = self
                .connect_one(spec, connector, log, traffic, Some(protection))
                .await
            {
                log_failure(log, &f);
                self.left_unconnected(spec);
                return Err(ConnectEnd::Failed(f));
            }
        }
        Ok(())
    }

    /// Connect every instrument that answers, without programming protections (a
    /// probe energises nothing); the failures are returned, each logged. A stop ends
    /// the connecting between instruments.
    pub async fn connect_all(
        bench: &Bench,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
        opening: Opening,
    ) -> (Instruments, Vec<InstrumentFailure>) {
        let mut out = Instruments {
            opening,
            ..Instruments::default()
        };
        let mut failed = Vec::new();
        for spec in bench.instruments.values() {
            if crate::stop::requested().is_some() {
                break;
            }
            if let Err(f) = out.connect_one(spec, connector, log, traffic, None).await {
                log_failure(log, &f);
                failed.push(f);
            }
        }
        (out, failed)
    }

    /// An instrument whose connecting failed halfway may have been changed by it (a
    /// source whose protection did not read back): the teardown puts it into its safe
    /// state over a fresh connection.
    fn left_unconnected(&mut self, spec: &InstrumentSpec) {
        if spec.safe_state != crate::bench::SafeState::Nothing {
            self.unconnected.push(spec.clone());
        }
    }

    async fn connect_one(
        &mut self,
        spec: &InstrumentSpec,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
        protection: Option<(f64, f64)>,
    ) -> Result<(), InstrumentFailure> {
        match spec.driver {
            Driver::ScpiSource | Driver::ScpiLoad => {
                self.connect_source(spec, connector, log, traffic, protection)
                    .await?
            }
            Driver::WaveshareRelayD | Driver::Daq970a | Driver::NumatoRelay => {
                let (board, identity) = open_board(spec, connector, traffic, self.opening).await?;
                log_connected(log, spec, identity);
                self.boards.insert(
                    spec.name.clone(),
                    (spec.clone(), Arc::new(Mutex::new(board))),
                );
            }
            Driver::WatlowF4t | Driver::WatlowF4 | Driver::EspecP300 => {
                let (chamber, identity) = open_chamber(spec, connector, traffic).await?;
                log_connected(log, spec, identity);
                self.chamber = Some((spec.clone(), Arc::new(Mutex::new(chamber))));
            }
            Driver::PylontechRs485 => self.connect_rs485(spec, connector, log, traffic).await?,
            Driver::Rs232Console => self.connect_rs232(spec, connector, log, traffic).await?,
            Driver::BmsCan => self.connect_can(spec, connector, log).await?,
        }
        self.order.push(spec.name.clone());
        Ok(())
    }

    /// Nothing is energised before its limits are programmed and read back.
    async fn connect_source(
        &mut self,
        spec: &InstrumentSpec,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
        protection: Option<(f64, f64)>,
    ) -> Result<(), InstrumentFailure> {
        let (mut source, identity) = open_source(spec, connector, traffic, self.opening).await?;
        let protection = match protection {
            Some((ovp, ocp)) => Some(
                source
                    .program_protection(ovp, ocp)
                    .await
                    .map_err(|e| InstrumentFailure::new(&spec.name, e))?,
            ),
            None => None,
        };
        let identity = match protection {
            Some(Protection::LoadIdle) => {
                format!("{identity}; protection: constant current 0 A, input confirmed off")
            }
            _ => identity,
        };
        log_connected(log, spec, identity);
        if let Some(Protection::Programmed { ovp_v, ocp_a }) = protection {
            log.emit(EventKind::ProtectionProgrammed {
                instrument: spec.name.clone(),
                ovp_v,
                ocp_a,
            });
        }
        self.source = Some((spec.clone(), Arc::new(Mutex::new(source))));
        Ok(())
    }

    async fn connect_rs485(
        &mut self,
        spec: &InstrumentSpec,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
    ) -> Result<(), InstrumentFailure> {
        let name: Arc<str> = Arc::from(spec.name.as_str());
        let timeout = clock::secs(spec.timeout_s);
        let stream = connector.stream(spec).await?;
        let mut client = PylontechClient::new(stream, name, timeout, Some(traffic.clone()));
        let failed = |e| InstrumentFailure::new(&spec.name, e);
        // Ask 0x4F first and speak the version the pack answers with (protocols.md 2.10).
        let ver = client.adopt_version(spec.address).await.map_err(failed)?;
        let info = client
            .manufacturer_info(spec.address)
            .await
            .map_err(failed)?;
        let identity = format!(
            "{} {}, software {}.{}, address {}, protocol VER {:#04x}",
            info.manufacturer.trim(),
            info.device_name.trim(),
            info.software_version[0],
            info.software_version[1],
            spec.address,
            ver
        );
        log_connected(log, spec, identity);
        self.rs485 = Some((
            spec.clone(),
            Rs485Link {
                name: spec.name.clone(),
                client,
                address: spec.address,
            },
        ));
        Ok(())
    }

    /// Write-only: there is no identity to ask for (the console protocol is
    /// undocumented, LOSUN 2.6-2), so connecting is opening the port.
    async fn connect_rs232(
        &mut self,
        spec: &InstrumentSpec,
        connector: &Connector<'_>,
        log: &EventLog,
        traffic: &TrafficSink,
    ) -> Result<(), InstrumentFailure> {
        let stream = connector.stream(spec).await?;
        let identity = format!(
            "RS232 console port, write-only, lines end with {}",
            LINE_ENDING.escape_default()
        );
        log_connected(log, spec, identity);
        let console = Rs232Console::new(&spec.name, stream, spec.timeout_s, Some(traffic.clone()));
        self.rs232 = Some((spec.clone(), Mutex::new(console)));
        Ok(())
    }

    async fn connect_can(
        &mut self,
        spec: &InstrumentSpec,
        connector: &Connector<'_>,
        log: &EventLog,
    ) -> Result<(), InstrumentFailure> {
        let port = connector.can_port(spec).await?;
        let texts: Vec<&str> = if spec.dbc.is_empty() {
            vec![PYLON_LV_DBC]
        } else {
            spec.dbc.iter().map(String::as_str).collect()
        };
        let db =
            CanDatabase::parse_all(&texts).map_err(|e| InstrumentFailure::new(&spec.name, e))?;
        log_connected(log, spec, "CAN link (listen-only)".into());
        self.can_sender = Some((spec.name.clone(), port.sender()));
        self.can = Some((
            spec.clone(),
            CanLink {
                name: spec.name.clone(),
                port,
                db,
            },
        ));
        Ok(())
    }
}

fn log_connected(log: &EventLog, spec: &InstrumentSpec, identity: String) {
    log.emit(EventKind::InstrumentConnected {
        instrument: spec.name.clone(),
        driver: spec.driver.name().into(),
        resource: spec.resource.to_string(),
        identity,
    });
    if let Some(c) = &spec.calibration {
        let now = crate::results::wallclock::now_unix();
        log.emit(EventKind::Calibration {
            instrument: spec.name.clone(),
            due: c.due.clone(),
            expired: c.expired_at(now),
            overridden: c.overridden,
        });
    }
}

fn log_failure(log: &EventLog, f: &InstrumentFailure) {
    log.emit(EventKind::Error {
        instrument: Some(f.instrument.clone()),
        message: format!("connecting failed: {}", f.cause),
    });
}
