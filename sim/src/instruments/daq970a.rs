//! A simulated Keysight DAQ970A switch/measure unit (protocols.md 6.3), with the
//! `scpi` parser and the shared SCPI machinery (`scpi_device`).
//!
//! Modules: slots 1 and 2 hold DAQM903A actuator modules (20 general-purpose relays,
//! channels `s01`-`s20`), slot 3 a DAQM907A multifunction module whose DIO port 1
//! (`301`) is an 8-bit output latch and port 2 (`302`) reads 8 inputs. Channel numbers
//! are `slot × 100 + channel`, lists `(@101,103)`, ranges `(@101:108)`.
//!
//! Wiring on the bench: channels 101-108 are relay lines 1-8 (101 across the reset
//! button, 102 on the rapid-shutdown input: the lines the Waveshare board's relays
//! 1-8 drive), and bits 0-7 of port 302 read input lines 1-8 (bit 0 dry contact 1,
//! charge enable; bit 1 dry contact 2, discharge enable). The other channels switch
//! nothing.
//!
//! | Command | |
//! | --- | --- |
//! | `ROUTe:CLOSe <list>` / `ROUTe:OPEN <list>` | close / open channels of slots 1-2 |
//! | `ROUTe:CLOSe? <list>` / `ROUTe:OPEN? <list>` | `1`/`0` per channel, comma separated |
//! | `SENSe:DIGital:DATA:BYTE? (@301\|@302)`, `MEASure:DIGital:BYTE? …` | a port's byte |
//! | `SENSe:DIGital:DATA:WORD? (@301)` | both ports, port 2 in the high byte |
//! | `SOURce:DIGital:DATA:BYTE <0-255>,(@301)` and `?` | port 1's output latch |
//! | `*IDN?`, `*RST` (every relay open, port 1 cleared), `*CLS`, `SYSTem:ERRor?`, `SYSTem:LOCal` | |
//!
//! Errors go to the queue: an unknown header is -113, a channel that does not exist
//! (an empty slot, channel 0 or above 20, a DIO port in a `ROUT` list) is -224
//! "Illegal parameter value", writing port 302 (wired as inputs) is -221 "Settings
//! conflict", a byte above 255 is -222. The real unit may use its own device-specific
//! codes for the channel errors \[U\].

use std::sync::{Arc, Mutex};

use scpi::error::{Error, ErrorCode, Result};
use scpi::parser::expression::channel_list::{ChannelList, ChannelSpec, Token as ChannelToken};
use scpi::tree::Node;
use scpi::tree::prelude::*;
use scpi::{Branch, Leaf, cmd_both, cmd_qonly};
use scpi_contrib::scpi_system;
use tokio::io::{AsyncRead, AsyncWrite};

use super::relay_lines::LINES;
use super::scpi_commands::Accepted;
use super::scpi_device::{Instrument, ScpiStatus, Session, scpi_root, serve_instrument};
use crate::clock;
use crate::world::{World, lock};

/// Relays per DAQM903A actuator module.
const ACTUATORS: usize = 20;
/// Slots holding actuator modules (1 and 2).
const ACTUATOR_SLOTS: usize = 2;
/// DAQM907A in slot 3: DIO port 1 (output latch) and port 2 (inputs).
const PORT_OUT: u16 = 301;
const PORT_IN: u16 = 302;

