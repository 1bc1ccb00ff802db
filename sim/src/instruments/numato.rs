//! A simulated Numato Lab 8-channel USB relay module (protocols.md 6.2).
//!
//! ASCII commands ended by CR (a LF after it is ignored). The module echoes each
//! command, then prints its reply if it has one, each followed by LF CR, then the `>`
//! prompt: `relay read 0` CR gives `relay read 0\n\ron\n\r>`. The exact echo and
//! prompt bytes are \[U\] in protocols.md; these are the ones the rig's driver is
//! tested against.
//!
//! | Command | Reply |
//! | --- | --- |
//! | `ver` | firmware version, 8 characters |
//! | `id get` / `id set xxxxxxxx` | module id, 8 characters |
//! | `relay on N` / `relay off N` (N 0-7) | — |
//! | `relay read N` | `on` / `off` |
//! | `relay readall` / `relay writeall HH` | relays as a 2-digit hex mask (bit N relay N) |
//! | `gpio read N` (N 0-7) | `1` / `0` |
//! | `gpio readall` | inputs as a 2-digit hex mask |
//! | `reset` | every relay off |
//!
//! Wiring on the bench: relays 0-7 are relay lines 1-8 (relay 0 across the reset
//! button, relay 1 on the rapid-shutdown input), GPIO 0-7 read input lines 1-8 (GPIO
//! 0 dry contact 1, GPIO 1 dry contact 2). GPIO pins are wired as inputs, so `gpio set`
//! and `gpio clear` change nothing here.
//!
//! Anything else (an unknown command, a channel beyond 7, an id that is not 8
//! characters) gets the echo and the prompt and does nothing. Assumption: the module
//! reports no error text; protocols.md 6.2 documents none \[U\].

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::lines::{Line, LineReader};
use super::relay_lines::LINES;
use crate::clock;
use crate::world::{World, lock};

/// 6.2: "ends its output with a `>` prompt".
const PROMPT: &[u8] = b">";
/// What follows the echo and each reply line.
const LINE_END: &[u8] = b"\n\r";
/// `ver` answer. Assumption: what a simulated module calls its firmware.
const VERSION: &str = "00000001";
/// 6.2: "8-character module id"; factory value. Assumption.
const FACTORY_ID: &str = "00000000";
const ID_LEN: usize = 8;

/// The module's relays and id; they outlive a connection.
#[derive(Clone, Debug)]
pub(crate) struct NumatoState {
    relays: [bool; LINES],
    id: String,
}

impl Default for NumatoState {
    fn default() -> Self {
        Self {
            relays: [false; LINES],
            id: FACTORY_ID.to_owned(),
        }
    }
}

/// Relay or GPIO number 0-7.
fn channel(token: &str) -> Option<usize> {
    let [digit] = token.as_bytes() else {
        return None;
    };
    let n = usize::from(digit.checked_sub(b'0')?);
    (n < LINES).then_some(n)
}

fn mask(bits: impl Iterator<Item = bool>) -> String {
    let byte = bits
        .enumerate()
        .fold(0u8, |byte, (i, on)| byte | u8::from(on) << i);
    format!("{byte:02X}")
}

impl NumatoState {
    /// Run one command; its reply line, if any. Relays it switched are driven on the
    /// world's relay lines.
    fn execute(&mut self, world: &mut World, command: &str) -> Option<String> {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            ["ver"] => Some(VERSION.to_owned()),
            ["id", "get"] => Some(self.id.clone()),
            ["id", "set", id] if id.len() == ID_LEN && id.is_ascii() => {
                self.id = (*id).to_owned();
                None
            }
            ["relay", verb @ ("on" | "off"), n] => {
                if let Some(n) = channel(n) {
                    self.switch(world, n, *verb == "on");
                }
                None
            }
            ["relay", "read", n] => {
                channel(n).map(|n| if self.relays[n] { "on" } else { "off" }.to_owned())
            }
            ["relay", "readall"] => Some(mask(self.relays.iter().copied())),
            ["relay", "writeall", hex] if hex.len() == 2 => {
                if let Ok(byte) = u8::from_str_radix(hex, 16) {
                    for n in 0..LINES {
                        self.switch(world, n, byte >> n & 1 == 1);
                    }
                }
                None
            }
            ["gpio", "read", n] => channel(n).map(|n| u8::from(world.input_line(n)).to_string()),
            ["gpio", "readall"] => Some(mask((0..LINES).map(|n| world.input_line(n)))),
            ["reset"] => {
                for n in 0..LINES {
                    self.switch(world, n, false);
                }
                None
            }
            _ => None,
        }
    }

    fn switch(&mut self, world: &mut World, n: usize, closed: bool) {
        self.relays[n] = closed;
        world.drive_relay_line(n, closed);
    }

    /// Every line driven by this module's contacts (a connection opened).
    fn take_lines(&self, world: &mut World) {
        for (n, closed) in self.relays.iter().enumerate() {
            world.drive_relay_line(n, *closed);
        }
    }
}

