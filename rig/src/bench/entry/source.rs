//! `scpi-source` and `scpi-load` (drivers/src/scpi): a DC source/sink or an electronic
//! load, named `source`. Its SCPI dialect and its ratings, which every set point of a
//! plan is checked against before anything is connected.

use rig_drivers::scpi::{Dialect, LoadDialect};
use rig_drivers::transport::Endpoint;

use super::{Check, Family, Field};
use crate::bench::driver::Driver;
use crate::bench::file::RawInstrument;
use crate::bench::instrument::Settings;

/// Where an SCPI instrument is reached (a source, a load, a DAQ970A).
pub(super) const SCPI_RESOURCES: &str =
    "`TCPIP::host::5025::SOCKET` or a serial port (`/dev/ttyUSB0?baud=9600`)";

pub(super) struct Source;

impl Family for Source {
    fn fields(&self, _driver: Driver) -> &'static [Field] {
        &[Field::Dialect]
    }

    fn fits(&self, _driver: Driver, resource: &Endpoint) -> Result<(), &'static str> {
        match resource {
            Endpoint::TcpSocket { .. } | Endpoint::Serial(_) => Ok(()),
            _ => Err(SCPI_RESOURCES),
        }
    }

    fn check(&self, driver: Driver, raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings) {
        dialect(driver, raw, cx, s);
        if s.max_voltage.is_none() || s.max_current.is_none() {
            let problem = cx
                .problem(
                    &raw.driver,
                    format!(
                        "the source `{}` needs `ratings: {{ max_voltage, max_current }}`",
                        cx.name
                    ),
                )
                .help("set points are checked against them before anything is connected");
            cx.push(Field::Ratings, problem);
        }
    }
}

/// A source's dialect defaults to `generic`; a load has no default, its two command
/// sets differ too much to guess.
fn dialect(driver: Driver, raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings) {
    let problem = match (&raw.dialect, driver) {
        (Some(d), Driver::ScpiLoad) => match d.value.parse::<LoadDialect>() {
            Ok(x) => {
                s.load_dialect = x;
                return;
            }
            Err(_) => cx
                .problem(d, format!("unknown load dialect `{}`", d.value))
                .help("load dialects: rigol-dl3000, bk-8600"),
        },
        (Some(d), _) => match d.value.parse::<Dialect>() {
            Ok(x) => {
                s.dialect = x;
                return;
            }
            Err(_) => cx
                .problem(d, format!("unknown SCPI dialect `{}`", d.value))
                .help(
                    "dialects: generic, keysight-rp7900, itech-it6000c, ea-psb9000, chroma-62000d",
                ),
        },
        (None, Driver::ScpiLoad) => cx
            .problem(&raw.driver, "a `scpi-load` needs its `dialect`")
            .help("`dialect: rigol-dl3000` or `dialect: bk-8600`"),
        (None, _) => return,
    };
    cx.push(Field::Dialect, problem);
}

#[cfg(test)]
mod tests {
    use rig_drivers::scpi::{Dialect, LoadDialect};

    use crate::bench::tests::{assert_refusals, parse};

    const SOURCE: &str = "name: s
instruments:
  source:
    driver: scpi-source
    resource: TCPIP::192.0.2.20::5025::SOCKET
    ratings: { max_voltage: 60 V, max_current: 120 A }
";

    #[test]
    fn a_source_speaks_generic_scpi_unless_told() {
        let bench = parse(SOURCE).unwrap();
        let source = &bench.instruments["source"];
        assert_eq!(source.dialect, Dialect::Generic);
        assert_eq!(
            (source.max_voltage, source.max_current),
            (Some(60.0), Some(120.0))
        );
        let keysight = SOURCE.replace("    ratings", "    dialect: keysight-rp7900\n    ratings");
        assert_eq!(
            parse(&keysight).unwrap().instruments["source"].dialect,
            Dialect::KeysightRp7900
        );
    }

    #[test]
    fn ratings_take_any_unit_of_their_dimension() {
        let milli = SOURCE.replace("60 V, max_current: 120 A", "0.06 kV, max_current: 500 mA");
        let source = &parse(&milli).unwrap().instruments["source"];
        assert_eq!(source.max_voltage, Some(60.0));
        assert_eq!(source.max_current, Some(0.5));
    }

    #[test]
    fn a_load_names_its_command_set() {
        let load = SOURCE
            .replace("scpi-source", "scpi-load")
            .replace("    ratings", "    dialect: bk-8600\n    ratings");
        let bench = parse(&load).unwrap();
        assert_eq!(
            bench.instruments["source"].load_dialect,
            LoadDialect::Bk8600
        );
    }

    #[test]
    fn source_mistakes_name_the_field() {
        assert_refusals(
            SOURCE,
            &[
                (
                    "driver: scpi-source",
                    "driver: scpi-load",
                    "bench.yaml:4:13: a `scpi-load` needs its `dialect` (hint: `dialect: rigol-dl3000` or `dialect: bk-8600`)",
                ),
                (
                    "    ratings",
                    "    dialect: rigol-dl3000\n    ratings",
                    "bench.yaml:6:14: unknown SCPI dialect `rigol-dl3000` (hint: dialects: generic,",
                ),
                (
                    "max_current: 120 A",
                    "max_current: 120 V",
                    "bench.yaml:6:48: `max_current` must be a current, found a voltage",
                ),
                (
                    "    ratings: { max_voltage: 60 V, max_current: 120 A }\n",
                    "    ratings: { max_voltage: 60 V }\n",
                    "bench.yaml:4:13: the source `source` needs `ratings: { max_voltage, max_current }`",
                ),
                (
                    "resource: TCPIP::192.0.2.20::5025::SOCKET",
                    "resource: socketcan:can0",
                    "a `scpi-source` instrument cannot be reached at `socketcan:can0` (hint: use `TCPIP::host::5025::SOCKET` or a serial port",
                ),
                (
                    "    ratings",
                    "    channels: 8\n    ratings",
                    "bench.yaml:6:15: `channels` applies to `numato-relay` modules only",
                ),
                (
                    "    ratings",
                    "    unit: 2\n    ratings",
                    "bench.yaml:6:11: `unit` applies to Modbus instruments only",
                ),
            ],
        );
    }
}