/// What outlives a connection: the relays, the output latch, the status.
#[derive(Clone, Debug, Default)]
pub(crate) struct DaqState {
    switches: Switches,
    status: ScpiStatus,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Switches {
    closed: [[bool; ACTUATORS]; ACTUATOR_SLOTS],
    port_out: u8,
}

impl Switches {
    /// Contact of relay line `line` (0-based): channel 101 + line.
    fn line(&self, line: usize) -> bool {
        self.closed[0].get(line).copied().unwrap_or(false)
    }
}

/// The DAQ as one program message sees it.
pub(crate) struct Daq {
    switches: Switches,
    /// Input lines 1-8 as bits 0-7, read at this instant.
    inputs: u8,
    /// Relay lines a `ROUT` command or `*RST` switched during this message.
    switched: [bool; LINES],
}

impl Instrument for Daq {
    /// `*RST`: every relay open, the output latch cleared.
    fn reset(&mut self) {
        self.switches = Switches::default();
        self.switched = [true; LINES];
    }
}

type DaqSession = Session<Daq>;

/// Where a channel number points.
enum Channel {
    /// Slot (0-based) and relay (0-based) of an actuator module.
    Actuator(usize, usize),
    Port(u16),
}

fn locate(number: u16) -> Result<Channel> {
    let (slot, relay) = (usize::from(number / 100), usize::from(number % 100));
    if (1..=ACTUATOR_SLOTS).contains(&slot) && (1..=ACTUATORS).contains(&relay) {
        Ok(Channel::Actuator(slot - 1, relay - 1))
    } else if number == PORT_OUT || number == PORT_IN {
        Ok(Channel::Port(number))
    } else {
        Err(ErrorCode::IllegalParameterValue.into())
    }
}

fn number(spec: ChannelSpec<'_>) -> Result<u16> {
    let n: isize = spec.try_into()?;
    u16::try_from(n).map_err(|_| ErrorCode::IllegalParameterValue.into())
}

/// The channel list parameter, ranges expanded (within one slot only).
fn channel_list(params: &mut Parameters) -> Result<Vec<u16>> {
    let list: ChannelList = params.next_data()?;
    let mut channels = Vec::new();
    for token in list {
        match token.map_err(Error::from)? {
            ChannelToken::ChannelSpec(spec) => channels.push(number(spec)?),
            ChannelToken::ChannelRange(from, to) => {
                let (from, to) = (number(from)?, number(to)?);
                let (low, high) = (from.min(to), from.max(to));
                if low / 100 != high / 100 {
                    return Err(ErrorCode::IllegalParameterValue.into());
                }
                channels.extend(low..=high);
            }
            _ => return Err(ErrorCode::IllegalParameterValue.into()),
        }
        // No real list is longer than every channel of the unit.
        if channels.len() > 3 * 100 {
            return Err(ErrorCode::IllegalParameterValue.into());
        }
    }
    if channels.is_empty() {
        return Err(ErrorCode::IllegalParameterValue.into());
    }
    Ok(channels)
}

/// Actuator channels of a list, all checked before anything switches.
fn actuators(params: &mut Parameters) -> Result<Vec<(usize, usize)>> {
    let channels = channel_list(params)?;
    if params.next_optional_token()?.is_some() {
        return Err(ErrorCode::ParameterNotAllowed.into());
    }
    channels
        .into_iter()
        .map(|n| match locate(n)? {
            Channel::Actuator(slot, relay) => Ok((slot, relay)),
            Channel::Port(_) => Err(ErrorCode::IllegalParameterValue.into()),
        })
        .collect()
}

/// `ROUTe:CLOSe` (`closes: true`) and `ROUTe:OPEN`, and their queries.
struct Route {
    closes: bool,
}

impl Command<DaqSession> for Route {
    cmd_both!();

    fn event(&self, dev: &mut DaqSession, _: &mut Context, mut params: Parameters) -> Result<()> {
        for (slot, relay) in actuators(&mut params)? {
            dev.switches.closed[slot][relay] = self.closes;
            if slot == 0 && relay < LINES {
                dev.switched[relay] = true;
            }
        }
        Ok(())
    }

    fn query(
        &self,
        dev: &mut DaqSession,
        _: &mut Context,
        mut params: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        for (slot, relay) in actuators(&mut params)? {
            resp.data(dev.switches.closed[slot][relay] == self.closes);
        }
        resp.finish()
    }
}

/// The DIO ports of a query's list, checked.
fn ports(params: &mut Parameters) -> Result<Vec<u16>> {
    let channels = channel_list(params)?;
    channels
        .into_iter()
        .map(|n| match locate(n)? {
            Channel::Port(port) => Ok(port),
            Channel::Actuator(..) => Err(ErrorCode::IllegalParameterValue.into()),
        })
        .collect()
}

impl Daq {
    fn port(&self, port: u16) -> u8 {
        if port == PORT_IN {
            self.inputs
        } else {
            self.switches.port_out
        }
    }
}

/// `SENSe:DIGital:DATA:BYTE? <list>` (also `MEASure:DIGital:BYTE?`).
struct ReadByte;

impl Command<DaqSession> for ReadByte {
    cmd_qonly!();

