//! The bench file format and its checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rig_drivers::can::{CanDatabase, PYLON_LV_DBC, PYLON_LV_EXTENDED_DBC};
use rig_drivers::relays::DaqChannel;
use rig_drivers::scpi::{Dialect, LoadDialect};
use rig_drivers::transport::Endpoint;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::safe_state::{RawSafeState, SafeState, SafeStateContext};
use crate::diag::{Problem, Problems, SourceFile, Span, near_misses, yaml_problem};
use crate::expr::{self, BoundExpr, Scope, Value};
use crate::quantity::Dim;

/// The built-in virtual bench (`testplans/benches/sim.yaml`, compiled in).
pub const BUILTIN_SIM_BENCH: &str = include_str!("../../../testplans/benches/sim.yaml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBench {
    /// Short name, shown in reports.
    name: String,
    description: Option<String>,
    /// Logical instruments by name. The DC source/sink must be named `source`, the BMS
    /// CAN link `bms`; plans use these names.
    instruments: BTreeMap<String, Spanned<RawInstrument>>,
    /// Relays by the name plans use (`reset_button`), each a channel of a board.
    #[serde(default)]
    relays: BTreeMap<String, Spanned<RawRelay>>,
    /// Digital inputs by the name plans use (`charge_enable` = `dio.charge_enable`).
    #[serde(default)]
    inputs: BTreeMap<String, Spanned<RawInput>>,
    /// Firmware defects to inject into the twin (virtual benches only).
    #[serde(default)]
    defects: Vec<Spanned<String>>,
    /// Instrument faults to inject (virtual benches only):
    /// `- { instrument: source, fault: drop, after: 30 s }`.
    #[serde(default)]
    faults: Vec<Spanned<RawFault>>,
    /// The installation: `{ packs: 3 }` packs wired in parallel (default: one on a real
    /// bench; on a virtual bench, as many as each plan needs).
    dut: Option<super::installation::RawDut>,
    /// The virtual pack's set-up: `{ dip: { baud: 115200, protocol: id1, address: 2 } }`.
    twin: Option<Spanned<super::installation::RawTwin>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    instrument: Spanned<String>,
    /// `drop`, `stall`, `garbage` or `error`.
    fault: Spanned<String>,
    /// When, after the run starts.
    after: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInstrument {
    /// `scpi-source`, `scpi-load`, `waveshare-relay-d`, `keysight-daq970a`,
    /// `numato-relay`, `bms-can`, `pylontech-rs485`, `rs232-console`, `watlow-f4t`,
    /// `watlow-f4` or `espec-p300`.
    driver: Spanned<String>,
    /// Where it is: `sim:source`, `TCPIP::10.0.0.20::5025::SOCKET`, ...
    resource: Spanned<String>,
    /// SCPI dialect of a source (`generic`) or a load (`rigol-dl3000`, `bk-8600`).
    dialect: Option<Spanned<String>>,
    /// Modbus unit (slave) address of a board.
    unit: Option<Spanned<u8>>,
    /// CAN database: `pylon_lv` or `pylon_lv_extended` (built in: the first plus 0x35E,
    /// 0x35A, 0x35F) or a path to a `.dbc` file.
    dbc: Option<Spanned<String>>,
    /// Relays of a Numato module (8 by default; 1 to 32).
    channels: Option<Spanned<u16>>,
    /// How often the runner samples the instrument (`1 s`).
    poll: Option<Spanned<String>>,
    /// Time limit of one exchange (`2 s`).
    timeout: Option<Spanned<String>>,
    /// For a CAN link: how long without a frame before `<name>.online` turns false
    /// (`3 s`, three periods of a BMS that sends every second).
    silence: Option<Spanned<String>>,
    /// What the instrument can deliver; set points beyond it are rejected.
    ratings: Option<RawRatings>,
    /// A chamber's control loop, 1-based (`1`).
    #[serde(rename = "loop")]
    control_loop: Option<Spanned<u8>>,
    /// A chamber's event output wired to its conditioning ("run"), 1 to 8.
    run_event: Option<Spanned<u8>>,
    /// The pack's RS485 address (ADR), as its DIP switches set it (`2`: the first pack);
    /// for an ESPEC controller on RS-485, its address (commands are then prefixed).
    address: Option<Spanned<u8>>,
    /// Where the instrument is left on every way out of a run.
    safe_state: Option<Spanned<RawSafeState>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRatings {
    max_voltage: Option<Spanned<String>>,
    max_current: Option<Spanned<String>>,
    /// Chambers: the lowest and highest set point the bench may use.
    min_temperature: Option<Spanned<String>>,
    max_temperature: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRelay {
    board: Spanned<String>,
    /// As the instrument numbers it: Waveshare 1-8, DAQ970A `slot*100+channel`
    /// (`101`), Numato from 0.
    channel: Spanned<u16>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    board: Spanned<String>,
    /// Waveshare 1-8, Numato GPIO from 0, DAQ970A a digital port (`301`) with `bit`.
    input: Spanned<u16>,
    /// Bit 0-7 of a DAQ970A digital port.
    bit: Option<Spanned<u8>>,
    /// The board reads the contact inverted (normally-closed wiring).
    #[serde(default)]
    invert: bool,
}

/// Instrument drivers a bench may name. One `match` maps names to drivers, so the set
/// is checked when the code compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    ScpiSource,
    ScpiLoad,
    WaveshareRelayD,
    Daq970a,
    NumatoRelay,
    BmsCan,
    WatlowF4t,
    WatlowF4,
    EspecP300,
    PylontechRs485,
    Rs232Console,
}

/// What an instrument is to a plan. Each role has one name plans address it by
/// (boards excepted: relays and inputs name their board).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// DC source/sink or electronic load: `source`.
    Source,
    /// Relays and digital inputs.
    Board,
    /// The BMS's CAN link: `bms`.
    Can,
    /// The BMS's RS485 link: `rs485`.
    Rs485,
    /// The pack's RS232 console port, written to only: `rs232`.
    Rs232,
    /// Thermal chamber: `chamber`.
    Chamber,
}

impl Role {
    /// The instrument name plans use, where the role has one.
    pub fn required_name(self) -> Option<&'static str> {
        match self {
            Role::Source => Some("source"),
            Role::Can => Some("bms"),
            Role::Rs485 => Some("rs485"),
            Role::Rs232 => Some("rs232"),
            Role::Chamber => Some("chamber"),
            Role::Board => None,
        }
    }
}

