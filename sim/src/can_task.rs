//! The twin's CAN node: every period, while awake, the BMS sends its 0x35x frame set
//! (protocols.md 1.1: "every frame once per 1000 ms"); between, it listens for what the
//! inverter side sends (the 0x305 keep-alive). Both only if its DIP protocol ID selects
//! the Pylon/SMA set (see [`crate::dip`]); otherwise it is silent (and deaf) on CAN.
//! While the master sleeps the node does not tick: it waits for the master's own
//! wake-up deadline or a wake from an input, then goes on on its period grid, so a
//! 48 h sleep costs a few steps, not 172 800.

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
    let woke = lock(&world).master_woke();
    let mut next = clock::now();
    let mut listening = true;
    loop {
        tokio::select! {
            // Fixed order, not tokio's random one: same inputs, same log.
            biased;
            () = clock::sleep_until(next) => {}
            received = port.recv(), if listening => {
                hear(&world, received, &mut listening);
                continue;
            }
        }
        let (frames, asleep_until) = {
            let mut world = lock(&world);
            world.advance_to(clock::now());
            (world.can_frames(&db), world.master_asleep_until())
        };
        for frame in frames {
            port.send(frame);
        }
        next += period;
        if let Some(self_wake) = asleep_until {
            // Asleep the master sends nothing: rather than ask every period through a
            // 48 h sleep, wait until it wakes, by itself or through an input, and go on
            // at the first period tick from then (the ticks stay where they were).
            let resume = loop {
                tokio::select! {
                    biased;
                    () = woke.notified() => break clock::now(),
                    () = sleep_until_some(self_wake) => break clock::now(),
                    received = port.recv(), if listening => hear(&world, received, &mut listening),
                }
            };
            if resume > next {
                let behind = (resume - next).as_nanos();
                let step = period.as_nanos().max(1);
                let ticks = behind.div_ceil(step);
                next += period * u32::try_from(ticks).unwrap_or(u32::MAX);
            }
        }
    }
}

/// A frame from the bus (the inverter's keep-alive), or the bus closed.
fn hear(
    world: &Mutex<World>,
    received: Result<rig_drivers::can::CanFrame, rig_drivers::can::MemoryBusError>,
    listening: &mut bool,
) {
    match received {
        Ok(frame) => lock(world).frame_received(&frame, clock::now()),
        // A closed bus has nothing more to hear; the BMS keeps sending.
        Err(_) => *listening = false,
    }
}

/// Until `at`, or forever.
async fn sleep_until_some(at: Option<clock::Instant>) {
    match at {
        Some(at) => clock::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
