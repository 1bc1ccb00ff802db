//! One instrument of a bench file, checked: its driver and resource, the name plans
//! address it by, its timing and ratings (every instrument's fields), and the fields of
//! its driver's family ([`super::entry`]).

use std::path::Path;

use rig_drivers::can::CanDatabase;
use rig_drivers::scpi::{Dialect, LoadDialect};
use rig_drivers::transport::Endpoint;
use serde_saphyr::Spanned;

use super::calibration::Calibration;
use super::driver::{Driver, Role};
use super::entry::{self, Check, Field};
use super::file::RawInstrument;
use super::literal::quantity;
use super::safe_state::SafeState;
use crate::diag::{Problem, Problems, SourceFile, Span, near_misses};
use crate::quantity::Dim;

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
    /// Its calibration due date, when the bench file gives one.
    pub calibration: Option<Calibration>,
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

/// What an instrument's fields set, as checked so far; the defaults are what a bench
/// file that leaves a field out gets.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    pub dialect: Dialect,
    pub load_dialect: LoadDialect,
    pub channels: u16,
    pub control_loop: u8,
    pub run_event: u8,
    pub address: u8,
    pub address_given: bool,
    pub unit: u8,
    pub dbc: Vec<String>,
    pub poll_s: f64,
    pub timeout_s: f64,
    pub silence_s: f64,
    pub max_voltage: Option<f64>,
    pub max_current: Option<f64>,
    pub min_temperature: Option<f64>,
    pub max_temperature: Option<f64>,
    pub calibration: Option<Calibration>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            dialect: Dialect::Generic,
            load_dialect: LoadDialect::RigolDl3000,
            channels: 8,
            control_loop: 1,
            run_event: 1,
            address: 2,
            address_given: false,
            unit: 1,
            dbc: Vec::new(),
            poll_s: 1.0,
            timeout_s: 2.0,
            silence_s: 3.0,
            max_voltage: None,
            max_current: None,
            min_temperature: None,
            max_temperature: None,
            calibration: None,
        }
    }
}

impl InstrumentSpec {
    fn new(name: &str, driver: Driver, resource: Endpoint, s: Settings) -> Self {
        InstrumentSpec {
            name: name.to_string(),
            driver,
            resource,
            dialect: s.dialect,
            load_dialect: s.load_dialect,
            channels: s.channels,
            control_loop: s.control_loop,
            run_event: s.run_event,
            min_temperature: s.min_temperature,
            max_temperature: s.max_temperature,
            address: s.address,
            address_given: s.address_given,
            unit: s.unit,
            poll_s: s.poll_s,
            timeout_s: s.timeout_s,
            silence_s: s.silence_s,
            max_voltage: s.max_voltage,
            max_current: s.max_current,
            dbc: s.dbc,
            calibration: s.calibration,
            // Resolved once the bench's relays are known.
            safe_state: SafeState::Nothing,
        }
    }
}