impl Driver {
    const ALL: &[(&str, Driver)] = &[
        ("scpi-source", Driver::ScpiSource),
        ("scpi-load", Driver::ScpiLoad),
        ("waveshare-relay-d", Driver::WaveshareRelayD),
        ("keysight-daq970a", Driver::Daq970a),
        ("numato-relay", Driver::NumatoRelay),
        ("bms-can", Driver::BmsCan),
        ("watlow-f4t", Driver::WatlowF4t),
        ("watlow-f4", Driver::WatlowF4),
        ("espec-p300", Driver::EspecP300),
        ("pylontech-rs485", Driver::PylontechRs485),
        ("rs232-console", Driver::Rs232Console),
    ];

    pub fn role(self) -> Role {
        match self {
            Driver::ScpiSource | Driver::ScpiLoad => Role::Source,
            Driver::WaveshareRelayD | Driver::Daq970a | Driver::NumatoRelay => Role::Board,
            Driver::BmsCan => Role::Can,
            Driver::PylontechRs485 => Role::Rs485,
            Driver::Rs232Console => Role::Rs232,
            Driver::WatlowF4t | Driver::WatlowF4 | Driver::EspecP300 => Role::Chamber,
        }
    }

    fn parse(name: &str) -> Option<Driver> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, d)| *d == self)
            .map_or("?", |(n, _)| n)
    }
}

