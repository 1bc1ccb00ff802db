//! The packs' RS485 bus on a byte stream: frames between SOI `~` and EOI CR, answered
//! by the pack addressed ([`PylonChain`]) with the world brought up to the instant each
//! request arrives.
//!
//! The port runs at the DIP baud rate, 8N1 (by default 9600 Bd: LOSUN 2.6-1 "default
//! baud rate of 9600bps"; Lesso 3.3.3.3 DIP 1 OFF; 115200 Bd with Lesso DIP 1 ON), so
//! an answer arrives after its own transmission time: ten bit times per character.
//! Asleep, the BMS is silent, even to frames that would wake it on a real pack's RS232
//! port (LOSUN 2.3-3 wake-up 3 names RS232, not RS485; the RS232 port is its own
//! endpoint, `rs232_port`). A 0x95 "Turn off module" is answered, then the pack sleeps.
//!
//! Framing is the drivers' codec rules (`rig_drivers::rs485::pylontech::codec`) on a
//! bounded buffer: bytes before SOI are dropped, a frame cut off by a new SOI is dropped,
//! a frame longer than `MAX_FRAME_LEN` is dropped. Checks are `decode_frame`'s.

use std::sync::{Arc, Mutex};

use rig_drivers::rs485::pylontech::codec::{EOI, MAX_FRAME_LEN, SOI};
use rig_drivers::rs485::pylontech::{decode_frame, encode_frame};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::bms::PylonChain;
use crate::clock::{self, Duration};
use crate::dip::Baud;
use crate::world::{World, lock};

/// 8N1: start, eight data bits, stop.
const BITS_PER_CHAR: u64 = 10;

/// Answer Pylontech requests on `io` until the peer closes it.
pub(crate) async fn serve_rs485<T>(
    world: Arc<Mutex<World>>,
    chain: PylonChain,
    baud: Baud,
    mut io: T,
) -> std::io::Result<()>
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let mut frames = FrameSplitter::default();
    let mut chunk = [0u8; 512];
    loop {
        while let Some(body) = frames.next_body() {
            let mut turn_off = None;
            let answer = {
                let mut world = lock(&world);
                world.advance_to(clock::now());
                let statuses = world.rs485_statuses();
                match decode_frame(&body) {
                    Ok(request) => chain.answer(&request, &statuses).map(|a| {
                        // A pack that answers is in communication (no standby sleep).
                        world.communicated(a.pack);
                        turn_off = a.turn_off;
                        a.frame
                    }),
                    Err(bad) => chain.answer_bad(&body, &bad, &statuses),
                }
            };
            if let Some(frame) = answer {
                let wire = encode_frame(&frame);
                clock::sleep_until(clock::now() + wire_time(wire.len(), baud)).await;
                io.write_all(&wire).await?;
            }
            if let Some(pack) = turn_off {
                // 0x95: the pack answers, then turns off.
                let mut world = lock(&world);
                world.advance_to(clock::now());
                world.turn_off(pack);
            }
        }
        match io.read(&mut chunk).await? {
            0 => return Ok(()),
            n => frames.push(&chunk[..n]),
        }
    }
}

/// How long `chars` characters take on the wire at `baud`.
fn wire_time(chars: usize, baud: Baud) -> Duration {
    Duration::from_micros(chars as u64 * BITS_PER_CHAR * 1_000_000 / baud.bits_per_second())
}

/// Splits the byte stream into the characters between SOI and EOI.
#[derive(Debug, Default)]
struct FrameSplitter {
    buf: Vec<u8>,
}

