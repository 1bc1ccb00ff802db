//! `waveshare-relay-d`, `keysight-daq970a` and `numato-relay` (drivers/src/modbus,
//! drivers/src/relays): the relays and digital inputs the pack is wired to, each
//! board numbering its channels its own way.

use rig_drivers::relays::DaqChannel;
use rig_drivers::transport::Endpoint;

use super::{Check, Family, Field};
use crate::bench::driver::Driver;
use crate::bench::file::RawInstrument;
use crate::bench::instrument::{InstrumentSpec, Settings};

pub(super) struct Board;

impl Family for Board {
    fn fields(&self, driver: Driver) -> &'static [Field] {
        match driver {
            Driver::WaveshareRelayD => &[Field::Unit],
            Driver::NumatoRelay => &[Field::Channels],
            _ => &[],
        }
    }

    fn fits(&self, driver: Driver, resource: &Endpoint) -> Result<(), &'static str> {
        use Endpoint as E;
        match (driver, resource) {
            (Driver::Daq970a | Driver::NumatoRelay, E::TcpSocket { .. } | E::Serial(_))
            | (
                Driver::WaveshareRelayD,
                E::TcpSocket { .. } | E::Serial(_) | E::ModbusRtu { .. } | E::ModbusTcp { .. },
            ) => Ok(()),
            (Driver::Daq970a, _) => Err(super::source::SCPI_RESOURCES),
            (Driver::NumatoRelay, _) => Err("its USB serial port (`/dev/ttyACM0?baud=19200`)"),
            _ => Err(
                "an RS485 port (`modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1`), an RS485-to-TCP gateway (`TCPIP::host::4196::SOCKET`) or the Ethernet board's Modbus TCP (`modbus-tcp://host:502?unit=1`)",
            ),
        }
    }

    /// Relays and inputs are read back four times a second.
    fn default_poll_s(&self) -> f64 {
        0.25
    }

    fn check(&self, driver: Driver, raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings) {
        match driver {
            // The board's unit is its RTU address even behind a Modbus TCP front end.
            Driver::WaveshareRelayD => s.unit = super::modbus_unit(raw, true, cx),
            Driver::NumatoRelay => {
                let Some(c) = &raw.channels else { return };
                if (1..=32).contains(&c.value) {
                    s.channels = c.value;
                } else {
                    let problem = cx.problem(
                        c,
                        format!("Numato modules have 1 to 32 relays, not {}", c.value),
                    );
                    cx.push(Field::Channels, problem);
                }
            }
            _ => {}
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::bench) enum WireKind {
    Relay,
    Input,
}

impl std::fmt::Display for WireKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WireKind::Relay => "relay",
            WireKind::Input => "input",
        })
    }
}

/// What is wrong with a wire, by the field that is wrong.
#[derive(Debug, PartialEq)]
pub(in crate::bench) enum WrongWire {
    Number(String),
    Bit(String),
}

