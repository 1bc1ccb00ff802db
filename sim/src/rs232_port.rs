//! The pack's RS232 port (LOSUN 2.3-1 item 14, 2.6-2 "RS232 Port ... default baud rate
//! is 9600bps") on a byte stream.
//!
//! LOSUN 2.3-3 wake-up 3): "Activating through the RS232 port". The console protocol
//! behind the port (monitoring "voltage, current, temperature, status, and production
//! details", 2.6-2) is vendor-specific and undocumented, so the twin does not answer
//! it: any bytes that arrive wake a sleeping BMS whose profile says its pack wakes on
//! RS232, and are otherwise ignored.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::clock;
use crate::world::{World, lock};

/// Take bytes on `io` until the peer closes it.
pub(crate) async fn serve_rs232<T>(world: Arc<Mutex<World>>, mut io: T) -> std::io::Result<()>
where
    T: AsyncRead + Unpin,
{
    let mut chunk = [0u8; 256];
    loop {
        match io.read(&mut chunk).await? {
            0 => return Ok(()),
            _ => {
                let mut world = lock(&world);
                world.advance_to(clock::now());
                world.rs232_activity();
            }
        }
    }
}
