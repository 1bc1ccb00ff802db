//! `pylontech-rs485` (drivers/src/rs485), named `rs485`: the pack's RS485 link and the
//! address (ADR) its DIP switches set.

use rig_drivers::transport::Endpoint;

use super::{Check, Family, Field};
use crate::bench::driver::Driver;
use crate::bench::file::RawInstrument;
use crate::bench::instrument::Settings;

pub(super) struct Rs485;

impl Family for Rs485 {
    fn fields(&self, _driver: Driver) -> &'static [Field] {
        &[Field::Address]
    }

    fn fits(&self, _driver: Driver, resource: &Endpoint) -> Result<(), &'static str> {
        match resource {
            Endpoint::Serial(_) | Endpoint::TcpSocket { .. } => Ok(()),
            _ => Err(
                "an RS485 port (`/dev/ttyUSB2?baud=9600`) or an RS485-to-TCP gateway (`TCPIP::host::4196::SOCKET`)",
            ),
        }
    }

    /// The address defaults to 2, the first pack's (Lesso 3.2 automatic addressing).
    fn check(&self, _driver: Driver, raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings) {
        let Some(a) = &raw.address else { return };
        s.address = a.value;
        s.address_given = true;
        if a.value == 0 || a.value == 255 {
            let problem = cx.problem(
                a,
                "RS485 addresses 0 and 255 are reserved (protocols.md 2.2)",
            );
            cx.push(Field::Address, problem);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::tests::{assert_refusals, parse};

    const RS485: &str = "name: r
instruments:
  rs485:
    driver: pylontech-rs485
    resource: /dev/ttyUSB2?baud=115200
";

    #[test]
    fn a_link_polls_address_2_unless_told() {
        let bench = parse(RS485).unwrap();
        assert_eq!(bench.instruments["rs485"].address, 2);
        let told = RS485.replace("baud=115200", "baud=115200\n    address: 5");
        assert_eq!(parse(&told).unwrap().instruments["rs485"].address, 5);
    }

    #[test]
    fn a_link_is_a_byte_stream_not_a_modbus_bus() {
        let modbus: Endpoint = "modbus-rtu:/dev/ttyUSB2?unit=2".parse().unwrap();
        assert!(Rs485.fits(Driver::PylontechRs485, &modbus).is_err());
        let gateway: Endpoint = "TCPIP::192.0.2.50::4196::SOCKET".parse().unwrap();
        assert!(Rs485.fits(Driver::PylontechRs485, &gateway).is_ok());
    }

    #[test]
    fn rs485_mistakes_name_the_field() {
        assert_refusals(
            RS485,
            &[
                (
                    "baud=115200",
                    "baud=115200\n    address: 255",
                    "bench.yaml:6:14: RS485 addresses 0 and 255 are reserved",
                ),
                (
                    "baud=115200",
                    "baud=115200\n    unit: 2",
                    "bench.yaml:6:11: `unit` applies to Modbus instruments only",
                ),
                (
                    "  rs485:\n",
                    "  pack:\n",
                    "bench.yaml:4:13: a `pylontech-rs485` instrument must be named `rs485`, not `pack`",
                ),
            ],
        );
    }
}
