//! The twin's CAN node: every period, while awake, the BMS sends its 0x35x frame set
//! (protocols.md 1.1: "every frame once per 1000 ms"); between, it listens for what the
//! inverter side sends (the 0x305 keep-alive). Both only if its DIP protocol ID selects
//! the Pylon/SMA set (see [`crate::dip`]); otherwise it is silent (and deaf) on CAN.

use std::sync::{Arc, Mutex};

use rig_drivers::can::{CanDatabase, MemoryCanPort};

use crate::clock::{self, Duration};
use crate::dip::ProtocolId;
use crate::world::{World, lock};

pub(crate) async fn transmit(
    world: Arc<Mutex<World>>,
    mut port: MemoryCanPort,
    db: CanDatabase,
    period: Duration,
    protocol: ProtocolId,
) {
    if !protocol.speaks_pylon_can() {
        return;
    }
    let period = period.max(Duration::from_millis(1));
    let mut next = clock::now();
    let mut listening = true;
    loop {
        tokio::select! {
            // Fixed order, not tokio's random one: same inputs, same log.
            biased;
            () = clock::sleep_until(next) => {}
            received = port.recv(), if listening => {
                match received {
                    Ok(frame) => lock(&world).frame_received(&frame, clock::now()),
                    // A closed bus has nothing more to hear; the BMS keeps sending.
                    Err(_) => listening = false,
                }
                continue;
            }
        }
        let frames = {
            let mut world = lock(&world);
            world.advance_to(clock::now());
            world.can_frames(&db)
        };
        for frame in frames {
            port.send(frame);
        }
        next += period;
    }
}
