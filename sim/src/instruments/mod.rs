//! Simulated instruments that speak the real wire protocols over byte streams: a SCPI
//! source/sink and a Waveshare Modbus RTU relay board.

mod lines;
mod modbus_rtu;
mod relay_board;
mod scpi_source;

pub(crate) use relay_board::{RelayBoard, RelayBoardService};
pub(crate) use scpi_source::{ScpiStatus, power_on_settings, serve_scpi};

/// Serve the relay board's Modbus RTU protocol on a byte stream until it closes.
pub(crate) async fn serve_relay_board<T>(io: T, service: RelayBoardService) -> std::io::Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    modbus_rtu::serve(io, service).await
}
