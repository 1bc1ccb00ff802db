//! The bench file format and its checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rig_drivers::can::{CanDatabase, PYLON_LV_DBC};
use rig_drivers::scpi::Dialect;
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
    /// `scpi-source`, `waveshare-relay-d` or `bms-can`.
    driver: Spanned<String>,
    /// Where it is: `sim:source`, `TCPIP::10.0.0.20::5025::SOCKET`, ...
    resource: Spanned<String>,
    /// SCPI dialect of a source (`generic`).
    dialect: Option<Spanned<String>>,
    /// Modbus unit (slave) address of a board.
    unit: Option<Spanned<u8>>,
    /// CAN database: `pylon_lv` (built in) or a path to a `.dbc` file.
    dbc: Option<Spanned<String>>,
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
    /// The pack's RS485 address (ADR), as its DIP switches set it (`2`: the first pack).
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
    channel: Spanned<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    board: Spanned<String>,
    input: Spanned<u8>,
    /// The board reads the contact inverted (normally-closed wiring).
    #[serde(default)]
    invert: bool,
}

/// Instrument drivers a bench may name. One `match` maps names to drivers, so the set
/// is checked when the code compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    ScpiSource,
    WaveshareRelayD,
    BmsCan,
    WatlowF4t,
    PylontechRs485,
}

impl Driver {
    const ALL: &[(&str, Driver)] = &[
        ("scpi-source", Driver::ScpiSource),
        ("waveshare-relay-d", Driver::WaveshareRelayD),
        ("bms-can", Driver::BmsCan),
        ("watlow-f4t", Driver::WatlowF4t),
        ("pylontech-rs485", Driver::PylontechRs485),
    ];

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
    /// A chamber's control loop (1-based) and the event output that runs it.
    pub control_loop: u8,
    pub run_event: u8,
    /// A chamber's temperature range.
    pub min_temperature: Option<f64>,
    pub max_temperature: Option<f64>,
    /// RS485 address (ADR) of the pack.
    pub address: u8,
    pub unit: u8,
    pub poll_s: f64,
    pub timeout_s: f64,
    /// CAN links: no frame for this long means the BMS is offline.
    pub silence_s: f64,
    pub max_voltage: Option<f64>,
    pub max_current: Option<f64>,
    /// DBC text of a CAN instrument.
    pub dbc: Option<String>,
    /// Applied on every way out of a run.
    pub safe_state: SafeState,
}

