//! Instruments and buses for `rig`: transports, the SCPI source/sink, the Modbus relay
//! and digital-input board, CAN with DBC decoding.
//!
//! Every driver talks bytes over a transport and never knows whether the far end is a
//! real instrument or the virtual bench's simulation of one: the rig resolves a bench
//! [`transport::Endpoint`] to a stream and passes it to the driver's `open`, which
//! returns a handle only once the instrument has answered.
//!
//! # Role drivers
//!
//! - DC source/sink: [`scpi::ScpiSource`], one type for every vendor; differences are
//!   named [`scpi::Dialect`]s (Generic, Keysight RP7900/N6900, ITECH IT6000C, EA PSB
//!   9000, Chroma 62000D). Electronic loads: [`scpi::ScpiLoad`] (Rigol DL3000, BK 8600).
//! - Chambers: [`chamber::WatlowF4t`], [`chamber::WatlowF4`], [`chamber::EspecP300`]
//!   behind [`chamber::Chamber`], and [`chamber::wait_stable`].
//! - Relays and digital inputs: [`modbus::RelayBoard`] (Waveshare Modbus RTU Relay
//!   (D)), [`relays::Daq970a`], [`relays::Numato`], behind [`relays::Relays`], and
//!   [`relays::pulse`].
//! - BMS over CAN: [`can::CanPort`] over the memory bus, SocketCAN and socketcand; DBC
//!   decoding ([`can::CanDatabase`], with [`can::PYLON_LV_EXTENDED_DBC`]); the inverter
//!   keep-alive [`can::KeepAlive`]; per-id timing [`can::FrameStatistics`].
//! - BMS over RS485: [`rs485::pylontech::PylontechClient`].
//!
//! Transports are named by [`transport::Endpoint`] resource strings (the virtual
//! bench, TCP sockets, serial ports, Modbus TCP/RTU, SocketCAN, socketcand). Every
//! driver puts a timeout on each exchange (tokio's clock only, so the virtual bench's
//! paused clock drives it), returns typed errors naming the instrument and the command,
//! never panics on what the wire brings, and reports its wire traffic to an optional
//! [`traffic::TrafficSink`] for the event log. No driver reconnects on its own: a
//! transport error is returned as such (`is_transport()`) and reopening is the rig's
//! decision, so an outage is always visible in the log.
//!
//! # Out of scope
//!
//! VISA INSTR resources (VXI-11, HiSLIP, USBTMC, GPIB), which need a VISA library;
//! cannelloni; Weiss/Vötsch SimServ chambers; EA's Modbus register interface; the
//! PACE-only RS485 commands and the system-level 0x60-0x64 commands (\[U\] layouts).

pub mod can;
pub mod chamber;
pub mod modbus;
pub mod relays;
pub mod rs485;
pub mod scpi;
pub mod traffic;
pub mod transport;
