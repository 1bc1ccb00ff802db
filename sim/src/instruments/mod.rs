//! Simulated instruments that speak the real wire protocols over byte streams: a SCPI
//! source/sink, a Waveshare Modbus RTU relay board and a Watlow F4T chamber controller
//! on Modbus TCP.

mod lines;
mod modbus_rtu;
mod relay_board;
mod scpi_device;
mod scpi_source;
mod watlow_f4t;

pub(crate) use relay_board::{RelayBoard, RelayBoardService};
pub(crate) use scpi_device::ScpiStatus;
pub(crate) use scpi_source::{power_on_settings, serve_scpi};
pub(crate) use watlow_f4t::{F4tController, serve_f4t};

/// Serve the relay board's Modbus RTU protocol on a byte stream until it closes.
pub(crate) async fn serve_relay_board<T>(io: T, service: RelayBoardService) -> std::io::Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    modbus_rtu::serve(io, service).await
}
