//! The twin's CAN transmitter: every period, while awake, the BMS sends its 0x35x frame
//! set (protocols.md 1.1: "every frame once per 1000 ms").

use std::sync::{Arc, Mutex};

use rig_drivers::can::{CanDatabase, MemoryCanPort};

use crate::clock::{self, Duration};
use crate::world::{World, lock};

pub(crate) async fn transmit(
    world: Arc<Mutex<World>>,
    port: MemoryCanPort,
    db: CanDatabase,
    period: Duration,
) {
    let period = period.max(Duration::from_millis(1));
    let mut next = clock::now();
    loop {
        clock::sleep_until(next).await;
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