impl FrameSplitter {
    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next frame's characters between SOI and EOI (both excluded), if complete.
    fn next_body(&mut self) -> Option<Vec<u8>> {
        loop {
            let Some(start) = self.buf.iter().position(|&b| b == SOI) else {
                self.buf.clear();
                return None;
            };
            self.buf.drain(..start);
            let end = self
                .buf
                .iter()
                .take(MAX_FRAME_LEN)
                .skip(1)
                .position(|&b| b == EOI || b == SOI)
                .map(|i| i + 1);
            match end {
                // A new SOI before any EOI: the first frame was cut off.
                Some(i) if self.buf[i] == SOI => {
                    self.buf.drain(..i);
                }
                Some(i) => {
                    let frame: Vec<u8> = self.buf.drain(..=i).collect();
                    return Some(frame[1..i].to_vec());
                }
                // Over-long: drop its SOI; what follows is garbage up to the next SOI.
                None if self.buf.len() >= MAX_FRAME_LEN => {
                    self.buf.drain(..1);
                }
                None => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bytes::Bytes;

    fn split(input: &[u8]) -> (Vec<Vec<u8>>, usize) {
        let mut s = FrameSplitter::default();
        s.push(input);
        let mut out = Vec::new();
        while let Some(body) = s.next_body() {
            out.push(body);
        }
        (out, s.buf.len())
    }

    #[test]
    fn frames_garbage_and_cut_off_frames() {
        let (bodies, left) = split(b"\x00noise~2002464F0000FD98\r~2002~20024642E00202FD33\r~20");
        assert_eq!(
            bodies,
            [b"2002464F0000FD98".to_vec(), b"20024642E00202FD33".to_vec()]
        );
        assert_eq!(left, 3, "a partial frame waits for its EOI");
        assert_eq!(split(b"no frame").1, 0);
    }

    #[test]
    fn an_over_long_frame_is_dropped_and_the_stream_resyncs() {
        let mut input = vec![b'~'];
        input.extend(std::iter::repeat_n(b'0', MAX_FRAME_LEN + 10));
        input.extend_from_slice(b"\r~2002464F0000FD98\r");
        let mut s = FrameSplitter::default();
        let mut bodies = Vec::new();
        for chunk in input.chunks(512) {
            s.push(chunk);
            while let Some(body) = s.next_body() {
                bodies.push(body);
            }
            assert!(s.buf.len() < MAX_FRAME_LEN + 512);
        }
        assert_eq!(bodies.len(), 1, "only the frame after the over-long one");
        assert_eq!(bodies[0], b"2002464F0000FD98");
    }

    #[test]
    fn any_bytes_split_without_panicking() {
        let mut bytes = Bytes::new(7);
        for _ in 0..2000 {
            let input = bytes.string(300, Some(b"~\r0123456789ABCDEF"));
            let (_, left) = split(&input);
            assert!(left < MAX_FRAME_LEN);
        }
    }

    #[test]
    fn any_bytes_through_the_whole_answer_path_never_panic() {
        use crate::config::{Installation, PackParams};
        use crate::defects::DefectSet;
        let params = PackParams::lesso_lsrr51v100ah();
        let chain = PylonChain::new(&params, 2, 3, DefectSet::default());
        let world = World::new(
            &crate::config::SimConfig {
                pack: params,
                defects: Vec::new(),
                faults: Vec::new(),
                installation: Installation {
                    packs: 3,
                    ..Default::default()
                },
                source: Default::default(),
            },
            clock::now(),
        );
        let statuses = world.rs485_statuses();
        assert!(statuses.iter().all(Option::is_some));
        let mut bytes = Bytes::new(11);
        for _ in 0..2000 {
            let mut input = b"~20".to_vec();
            input.extend(bytes.string(2, Some(b"0123456")));
            input.extend(bytes.string(120, Some(b"~\r0123456789ABCDEFG")));
            input.push(b'\r');
            let (bodies, _) = split(&input);
            for body in bodies {
                let _ = match decode_frame(&body) {
                    Ok(request) => chain.answer(&request, &statuses).map(|a| a.frame),
                    Err(bad) => chain.answer_bad(&body, &bad, &statuses),
                };
            }
        }
    }

    #[test]
    fn a_0x42_answer_takes_about_146_ms_at_9600_bd_and_12_at_115200() {
        assert_eq!(wire_time(140, Baud::B9600), Duration::from_micros(145_833));
        assert_eq!(wire_time(140, Baud::B115200), Duration::from_micros(12_152));
    }
}
