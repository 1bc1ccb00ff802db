//! The bench file format as written, and the orchestration of its checks: each
//! instrument ([`super::instrument`]), the wiring, the safe states, what a virtual bench
//! injects, and the installation.

use std::collections::BTreeMap;
use std::path::Path;

use rig_drivers::transport::Endpoint;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::instrument::{self, InstrumentSpec};
use super::safe_state::{self, RawSafeState, SafeStateContext};
use super::wiring::{self, BoardWire};
use super::{injection, installation};
use crate::diag::{Problems, SourceFile};

/// The built-in virtual bench (`testplans/benches/sim.yaml`, compiled in).
pub const BUILTIN_SIM_BENCH: &str = include_str!("../../../testplans/benches/sim.yaml");

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawBench {
    /// Short name, shown in reports.
    name: String,
    description: Option<String>,
    /// Logical instruments by name. The DC source/sink must be named `source`, the BMS
    /// CAN link `bms`; plans use these names.
    #[schemars(with = "std::collections::BTreeMap<String, RawInstrument>")]
    instruments: BTreeMap<String, Spanned<RawInstrument>>,
    /// Relays by the name plans use (`reset_button`), each a channel of a board.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, RawRelay>")]
    relays: BTreeMap<String, Spanned<RawRelay>>,
    /// Digital inputs by the name plans use (`charge_enable` = `dio.charge_enable`).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, RawInput>")]
    inputs: BTreeMap<String, Spanned<RawInput>>,
    /// Firmware defects to inject into the twin (virtual benches only).
    #[serde(default)]
    #[schemars(with = "Vec<crate::schema::Scalar>")]
    defects: Vec<Spanned<String>>,
    /// Instrument faults to inject (virtual benches only):
    /// `- { instrument: source, fault: drop, after: 30 s }`.
    #[serde(default)]
    #[schemars(with = "Vec<RawFault>")]
    faults: Vec<Spanned<RawFault>>,
    /// The installation: `{ packs: 3 }` packs wired in parallel (default: one on a real
    /// bench; on a virtual bench, as many as each plan needs).
    dut: Option<installation::RawDut>,
    /// The virtual pack's set-up: `{ dip: { baud: 115200, protocol: id1, address: 2 } }`.
    #[schemars(with = "Option<installation::RawTwin>")]
    twin: Option<Spanned<installation::RawTwin>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFault {
    #[schemars(with = "crate::schema::Scalar")]
    pub(super) instrument: Spanned<String>,
    /// `drop`, `stall`, `garbage` or `error`.
    #[schemars(with = "crate::schema::Scalar")]
    pub(super) fault: Spanned<String>,
    /// When, after the run starts.
    #[schemars(with = "crate::schema::Scalar")]
    pub(super) after: Spanned<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInstrument {
    /// `scpi-source`, `scpi-load`, `waveshare-relay-d`, `keysight-daq970a`,
    /// `numato-relay`, `bms-can`, `pylontech-rs485`, `rs232-console`, `watlow-f4t`,
    /// `watlow-f4` or `espec-p300`.
    #[schemars(with = "crate::schema::Scalar")]
    pub(super) driver: Spanned<String>,
    /// Where it is: `sim:source`, `TCPIP::10.0.0.20::5025::SOCKET`, ...
    #[schemars(with = "crate::schema::Scalar")]
    pub(super) resource: Spanned<String>,
    /// SCPI dialect of a source (`generic`) or a load (`rigol-dl3000`, `bk-8600`).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) dialect: Option<Spanned<String>>,
    /// Modbus unit (slave) address of a board.
    #[schemars(with = "Option<u8>")]
    pub(super) unit: Option<Spanned<u8>>,
    /// CAN database: `pylon_lv` or `pylon_lv_extended` (built in: the first plus 0x35E,
    /// 0x35A, 0x35F) or a path to a `.dbc` file.
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) dbc: Option<Spanned<String>>,
    /// Relays of a Numato module (8 by default; 1 to 32).
    #[schemars(with = "Option<u16>")]
    pub(super) channels: Option<Spanned<u16>>,
    /// How often the runner samples the instrument (`1 s`).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) poll: Option<Spanned<String>>,
    /// Time limit of one exchange (`2 s`).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) timeout: Option<Spanned<String>>,
    /// For a CAN link: how long without a frame before `<name>.online` turns false
    /// (`3 s`, three periods of a BMS that sends every second).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) silence: Option<Spanned<String>>,
    /// What the instrument can deliver; set points beyond it are rejected.
    pub(super) ratings: Option<RawRatings>,
    /// A chamber's control loop, 1-based (`1`).
    #[serde(rename = "loop")]
    #[schemars(with = "Option<u8>")]
    pub(super) control_loop: Option<Spanned<u8>>,
    /// A chamber's event output wired to its conditioning ("run"), 1 to 8.
    #[schemars(with = "Option<u8>")]
    pub(super) run_event: Option<Spanned<u8>>,
    /// The pack's RS485 address (ADR), as its DIP switches set it (`2`: the first pack);
    /// for an ESPEC controller on RS-485, its address (commands are then prefixed).
    #[schemars(with = "Option<u8>")]
    pub(super) address: Option<Spanned<u8>>,
    /// The last day its calibration is valid, `YYYY-MM-DD` (UTC): past it, runs are
    /// flagged and `cert-precheck` plans refuse it (`bench::calibration`).
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) calibration_due: Option<Spanned<String>>,
    /// Where the instrument is left on every way out of a run.
    #[schemars(with = "Option<RawSafeState>")]
    pub(super) safe_state: Option<Spanned<RawSafeState>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRatings {
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) max_voltage: Option<Spanned<String>>,
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) max_current: Option<Spanned<String>>,
    /// Chambers: the lowest and highest set point the bench may use.
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) min_temperature: Option<Spanned<String>>,
    #[schemars(with = "Option<crate::schema::Scalar>")]
    pub(super) max_temperature: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRelay {
    #[schemars(with = "crate::schema::Scalar")]
    pub(super) board: Spanned<String>,
    /// As the instrument numbers it: Waveshare 1-8, DAQ970A `slot*100+channel`
    /// (`101`), Numato from 0.
    #[schemars(with = "u16")]
    pub(super) channel: Spanned<u16>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawInput {
    #[schemars(with = "crate::schema::Scalar")]
    pub(super) board: Spanned<String>,
    /// Waveshare 1-8, Numato GPIO from 0, DAQ970A a digital port (`301`) with `bit`.
    #[schemars(with = "u16")]
    pub(super) input: Spanned<u16>,
    /// Bit 0-7 of a DAQ970A digital port.
    #[schemars(with = "Option<u8>")]
    pub(super) bit: Option<Spanned<u8>>,
    /// The board reads the contact inverted (normally-closed wiring).
    #[serde(default)]
    pub(super) invert: bool,
}

/// The JSON Schema of a bench file, for `rig schema`.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(RawBench)
}