/// Whether a relay channel or an input exists on the board, numbered as the
/// instrument numbers it; `Err` says what does.
pub(in crate::bench) fn check_wire(
    board: &InstrumentSpec,
    kind: WireKind,
    number: u16,
    bit: Option<u8>,
) -> Result<(), WrongWire> {
    use WrongWire::{Bit, Number};
    let no_bit = || match bit {
        Some(_) => Err(Bit(format!(
            "bit numbers apply to DAQ970A digital ports only, not to a `{}`",
            board.driver.name()
        ))),
        None => Ok(()),
    };
    match board.driver {
        Driver::Daq970a => {
            if DaqChannel::new(number).is_none() {
                return Err(Number(format!(
                    "DAQ970A channels are slot*100+channel (101 to 399), not {number}"
                )));
            }
            match (kind, bit) {
                (WireKind::Relay, _) => no_bit(),
                (WireKind::Input, Some(b)) if b <= 7 => Ok(()),
                (WireKind::Input, Some(b)) => Err(Bit(format!("bit is 0 to 7, not {b}"))),
                (WireKind::Input, None) => Err(Number(format!(
                    "a DAQ970A input is a bit of a digital port: add `bit: 0` to 7 to port {number}"
                ))),
            }
        }
        Driver::NumatoRelay => {
            if number >= board.channels {
                return Err(Number(format!(
                    "the Numato module has {} channels, numbered 0 to {}, not {number}",
                    board.channels,
                    board.channels - 1
                )));
            }
            no_bit()
        }
        _ => {
            if !(1..=8).contains(&number) {
                return Err(Number(format!(
                    "the board has channels 1 to 8, not {number}"
                )));
            }
            no_bit()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::tests::{assert_refusals, parse};

    const BOARDS: &str = "name: b
instruments:
  io:
    driver: waveshare-relay-d
    resource: modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1
  daq:
    driver: keysight-daq970a
    resource: TCPIP::192.0.2.23::5025::SOCKET
  numato:
    driver: numato-relay
    resource: /dev/ttyACM0
";

    #[test]
    fn boards_are_polled_every_quarter_second_and_numato_has_8_relays() {
        let bench = parse(BOARDS).unwrap();
        for name in ["io", "daq", "numato"] {
            assert_eq!(bench.instruments[name].poll_s, 0.25, "{name}");
        }
        assert_eq!(bench.instruments["numato"].channels, 8);
        let sixteen = BOARDS.replace("/dev/ttyACM0", "/dev/ttyACM0\n    channels: 16");
        assert_eq!(parse(&sixteen).unwrap().instruments["numato"].channels, 16);
    }

    #[test]
    fn each_board_numbers_its_channels_its_own_way() {
        let bench = parse(BOARDS).unwrap();
        let wire = |board: &str, kind, n, bit| check_wire(&bench.instruments[board], kind, n, bit);
        assert_eq!(wire("io", WireKind::Relay, 8, None), Ok(()));
        assert!(matches!(
            wire("io", WireKind::Relay, 0, None),
            Err(WrongWire::Number(_))
        ));
        assert_eq!(wire("numato", WireKind::Relay, 0, None), Ok(()));
        assert!(matches!(
            wire("numato", WireKind::Relay, 8, None),
            Err(WrongWire::Number(_))
        ));
        assert_eq!(wire("daq", WireKind::Relay, 101, None), Ok(()));
        assert_eq!(wire("daq", WireKind::Input, 302, Some(7)), Ok(()));
        assert!(matches!(
            wire("daq", WireKind::Input, 302, None),
            Err(WrongWire::Number(_))
        ));
        assert!(matches!(
            wire("io", WireKind::Input, 3, Some(0)),
            Err(WrongWire::Bit(_))
        ));
    }

    #[test]
    fn a_numato_is_reached_on_its_usb_port_only() {
        let modbus: Endpoint = "modbus-rtu:/dev/ttyACM0?unit=1".parse().unwrap();
        assert_eq!(
            Board.fits(Driver::NumatoRelay, &modbus),
            Err("its USB serial port (`/dev/ttyACM0?baud=19200`)")
        );
        assert!(Board.fits(Driver::WaveshareRelayD, &modbus).is_ok());
        assert!(Board.fits(Driver::Daq970a, &modbus).is_err());
    }

    #[test]
    fn board_mistakes_name_the_field() {
        assert_refusals(
            BOARDS,
            &[
                (
                    "/dev/ttyACM0",
                    "/dev/ttyACM0\n    channels: 33",
                    "bench.yaml:12:15: Numato modules have 1 to 32 relays, not 33",
                ),
                (
                    "TCPIP::192.0.2.23::5025::SOCKET",
                    "TCPIP::192.0.2.23::5025::SOCKET\n    unit: 2",
                    "bench.yaml:9:11: `unit` applies to Modbus instruments only",
                ),
                (
                    "modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1",
                    "modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1\n    channels: 8",
                    "bench.yaml:6:15: `channels` applies to `numato-relay` modules only",
                ),
                (
                    "modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1",
                    "socketcan:can0",
                    "a `waveshare-relay-d` instrument cannot be reached at `socketcan:can0` (hint: use an RS485 port",
                ),
            ],
        );
    }
}
