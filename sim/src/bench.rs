//! The virtual bench as the rig sees it: named endpoints that carry real wire bytes.

use std::sync::{Arc, Mutex, PoisonError};

use rig_drivers::can::{CanDatabase, MemoryCanBus, MemoryCanPort};
use tokio::io::DuplexStream;
use tokio::task::AbortHandle;

use crate::bms::PylonChain;
use crate::clock::{self, secs};
use crate::config::SimConfig;
use crate::error::{EndpointKind, SimError};
use crate::faults::{ArmedFault, pump};
use crate::instruments::{
    LoadModel, RelayBoardService, serve_daq970a, serve_espec, serve_f4, serve_f4t, serve_load,
    serve_numato, serve_relay_board, serve_scpi,
};
use crate::rs232_port::serve_rs232;
use crate::rs485_port::serve_rs485;
use crate::snapshot::SimSnapshot;
use crate::world::{World, lock};

/// SCPI source/sink, generic dialect.
const SOURCE: &str = "source";
/// Waveshare Modbus RTU Relay (D), unit 1.
const IO: &str = "io";
/// The BMS's CAN bus.
const CAN0: &str = "can0";
/// Watlow F4T thermal chamber controller, Modbus TCP (MBAP framing), unit 1.
const CHAMBER: &str = "chamber";
/// The BMS's RS485 port, Pylontech protocol: the master at its DIP address (2 by
/// default), slave k at that address + k.
const RS485: &str = "rs485";
/// Watlow F4 chamber controller, Modbus RTU, address 1, on the same chamber air.
const CHAMBER_F4: &str = "chamber_f4";
/// ESPEC P-300 chamber controller, ASCII, on the same chamber air.
const CHAMBER_ESPEC: &str = "chamber_espec";
/// Keysight DAQ970A, SCPI: channels 101-108 relay lines 1-8, DIO port 302 inputs 1-8.
const DAQ970A: &str = "daq970a";
/// Numato 8-channel USB relay module, ASCII: relays 0-7 relay lines 1-8, GPIO 0-7
/// inputs 1-8.
const NUMATO: &str = "numato";
/// Rigol DL3000 electronic load (DL3031A), SCPI, the circuit's constant-current sink.
const LOAD_DL3000: &str = "load_dl3000";
/// BK Precision 8600 electronic load (8610), SCPI, the circuit's constant-current sink.
const LOAD_BK8600: &str = "load_bk8600";
/// The BMS's RS232 port: bytes in wake a pack that wakes on RS232; nothing comes back.
const RS232: &str = "rs232";
const ENDPOINTS: &[&str] = &[
    SOURCE,
    IO,
    CAN0,
    CHAMBER,
    RS485,
    CHAMBER_F4,
    CHAMBER_ESPEC,
    DAQ970A,
    NUMATO,
    LOAD_DL3000,
    LOAD_BK8600,
    RS232,
];

/// Bytes a duplex pipe buffers in each direction.
const PIPE_CAPACITY: usize = 64 * 1024;

/// The built-in bench: the BMS twin and simulated instruments of every family the
/// drivers know, all in this process and all on tokio's clock.
#[derive(Debug)]
pub struct SimBench {
    world: Arc<Mutex<World>>,
    faults: Vec<ArmedFault>,
    can_bus: MemoryCanBus,
    /// The packs as they answer on RS485.
    rs485: PylonChain,
    rs485_baud: crate::dip::Baud,
    tasks: Mutex<Vec<AbortHandle>>,
}

