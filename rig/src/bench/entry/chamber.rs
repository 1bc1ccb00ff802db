//! `watlow-f4t`, `watlow-f4` and `espec-p300` (drivers/src/chamber), named `chamber`:
//! a Watlow's Modbus unit, control loop and the event output that runs its
//! conditioning; an ESPEC's address on an RS-485 bus. Their temperature range is in
//! `ratings` (every instrument's field).

use rig_drivers::transport::Endpoint;
use serde_saphyr::Spanned;

use super::{Check, Family, Field};
use crate::bench::driver::Driver;
use crate::bench::file::RawInstrument;
use crate::bench::instrument::Settings;

pub(super) struct Chamber;

/// The device addresses an ESPEC P-300/SCP-220 controller takes on RS-485 (its
/// communication settings menu offers 1-16) \[U\]: not in ESPEC's library (S14), from
/// the controller's operation manual as remembered; a lab that finds another range
/// on its controller changes it here.
const ESPEC_ADDRESSES: std::ops::RangeInclusive<u8> = 1..=16;

impl Family for Chamber {
    fn fields(&self, driver: Driver) -> &'static [Field] {
        match driver {
            Driver::WatlowF4t => &[Field::Loop, Field::RunEvent, Field::Unit],
            Driver::WatlowF4 => &[Field::RunEvent, Field::Unit],
            _ => &[Field::Address],
        }
    }

    fn fits(&self, driver: Driver, resource: &Endpoint) -> Result<(), &'static str> {
        use Endpoint as E;
        match (driver, resource) {
            (
                Driver::WatlowF4t,
                E::ModbusTcp { .. } | E::ModbusRtu { .. } | E::TcpSocket { .. },
            )
            | (Driver::WatlowF4, E::ModbusRtu { .. } | E::TcpSocket { .. })
            | (Driver::EspecP300, E::Serial(_) | E::TcpSocket { .. }) => Ok(()),
            (Driver::WatlowF4t, _) => {
                Err("`modbus-tcp://host:502?unit=1` or `modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1`")
            }
            (Driver::WatlowF4, _) => Err(
                "`modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1` or an RS485-to-TCP gateway (`TCPIP::host::4196::SOCKET`)",
            ),
            _ => Err(
                "a serial port (`/dev/ttyUSB1?baud=9600`) or a serial-to-TCP forwarder (`TCPIP::host::10001::SOCKET`)",
            ),
        }
    }

    fn check(&self, driver: Driver, raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings) {
        let takes = self.fields(driver);
        if let Some(l) = raw
            .control_loop
            .as_ref()
            .filter(|_| takes.contains(&Field::Loop))
        {
            s.control_loop = one_to_eight(cx, Field::Loop, l, "loop");
        }
        if let Some(e) = raw
            .run_event
            .as_ref()
            .filter(|_| takes.contains(&Field::RunEvent))
        {
            s.run_event = one_to_eight(cx, Field::RunEvent, e, "run_event");
        }
        if takes.contains(&Field::Unit) {
            // An F4 speaks RTU wherever it is; an F4T too, except on its own Modbus TCP.
            s.unit = super::modbus_unit(raw, driver == Driver::WatlowF4, cx);
        }
        // An ESPEC controller on an RS-485 bus: the address prefixes its commands.
        if let Some(a) = raw
            .address
            .as_ref()
            .filter(|_| takes.contains(&Field::Address))
        {
            if !ESPEC_ADDRESSES.contains(&a.value) {
                let problem = cx.problem(
                    a,
                    format!(
                        "an ESPEC controller's RS-485 address is {} to {}, not {}",
                        ESPEC_ADDRESSES.start(),
                        ESPEC_ADDRESSES.end(),
                        a.value
                    ),
                );
                cx.push(Field::Address, problem);
            }
            s.address = a.value;
            s.address_given = true;
        }
    }
}

/// A Watlow loop or event output: 1 to 8.
fn one_to_eight(cx: &mut Check<'_>, field: Field, value: &Spanned<u8>, what: &str) -> u8 {
    if !(1..=8).contains(&value.value) {
        let problem = cx.problem(value, format!("`{what}` is 1 to 8, not {}", value.value));
        cx.push(field, problem);
    }
    value.value
}

