//! Opens byte streams, Modbus contexts and CAN ports for the bench's resources.

use std::sync::Arc;

use rig_drivers::can::CanPort;
use rig_drivers::modbus::{ModbusFraming, ModbusLink, attach, connect_modbus};
use rig_drivers::traffic::TrafficSink;
use rig_drivers::transport::{BoxStream, Endpoint, connect_tcp, open_serial};

use crate::bench::InstrumentSpec;
use crate::clock;
use crate::runner::failure::{Cause, InstrumentFailure};

/// Opens byte streams and CAN ports for resources. The virtual bench serves `sim:`
/// resources in-process; real resources go to the network.
pub struct Connector<'a> {
    pub sim: Option<&'a rig_sim::SimBench>,
}

impl Connector<'_> {
    fn sim(&self, spec: &InstrumentSpec) -> Result<&rig_sim::SimBench, InstrumentFailure> {
        self.sim
            .ok_or_else(|| InstrumentFailure::new(&spec.name, Cause::SimNeedsVirtualBench))
    }

    /// A byte stream to an instrument (SCPI, or Modbus RTU through a gateway or port).
    pub(super) async fn stream(
        &self,
        spec: &InstrumentSpec,
    ) -> Result<BoxStream, InstrumentFailure> {
        let failed = |cause: Cause| InstrumentFailure::new(&spec.name, cause);
        match &spec.resource {
            Endpoint::Sim { endpoint } => Ok(Box::new(
                self.sim(spec)?
                    .open(endpoint)
                    .map_err(|e| failed(e.into()))?,
            )),
            Endpoint::TcpSocket { host, port } => Ok(Box::new(
                connect_tcp(host, *port, clock::secs(spec.timeout_s))
                    .await
                    .map_err(|e| failed(e.into()))?,
            )),
            Endpoint::Serial(config) | Endpoint::ModbusRtu { serial: config, .. } => {
                Ok(Box::new(open_serial(config).map_err(|e| failed(e.into()))?))
            }
            // A Modbus TCP device's own port: a TCP stream that carries MBAP frames.
            Endpoint::ModbusTcp { host, port, .. } => Ok(Box::new(
                connect_tcp(host, *port, clock::secs(spec.timeout_s))
                    .await
                    .map_err(|e| failed(e.into()))?,
            )),
            other => Err(failed(Cause::NotAByteStream {
                endpoint: other.clone(),
            })),
        }
    }

    /// A Modbus context for a chamber: over a byte stream (the virtual bench, a TCP
    /// socket or gateway) in the framing the controller speaks there, MBAP for the F4T
    /// on port 502, RTU for the F4 behind a gateway; RTU framing on a serial port.
    pub(super) async fn modbus(
        &self,
        spec: &InstrumentSpec,
        traffic: &TrafficSink,
        framing: ModbusFraming,
    ) -> Result<(ModbusLink, u8), InstrumentFailure> {
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
            .map_err(|e| InstrumentFailure::new(&spec.name, e)),
        }
    }

    pub(super) async fn can_port(
        &self,
        spec: &InstrumentSpec,
    ) -> Result<CanPort, InstrumentFailure> {
        match &spec.resource {
            Endpoint::Sim { endpoint } => Ok(CanPort::from(
                self.sim(spec)?
                    .can_port(endpoint)
                    .map_err(|e| InstrumentFailure::new(&spec.name, e))?,
            )),
            other => CanPort::open(other, clock::secs(spec.timeout_s))
                .await
                .map_err(|e| InstrumentFailure::new(&spec.name, e)),
        }
    }
}