/// One checked instrument.
#[derive(Clone, Debug)]
pub struct InstrumentSpec {
    pub name: String,
    pub driver: Driver,
    pub resource: Endpoint,
    /// SCPI dialect of a source.
    pub dialect: Dialect,
    /// Command set of an electronic load.
    pub load_dialect: LoadDialect,
    /// Relays of a Numato module.
    pub channels: u16,
    /// A chamber's control loop (1-based) and the event output that runs it.
    pub control_loop: u8,
    pub run_event: u8,
    /// A chamber's temperature range.
    pub min_temperature: Option<f64>,
    pub max_temperature: Option<f64>,
    /// RS485 address (ADR) of the pack, or of an ESPEC controller on RS-485.
    pub address: u8,
    /// Whether `address` was written (an ESPEC on RS-232/TCP has none).
    pub address_given: bool,
    pub unit: u8,
    pub poll_s: f64,
    pub timeout_s: f64,
    /// CAN links: no frame for this long means the BMS is offline.
    pub silence_s: f64,
    pub max_voltage: Option<f64>,
    pub max_current: Option<f64>,
    /// DBC texts of a CAN instrument, read as one database.
    pub dbc: Vec<String>,
    /// Applied on every way out of a run.
    pub safe_state: SafeState,
}

/// A relay or an input on a board.
#[derive(Clone, Debug)]
pub struct BoardWire {
    pub board: String,
    /// Channel or input number as the instrument numbers it (Waveshare 1-8, DAQ970A
    /// `101`, Numato from 0).
    pub number: u16,
    /// Bit of a DAQ970A digital port.
    pub bit: Option<u8>,
    pub invert: bool,
}

impl InstrumentSpec {
    /// The CAN database of a `bms-can` instrument; `None` for other drivers.
    pub fn database(&self) -> Option<CanDatabase> {
        if self.dbc.is_empty() {
            return None;
        }
        let texts: Vec<&str> = self.dbc.iter().map(String::as_str).collect();
        CanDatabase::parse_all(&texts).ok()
    }
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
}

struct NoNames;

impl Scope for NoNames {
    fn lookup(&self, path: &[String]) -> Result<expr::Binding, (String, Option<String>)> {
        Err((
            format!("`{}`: bench values are literals", path.join(".")),
            None,
        ))
    }
}