/// A loaded, checked bench.
#[derive(Clone, Debug)]
pub struct Bench {
    pub name: String,
    pub description: Option<String>,
    pub file: SourceFile,
    pub instruments: BTreeMap<String, InstrumentSpec>,
    pub relays: BTreeMap<String, BoardWire>,
    pub inputs: BTreeMap<String, BoardWire>,
    pub defects: Vec<String>,
    /// Instrument faults for the virtual bench, by sim endpoint.
    pub faults: Vec<rig_sim::InstrumentFault>,
    /// Packs wired in parallel, as `dut: { packs }` declares; `None`: not declared.
    pub packs: Option<u8>,
    /// The twin's DIP switches (`twin: { dip }`, virtual benches only).
    pub twin_dip: Option<rig_sim::DipSettings>,
    /// The twin's firmware description (`twin: { firmware }`); `None`: the DUT
    /// profile's default.
    pub twin_firmware: Option<std::path::PathBuf>,
}

impl Bench {
    pub fn load(path: &Path) -> Result<Bench, Problems> {
        let file = SourceFile::read(path)?;
        Self::parse(file)
    }

    /// The built-in virtual bench.
    pub fn builtin_sim() -> Bench {
        Self::parse(SourceFile::new(
            "<built-in>/benches/sim.yaml",
            BUILTIN_SIM_BENCH,
        ))
        .unwrap_or_else(|e| unreachable!("the built-in sim bench is checked by tests: {e}"))
    }

