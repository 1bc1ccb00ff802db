//! Opening an instrument of each role through the driver family its bench entry names,
//! with the identity line the log shows.

use std::sync::Arc;

use rig_drivers::chamber::{EspecP300, RunEvent, WatlowF4, WatlowF4t, WordOrder};
use rig_drivers::modbus::{BoardLink, BoardSetup, ModbusFraming, RelayBoard};
use rig_drivers::relays::{Daq970a, Numato};
use rig_drivers::scpi::{ScpiLoad, ScpiSource};
use rig_drivers::traffic::TrafficSink;

use super::{Connector, Opening};
use crate::bench::{Driver, InstrumentSpec};
use crate::clock;
use crate::runner::failure::InstrumentFailure;
use crate::runner::roles::{BoardRole, ChamberRole, SourceRole};

/// Opens the source role's instrument: a SCPI source/sink or an electronic load.
/// Returns it with its identity line.
pub(super) async fn open_source(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
    opening: Opening,
) -> Result<(SourceRole, String), InstrumentFailure> {
    let name: Arc<str> = Arc::from(spec.name.as_str());
    let timeout = clock::secs(spec.timeout_s);
    let stream = connector.stream(spec).await?;
    let fail = |e: rig_drivers::scpi::ScpiError| InstrumentFailure::new(&spec.name, e);
    let traffic = Some(traffic.clone());
    let (role, identity) = match (spec.driver, opening) {
        (Driver::ScpiLoad, Opening::ForRun) => {
            let dialect = spec.load_dialect;
            let (load, id) = ScpiLoad::open(stream, name, dialect, timeout, traffic)
                .await
                .map_err(fail)?;
            (SourceRole::Load(load), id)
        }
        (Driver::ScpiLoad, Opening::ReadOnly) => {
            let dialect = spec.load_dialect;
            let (load, id) = ScpiLoad::open_read_only(stream, name, dialect, timeout, traffic)
                .await
                .map_err(fail)?;
            (SourceRole::Load(load), id)
        }
        (_, Opening::ForRun) => {
            let (source, id) = ScpiSource::open(stream, name, spec.dialect, timeout, traffic)
                .await
                .map_err(fail)?;
            (SourceRole::Supply(source), id)
        }
        (_, Opening::ReadOnly) => {
            let dialect = spec.dialect;
            let (source, id) = ScpiSource::open_read_only(stream, name, dialect, timeout, traffic)
                .await
                .map_err(fail)?;
            (SourceRole::Supply(source), id)
        }
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
pub(super) async fn open_board(
    spec: &InstrumentSpec,
    connector: &Connector<'_>,
    traffic: &TrafficSink,
    opening: Opening,
) -> Result<(BoardRole, String), InstrumentFailure> {
    let name: Arc<str> = Arc::from(spec.name.as_str());
    let timeout = clock::secs(spec.timeout_s);
    let stream = connector.stream(spec).await?;
    let fail = |e: rig_drivers::scpi::ScpiError| InstrumentFailure::new(&spec.name, e);
    let traffic = Some(traffic.clone());
    match spec.driver {
        Driver::Daq970a => {
            let (daq, id) = match opening {
                Opening::ForRun => Daq970a::open(stream, name, timeout, traffic).await,
                Opening::ReadOnly => Daq970a::open_read_only(stream, name, timeout, traffic).await,
            }
            .map_err(fail)?;
            Ok((
                BoardRole::Daq970a(daq),
                format!(
                    "{}, {}, serial {}, firmware {}",
                    id.manufacturer, id.model, id.serial, id.firmware
                ),
            ))
        }
        Driver::NumatoRelay => {
            // Opening asks `ver` only: the same for a run and for a probe.
            let (module, version) = Numato::open(stream, name, spec.channels, timeout, traffic)
                .await
                .map_err(|e| InstrumentFailure::new(&spec.name, e))?;
            Ok((
                BoardRole::Numato(module),
                format!(
                    "Numato {}-channel relay module, version {version}",
                    spec.channels
                ),
            ))
        }
        _ => {
            let link = BoardLink {
                framing: board_framing(spec),
                unit: spec.unit,
                timeout,
            };
            let setup = match opening {
                Opening::ForRun => BoardSetup::Decouple,
                Opening::ReadOnly => BoardSetup::LeaveAsFound,
            };
            let (board, identity) = RelayBoard::open_with(stream, link, name, traffic, setup)
                .await
                .map_err(|e| InstrumentFailure::new(&spec.name, e))?;
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

/// The framing a Waveshare board speaks at its resource: Modbus TCP on the Ethernet
/// boards' own port (`modbus-tcp://`), RTU on RS485 and through a transparent gateway.
fn board_framing(spec: &InstrumentSpec) -> ModbusFraming {
    match spec.resource {
        rig_drivers::transport::Endpoint::ModbusTcp { .. } => ModbusFraming::Tcp,
        _ => ModbusFraming::Rtu,
    }
}

/// Opens a chamber controller of any family, with its identity line.
pub(super) async fn open_chamber(
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
    let fail = |e: rig_drivers::chamber::ChamberError| InstrumentFailure::new(&spec.name, e);
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
    let identity = chamber_identity(spec, &chamber);
    Ok((chamber, identity))
}

fn chamber_identity(spec: &InstrumentSpec, chamber: &ChamberRole) -> String {
    let (low, high) = chamber.range();
    match spec.driver {
        Driver::EspecP300 => format!("ESPEC P-300 family, limits {low} to {high} degC"),
        Driver::WatlowF4 => format!(
            "Watlow F4, Modbus unit {}, set-point range {low} to {high} degC",
            spec.unit
        ),
        _ => format!(
            "Watlow F4T, Modbus unit {}, loop {}, set-point range {low} to {high} degC",
            spec.unit, spec.control_loop
        ),
    }
}