/// A literal of the given dimension from a bench field.
pub(super) fn quantity(
    file: &SourceFile,
    field: &Spanned<String>,
    dim: Dim,
    what: &str,
) -> Result<f64, Problem> {
    let span = Span::of_scalar(&field.referenced, &file.text);
    let located = |e: expr::ExprError| {
        let mut p = Problem::at(file, span.slice(e.span.clone()), e.message);
        if let Some(h) = e.help {
            p = p.help(h);
        }
        p
    };
    let parsed = expr::parse(&field.value).map_err(located)?;
    let bound = BoundExpr::bind(&parsed, &NoNames).map_err(located)?;
    match bound.as_const() {
        Some(Value::Num(q)) if q.dim == dim => Ok(q.value),
        Some(other) => Err(Problem::at(
            file,
            span,
            format!("{what} must be {}, found {}", dim.noun(), other.ty().noun()),
        )
        .help(format!("e.g. `{}`", dim.example()))),
        None => Err(Problem::at(file, span, format!("{what} is not a constant"))),
    }
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
        self.instruments
            .values()
            .all(|i| matches!(i.resource, Endpoint::Sim { .. }))
    }

    pub fn parse(file: SourceFile) -> Result<Bench, Problems> {
        let raw: RawBench =
            serde_saphyr::from_str(&file.text).map_err(|e| yaml_problem(&file, &e))?;
        let mut problems = Problems::default();
        let base_dir = file
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut instruments = BTreeMap::new();
        for (name, spec) in &raw.instruments {
            match instrument(&file, &base_dir, name, spec) {
                Ok(i) => {
                    instruments.insert(name.clone(), i);
                }
                Err(p) => problems.extend(p),
            }
        }
        let boards: Vec<&InstrumentSpec> = instruments
            .values()
            .filter(|i| i.driver.role() == Role::Board)
            .collect();
        let wire = |kind: WireKind,
                    name: &str,
                    board: &Spanned<String>,
                    number: &Spanned<u16>,
                    bit: Option<&Spanned<u8>>,
                    invert: bool|
         -> Result<BoardWire, Problem> {
            let Some(spec) = boards.iter().find(|b| b.name == board.value) else {
                let names: Vec<&str> = boards.iter().map(|b| b.name.as_str()).collect();
                return Err(Problem::at(
                    &file,
                    Span::of_scalar(&board.referenced, &file.text),
                    format!(
                        "{kind} `{name}` is on `{}`, which is not a relay board of this bench",
                        board.value
                    ),
                )
                .help(if names.is_empty() {
                    "declare a `waveshare-relay-d`, `keysight-daq970a` or `numato-relay` instrument"
                        .to_string()
                } else {
                    format!("boards: {}", names.join(", "))
                }));
            };
            check_wire(spec, kind, number.value, bit.map(|b| b.value)).map_err(|wrong| {
                let (field, msg) = match wrong {
                    WrongWire::Number(msg) => (&number.referenced, msg),
                    WrongWire::Bit(msg) => (bit.map_or(&number.referenced, |b| &b.referenced), msg),
                };
                Problem::at(
                    &file,
                    Span::of_scalar(field, &file.text),
                    format!("{kind} `{name}`: {msg}"),
                )
            })?;
            Ok(BoardWire {
                board: board.value.clone(),
                number: number.value,
                bit: bit.map(|b| b.value),
                invert,
            })
        };
        let mut relays = BTreeMap::new();
        for (name, r) in &raw.relays {
            match wire(
                WireKind::Relay,
                name,
                &r.value.board,
                &r.value.channel,
                None,
                false,
            ) {
                Ok(w) => {
                    relays.insert(name.clone(), w);
                }
                Err(p) => problems.push(p),
            }
        }
        let mut inputs = BTreeMap::new();
        for (name, i) in &raw.inputs {
            match wire(
                WireKind::Input,
                name,
                &i.value.board,
                &i.value.input,
                i.value.bit.as_ref(),
                i.value.invert,
            ) {
                Ok(w) => {
                    inputs.insert(name.clone(), w);
                }
                Err(p) => problems.push(p),
            }
        }
        for (name, spec) in &raw.instruments {
            let Some(inst) = instruments.get_mut(name) else {
                continue;
            };
            let cx = SafeStateContext {
                file: &file,
                instrument: name,
                driver: inst.driver,
                max_current: inst.max_current,
                relays: &relays,
            };
            match super::safe_state::resolve(spec.value.safe_state.as_ref(), &cx) {
                Ok(s) => inst.safe_state = s,
                Err(p) => problems.extend(p),
            }
        }
        let is_virtual = instruments
            .values()
            .all(|i: &InstrumentSpec| matches!(i.resource, Endpoint::Sim { .. }));
        let known_defects: Vec<String> =
            rig_sim::Defect::ALL.iter().map(|d| d.to_string()).collect();
        let mut defects = Vec::new();
        for d in &raw.defects {
            let span = Span::of_scalar(&d.referenced, &file.text);
            if !is_virtual {
                problems.push(
                    Problem::at(
                        &file,
                        span,
                        "defects can only be injected on a virtual bench",
                    )
                    .help("remove `defects:` or point every resource at `sim:`"),
                );
            } else if d.value.parse::<rig_sim::Defect>().is_err() {
                let close = near_misses(&d.value, known_defects.iter().map(String::as_str));
                problems.push(
                    Problem::at(&file, span, format!("unknown defect `{}`", d.value)).help(
                        if close.is_empty() {
                            format!("`rig sim defects` lists them: {}", known_defects.join(", "))
                        } else {
                            format!("did you mean {}?", close.join(" or "))
                        },
                    ),
                );
            } else {
                defects.push(d.value.clone());
            }
        }
        let mut faults = Vec::new();
        for f in &raw.faults {
            let f = &f.value;
            let at = |field: &Spanned<String>| Span::of_scalar(&field.referenced, &file.text);
            let Some(inst) = instruments.get(&f.instrument.value) else {
                let known: Vec<&str> = instruments.keys().map(String::as_str).collect();
                problems.push(
                    Problem::at(
                        &file,
                        at(&f.instrument),
                        format!(
                            "a fault names `{}`, which is not an instrument of this bench",
                            f.instrument.value
                        ),
                    )
                    .help(format!("instruments: {}", known.join(", "))),
                );
                continue;
            };
            let Endpoint::Sim { endpoint } = &inst.resource else {
                problems.push(
                    Problem::at(
                        &file,
                        at(&f.instrument),
                        "faults can only be injected into simulated instruments",
                    )
                    .help("remove `faults:` or point the instrument at `sim:`"),
                );
                continue;
            };
            let kind = match f.fault.value.parse::<rig_sim::FaultKind>() {
                Ok(k) => k,
                Err(msg) => {
                    problems.push(Problem::at(&file, at(&f.fault), msg));
                    continue;
                }
            };
            if inst.driver == Driver::BmsCan {
                problems.push(Problem::at(&file, at(&f.instrument), "faults apply to byte connections (source, relay board), not to the CAN link").help("to silence the BMS, put it to sleep from the plan"));
                continue;
            }
            if kind == rig_sim::FaultKind::Error
                && !matches!(
                    inst.driver,
                    Driver::ScpiSource | Driver::ScpiLoad | Driver::Daq970a
                )
            {
                problems.push(Problem::at(
                    &file,
                    at(&f.fault),
                    "an `error` fault needs an instrument with an error queue (SCPI)",
                ));
                continue;
            }
            match quantity(&file, &f.after, Dim::Time, "`after`") {
                Ok(after_s) if after_s >= 0.0 => faults.push(rig_sim::InstrumentFault {
                    endpoint: endpoint.clone(),
                    kind,
                    after_s,
                }),
                Ok(_) => problems.push(Problem::at(
                    &file,
                    at(&f.after),
                    "`after` cannot be negative",
                )),
                Err(p) => problems.push(p),
            }
        }
        let installation = match super::installation::parse(
            &file,
            raw.dut.as_ref(),
            raw.twin.as_ref(),
            is_virtual,
        ) {
            Ok(i) => i,
            Err(p) => {
                problems.extend(p);
                Default::default()
            }
        };
        if is_virtual {
            problems.extend(twin_answers_the_link(
                &file,
                &raw,
                &instruments,
                &installation,
            ));
        }
        problems.into_result(Bench {
            name: raw.name,
            description: raw.description,
            file,
            instruments,
            relays,
            inputs,
            defects,
            faults,
            packs: installation.packs,
            twin_dip: installation.dip,
        })
    }
}

