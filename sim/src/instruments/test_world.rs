//! What the instruments' unit tests share: a world behind the instrument and the
//! readings of its replies.

use crate::clock;
use crate::config::{PackParams, SimConfig};
use crate::world::World;

/// The Lesso pack, no defects, no faults, at the paused clock's now.
pub(super) fn lesso_world() -> World {
    let config = SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Default::default(),
        source: Default::default(),
    };
    World::new(&config, clock::now())
}

/// An instrument's reply as text; the simulated instruments only answer in ASCII.
pub(super) fn text(reply: Vec<u8>) -> String {
    String::from_utf8(reply).expect("an ASCII reply")
}

/// The SCPI error queue's codes, oldest first, read with `SYST:ERR?` through `ask`
/// until it reports 0 "No error".
pub(super) fn drain_error_codes(mut ask: impl FnMut(&str) -> String) -> Vec<i32> {
    let mut codes = Vec::new();
    loop {
        let entry = ask("SYST:ERR?");
        let code: i32 = entry
            .split(',')
            .next()
            .and_then(|c| c.parse().ok())
            .expect("an error code");
        if code == 0 {
            return codes;
        }
        codes.push(code);
    }
}