#[cfg(test)]
mod tests {
    use rig_drivers::transport::Endpoint;

    use super::*;
    use crate::bench::tests::{assert_refusals, parse};

    const F4T: &str = "name: c
instruments:
  chamber:
    driver: watlow-f4t
    resource: modbus-tcp://192.0.2.30:502?unit=1
    ratings: { min_temperature: -40 degC, max_temperature: 85 degC }
";

    #[test]
    fn a_watlow_runs_loop_1_on_event_1_unless_told() {
        let bench = parse(F4T).unwrap();
        let c = &bench.instruments["chamber"];
        assert_eq!((c.control_loop, c.run_event, c.unit), (1, 1, 1));
        assert_eq!(
            (c.min_temperature, c.max_temperature),
            (Some(-40.0), Some(85.0))
        );
        assert!(!c.address_given);
        let told = F4T.replace("?unit=1", "").replace(
            "    ratings",
            "    loop: 2\n    run_event: 4\n    unit: 3\n    ratings",
        );
        let c = &parse(&told).unwrap().instruments["chamber"];
        assert_eq!((c.control_loop, c.run_event, c.unit), (2, 4, 3));
        // Written twice, the unit must agree: the device answers at one address.
        let twice = F4T.replace("    ratings", "    unit: 3\n    ratings");
        assert!(parse(&twice).is_err());
    }

    #[test]
    fn an_espec_on_rs485_has_an_address() {
        let espec = F4T
            .replace("watlow-f4t", "espec-p300")
            .replace(
                "modbus-tcp://192.0.2.30:502?unit=1",
                "/dev/ttyUSB1?baud=9600",
            )
            .replace("    ratings", "    address: 3\n    ratings");
        let c = &parse(&espec).unwrap().instruments["chamber"];
        assert_eq!((c.address, c.address_given), (3, true));
    }

    #[test]
    fn each_controller_is_reached_its_own_way() {
        let rtu: Endpoint = "modbus-rtu:/dev/ttyUSB0?unit=1".parse().unwrap();
        let mtcp: Endpoint = "modbus-tcp://192.0.2.30".parse().unwrap();
        let serial: Endpoint = "/dev/ttyUSB1".parse().unwrap();
        assert!(Chamber.fits(Driver::WatlowF4t, &mtcp).is_ok());
        assert!(Chamber.fits(Driver::WatlowF4t, &rtu).is_ok());
        assert!(Chamber.fits(Driver::WatlowF4, &rtu).is_ok());
        assert!(Chamber.fits(Driver::WatlowF4, &mtcp).is_err());
        assert!(Chamber.fits(Driver::EspecP300, &serial).is_ok());
        assert!(Chamber.fits(Driver::EspecP300, &rtu).is_err());
    }

    #[test]
    fn chamber_mistakes_name_the_field() {
        assert_refusals(
            F4T,
            &[
                (
                    "    ratings",
                    "    loop: 9\n    ratings",
                    "bench.yaml:6:11: `loop` is 1 to 8, not 9",
                ),
                (
                    "    ratings",
                    "    run_event: 0\n    ratings",
                    "bench.yaml:6:16: `run_event` is 1 to 8, not 0",
                ),
                (
                    "driver: watlow-f4t",
                    "driver: watlow-f4\n    loop: 2",
                    "bench.yaml:5:11: `loop` applies to Watlow chambers only",
                ),
                (
                    "    ratings",
                    "    address: 2\n    ratings",
                    "bench.yaml:6:14: `address` applies to `pylontech-rs485` links and ESPEC controllers only",
                ),
                (
                    "    ratings",
                    "    dbc: pylon_lv\n    ratings",
                    "bench.yaml:6:10: `dbc` applies to `bms-can` instruments only",
                ),
                (
                    "max_temperature: 85 degC",
                    "max_temperature: 85",
                    "bench.yaml:6:60: `max_temperature` must be a temperature, found a plain number",
                ),
                (
                    "resource: modbus-tcp://192.0.2.30:502?unit=1",
                    "resource: /dev/ttyUSB0",
                    "a `watlow-f4t` instrument cannot be reached at `/dev/ttyUSB0?baud=9600&parity=none&data_bits=8&stop_bits=1` (hint: use `modbus-tcp://",
                ),
            ],
        );
    }
}