/// On a virtual bench the RS485 link must poll the address the twin's DIP switches set
/// (2 by default, Lesso 3.2 automatic addressing), or every poll would go unanswered.
fn twin_answers_the_link(
    file: &SourceFile,
    raw: &RawBench,
    instruments: &BTreeMap<String, InstrumentSpec>,
    installation: &super::installation::Installation,
) -> Problems {
    let mut problems = Problems::default();
    let twin = installation
        .dip
        .map_or(rig_sim::MASTER_ADDRESS, |d| d.rs485_address);
    for link in instruments
        .values()
        .filter(|i| i.driver == Driver::PylontechRs485)
    {
        if link.address == twin {
            continue;
        }
        let written = raw
            .instruments
            .get(&link.name)
            .and_then(|i| i.value.address.as_ref())
            .map(|a| Span::of_scalar(&a.referenced, &file.text));
        let message = format!(
            "`{}` polls RS485 address {}, but the twin answers at {twin}",
            link.name, link.address
        );
        let help = if installation.dip_address_at.is_some() {
            "make `address:` of the link and `twin: dip: address:` agree"
        } else {
            "the twin's address is 2 unless `twin: { dip: { address: N } }` sets it"
        };
        problems.push(
            match written.or(installation.dip_address_at) {
                Some(span) => Problem::at(file, span, message),
                None => Problem::in_file(file, message),
            }
            .help(help),
        );
    }
    problems
}