impl SimBench {
    /// Must be called inside a tokio runtime: spawns the twin's CAN task.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn start(config: SimConfig) -> SimBench {
        // The parametric defects move the firmware's numbers before anything is built.
        let config = SimConfig {
            pack: crate::defects::shifted(&config.pack, &config.defects),
            ..config
        };
        let world = Arc::new(Mutex::new(World::new(&config, clock::now())));
        let can_bus = MemoryCanBus::new();
        let mut tasks = Vec::new();
        // The shipped DBCs parse (rig-drivers tests them); if they ever did not, the
        // twin would stay silent on CAN rather than take the rig down. The extension
        // holds 0x35E, the name frame of each round.
        if let Ok(db) = CanDatabase::pylon_lv_extended() {
            let period = secs(config.pack.can_period_s);
            let task = tokio::spawn(crate::can_task::transmit(
                world.clone(),
                can_bus.port(),
                db,
                period,
                config.installation.dip.protocol,
            ));
            tasks.push(task.abort_handle());
        }
        let start = clock::now();
        let faults = config
            .faults
            .iter()
            .map(|f| ArmedFault::new(f.clone(), start))
            .collect();
        SimBench {
            world,
            faults,
            can_bus,
            rs485: PylonChain::new(
                &config.pack,
                config.installation.dip.rs485_address,
                crate::world::pack_count(&config),
                crate::defects::DefectSet::from_list(&config.defects),
            ),
            rs485_baud: config.installation.dip.rs485_baud,
            tasks: Mutex::new(tasks),
        }
    }

    /// Byte endpoints: "source" (SCPI source/sink, generic dialect), "io" (Waveshare
    /// Modbus RTU Relay (D), unit 1), "chamber" (Watlow F4T, Modbus TCP, unit 1),
    /// "rs485" (the BMS's RS485 port, Pylontech protocol, address 2; with packs in
    /// parallel slave k at 2 + k), "chamber_f4"
    /// (Watlow F4, Modbus RTU, address 1), "chamber_espec" (ESPEC P-300, ASCII),
    /// "daq970a" (Keysight DAQ970A, SCPI), "numato" (Numato 8-channel relay module,
    /// ASCII), "load_dl3000" / "load_bk8600" (electronic loads, SCPI). The chamber
    /// front ends share one chamber air, the relay front ends one set of relay and
    /// input lines, the source/sink and the loads one place in the circuit: the last
    /// instrument to command a shared thing drives it. "rs232" (the BMS's RS232 port:
    /// bytes wake a pack that wakes on RS232; it never answers).
    pub fn open(&self, endpoint: &str) -> Result<DuplexStream, SimError> {
        Self::kind(endpoint, EndpointKind::ByteStream)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SimError::NoRuntime)?;
        let (client, server) = tokio::io::duplex(PIPE_CAPACITY);
        let mut tasks = self.tasks.lock().unwrap_or_else(PoisonError::into_inner);
        // A fault on this endpoint sits between the rig's end and the instrument.
        let (client, server) = match self.faults.iter().find(|f| f.fault.endpoint == endpoint) {
            None => (client, server),
            Some(fault) => {
                let (rig_end, pump_rig) = tokio::io::duplex(PIPE_CAPACITY);
                tasks.push(
                    runtime
                        .spawn(pump(pump_rig, client, fault.clone()))
                        .abort_handle(),
                );
                (rig_end, server)
            }
        };
        let world = self.world.clone();
        // A broken pipe only ends its connection, so the servers' results are dropped.
        let task = match endpoint {
            SOURCE => runtime.spawn(serve_scpi(world, server)),
            RS485 => {
                let chain = self.rs485.clone();
                let baud = self.rs485_baud;
                runtime.spawn(async move {
                    let _ = serve_rs485(world, chain, baud, server).await;
                })
            }
            RS232 => runtime.spawn(async move {
                let _ = serve_rs232(world, server).await;
            }),
            CHAMBER => runtime.spawn(async move {
                let _ = serve_f4t(world, server).await;
            }),
            CHAMBER_F4 => runtime.spawn(async move {
                let _ = serve_f4(world, server).await;
            }),
            CHAMBER_ESPEC => runtime.spawn(async move {
                let _ = serve_espec(world, server).await;
            }),
            DAQ970A => runtime.spawn(serve_daq970a(world, server)),
            NUMATO => runtime.spawn(async move {
                let _ = serve_numato(world, server).await;
            }),
            LOAD_DL3000 => runtime.spawn(serve_load(world, LoadModel::RigolDl3000, server)),
            LOAD_BK8600 => runtime.spawn(serve_load(world, LoadModel::Bk8600, server)),
            // IO, the only byte endpoint left after `kind` checked the name.
            _ => runtime.spawn(async move {
                let _ = serve_relay_board(server, RelayBoardService::new(world)).await;
            }),
        };
        tasks.retain(|t| !t.is_finished());
        tasks.push(task.abort_handle());
        Ok(client)
    }

    /// CAN endpoints: "can0" (the BMS's CAN bus).
    pub fn can_port(&self, bus: &str) -> Result<MemoryCanPort, SimError> {
        Self::kind(bus, EndpointKind::CanBus)?;
        Ok(self.can_bus.port())
    }

    /// State for tests, brought up to the present instant first.
    pub fn snapshot(&self) -> SimSnapshot {
        let mut world = lock(&self.world);
        world.advance_to(clock::now());
        world.snapshot()
    }

    /// Endpoint names this bench serves, for validation of bench files.
    pub fn endpoints() -> &'static [&'static str] {
        ENDPOINTS
    }

    /// How `name` is reached, checked against what the caller asked for.
    fn kind(name: &str, requested: EndpointKind) -> Result<(), SimError> {
        let actual = match name {
            SOURCE | IO | CHAMBER | RS485 | CHAMBER_F4 | CHAMBER_ESPEC | DAQ970A | NUMATO
            | LOAD_DL3000 | LOAD_BK8600 | RS232 => EndpointKind::ByteStream,
            CAN0 => EndpointKind::CanBus,
            _ => {
                return Err(SimError::UnknownEndpoint {
                    name: name.to_string(),
                    known: ENDPOINTS.iter().map(|e| e.to_string()).collect(),
                });
            }
        };
        if actual == requested {
            Ok(())
        } else {
            Err(SimError::WrongEndpointKind {
                name: name.to_string(),
                requested,
                actual,
            })
        }
    }
}

impl Drop for SimBench {
    /// The CAN task and every connection end with the bench.
    fn drop(&mut self) {
        let tasks = self.tasks.get_mut().unwrap_or_else(PoisonError::into_inner);
        for task in tasks.drain(..) {
            task.abort();
        }
    }
}
