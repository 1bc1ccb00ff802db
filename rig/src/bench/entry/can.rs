//! `bms-can` (drivers/src/can), named `bms`: the BMS's CAN link, its database (DBC)
//! and how long a silent bus means the BMS is offline.

use std::path::Path;

use rig_drivers::can::{CanDatabase, PYLON_LV_DBC, PYLON_LV_EXTENDED_DBC};
use rig_drivers::transport::Endpoint;

use super::{Check, Family, Field};
use crate::bench::driver::Driver;
use crate::bench::file::RawInstrument;
use crate::bench::instrument::Settings;

pub(super) struct Can;

impl Family for Can {
    /// `silence` is read with `poll` and `timeout` (every instrument's timing); only a
    /// CAN link uses it.
    fn fields(&self, _driver: Driver) -> &'static [Field] {
        &[Field::Dbc, Field::Silence]
    }

    fn fits(&self, _driver: Driver, resource: &Endpoint) -> Result<(), &'static str> {
        match resource {
            Endpoint::SocketCan { .. } | Endpoint::Socketcand { .. } => Ok(()),
            _ => Err("`socketcan:can0` or `socketcand://host:29536/can0`"),
        }
    }

    fn check(&self, _driver: Driver, raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings) {
        let Some(d) = &raw.dbc else {
            s.dbc = vec![PYLON_LV_DBC.to_string()];
            return;
        };
        match load_dbc(cx.base_dir, &d.value) {
            Ok(texts) => s.dbc = texts,
            Err(msg) => {
                let problem = cx.problem(d, msg).help(
                    "`pylon_lv` and `pylon_lv_extended` are built in; other values are paths to `.dbc` files, relative to the bench file",
                );
                cx.push(Field::Dbc, problem);
            }
        }
    }
}

/// The DBC texts `dbc:` names: a built-in database, or a file beside the bench file.
fn load_dbc(base_dir: &Path, value: &str) -> Result<Vec<String>, String> {
    match value {
        "pylon_lv" => return Ok(vec![PYLON_LV_DBC.to_string()]),
        "pylon_lv_extended" => {
            return Ok(vec![
                PYLON_LV_DBC.to_string(),
                PYLON_LV_EXTENDED_DBC.to_string(),
            ]);
        }
        _ => {}
    }
    let path = base_dir.join(value);
    let text =
        crate::input::read_text(&path, crate::input::MAX_DBC_BYTES).map_err(|e| match e {
            crate::input::ReadError::Io { path, source } => {
                format!("cannot read the DBC {path}: {source}")
            }
            other => format!("the DBC: {other}"),
        })?;
    CanDatabase::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(vec![text])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Bench;
    use crate::bench::tests::{assert_refusals, parse};
    use crate::diag::SourceFile;

    const CAN: &str = "name: c
instruments:
  bms:
    driver: bms-can
    resource: socketcan:can0
";

    #[test]
    fn a_link_reads_pylon_lv_and_goes_offline_after_3_s_unless_told() {
        let bench = parse(CAN).unwrap();
        let bms = &bench.instruments["bms"];
        assert_eq!(bms.dbc, [PYLON_LV_DBC]);
        assert_eq!(bms.silence_s, 3.0);
        let told = CAN.replace(
            "socketcan:can0",
            "socketcan:can0\n    dbc: pylon_lv_extended\n    silence: 1500 ms",
        );
        let bms = &parse(&told).unwrap().instruments["bms"];
        assert_eq!(bms.dbc, [PYLON_LV_DBC, PYLON_LV_EXTENDED_DBC]);
        assert_eq!(bms.silence_s, 1.5);
    }

    /// A DBC path is read relative to the bench file, not to the working directory.
    #[test]
    fn a_dbc_file_is_found_beside_the_bench_file() {
        let dir = std::env::temp_dir().join(format!("rig-bench-dbc-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("dbc")).unwrap();
        std::fs::write(dir.join("dbc/mine.dbc"), PYLON_LV_EXTENDED_DBC).unwrap();
        let text = CAN.replace("socketcan:can0", "socketcan:can0\n    dbc: dbc/mine.dbc");
        let bench = Bench::parse(SourceFile::new(dir.join("bench.yaml"), text));
        let _ = std::fs::remove_dir_all(&dir);
        let bench = bench.unwrap();
        assert_eq!(bench.instruments["bms"].dbc, [PYLON_LV_EXTENDED_DBC]);
    }

    #[test]
    fn can_mistakes_name_the_field() {
        assert_refusals(
            CAN,
            &[
                (
                    "socketcan:can0",
                    "socketcan:can0\n    dbc: nowhere.dbc",
                    "bench.yaml:6:10: cannot read the DBC nowhere.dbc",
                ),
                (
                    "socketcan:can0",
                    "socketcan:can0\n    silence: 0 s",
                    "bench.yaml:6:14: `silence` must be longer than zero",
                ),
                (
                    "socketcan:can0",
                    "TCPIP::192.0.2.40::29536::SOCKET",
                    "a `bms-can` instrument cannot be reached at `TCPIP::192.0.2.40::29536::SOCKET` (hint: use `socketcan:can0` or `socketcand://host:29536/can0`)",
                ),
                (
                    "socketcan:can0",
                    "socketcan:can0\n    dialect: generic",
                    "bench.yaml:6:14: `dialect` applies to `scpi-source` and `scpi-load` instruments only",
                ),
            ],
        );
    }
}