    fn query(
        &self,
        dev: &mut DaqSession,
        _: &mut Context,
        mut params: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        for port in ports(&mut params)? {
            resp.data(dev.port(port));
        }
        resp.finish()
    }
}

/// `SENSe:DIGital:DATA:WORD? (@301)`: port 1 low byte, port 2 high byte.
struct ReadWord;

impl Command<DaqSession> for ReadWord {
    cmd_qonly!();

    fn query(
        &self,
        dev: &mut DaqSession,
        _: &mut Context,
        mut params: Parameters,
        mut resp: ResponseUnit,
    ) -> Result<()> {
        if ports(&mut params)? != [PORT_OUT] {
            return Err(ErrorCode::IllegalParameterValue.into());
        }
        let word = u16::from(dev.port(PORT_OUT)) | u16::from(dev.port(PORT_IN)) << 8;
        resp.data(word).finish()
    }
}

/// `SOURce:DIGital:DATA:BYTE <0-255>,(@301)` and `SOURce:DIGital:DATA:BYTE? (@301)`.
struct WriteByte;

impl Command<DaqSession> for WriteByte {
    cmd_both!();

    fn event(&self, dev: &mut DaqSession, _: &mut Context, mut params: Parameters) -> Result<()> {
        let value: u8 = params.next_data()?;
        for port in ports(&mut params)? {
            if port == PORT_IN {
                return Err(ErrorCode::SettingsConflict.into());
            }
        }
        dev.switches.port_out = value;
        Ok(())
    }