fn instrument(
    file: &SourceFile,
    base_dir: &Path,
    name: &str,
    spec: &Spanned<RawInstrument>,
) -> Result<InstrumentSpec, Problems> {
    let raw = &spec.value;
    let mut problems = Problems::default();
    let at = |field: &Spanned<String>| Span::of_scalar(&field.referenced, &file.text);
    let driver = match Driver::parse(&raw.driver.value) {
        Some(d) => Some(d),
        None => {
            let names: Vec<&str> = Driver::ALL.iter().map(|(n, _)| *n).collect();
            let close = near_misses(&raw.driver.value, names.iter().copied());
            problems.push(
                Problem::at(
                    file,
                    at(&raw.driver),
                    format!("unknown driver `{}`", raw.driver.value),
                )
                .help(if close.is_empty() {
                    format!("drivers: {}", names.join(", "))
                } else {
                    format!("did you mean {}?", close.join(" or "))
                }),
            );
            None
        }
    };
    let resource = match raw.resource.value.parse::<Endpoint>() {
        Ok(r) => Some(r),
        Err(e) => {
            problems.push(Problem::at(file, at(&raw.resource), e.to_string()));
            None
        }
    };
    if let (Some(d), Some(r)) = (driver, &resource)
        && let Err(wanted) = fits(d, r)
    {
        problems.push(
            Problem::at(
                file,
                at(&raw.resource),
                format!("a `{}` instrument cannot be reached at `{r}`", d.name()),
            )
            .help(format!("use {wanted}")),
        );
    }
    if let Some(Endpoint::Sim { endpoint }) = &resource {
        let known = rig_sim::SimBench::endpoints();
        if !known.contains(&endpoint.as_str()) {
            problems.push(
                Problem::at(
                    file,
                    at(&raw.resource),
                    format!("the virtual bench has no endpoint `{endpoint}`"),
                )
                .help(format!(
                    "endpoints: {}",
                    known
                        .iter()
                        .map(|e| format!("sim:{e}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    let required_name = driver.and_then(|d| d.role().required_name());
    if let (Some(required), Some(d)) = (required_name, driver)
        && name != required
    {
        problems.push(
            Problem::at(
                file,
                at(&raw.driver),
                format!(
                    "a `{}` instrument must be named `{required}`, not `{name}`",
                    d.name()
                ),
            )
            .help(format!("plans address it as `{required}`")),
        );
    }
    let mut dialect = Dialect::Generic;
    let mut load_dialect = LoadDialect::RigolDl3000;
    match (&raw.dialect, driver) {
        (Some(d), Some(Driver::ScpiSource)) => match d.value.parse::<Dialect>() {
            Ok(x) => dialect = x,
            Err(_) => problems.push(
                Problem::at(file, at(d), format!("unknown SCPI dialect `{}`", d.value)).help(
                    "dialects: generic, keysight-rp7900, itech-it6000c, ea-psb9000, chroma-62000d",
                ),
            ),
        },
        (Some(d), Some(Driver::ScpiLoad)) => match d.value.parse::<LoadDialect>() {
            Ok(x) => load_dialect = x,
            Err(_) => problems.push(
                Problem::at(file, at(d), format!("unknown load dialect `{}`", d.value))
                    .help("load dialects: rigol-dl3000, bk-8600"),
            ),
        },
        (None, Some(Driver::ScpiLoad)) => problems.push(
            Problem::at(file, at(&raw.driver), "a `scpi-load` needs its `dialect`")
                .help("`dialect: rigol-dl3000` or `dialect: bk-8600`"),
        ),
        (Some(d), _) => problems.push(Problem::at(
            file,
            at(d),
            "`dialect` applies to `scpi-source` and `scpi-load` instruments only",
        )),
        (None, _) => {}
    }
    for (field, what, drivers) in [
        (&raw.control_loop, "loop", &[Driver::WatlowF4t][..]),
        (
            &raw.run_event,
            "run_event",
            &[Driver::WatlowF4t, Driver::WatlowF4][..],
        ),
    ] {
        if let Some(f) = field {
            let span = Span::of_scalar(&f.referenced, &file.text);
            if !driver.is_some_and(|d| drivers.contains(&d)) {
                problems.push(Problem::at(
                    file,
                    span,
                    format!("`{what}` applies to Watlow chambers only"),
                ));
            } else if !(1..=8).contains(&f.value) {
                problems.push(Problem::at(
                    file,
                    span,
                    format!("`{what}` is 1 to 8, not {}", f.value),
                ));
            }
        }
    }
    if let Some(a) = &raw.address {
        let span = Span::of_scalar(&a.referenced, &file.text);
        if driver == Some(Driver::EspecP300) {
            // An ESPEC controller on an RS-485 bus: the address prefixes commands.
        } else if driver != Some(Driver::PylontechRs485) {
            problems.push(Problem::at(
                file,
                span,
                "`address` applies to `pylontech-rs485` links and ESPEC controllers only",
            ));
        } else if a.value == 0 || a.value == 255 {
            problems.push(Problem::at(
                file,
                span,
                "RS485 addresses 0 and 255 are reserved (protocols.md 2.2)",
            ));
        }
    }
    if let Some(unit) = &raw.unit
        && !matches!(
            driver,
            Some(Driver::WaveshareRelayD | Driver::WatlowF4t | Driver::WatlowF4)
        )
    {
        problems.push(Problem::at(
            file,
            Span::of_scalar(&unit.referenced, &file.text),
            "`unit` applies to Modbus instruments only",
        ));
    }
    let mut channels = 8;
    if let Some(c) = &raw.channels {
        let span = Span::of_scalar(&c.referenced, &file.text);
        if driver != Some(Driver::NumatoRelay) {
            problems.push(Problem::at(
                file,
                span,
                "`channels` applies to `numato-relay` modules only",
            ));
        } else if !(1..=32).contains(&c.value) {
            problems.push(Problem::at(
                file,
                span,
                format!("Numato modules have 1 to 32 relays, not {}", c.value),
            ));
        } else {
            channels = c.value;
        }
    }
    let dbc = match (&raw.dbc, driver) {
        (Some(d), Some(Driver::BmsCan)) => match load_dbc(base_dir, &d.value) {
            Ok(texts) => texts,
            Err(msg) => {
                problems.push(Problem::at(file, at(d), msg).help("`pylon_lv` and `pylon_lv_extended` are built in; other values are paths to `.dbc` files, relative to the bench file"));
                Vec::new()
            }
        },
        (None, Some(Driver::BmsCan)) => vec![PYLON_LV_DBC.to_string()],
        (Some(d), _) => {
            problems.push(Problem::at(
                file,
                at(d),
                "`dbc` applies to `bms-can` instruments only",
            ));
            Vec::new()
        }
        (None, _) => Vec::new(),
    };
    let default_poll = if driver.is_some_and(|d| d.role() == Role::Board) {
        0.25
    } else {
        1.0
    };
    let mut duration = |field: &Option<Spanned<String>>, default: f64, what: &str| -> f64 {
        match field {
            None => default,
            Some(f) => match quantity(file, f, Dim::Time, what) {
                Ok(v) if v > 0.0 => v,
                Ok(_) => {
                    problems.push(Problem::at(
                        file,
                        at(f),
                        format!("{what} must be longer than zero"),
                    ));
                    default
                }
                Err(p) => {
                    problems.push(p);
                    default
                }
            },
        }
    };
    let poll_s = duration(&raw.poll, default_poll, "`poll`");
    let timeout_s = duration(&raw.timeout, 2.0, "`timeout`");
    let silence_s = duration(&raw.silence, 3.0, "`silence`");
    if let Some(silence) = &raw.silence
        && driver != Some(Driver::BmsCan)
    {
        problems.push(Problem::at(
            file,
            at(silence),
            "`silence` applies to `bms-can` instruments only",
        ));
    }
    let mut max_voltage = None;
    let mut max_current = None;
    let mut min_temperature = None;
    let mut max_temperature = None;
    if let Some(r) = &raw.ratings {
        for (field, slot, what) in [
            (
                &r.min_temperature,
                &mut min_temperature,
                "`min_temperature`",
            ),
            (
                &r.max_temperature,
                &mut max_temperature,
                "`max_temperature`",
            ),
        ] {
            if let Some(t) = field {
                match quantity(file, t, Dim::Temperature, what) {
                    Ok(x) => *slot = Some(x),
                    Err(p) => problems.push(p),
                }
            }
        }
        if let Some(v) = &r.max_voltage {
            match quantity(file, v, Dim::Voltage, "`max_voltage`") {
                Ok(x) => max_voltage = Some(x),
                Err(p) => problems.push(p),
            }
        }
        if let Some(c) = &r.max_current {
            match quantity(file, c, Dim::Current, "`max_current`") {
                Ok(x) => max_current = Some(x),
                Err(p) => problems.push(p),
            }
        }
    }
    if driver.is_some_and(|d| d.role() == Role::Source)
        && (max_voltage.is_none() || max_current.is_none())
    {
        problems.push(
            Problem::at(
                file,
                at(&raw.driver),
                format!("the source `{name}` needs `ratings: {{ max_voltage, max_current }}`"),
            )
            .help("set points are checked against them before anything is connected"),
        );
    }
    match (driver, resource) {
        (Some(driver), Some(resource)) if problems.is_empty() => Ok(InstrumentSpec {
            name: name.to_string(),
            driver,
            resource,
            unit: raw.unit.as_ref().map_or(1, |u| u.value),
            dialect,
            load_dialect,
            channels,
            control_loop: raw.control_loop.as_ref().map_or(1, |l| l.value),
            run_event: raw.run_event.as_ref().map_or(1, |e| e.value),
            address: raw.address.as_ref().map_or(2, |a| a.value),
            address_given: raw.address.is_some(),
            min_temperature,
            max_temperature,
            poll_s,
            timeout_s,
            silence_s,
            max_voltage,
            max_current,
            dbc,
            safe_state: SafeState::Nothing,
        }),
        _ => Err(problems),
    }
}

/// Which resources reach which driver; `Err` says what would.
fn fits(driver: Driver, resource: &Endpoint) -> Result<(), &'static str> {
    use Endpoint as E;
    let ok = matches!(
        (driver, resource),
        (_, E::Sim { .. })
            | (
                Driver::ScpiSource | Driver::ScpiLoad | Driver::Daq970a,
                E::TcpSocket { .. } | E::Serial(_)
            )
            | (
                Driver::NumatoRelay | Driver::EspecP300,
                E::Serial(_) | E::TcpSocket { .. }
            )
            | (Driver::WatlowF4, E::ModbusRtu { .. } | E::TcpSocket { .. })
            | (
                Driver::WaveshareRelayD,
                E::TcpSocket { .. } | E::Serial(_) | E::ModbusRtu { .. }
            )
            | (Driver::BmsCan, E::SocketCan { .. } | E::Socketcand { .. })
            | (
                Driver::WatlowF4t,
                E::ModbusTcp { .. } | E::ModbusRtu { .. } | E::TcpSocket { .. }
            )
            | (
                Driver::PylontechRs485 | Driver::Rs232Console,
                E::Serial(_) | E::TcpSocket { .. }
            )
    );
    if ok {
        return Ok(());
    }
    Err(match driver {
        Driver::ScpiSource | Driver::ScpiLoad | Driver::Daq970a => {
            "`TCPIP::host::5025::SOCKET` or a serial port (`/dev/ttyUSB0?baud=9600`)"
        }
        Driver::NumatoRelay => "its USB serial port (`/dev/ttyACM0?baud=19200`)",
        Driver::EspecP300 => {
            "a serial port (`/dev/ttyUSB1?baud=9600`) or a serial-to-TCP forwarder (`TCPIP::host::10001::SOCKET`)"
        }
        Driver::WatlowF4 => {
            "`modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1` or an RS485-to-TCP gateway (`TCPIP::host::4196::SOCKET`)"
        }
        Driver::WaveshareRelayD => {
            "an RS485 port (`modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1`) or an RS485-to-TCP gateway (`TCPIP::host::4196::SOCKET`)"
        }
        Driver::BmsCan => "`socketcan:can0` or `socketcand://host:29536/can0`",
        Driver::WatlowF4t => {
            "`modbus-tcp://host:502?unit=1` or `modbus-rtu:/dev/ttyUSB0?baud=9600&unit=1`"
        }
        Driver::PylontechRs485 => {
            "an RS485 port (`/dev/ttyUSB2?baud=9600`) or an RS485-to-TCP gateway (`TCPIP::host::4196::SOCKET`)"
        }
        Driver::Rs232Console => {
            "a serial port (`/dev/ttyUSB4?baud=9600`) or a serial-to-TCP forwarder (`TCPIP::host::10002::SOCKET`)"
        }
    })
}

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
    let path: PathBuf = base_dir.join(value);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the DBC {}: {e}", path.display()))?;
    CanDatabase::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(vec![text])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WireKind {
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
enum WrongWire {
    Number(String),
    Bit(String),
}

/// Whether a relay channel or an input exists on the board, numbered as the
/// instrument numbers it; `Err` says what does.
fn check_wire(
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