    pub fn is_virtual(&self) -> bool {
        all_simulated(&self.instruments)
    }

    /// Checks a bench file; every problem is reported, not just the first.
    pub fn parse(file: SourceFile) -> Result<Bench, Problems> {
        let raw: RawBench = crate::input::parse_yaml(&file)?;
        let mut problems = Problems::default();
        let mut instruments = instruments(&file, &raw.instruments, &mut problems);
        let wiring = wiring::check(&file, &raw.relays, &raw.inputs, &instruments, &mut problems);
        safe_states(&file, &raw, &wiring.relays, &mut instruments, &mut problems);
        let is_virtual = all_simulated(&instruments);
        let defects = injection::defects(&file, &raw.defects, is_virtual, &mut problems);
        let faults = injection::faults(&file, &raw.faults, &instruments, &mut problems);
        let installation =
            match installation::parse(&file, raw.dut.as_ref(), raw.twin.as_ref(), is_virtual) {
                Ok(i) => i,
                Err(p) => {
                    problems.extend(p);
                    Default::default()
                }
            };
        if is_virtual {
            problems.extend(installation::twin_answers_the_link(
                &file,
                &raw.instruments,
                &instruments,
                &installation,
            ));
        }
        problems.into_result(Bench {
            name: raw.name,
            description: raw.description,
            file,
            instruments,
            relays: wiring.relays,
            inputs: wiring.inputs,
            defects,
            faults,
            packs: installation.packs,
            twin_dip: installation.dip,
            twin_firmware: installation.firmware,
        })
    }
}

/// A bench whose every instrument is an endpoint of the virtual bench.
fn all_simulated(instruments: &BTreeMap<String, InstrumentSpec>) -> bool {
    instruments
        .values()
        .all(|i| matches!(i.resource, Endpoint::Sim { .. }))
}

/// The instruments that check; the problems of those that do not.
fn instruments(
    file: &SourceFile,
    raw: &BTreeMap<String, Spanned<RawInstrument>>,
    problems: &mut Problems,
) -> BTreeMap<String, InstrumentSpec> {
    let base_dir = file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut instruments = BTreeMap::new();
    for (name, spec) in raw {
        match instrument::check(file, &base_dir, name, &spec.value) {
            Ok(i) => {
                instruments.insert(name.clone(), i);
            }
            Err(p) => problems.extend(p),
        }
    }
    instruments
}

/// Each instrument's safe state, now that the relays it may name are known.
fn safe_states(
    file: &SourceFile,
    raw: &RawBench,
    relays: &BTreeMap<String, BoardWire>,
    instruments: &mut BTreeMap<String, InstrumentSpec>,
    problems: &mut Problems,
) {
    for (name, spec) in &raw.instruments {
        let Some(inst) = instruments.get_mut(name) else {
            continue;
        };
        let cx = SafeStateContext {
            file,
            instrument: name,
            driver: inst.driver,
            max_voltage: inst.max_voltage,
            max_current: inst.max_current,
            temperature: (inst.min_temperature, inst.max_temperature),
            relays,
        };
        match safe_state::resolve(spec.value.safe_state.as_ref(), &cx) {
            Ok(s) => inst.safe_state = s,
            Err(p) => problems.extend(p),
        }
    }
}