    /// The query reads the listed ports, as `SENSe:DIGital:DATA:BYTE?` does.
    fn query(
        &self,
        dev: &mut DaqSession,
        context: &mut Context,
        params: Parameters,
        resp: ResponseUnit,
    ) -> Result<()> {
        ReadByte.query(dev, context, params, resp)
    }
}

const TREE: Node<DaqSession> = scpi_root![
    (
        b"Keysight Technologies",
        b"DAQ970A",
        b"RIGSIM0001",
        b"rig-sim-1.0"
    ),
    // `SYSTem:LOCal`: front panel back in charge; nothing to do on the virtual bench.
    scpi_system!(Leaf!(b"LOCal" => &Accepted)),
    Branch![b"ROUTe";
        Leaf!(b"CLOSe" => &Route { closes: true }),
        Leaf!(b"OPEN" => &Route { closes: false })
    ],
    Branch![b"SENSe";
        Branch![b"DIGital";
            Branch![b"DATA";
                Leaf!(b"BYTE" => &ReadByte),
                Leaf!(b"WORD" => &ReadWord)
            ]
        ]
    ],
    Branch![b"MEASure"; Branch![b"DIGital"; Leaf!(b"BYTE" => &ReadByte)]],
    Branch![b"SOURce"; Branch![b"DIGital"; Branch![b"DATA"; Leaf!(b"BYTE" => &WriteByte)]]]
];

/// Input lines 1-8 as bits 0-7.
fn input_byte(world: &World) -> u8 {
    (0..LINES).fold(0u8, |byte, line| {
        byte | u8::from(world.input_line(line)) << line
    })
}

/// Run one program message with the world locked; lines the message switched are
/// driven by the DAQ from now on.
fn execute(world: &mut World, message: &[u8]) -> Vec<u8> {
    world.advance_to(clock::now());
    let state = std::mem::take(&mut world.front_ends.daq);
    let daq = Daq {
        switches: state.switches,
        inputs: input_byte(world),
        switched: [false; LINES],
    };
    let mut session = Session::new(daq, state.status);
    let response = session.run(&TREE, message);
    let (daq, status) = session.into_parts();
    for line in (0..LINES).filter(|l| daq.switched[*l]) {
        world.drive_relay_line(line, daq.switches.line(line));
    }
    world.front_ends.daq = DaqState {
        switches: daq.switches,
        status,
    };
    world.settle();
    response
}

/// Serve SCPI on one connection until the peer closes it. The connection takes relay
/// lines 1-8 with the DAQ's contacts (`relay_lines`).
pub(crate) async fn serve_daq970a<T>(world: Arc<Mutex<World>>, stream: T)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    {
        let mut world = lock(&world);
        world.advance_to(clock::now());
        for line in 0..LINES {
            let closed = world.front_ends.daq.switches.line(line);
            world.drive_relay_line(line, closed);
        }
        world.settle();
    }
    serve_instrument(world, stream, execute, |world| {
        &mut world.front_ends.daq.status
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instruments::test_world::{drain_error_codes, lesso_world as world, text};

    fn run(world: &mut World, message: &str) -> String {
        text(execute(world, message.as_bytes()))
    }

    #[tokio::test(start_paused = true)]
    async fn lists_ranges_and_queries() {
        let mut w = world();
        assert_eq!(run(&mut w, "ROUT:CLOS (@101,103:105,220)"), "");
        assert_eq!(run(&mut w, "ROUT:CLOS? (@101:106,220)"), "1,0,1,1,1,0,1\n");
        assert_eq!(run(&mut w, "ROUT:OPEN? (@102,103)"), "1,0\n");
        assert!(w.relay_line(0) && w.relay_line(2));
        assert!(
            w.relay_line(1),
            "line 2 is still the board's, in linkage mode following dry contact 2"
        );
        assert_eq!(run(&mut w, "rout:open (@105:103)"), "");
        assert_eq!(run(&mut w, "ROUT:CLOS? (@103:105)"), "0,0,0\n");
        assert_eq!(run(&mut w, "*RST;ROUT:CLOS? (@101,220)"), "0,0\n");
        assert!(!w.relay_line(0));
    }

    #[tokio::test(start_paused = true)]
    async fn digital_ports() {
        let mut w = world();
        // Dry contacts 1 and 2 are closed at rest; inputs 3-8 are the LEDs' photo
        // sensors: RUN (FLASH1, on at power-on) and SOC LEDs 1-2 (50 %). 0b0011_0111.
        assert_eq!(run(&mut w, "SENS:DIG:DATA:BYTE? (@302)"), "55\n");
        assert_eq!(run(&mut w, "SOUR:DIG:DATA:BYTE 165,(@301)"), "");
        assert_eq!(run(&mut w, "SOUR:DIG:DATA:BYTE? (@301)"), "165\n");
        assert_eq!(run(&mut w, "SENS:DIG:DATA:WORD? (@301)"), "14245\n");
        assert_eq!(run(&mut w, "MEAS:DIG:BYTE? (@301,302)"), "165,55\n");
    }

    #[tokio::test(start_paused = true)]
    async fn errors_are_queued() {
        let mut w = world();
        for bad in [
            "ROUT:CLOS (@301)",
            "ROUT:CLOS (@121)",
            "ROUT:CLOS (@100)",
            "ROUT:CLOS (@401)",
            "ROUT:CLOS (@119:201)",
            "ROUT:CLOS (@101),(@102)",
            "ROUT:CLOS 101",
            "SOUR:DIG:DATA:BYTE 256,(@301)",
            "SOUR:DIG:DATA:BYTE 1,(@302)",
            "SENS:DIG:DATA:BYTE? (@101)",
            "DIAG:FOO",
        ] {
            assert_eq!(run(&mut w, bad), "", "{bad}");
        }
        let codes = drain_error_codes(|m| run(&mut w, m));
        assert_eq!(
            codes,
            [
                -224, -224, -224, -224, -224, -108, -104, -222, -221, -224, -113
            ]
        );
        assert_eq!(run(&mut w, "ROUT:CLOS? (@101)"), "0\n", "nothing switched");
    }
}
