//! Instruments and buses for `rig`: transports, the SCPI source/sink, the Modbus relay
//! and digital-input board, CAN with DBC decoding.
//!
//! Every driver talks bytes over a transport and never knows whether the far end is a
//! real instrument or the virtual bench's simulation of one: the rig resolves a bench
//! [`transport::Resource`] to a stream and passes it to the driver's `open`, which
//! returns a handle only once the instrument has answered.
//!
//! # Role drivers
//!
//! - DC source/sink: [`scpi::ScpiSource`], one type for every vendor; differences are
//!   named [`scpi::Dialect`]s.
//! - Relays and digital inputs: [`modbus::RelayBoard`] (Waveshare Modbus RTU Relay (D)).
//! - BMS over CAN: [`can`] frames, the in-memory bus and DBC decoding.
//!
//! Every driver puts a timeout on each exchange (tokio's clock only, so the virtual
//! bench's paused clock drives it), returns typed errors naming the instrument and the
//! command, never panics on what the wire brings, and reports its wire traffic to an
//! optional [`traffic::TrafficSink`] for the event log.
//!
//! # Not here yet
//!
//! Role traits over the drivers; vendor dialects beyond `Generic` (Keysight, ITECH, EA,
//! Chroma); the thermal chamber; the BMS RS485 link; serial, SocketCAN, socketcand and
//! Modbus TCP transports (their resource strings are recognised and refused as "not
//! implemented yet"); VISA INSTR resources (VXI-11, HiSLIP, USBTMC), which need a VISA
//! library and are out of scope.

pub mod can;
pub mod chamber;
pub mod modbus;
pub mod rs485;
pub mod scpi;
pub mod traffic;
pub mod transport;
