//! `rs232-console`, named `rs232`: the pack's RS232 port, written to only (a plan's
//! `rs232: { send }` wakes a pack). It takes no fields of its own.

use rig_drivers::transport::Endpoint;

use super::{Check, Family, Field};
use crate::bench::driver::Driver;
use crate::bench::file::RawInstrument;
use crate::bench::instrument::Settings;

pub(super) struct Rs232;

impl Family for Rs232 {
    fn fields(&self, _driver: Driver) -> &'static [Field] {
        &[]
    }

    fn fits(&self, _driver: Driver, resource: &Endpoint) -> Result<(), &'static str> {
        match resource {
            Endpoint::Serial(_) | Endpoint::TcpSocket { .. } => Ok(()),
            _ => Err(
                "a serial port (`/dev/ttyUSB4?baud=9600`) or a serial-to-TCP forwarder (`TCPIP::host::10002::SOCKET`)",
            ),
        }
    }

    fn check(&self, _: Driver, _: &RawInstrument, _: &mut Check<'_>, _: &mut Settings) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::tests::{assert_refusals, parse};

    const RS232: &str = "name: r
instruments:
  rs232:
    driver: rs232-console
    resource: /dev/ttyUSB4?baud=9600
";

    #[test]
    fn a_console_is_a_serial_port_or_a_forwarder() {
        let bench = parse(RS232).unwrap();
        assert!(matches!(
            bench.instruments["rs232"].resource,
            Endpoint::Serial(_)
        ));
        let modbus: Endpoint = "modbus-tcp://192.0.2.9".parse().unwrap();
        assert!(Rs232.fits(Driver::Rs232Console, &modbus).is_err());
    }

    /// Every field of another family is refused, each with its own message.
    #[test]
    fn a_console_takes_no_family_field() {
        assert_refusals(
            RS232,
            &[
                (
                    "baud=9600",
                    "baud=9600\n    dialect: generic",
                    "`dialect` applies to",
                ),
                ("baud=9600", "baud=9600\n    loop: 1", "`loop` applies to"),
                (
                    "baud=9600",
                    "baud=9600\n    run_event: 1",
                    "`run_event` applies to",
                ),
                (
                    "baud=9600",
                    "baud=9600\n    address: 2",
                    "`address` applies to",
                ),
                ("baud=9600", "baud=9600\n    unit: 1", "`unit` applies to"),
                (
                    "baud=9600",
                    "baud=9600\n    channels: 8",
                    "`channels` applies to",
                ),
                (
                    "baud=9600",
                    "baud=9600\n    dbc: pylon_lv",
                    "`dbc` applies to",
                ),
                (
                    "baud=9600",
                    "baud=9600\n    silence: 3 s",
                    "`silence` applies to",
                ),
            ],
        );
    }
}
