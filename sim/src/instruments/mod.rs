//! Simulated instruments that speak the real wire protocols over byte streams: a SCPI
//! source/sink, a Waveshare Modbus RTU relay board, a Watlow F4T chamber controller on
//! Modbus TCP, and front ends for the lab's other families over the same world: Watlow
//! F4 (Modbus RTU) and ESPEC P-300 (ASCII) on the one chamber air, Keysight DAQ970A
//! (SCPI) and Numato (ASCII) on the one set of relay and input lines (`relay_lines`),
//! Rigol DL3000 and BK 8600 loads (SCPI) in the source/sink's place in the circuit.
//! The SCPI instruments share `scpi_device`, `scpi_commands` and `scpi_params`.

mod daq970a;
mod electronic_load;
mod espec_p300;
mod front_ends;
mod lines;
mod modbus_rtu;
mod numato;
mod relay_board;
mod relay_lines;
mod scpi_commands;
mod scpi_device;
mod scpi_params;
mod scpi_source;
#[cfg(test)]
mod test_world;
mod watlow_f4;
mod watlow_f4t;

use std::sync::{Arc, Mutex};

use crate::world::World;

pub(crate) use daq970a::serve_daq970a;
pub(crate) use electronic_load::{LoadModel, serve_load};
pub(crate) use espec_p300::serve_espec;
pub(crate) use front_ends::FrontEnds;
pub(crate) use numato::serve_numato;
pub(crate) use relay_board::{RelayBoard, RelayBoardService};
pub(crate) use scpi_device::ScpiStatus;
pub(crate) use scpi_source::{power_on_settings_for, serve_scpi};
pub(crate) use watlow_f4t::{F4tController, serve_f4t};

/// Serve the Watlow F4's Modbus RTU protocol on a byte stream until it closes.
pub(crate) async fn serve_f4<T>(world: Arc<Mutex<World>>, io: T) -> std::io::Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    modbus_rtu::serve(io, watlow_f4::F4Service::new(world)).await
}

/// Serve the relay board's Modbus RTU protocol on a byte stream until it closes.
pub(crate) async fn serve_relay_board<T>(io: T, service: RelayBoardService) -> std::io::Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    modbus_rtu::serve(io, service).await
}