/// Checks one instrument; every problem is reported, in a fixed order: driver,
/// resource, name, then by [`Field`].
pub(super) fn check(
    file: &SourceFile,
    base_dir: &Path,
    name: &str,
    raw: &RawInstrument,
) -> Result<InstrumentSpec, Problems> {
    let mut problems = Problems::default();
    let driver = match driver(file, &raw.driver) {
        Ok(d) => Some(d),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    let resource = resource(file, raw, driver, &mut problems);
    if let Some(d) = driver {
        problems.extend(required_name(file, raw, name, d));
    }
    let mut cx = Check::new(file, base_dir, name);
    let mut settings = Settings {
        poll_s: driver.map_or(1.0, |d| entry::family(d).default_poll_s()),
        ..Settings::default()
    };
    timing(raw, &mut cx, &mut settings);
    calibration(raw, &mut cx, &mut settings);
    ratings(raw, driver, &mut cx, &mut settings);
    if let Some(d) = driver {
        entry::family(d).check(d, raw, &mut cx, &mut settings);
    }
    entry::refuse_other_fields(driver, raw, &mut cx);
    problems.extend(cx.into_problems());
    match (driver, resource) {
        (Some(d), Some(r)) if problems.is_empty() => Ok(InstrumentSpec::new(name, d, r, settings)),
        _ => Err(problems),
    }
}

fn at(file: &SourceFile, field: &Spanned<String>) -> Span {
    Span::of_scalar(&field.referenced, &file.text)
}

fn driver(file: &SourceFile, raw: &Spanned<String>) -> Result<Driver, Problem> {
    Driver::parse(&raw.value).ok_or_else(|| {
        let names: Vec<&str> = Driver::ALL.iter().map(|(n, _)| *n).collect();
        let close = near_misses(&raw.value, names.iter().copied());
        Problem::at(
            file,
            at(file, raw),
            format!("unknown driver `{}`", raw.value),
        )
        .help(if close.is_empty() {
            format!("drivers: {}", names.join(", "))
        } else {
            format!("did you mean {}?", close.join(" or "))
        })
    })
}

/// The resource, if it parses; whether it reaches the driver, and whether the virtual
/// bench has the endpoint it names.
fn resource(
    file: &SourceFile,
    raw: &RawInstrument,
    driver: Option<Driver>,
    problems: &mut Problems,
) -> Option<Endpoint> {
    let span = at(file, &raw.resource);
    let resource = match raw.resource.value.parse::<Endpoint>() {
        Ok(r) => r,
        Err(e) => {
            problems.push(Problem::at(file, span, e.to_string()));
            return None;
        }
    };
    match (&resource, driver) {
        (Endpoint::Sim { endpoint }, _) => {
            let known = rig_sim::SimBench::endpoints();
            if !known.contains(&endpoint.as_str()) {
                let names: Vec<String> = known.iter().map(|e| format!("sim:{e}")).collect();
                problems.push(
                    Problem::at(
                        file,
                        span,
                        format!("the virtual bench has no endpoint `{endpoint}`"),
                    )
                    .help(format!("endpoints: {}", names.join(", "))),
                );
            }
        }
        (r, Some(d)) => {
            if let Err(wanted) = entry::family(d).fits(d, r) {
                problems.push(
                    Problem::at(
                        file,
                        span,
                        format!("a `{}` instrument cannot be reached at `{r}`", d.name()),
                    )
                    .help(format!("use {wanted}")),
                );
            }
        }
        (_, None) => {}
    }
    Some(resource)
}

/// Plans address a source as `source`, a CAN link as `bms`, ...
fn required_name(file: &SourceFile, raw: &RawInstrument, name: &str, d: Driver) -> Problems {
    let mut problems = Problems::default();
    if let Some(required) = d.role().required_name()
        && name != required
    {
        problems.push(
            Problem::at(
                file,
                at(file, &raw.driver),
                format!(
                    "a `{}` instrument must be named `{required}`, not `{name}`",
                    d.name()
                ),
            )
            .help(format!("plans address it as `{required}`")),
        );
    }
    problems
}

/// `poll`, `timeout` and `silence`: durations longer than zero and at most the 30 days
/// the engine deals in (issue 13: `timeout: 1e300 s` panicked converting), a poll at
/// least 10 ms (a faster one floods the log).
fn timing(raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings) {
    let longest = crate::clock::MAX_DURATION.as_secs_f64();
    for (field, value, slot, what) in [
        (Field::Poll, &raw.poll, &mut s.poll_s, "`poll`"),
        (Field::Timeout, &raw.timeout, &mut s.timeout_s, "`timeout`"),
        (Field::Silence, &raw.silence, &mut s.silence_s, "`silence`"),
    ] {
        let Some(f) = value else { continue };
        let message = match quantity(cx.file, f, Dim::Time, what) {
            Ok(v) if v.is_nan() || v > longest => format!("{what} must be at most 30 days"),
            Ok(v) if field == Field::Poll && v < 0.01 => format!("{what} must be at least 10 ms"),
            Ok(v) if v > 0.0 => {
                *slot = v;
                continue;
            }
            Ok(_) => format!("{what} must be longer than zero"),
            Err(p) => {
                cx.push(field, p);
                continue;
            }
        };
        let problem = cx.problem(f, message);
        cx.push(field, problem);
    }
}

/// `calibration_due`: a date, `2027-03-31`.
fn calibration(raw: &RawInstrument, cx: &mut Check<'_>, s: &mut Settings) {
    let Some(f) = &raw.calibration_due else {
        return;
    };
    match Calibration::parse(&f.value) {
        Some(c) => s.calibration = Some(c),
        None => {
            let problem = cx.problem(
                f,
                format!(
                    "`calibration_due` must be a date, YYYY-MM-DD (UTC), not `{}`",
                    f.value
                ),
            );
            cx.push(Field::Calibration, problem);
        }
    }
}

/// What the instrument can deliver (a source: `max_voltage`, `max_current`) or stand (a
/// chamber: `min_temperature`, `max_temperature`). A rating the driver's role has no use
/// for is refused, not ignored; a maximum is above zero and a range is not inverted.
fn ratings(raw: &RawInstrument, driver: Option<Driver>, cx: &mut Check<'_>, s: &mut Settings) {
    let Some(r) = &raw.ratings else { return };
    let role = driver.map(Driver::role);
    for (value, slot, dim, what, applies) in [
        (
            &r.min_temperature,
            &mut s.min_temperature,
            Dim::Temperature,
            "min_temperature",
            Role::Chamber,
        ),
        (
            &r.max_temperature,
            &mut s.max_temperature,
            Dim::Temperature,
            "max_temperature",
            Role::Chamber,
        ),
        (
            &r.max_voltage,
            &mut s.max_voltage,
            Dim::Voltage,
            "max_voltage",
            Role::Source,
        ),
        (
            &r.max_current,
            &mut s.max_current,
            Dim::Current,
            "max_current",
            Role::Source,
        ),
    ] {
        let Some(f) = value else { continue };
        if role.is_some_and(|role| role != applies) {
            let name = driver.map_or("?", Driver::name);
            let problem = cx.problem(
                f,
                format!("`ratings.{what}` does not apply to a `{name}` instrument"),
            );
            cx.push(Field::Ratings, problem);
            continue;
        }
        match quantity(cx.file, f, dim, &format!("`{what}`")) {
            Ok(x) if dim != Dim::Temperature && x <= 0.0 => {
                let problem = cx.problem(f, format!("`{what}` must be above zero"));
                cx.push(Field::Ratings, problem);
            }
            Ok(x) => *slot = Some(x),
            Err(p) => cx.push(Field::Ratings, p),
        }
    }
    if let (Some(min), Some(max), Some(f)) =
        (s.min_temperature, s.max_temperature, &r.min_temperature)
        && min > max
    {
        let problem = cx.problem(
            f,
            format!("`min_temperature` {min} degC is above `max_temperature` {max} degC"),
        );
        cx.push(Field::Ratings, problem);
    }
}
