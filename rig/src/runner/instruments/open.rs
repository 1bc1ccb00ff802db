//! Opening an instrument of each role through the driver family its bench entry names,
//! with the identity line the log shows.

use std::sync::Arc;

use rig_drivers::chamber::{EspecP300, RunEvent, WatlowF4, WatlowF4t, WordOrder};
use rig_drivers::modbus::{ModbusFraming, RelayBoard};
use rig_drivers::relays::{Daq970a, Numato};
use rig_drivers::scpi::{ScpiLoad, ScpiSource};
use rig_drivers::traffic::TrafficSink;

use super::Connector;
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
) -> Result<(SourceRole, String), InstrumentFailure> {
    let name: Arc<str> = Arc::from(spec.name.as_str());
    let timeout = clock::secs(spec.timeout_s);
    let stream = connector.stream(spec).await?;
    let fail = |e: rig_drivers::scpi::ScpiError| InstrumentFailure::new(&spec.name, e);
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
pub(super) async fn open_board(
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
                .map_err(|e| InstrumentFailure::new(&spec.name, e))?;
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
            let (board, identity) =
                RelayBoard::open(stream, spec.unit, name, timeout, Some(traffic.clone()))
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
