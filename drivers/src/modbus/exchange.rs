//! One timed Modbus request/response over a [`ModbusLink`], with tokio-modbus's nested
//! result flattened into a [`ModbusErrorKind`].
//!
//! `Client::call` is used instead of the `Reader`/`Writer` helpers on purpose: those
//! `debug_assert!` on the device's answer (coil count, write echo), which would panic
//! on a misbehaving device in a debug build. The drivers check the answer themselves.
//!
//! Cancel safety: an exchange is marked open before it is sent and closed only when an
//! answer (or the device's refusal) has been read in full. One left open (timed out, or
//! its future dropped) makes the link's stream resynchronise before the next request
//! (`resync.rs`), so a late answer never passes for the next one's.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_modbus::client::{Client, Context};
use tokio_modbus::{Request, Response};

use super::error::ModbusErrorKind;
use super::resync::{Exchanges, SharedExchanges, lock};

/// A Modbus client context and what its stream knows of the exchanges on it.
pub struct ModbusLink {
    context: Context,
    exchanges: SharedExchanges,
}

impl std::fmt::Debug for ModbusLink {
    /// tokio-modbus's `Context` has no `Debug`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModbusLink")
            .field("exchanges", &self.exchanges)
            .finish_non_exhaustive()
    }
}

impl ModbusLink {
    pub(super) fn new(context: Context, exchanges: SharedExchanges) -> Self {
        Self { context, exchanges }
    }

    pub(super) fn shared() -> SharedExchanges {
        Arc::new(std::sync::Mutex::new(Exchanges::default()))
    }

    /// Bytes discarded so far as late answers of exchanges that did not end.
    pub fn discarded_bytes(&self) -> u64 {
        lock(&self.exchanges).discarded
    }
}

pub(crate) async fn call(
    link: &mut ModbusLink,
    request: Request<'static>,
    timeout: Duration,
) -> Result<Response, ModbusErrorKind> {
    {
        let mut ex = lock(&link.exchanges);
        ex.timeout = timeout;
        if let Some(previous) = ex.open_since.take() {
            ex.stale_since = Some(previous);
        }
        ex.open_since = Some(Instant::now());
    }
    let result = match tokio::time::timeout(timeout, link.context.call(request)).await {
        Ok(Ok(Ok(response))) => Ok(response),
        Ok(Ok(Err(code))) => Err(ModbusErrorKind::Exception { code }),
        Ok(Err(tokio_modbus::Error::Transport(source))) => {
            return Err(ModbusErrorKind::Transport(source));
        }
        Ok(Err(tokio_modbus::Error::Protocol(source))) => Err(ModbusErrorKind::Protocol(source)),
        // Left open: its answer may still come.
        Err(_elapsed) => return Err(ModbusErrorKind::Timeout { after: timeout }),
    };
    // An answer was read in full (a refusal and a mismatched frame too).
    lock(&link.exchanges).open_since = None;
    result
}

/// A response that does not fit its request, for [`ModbusErrorKind::UnexpectedResponse`].
pub(crate) fn unexpected(response: &Response) -> ModbusErrorKind {
    ModbusErrorKind::UnexpectedResponse {
        response: format!("{response:?}"),
    }
}