/// Echo, reply and prompt for one command line, with the world locked.
fn respond(world: &mut World, command: &[u8]) -> Vec<u8> {
    world.advance_to(clock::now());
    let text = String::from_utf8_lossy(command);
    let mut state = std::mem::take(&mut world.front_ends.numato);
    let reply = state.execute(world, &text);
    world.front_ends.numato = state;
    world.settle();
    let mut out = [command, LINE_END].concat();
    if let Some(reply) = reply {
        out.extend_from_slice(reply.as_bytes());
        out.extend_from_slice(LINE_END);
    }
    out.extend_from_slice(PROMPT);
    out
}

/// Serve the module on one connection until the peer closes it. The connection takes
/// relay lines 1-8 with the module's contacts (`relay_lines`).
pub(crate) async fn serve_numato<T>(world: Arc<Mutex<World>>, io: T) -> std::io::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    {
        let mut world = lock(&world);
        world.advance_to(clock::now());
        let state = world.front_ends.numato.clone();
        state.take_lines(&mut world);
        world.settle();
    }
    let (reader, mut writer) = tokio::io::split(io);
    let mut lines = LineReader::ending_at_cr(reader);
    while let Some(line) = lines.next_line().await? {
        let out = match line {
            Line::Text(command) => respond(&mut lock(&world), &command),
            // Too long to be a command: no echo survives, only the prompt.
            Line::Overlong => PROMPT.to_vec(),
        };
        writer.write_all(&out).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{PackParams, SimConfig};

    fn world() -> World {
        let config = SimConfig {
            pack: PackParams::lesso_lsrr51v100ah(),
            defects: Vec::new(),
            faults: Vec::new(),
            installation: Default::default(),
        };
        World::new(&config, clock::now())
    }

    fn run(world: &mut World, command: &str) -> String {
        String::from_utf8(respond(world, command.as_bytes())).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn echo_reply_and_prompt() {
        let mut w = world();
        assert_eq!(run(&mut w, "ver"), "ver\n\r00000001\n\r>");
        assert_eq!(run(&mut w, "relay on 0"), "relay on 0\n\r>");
        assert_eq!(run(&mut w, "relay read 0"), "relay read 0\n\ron\n\r>");
        assert!(w.relay_line(0));
        assert_eq!(run(&mut w, "relay writeall A5"), "relay writeall A5\n\r>");
        assert_eq!(run(&mut w, "relay readall"), "relay readall\n\rA5\n\r>");
        assert!(!w.relay_line(1) && w.relay_line(2) && w.relay_line(7));
        assert_eq!(run(&mut w, "reset"), "reset\n\r>");
        assert!(!(0..LINES).any(|n| w.relay_line(n)));
        // Dry contacts 1 and 2 closed at rest.
        assert_eq!(run(&mut w, "gpio read 1"), "gpio read 1\n\r1\n\r>");
        assert_eq!(run(&mut w, "gpio read 2"), "gpio read 2\n\r0\n\r>");
        assert_eq!(run(&mut w, "gpio readall"), "gpio readall\n\r03\n\r>");
        assert_eq!(run(&mut w, "id set RIGBENCH"), "id set RIGBENCH\n\r>");
        assert_eq!(run(&mut w, "id get"), "id get\n\rRIGBENCH\n\r>");
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_commands_and_bad_channels_do_nothing() {
        let mut w = world();
        for command in [
            "relay on 8",
            "relay on 12",
            "relay on -1",
            "relay on",
            "relay writeall 1FF",
            "relay writeall ZZ",
            "RELAY ON 0",
            "id set short",
            "flash",
            "",
        ] {
            assert_eq!(run(&mut w, command), format!("{command}\n\r>"), "{command}");
        }
        assert_eq!(run(&mut w, "relay readall"), "relay readall\n\r00\n\r>");
        assert_eq!(run(&mut w, "id get"), "id get\n\r00000000\n\r>");
    }
}