/// A relay or an input on a board.
#[derive(Clone, Debug)]
pub struct BoardWire {
    pub board: String,
    /// 1-based channel or input number, as printed on the board.
    pub number: u8,
    pub invert: bool,
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
        let boards: Vec<&str> = instruments
            .values()
            .filter(|i| i.driver == Driver::WaveshareRelayD)
            .map(|i| i.name.as_str())
            .collect();
        let wire = |kind: &str,
                    name: &str,
                    board: &Spanned<String>,
                    number: &Spanned<u8>,
                    invert: bool|
         -> Result<BoardWire, Problem> {
            if !boards.contains(&board.value.as_str()) {
                return Err(Problem::at(
                    &file,
                    Span::of_scalar(&board.referenced, &file.text),
                    format!(
                        "{kind} `{name}` is on `{}`, which is not a relay board of this bench",
                        board.value
                    ),
                )
                .help(if boards.is_empty() {
                    "declare a `waveshare-relay-d` instrument".to_string()
                } else {
                    format!("boards: {}", boards.join(", "))
                }));
            }
            if !(1..=8).contains(&number.value) {
                return Err(Problem::at(
                    &file,
                    Span::of_scalar(&number.referenced, &file.text),
                    format!(
                        "{kind} `{name}`: the board has channels 1 to 8, not {}",
                        number.value
                    ),
                ));
            }
            Ok(BoardWire {
                board: board.value.clone(),
                number: number.value,
                invert,
            })
        };
        let mut relays = BTreeMap::new();
        for (name, r) in &raw.relays {
            match wire("relay", name, &r.value.board, &r.value.channel, false) {
                Ok(w) => {
                    relays.insert(name.clone(), w);
                }
                Err(p) => problems.push(p),
            }
        }
        let mut inputs = BTreeMap::new();
        for (name, i) in &raw.inputs {
            match wire(
                "input",
                name,
                &i.value.board,
                &i.value.input,
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
            if kind == rig_sim::FaultKind::Error && inst.driver != Driver::ScpiSource {
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
        problems.into_result(Bench {
            name: raw.name,
            description: raw.description,
            file,
            instruments,
            relays,
            inputs,
            defects,
            faults,
        })
    }
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
    let required_name = match driver {
        Some(Driver::ScpiSource) => Some("source"),
        Some(Driver::BmsCan) => Some("bms"),
        Some(Driver::WatlowF4t) => Some("chamber"),
        Some(Driver::PylontechRs485) => Some("rs485"),
        _ => None,
    };
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
    if let Some(d) = &raw.dialect {
        if driver != Some(Driver::ScpiSource) {
            problems.push(Problem::at(
                file,
                at(d),
                "`dialect` applies to `scpi-source` instruments only",
            ));
        } else {
            match d.value.parse::<Dialect>() {
                Ok(x) => dialect = x,
                Err(_) => problems.push(
                    Problem::at(file, at(d), format!("unknown SCPI dialect `{}`", d.value))
                        .help("dialects: generic, keysight-rp7900, itech-it6000c, ea-psb9000, chroma-62000d"),
                ),
            }
        }
    }
    for (field, what) in [(&raw.control_loop, "loop"), (&raw.run_event, "run_event")] {
        if let Some(f) = field {
            let span = Span::of_scalar(&f.referenced, &file.text);
            if driver != Some(Driver::WatlowF4t) {
                problems.push(Problem::at(
                    file,
                    span,
                    format!("`{what}` applies to chambers only"),
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
        if driver != Some(Driver::PylontechRs485) {
            problems.push(Problem::at(
                file,
                span,
                "`address` applies to `pylontech-rs485` links only",
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
        && !matches!(driver, Some(Driver::WaveshareRelayD | Driver::WatlowF4t))
    {
        problems.push(Problem::at(
            file,
            Span::of_scalar(&unit.referenced, &file.text),
            "`unit` applies to Modbus boards only",
        ));
    }
    let dbc = match (&raw.dbc, driver) {
        (Some(d), Some(Driver::BmsCan)) => match load_dbc(base_dir, &d.value) {
            Ok(text) => Some(text),
            Err(msg) => {
                problems.push(Problem::at(file, at(d), msg).help("`pylon_lv` is built in; other values are paths to `.dbc` files, relative to the bench file"));
                None
            }
        },
        (None, Some(Driver::BmsCan)) => Some(PYLON_LV_DBC.to_string()),
        (Some(d), _) => {
            problems.push(Problem::at(
                file,
                at(d),
                "`dbc` applies to `bms-can` instruments only",
            ));
            None
        }
        (None, _) => None,
    };
    let default_poll = if driver == Some(Driver::WaveshareRelayD) {
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
    if driver == Some(Driver::ScpiSource) && (max_voltage.is_none() || max_current.is_none()) {
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
            control_loop: raw.control_loop.as_ref().map_or(1, |l| l.value),
            run_event: raw.run_event.as_ref().map_or(1, |e| e.value),
            address: raw.address.as_ref().map_or(2, |a| a.value),
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
            | (Driver::ScpiSource, E::TcpSocket { .. } | E::Serial(_))
            | (
                Driver::WaveshareRelayD,
                E::TcpSocket { .. } | E::Serial(_) | E::ModbusRtu { .. }
            )
            | (Driver::BmsCan, E::SocketCan { .. } | E::Socketcand { .. })
            | (
                Driver::WatlowF4t,
                E::ModbusTcp { .. } | E::ModbusRtu { .. } | E::TcpSocket { .. }
            )
            | (Driver::PylontechRs485, E::Serial(_) | E::TcpSocket { .. })
    );
    if ok {
        return Ok(());
    }
    Err(match driver {
        Driver::ScpiSource => {
            "`TCPIP::host::5025::SOCKET` or a serial port (`/dev/ttyUSB0?baud=9600`)"
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
    })
}

fn load_dbc(base_dir: &Path, value: &str) -> Result<String, String> {
    if value == "pylon_lv" {
        return Ok(PYLON_LV_DBC.to_string());
    }
    let path: PathBuf = base_dir.join(value);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the DBC {}: {e}", path.display()))?;
    CanDatabase::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text)
}
