//! One timed Modbus request/response, with tokio-modbus's nested result flattened into
//! a [`ModbusErrorKind`].
//!
//! `Client::call` is used instead of the `Reader`/`Writer` helpers on purpose: those
//! `debug_assert!` on the device's answer (coil count, write echo), which would panic
//! on a misbehaving device in a debug build. The drivers check the answer themselves.

use std::time::Duration;

use tokio_modbus::client::{Client, Context};
use tokio_modbus::{Request, Response};

use super::error::ModbusErrorKind;

pub(crate) async fn call(
    context: &mut Context,
    request: Request<'static>,
    timeout: Duration,
) -> Result<Response, ModbusErrorKind> {
    match tokio::time::timeout(timeout, context.call(request)).await {
        Ok(Ok(Ok(response))) => Ok(response),
        Ok(Ok(Err(code))) => Err(ModbusErrorKind::Exception { code }),
        Ok(Err(tokio_modbus::Error::Transport(source))) => Err(ModbusErrorKind::Transport(source)),
        Ok(Err(tokio_modbus::Error::Protocol(source))) => Err(ModbusErrorKind::Protocol(source)),
        Err(_elapsed) => Err(ModbusErrorKind::Timeout { after: timeout }),
    }
}

/// A response that does not fit its request, for [`ModbusErrorKind::UnexpectedResponse`].
pub(crate) fn unexpected(response: &Response) -> ModbusErrorKind {
    ModbusErrorKind::UnexpectedResponse {
        response: format!("{response:?}"),
    }
}
