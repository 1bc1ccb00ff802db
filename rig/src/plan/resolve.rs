//! From the raw plan to the resolved plan: bind names, check units, unroll repeats, and
//! check every set point against the envelope (DUT profile limits and bench ratings).
//! All problems are collected; the plan is rejected before any instrument is touched.

use serde_saphyr::Spanned;

use super::model::{
    Action, EnvelopeLimits, Expectation, Location, Plan, RelayOp, SourceSettings, Step, Window,
    content_hash,
};
use super::raw::{
    RawChamber, RawExpectation, RawInverter, RawPlan, RawRelay, RawRs232, RawRs485, RawSource,
    RawStep,
};
use crate::bench::{Bench, Channels, Driver, Role};
use crate::diag::{Problem, Problems, SourceFile, Span, near_misses};
use crate::dut::{DutProfile, Provenance};
use crate::expr::{self, Binding, BoundExpr, Scope, Type, Value};
use crate::quantity::{Dim, Quantity, format_duration};

/// Most iterations one `repeat:` may have; more is surely a typo.
const MAX_REPEAT: u32 = 10_000;

/// A limit of the envelope and why it is there.
#[derive(Clone, Debug)]
struct Limit {
    value: f64,
    why: String,
}

/// What the rig may ever apply to the pack: the tighter of the DUT's limits and the
/// bench source's ratings.
#[derive(Clone, Debug, Default)]
struct Envelope {
    max_voltage: Option<Limit>,
    min_voltage: Option<Limit>,
    max_charge: Option<Limit>,
    max_discharge: Option<Limit>,
}

fn tighter(a: Option<Limit>, b: Option<Limit>, lower_is_tighter: bool) -> Option<Limit> {
    match (a, b) {
        (Some(a), Some(b)) => {
            if (a.value <= b.value) == lower_is_tighter {
                Some(a)
            } else {
                Some(b)
            }
        }
        (a, b) => a.or(b),
    }
}

fn dut_limit(dut: &DutProfile, path: &str) -> Option<Limit> {
    let v = dut.get(path)?;
    let Value::Num(q) = v.value else { return None };
    let why = match &v.provenance {
        Provenance::Manual(s) => format!("dut.{path}, {s}"),
        Provenance::Assumption(a) => format!("dut.{path}, an assumption: {a}"),
    };
    Some(Limit {
        value: q.value,
        why,
    })
}

impl Envelope {
    fn of(dut: &DutProfile, bench: &Bench) -> Envelope {
        let source = bench
            .instruments
            .values()
            .find(|i| i.driver.role() == Role::Source);
        let bench_v = source.and_then(|s| s.max_voltage).map(|v| Limit {
            value: v,
            why: format!(
                "the rating of the bench's source in {}",
                bench.file.path.display()
            ),
        });
        let bench_i = source.and_then(|s| s.max_current).map(|v| Limit {
            value: v,
            why: format!(
                "the rating of the bench's source in {}",
                bench.file.path.display()
            ),
        });
        // An electronic load sinks only: nothing may charge the pack on its bench.
        let bench_charge = match source {
            Some(s) if s.driver == Driver::ScpiLoad => Some(Limit {
                value: 0.0,
                why: format!(
                    "the bench's `{}`, an electronic load that cannot charge ({})",
                    s.name,
                    bench.file.path.display()
                ),
            }),
            _ => bench_i.clone(),
        };
        Envelope {
            max_voltage: tighter(dut_limit(dut, "limits.max_voltage"), bench_v, true),
            min_voltage: dut_limit(dut, "limits.min_voltage"),
            max_charge: tighter(
                dut_limit(dut, "limits.max_charge_current"),
                bench_charge,
                true,
            ),
            max_discharge: tighter(
                dut_limit(dut, "limits.max_discharge_current"),
                bench_i,
                true,
            ),
        }
    }
}

/// Names a plan may use: `dut.*`, repeat indices, channels.
struct PlanScope<'a> {
    dut: &'a DutProfile,
    channels: &'a Channels,
    vars: &'a [(String, u32)],
}

impl Scope for PlanScope<'_> {
    fn lookup(&self, path: &[String]) -> Result<Binding, (String, Option<String>)> {
        if path.first().map(String::as_str) == Some("dut") {
            let rest = path[1..].join(".");
            return match self.dut.get(&rest) {
                Some(v) => Ok(Binding::Constant(v.value)),
                None => Err(self.dut.unknown(&rest)),
            };
        }
        if let [single] = path
            && let Some((_, v)) = self.vars.iter().rev().find(|(n, _)| n == single)
        {
            return Ok(Binding::Constant(Value::Num(Quantity::new(
                f64::from(*v),
                Dim::Number,
            ))));
        }
        let name = path.join(".");
        if let Some((id, spec)) = self.channels.find(&name) {
            return Ok(Binding::Channel { id, ty: spec.ty });
        }
        let prefix = path[0].as_str();
        let instruments: Vec<&str> = {
            let mut v: Vec<&str> = self
                .channels
                .names()
                .filter_map(|n| n.split('.').next())
                .collect();
            v.dedup();
            v
        };
        if !instruments.contains(&prefix) && path.len() > 1 {
            let close = near_misses(prefix, instruments.iter().copied());
            return Err((
                format!("unknown instrument `{prefix}`"),
                Some(if close.is_empty() {
                    format!(
                        "the bench has: {}, and `dut.*` for profile values",
                        instruments.join(", ")
                    )
                } else {
                    format!("did you mean `{}`?", close[0])
                }),
            ));
        }
        let close = near_misses(&name, self.channels.names());
        let help = if !close.is_empty() {
            format!(
                "did you mean {}?",
                close
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        } else if path.len() == 1 {
            let vars: Vec<&str> = self.vars.iter().map(|(n, _)| n.as_str()).collect();
            if vars.is_empty() {
                "names are channels (`bms.soc`), profile values (`dut.cocp.trip_current`) or a repeat index named by `as:`".into()
            } else {
                format!("repeat indices here: {}", vars.join(", "))
            }
        } else {
            let of: Vec<&str> = self
                .channels
                .names()
                .filter(|n| n.starts_with(&format!("{prefix}.")))
                .collect();
            format!("`{prefix}` has: {}", of.join(", "))
        };
        Err((format!("unknown channel `{name}`"), Some(help)))
    }
}

struct Resolver<'a> {
    file: &'a SourceFile,
    dut: &'a DutProfile,
    bench: &'a Bench,
    channels: Channels,
    envelope: Envelope,
    problems: Problems,
    steps: Vec<Step>,
    /// Source settings made so far, to refuse `output: on` before the set points exist.
    voltage_set: bool,
    current_limit_set: bool,
    sink_limit_set: bool,
}

/// Load and check a plan against a bench. The DUT profile is found from the plan's
/// `dut:` (see [`crate::dut::find_profile`]).
pub fn load_plan(path: &std::path::Path, bench: &Bench) -> Result<Plan, Problems> {
    let file = SourceFile::read(path)?;
    let raw: RawPlan =
        serde_saphyr::from_str(&file.text).map_err(|e| crate::diag::yaml_problem(&file, &e))?;
    let dut_span = Span::of_scalar(&raw.dut.referenced, &file.text);
    let dut = match crate::dut::find_profile(path, &raw.dut.value) {
        Ok(p) => DutProfile::load(&p)?,
        Err(known) => {
            let close = near_misses(&raw.dut.value, known.iter().map(String::as_str));
            return Err(Problem::at(
                &file,
                dut_span,
                format!("no DUT profile `{}`", raw.dut.value),
            )
            .help(if !close.is_empty() {
                format!("did you mean `{}`?", close[0])
            } else if known.is_empty() {
                "profiles live in a `duts/` folder beside the plan or above it".to_string()
            } else {
                format!("profiles: {}", known.join(", "))
            })
            .into());
        }
    };
    resolve(raw, file, dut, bench)
}

fn resolve(
    raw: RawPlan,
    file: SourceFile,
    dut: DutProfile,
    bench: &Bench,
) -> Result<Plan, Problems> {
    let mut problems = Problems::default();
    let rs485 = bench
        .instruments
        .values()
        .find(|i| i.driver.role() == Role::Rs485)
        .map(|i| (i.name.as_str(), i.address));
    let packs = match super::requires::packs(raw.requires.as_ref(), &file, &dut, rs485) {
        Ok(n) => n,
        Err(p) => {
            problems.push(p);
            1
        }
    };
    let mut r = Resolver {
        file: &file,
        dut: &dut,
        bench,
        channels: Channels::of(bench, packs),
        envelope: Envelope::of(&dut, bench),
        problems,
        steps: Vec::new(),
        voltage_set: false,
        current_limit_set: false,
        sink_limit_set: false,
    };
    let id_ok = !raw.id.value.is_empty()
        && raw
            .id
            .value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !id_ok {
        r.problems.push(
            Problem::at(
                &file,
                Span::of_scalar(&raw.id.referenced, &file.text),
                format!("plan id `{}` is not a plain name", raw.id.value),
            )
            .help("use letters, digits, `_` and `-`, e.g. `cocp_lockout`"),
        );
    }
    if bench
        .instruments
        .values()
        .any(|i| i.driver.role() == Role::Source)
    {
        for path in [
            "limits.max_voltage",
            "limits.min_voltage",
            "limits.max_charge_current",
            "limits.max_discharge_current",
        ] {
            if dut.get(path).is_none() {
                r.problems.push(
                    Problem::in_file(
                        &dut.file,
                        format!("the profile has no `{path}`, so set points cannot be checked"),
                    )
                    .help(
                        "add the DUT's limits under `values: limits:` with their manual sections",
                    ),
                );
            }
        }
    }
    let timeout_s = r.duration(&raw.timeout, &[], "`timeout`");
    let mut poll_s = std::collections::BTreeMap::new();
    for (name, period) in &raw.poll {
        let polled = bench
            .instruments
            .get(name)
            .filter(|i| i.driver.role() != Role::Can);
        if polled.is_none() {
            let known: Vec<&str> = bench
                .instruments
                .values()
                .filter(|i| i.driver.role() != Role::Can)
                .map(|i| i.name.as_str())
                .collect();
            r.problems.push(
                Problem::at(
                    &file,
                    r.span(period),
                    format!("`poll` names `{name}`, which is not a polled instrument of the bench"),
                )
                .help(format!("polled instruments: {}", known.join(", "))),
            );
        } else if let Some(s) = r.duration(period, &[], "a poll period") {
            poll_s.insert(name.clone(), s);
        }
    }
    if raw.steps.is_empty() {
        r.problems
            .push(Problem::in_file(&file, "the plan has no steps"));
    }
    r.steps_of(&raw.steps, &[]);
    let envelope = EnvelopeLimits {
        max_voltage: r.envelope.max_voltage.as_ref().map(|l| l.value),
        min_voltage: r.envelope.min_voltage.as_ref().map(|l| l.value),
        max_charge_a: r.envelope.max_charge.as_ref().map(|l| l.value),
        max_discharge_a: r.envelope.max_discharge.as_ref().map(|l| l.value),
        min_temperature_c: dut.number("limits.min_temperature"),
        max_temperature_c: dut.number("limits.max_temperature"),
    };
    let Resolver {
        problems, steps, ..
    } = r;
    let content_hash = content_hash(&file.text);
    problems.into_result(Plan {
        id: raw.id.value,
        title: raw.title,
        tags: raw.tags,
        description: raw.description,
        dut,
        packs,
        timeout_s: timeout_s.unwrap_or(0.0),
        steps,
        content_hash,
        envelope,
        poll_s,
        file,
    })
}

impl Resolver<'_> {
    fn span(&self, field: &Spanned<String>) -> Span {
        Span::of_scalar(&field.referenced, &self.file.text)
    }

    fn location<T>(&self, node: &Spanned<T>) -> Location {
        Location {
            file: self.file.path.display().to_string(),
            line: node.referenced.line() as usize,
            column: node.referenced.column() as usize,
        }
    }

    fn expr_problem(&self, span: Span, e: expr::ExprError) -> Problem {
        let p = Problem::at(self.file, span.slice(e.span), e.message);
        match e.help {
            Some(h) => p.help(h),
            None => p,
        }
    }

    /// Parse and bind an expression; problems are recorded.
    fn bind(&mut self, field: &Spanned<String>, vars: &[(String, u32)]) -> Option<BoundExpr> {
        let span = self.span(field);
        let parsed = match expr::parse(&field.value) {
            Ok(p) => p,
            Err(e) => {
                let p = self.expr_problem(span, e);
                self.problems.push(p);
                return None;
            }
        };
        let scope = PlanScope {
            dut: self.dut,
            channels: &self.channels,
            vars,
        };
        match BoundExpr::bind(&parsed, &scope) {
            Ok(b) => Some(b),
            Err(e) => {
                let p = self.expr_problem(span, e);
                self.problems.push(p);
                None
            }
        }
    }

    /// A constant of the given dimension, known before the run.
    fn constant(
        &mut self,
        field: &Spanned<String>,
        vars: &[(String, u32)],
        dim: Dim,
        what: &str,
    ) -> Option<f64> {
        let bound = self.bind(field, vars)?;
        let span = self.span(field);
        match (bound.as_const(), bound.ty) {
            (Some(Value::Num(q)), Type::Num(d)) if d == dim => Some(q.value),
            (_, Type::Num(Dim::Number)) if dim != Dim::Number => {
                self.problems.push(
                    Problem::at(self.file, span, format!("{what} needs a unit"))
                        .label(format!("{} without a unit", field.value))
                        .help(format!(
                            "{what} is {}, e.g. `{}`",
                            dim.noun(),
                            dim.example()
                        )),
                );
                None
            }
            (None, _) => {
                self.problems.push(
                    Problem::at(self.file, span, format!("{what} must be known before the run"))
                        .help("set points may use numbers, `dut.*` values and repeat indices, not channels"),
                );
                None
            }
            (_, ty) => {
                self.problems.push(
                    Problem::at(
                        self.file,
                        span,
                        format!("{what} must be {}, not {}", dim.noun(), ty.noun()),
                    )
                    .label(format!("this is {}", ty.noun()))
                    .help(format!("e.g. `{}`", dim.example())),
                );
                None
            }
        }
    }

    /// A duration without reporting problems (they are reported where the field is used).
    fn quiet_duration(&self, field: &Spanned<String>, vars: &[(String, u32)]) -> Option<f64> {
        let parsed = expr::parse(&field.value).ok()?;
        let scope = PlanScope {
            dut: self.dut,
            channels: &self.channels,
            vars,
        };
        match BoundExpr::bind(&parsed, &scope).ok()?.as_const()? {
            Value::Num(q) if q.dim == Dim::Time => Some(q.value),
            _ => None,
        }
    }

    fn duration(
        &mut self,
        field: &Spanned<String>,
        vars: &[(String, u32)],
        what: &str,
    ) -> Option<f64> {
        let s = self.constant(field, vars, Dim::Time, what)?;
        if s <= 0.0 {
            let span = self.span(field);
            self.problems.push(Problem::at(
                self.file,
                span,
                format!("{what} must be longer than zero"),
            ));
            return None;
        }
        Some(s)
    }

    fn steps_of(&mut self, raw: &[Spanned<RawStep>], vars: &[(String, u32)]) {
        for step in raw {
            if step.value.repeat.is_some() || step.value.steps.is_some() {
                self.group(step, vars);
            } else {
                self.step(step, vars);
            }
        }
    }

    fn group(&mut self, node: &Spanned<RawStep>, vars: &[(String, u32)]) {
        let raw = &node.value;
        let loc = self.location(node);
        let at = Span::new(
            node.referenced.span().byte_offset().unwrap_or(0) as usize,
            1,
        );
        let Some(repeat) = &raw.repeat else {
            self.problems.push(
                Problem::at(self.file, at, "nested `steps:` need `repeat:`")
                    .help("write `repeat: 3` (and `as: trip` to name the index)"),
            );
            return;
        };
        let mut extra = Vec::new();
        if raw.source.is_some() {
            extra.push("source");
        }
        if raw.relay.is_some() {
            extra.push("relay");
        }
        if raw.chamber.is_some() {
            extra.push("chamber");
        }
        if raw.inverter.is_some() {
            extra.push("inverter");
        }
        if raw.rs485.is_some() {
            extra.push("rs485");
        }
        if raw.rs232.is_some() {
            extra.push("rs232");
        }
        if raw.wait.is_some() {
            extra.push("wait");
        }
        if !raw.expect.is_empty() {
            extra.push("expect");
        }
        if !extra.is_empty() {
            self.problems.push(
                Problem::at(
                    self.file,
                    at,
                    format!(
                        "a `repeat:` group holds only `name`, `repeat`, `as` and `steps`, not {}",
                        extra.join(", ")
                    ),
                )
                .help("move the actions into a step inside `steps:`"),
            );
        }
        let count = repeat.value;
        if count == 0 || count > MAX_REPEAT {
            self.problems.push(Problem::at(
                self.file,
                Span::new(
                    repeat.referenced.span().byte_offset().unwrap_or(0) as usize,
                    1,
                ),
                format!("`repeat: {count}` must be between 1 and {MAX_REPEAT}"),
            ));
            return;
        }
        let inner = match &raw.steps {
            Some(s) if !s.is_empty() => s,
            _ => {
                self.problems.push(Problem::at(
                    self.file,
                    at,
                    "`repeat:` needs `steps:` to repeat",
                ));
                return;
            }
        };
        let var = match &raw.index {
            None => None,
            Some(name) => {
                let span = self.span(name);
                let valid = name
                    .value
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && name
                        .value
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_');
                let taken = name.value == "dut"
                    || self
                        .channels
                        .names()
                        .any(|c| c.split('.').next() == Some(name.value.as_str()))
                    || vars.iter().any(|(v, _)| *v == name.value);
                if !valid || taken {
                    self.problems.push(
                        Problem::at(
                            self.file,
                            span,
                            format!("`{}` cannot name a repeat index", name.value),
                        )
                        .help("use a new plain word, e.g. `trip`"),
                    );
                    return;
                }
                Some(name.value.clone())
            }
        };
        let _ = loc;
        for i in 1..=count {
            let mut scope: Vec<(String, u32)> = vars.to_vec();
            if let Some(v) = &var {
                scope.push((v.clone(), i));
            }
            let before = self.problems.len();
            self.steps_of(inner, &scope);
            if self.problems.len() > before {
                // The same mistake in every iteration would repeat the same message.
                break;
            }
        }
    }

    fn name_of(&mut self, raw: &RawStep, vars: &[(String, u32)], number: usize) -> String {
        match &raw.name {
            Some(name) => self.interpolate(name, vars),
            None => format!("step {number}"),
        }
    }

    /// Replace `{index}` with the repeat index's value.
    fn interpolate(&mut self, text: &Spanned<String>, vars: &[(String, u32)]) -> String {
        let mut out = String::new();
        let mut rest = text.value.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let Some(close) = rest[open..].find('}') else {
                out.push_str(&rest[open..]);
                rest = "";
                break;
            };
            let var = &rest[open + 1..open + close];
            match vars.iter().rev().find(|(n, _)| n == var) {
                Some((_, v)) => out.push_str(&v.to_string()),
                None => {
                    let span = self.span(text);
                    self.problems.push(
                        Problem::at(self.file, span, format!("`{{{var}}}` is not a repeat index here"))
                            .help("`{name}` inserts the index named by `as: name` of an enclosing `repeat:`"),
                    );
                }
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn step(&mut self, node: &Spanned<RawStep>, vars: &[(String, u32)]) {
        let raw = &node.value;
        let number = self.steps.len() + 1;
        let location = self.location(node);
        let name = self.name_of(raw, vars, number);
        let mut actions = Vec::new();
        if let Some(source) = &raw.source
            && let Some(settings) = self.source(source, vars)
        {
            actions.push(Action::Source(settings));
        }
        if let Some(chamber) = &raw.chamber
            && let Some(action) = self.chamber(chamber, vars)
        {
            actions.push(action);
        }
        if let Some(relay) = &raw.relay
            && let Some(action) = self.relay(relay, vars)
        {
            actions.push(action);
        }
        if let Some(inverter) = &raw.inverter
            && let Some(action) = self.inverter(inverter)
        {
            actions.push(action);
        }
        if let Some(rs485) = &raw.rs485
            && let Some(action) = self.rs485(rs485)
        {
            actions.push(action);
        }
        if let Some(rs232) = &raw.rs232
            && let Some(action) = self.rs232(rs232)
        {
            actions.push(action);
        }
        let wait_s = match &raw.wait {
            Some(w) => self.duration(w, vars, "`wait`").unwrap_or(0.0),
            None => 0.0,
        };
        let timeout_s = raw
            .timeout
            .as_ref()
            .and_then(|t| self.duration(t, vars, "the step `timeout`"));
        if let (Some(limit), Some(t)) = (timeout_s, &raw.timeout) {
            let longest = raw
                .expect
                .iter()
                .filter_map(|e| e.value.within.as_ref().or(e.value.holds_for.as_ref()))
                .filter_map(|w| self.quiet_duration(w, vars))
                .fold(wait_s, f64::max);
            if longest > limit {
                let span = self.span(t);
                self.problems.push(
                    Problem::at(self.file, span, format!("the step's timeout {} is shorter than its longest window {}", format_duration(limit), format_duration(longest)))
                        .help("the timeout bounds the whole step; make it longer than every `within`, `for` and `wait`"),
                );
            }
        }
        let expectations: Vec<Expectation> = raw
            .expect
            .iter()
            .filter_map(|e| self.expectation(e, vars))
            .collect();
        if raw.source.is_none()
            && raw.relay.is_none()
            && raw.chamber.is_none()
            && raw.inverter.is_none()
            && raw.rs485.is_none()
            && raw.rs232.is_none()
            && raw.wait.is_none()
            && raw.expect.is_empty()
        {
            let at = Span::new(
                node.referenced.span().byte_offset().unwrap_or(0) as usize,
                1,
            );
            self.problems.push(
                Problem::at(self.file, at, format!("step `{name}` does nothing")).help(
                    "give it a `source:`, `relay:`, `chamber:`, `inverter:`, `rs485:`, `rs232:`, `wait:` or `expect:`",
                ),
            );
        }
        self.steps.push(Step {
            number,
            name,
            location,
            actions,
            wait_s,
            expectations,
            timeout_s,
        });
    }

    fn check_limit(
        &mut self,
        field: &Spanned<String>,
        value: f64,
        limit: &Option<Limit>,
        what: &str,
        above: bool,
    ) -> bool {
        let Some(limit) = limit else { return true };
        let bad = if above {
            value > limit.value + 1e-9
        } else {
            value < limit.value - 1e-9
        };
        if bad {
            let dim = if what.contains("voltage") {
                Dim::Voltage
            } else {
                Dim::Current
            };
            let span = self.span(field);
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "{what} {} is {} the envelope's {} {}",
                        Quantity::new(value, dim),
                        if above { "above" } else { "below" },
                        if above { "maximum" } else { "minimum" },
                        Quantity::new(limit.value, dim)
                    ),
                )
                .label(format!("evaluates to {}", Quantity::new(value, dim)))
                .help(format!("the limit comes from {}", limit.why)),
            );
            return false;
        }
        true
    }

    fn source(
        &mut self,
        node: &Spanned<RawSource>,
        vars: &[(String, u32)],
    ) -> Option<SourceSettings> {
        let Some(source) = self
            .bench
            .instruments
            .values()
            .find(|i| i.driver.role() == Role::Source)
        else {
            let at = Span::new(
                node.referenced.span().byte_offset().unwrap_or(0) as usize,
                1,
            );
            self.problems.push(Problem::at(
                self.file,
                at,
                format!("the bench `{}` has no source", self.bench.name),
            ));
            return None;
        };
        let load = (source.driver == Driver::ScpiLoad).then(|| source.name.clone());
        let raw = &node.value;
        if let Some(name) = &load {
            // A load has no voltage to set; `discharge: { to: }` needs one as its floor.
            let voltage_fields = [raw.voltage.as_ref().map(|v| v.referenced.span())]
                .into_iter()
                .chain(
                    [&raw.charge, &raw.discharge].map(|c| c.as_ref().map(|c| c.referenced.span())),
                )
                .flatten();
            for span in voltage_fields {
                let at = Span::new(span.byte_offset().unwrap_or(0) as usize, 1);
                self.problems.push(
                    Problem::at(
                        self.file,
                        at,
                        format!("the bench's `{name}` is an electronic load: it has no voltage set point and only sinks current"),
                    )
                    .help("on a load bench write `sink_limit: 50 A` and `output: on`; `voltage`, `charge:` and `discharge:` need a source/sink"),
                );
            }
        }
        let mut s = SourceSettings::default();
        let env = self.envelope.clone();
        if let Some(v) = &raw.voltage
            && let Some(x) = self.constant(v, vars, Dim::Voltage, "the source voltage")
            && self.check_limit(v, x, &env.max_voltage, "the source voltage", true)
            && self.check_limit(v, x, &env.min_voltage, "the source voltage", false)
        {
            s.voltage = Some(x);
        }
        for (field, slot, limit, what) in [
            (
                &raw.current_limit,
                &mut s.current_limit,
                &env.max_charge,
                "the current limit",
            ),
            (
                &raw.sink_limit,
                &mut s.sink_limit,
                &env.max_discharge,
                "the sink limit",
            ),
        ] {
            if let Some(f) = field
                && let Some(x) = self.constant(f, vars, Dim::Current, what)
            {
                if x < 0.0 {
                    let span = self.span(f);
                    self.problems.push(Problem::at(self.file, span, format!("{what} is a magnitude and cannot be negative")).help("the direction is given by `current_limit` (into the pack) or `sink_limit` (out of it)"));
                } else if self.check_limit(f, x, limit, what, true) {
                    *slot = Some(x);
                }
            }
        }
        for (shorthand, charging) in [(&raw.charge, true), (&raw.discharge, false)] {
            let Some(c) = shorthand else { continue };
            if load.is_some() {
                continue; // refused above, once
            }
            let word = if charging { "charge" } else { "discharge" };
            if raw.voltage.is_some()
                || raw.current_limit.is_some()
                || raw.sink_limit.is_some()
                || (raw.charge.is_some() && raw.discharge.is_some())
            {
                let at = Span::new(c.referenced.span().byte_offset().unwrap_or(0) as usize, 1);
                self.problems.push(Problem::at(self.file, at, format!("`{word}:` sets the voltage and both limits; it cannot be combined with `voltage`, `current_limit`, `sink_limit` or the other shorthand")));
                continue;
            }
            let current = self.constant(
                &c.value.current,
                vars,
                Dim::Current,
                &format!("the {word} current"),
            );
            let to = self.constant(
                &c.value.to,
                vars,
                Dim::Voltage,
                &format!("the {word} target voltage"),
            );
            if let (Some(i), Some(v)) = (current, to) {
                let limit = if charging {
                    env.max_charge.clone()
                } else {
                    env.max_discharge.clone()
                };
                let ok_i = i >= 0.0
                    && self.check_limit(
                        &c.value.current,
                        i,
                        &limit,
                        &format!("the {word} current"),
                        true,
                    );
                let ok_v =
                    self.check_limit(&c.value.to, v, &env.max_voltage, "the target voltage", true)
                        && self.check_limit(
                            &c.value.to,
                            v,
                            &env.min_voltage,
                            "the target voltage",
                            false,
                        );
                if ok_i && ok_v {
                    s.voltage = Some(v);
                    if charging {
                        s.current_limit = Some(i);
                        s.sink_limit = Some(0.0);
                    } else {
                        s.sink_limit = Some(i);
                        s.current_limit = Some(0.0);
                    }
                }
            }
        }
        if let Some(o) = &raw.output {
            match o.value.as_str() {
                "on" | "true" => s.output = Some(true),
                "off" | "false" => s.output = Some(false),
                other => {
                    let span = self.span(o);
                    self.problems.push(Problem::at(
                        self.file,
                        span,
                        format!("`output: {other}` is neither on nor off"),
                    ));
                }
            }
        }
        // Count a set point as programmed when the plan writes it, even if it was
        // refused above, so one mistake is not reported twice.
        let shorthand = raw.charge.is_some() || raw.discharge.is_some();
        self.voltage_set |= raw.voltage.is_some() || shorthand;
        self.current_limit_set |= raw.current_limit.is_some() || shorthand;
        self.sink_limit_set |= raw.sink_limit.is_some() || shorthand;
        // A load needs only its sink current; it neither charges nor holds a voltage.
        let (voltage_set, current_limit_set) = if load.is_some() {
            (true, true)
        } else {
            (self.voltage_set, self.current_limit_set)
        };
        if s.output == Some(true) && !(voltage_set && current_limit_set && self.sink_limit_set) {
            let missing: Vec<&str> = [
                ("voltage", voltage_set),
                ("current_limit", current_limit_set),
                ("sink_limit", self.sink_limit_set),
            ]
            .iter()
            .filter(|(_, set)| !set)
            .map(|(n, _)| *n)
            .collect();
            if let Some(o) = &raw.output {
                let span = self.span(o);
                self.problems.push(Problem::at(self.file, span, "the output is switched on before its set points are programmed").label(format!("{} not set yet", missing.join(", "))).help("set `voltage`, `current_limit` and `sink_limit` (or `charge:`) in this or an earlier step"));
            }
        }
        Some(s)
    }

    /// `rs485: { send: turn_off }`: needs the pack's RS485 link.
    fn rs485(&mut self, node: &Spanned<RawRs485>) -> Option<Action> {
        let c = &node.value.send;
        let span = self.span(c);
        if !self
            .bench
            .instruments
            .values()
            .any(|i| i.driver.role() == Role::Rs485)
        {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "the bench `{}` has no RS485 link to the pack",
                        self.bench.name
                    ),
                )
                .help("declare a `pylontech-rs485` instrument named `rs485`"),
            );
            return None;
        }
        match c.value.as_str() {
            "turn_off" => Some(Action::Rs485(super::model::Rs485Command::TurnOff)),
            other => {
                self.problems.push(
                    Problem::at(self.file, span, format!("unknown RS485 command `{other}`"))
                        .help("commands: turn_off (0x95)"),
                );
                None
            }
        }
    }

    /// `rs232: { send: "line" }`: needs the pack's RS232 console port; the line must be
    /// non-empty printable ASCII.
    fn rs232(&mut self, node: &Spanned<RawRs232>) -> Option<Action> {
        let line = &node.value.send;
        let span = self.span(line);
        if !self
            .bench
            .instruments
            .values()
            .any(|i| i.driver.role() == Role::Rs232)
        {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "the bench `{}` has no RS232 console port to the pack",
                        self.bench.name
                    ),
                )
                .help("declare an `rs232-console` instrument named `rs232`"),
            );
            return None;
        }
        match crate::runner::rs232::check_line(&line.value) {
            Ok(()) => Some(Action::Rs232 {
                line: line.value.clone(),
            }),
            Err(message) => {
                self.problems
                    .push(Problem::at(self.file, span, message).help(
                    "write the text only, e.g. `send: \"wake\"`; the rig ends the line with CR LF",
                ));
                None
            }
        }
    }

    /// `inverter: { keepalive: on|off }`: needs the BMS's CAN link to send on.
    fn inverter(&mut self, node: &Spanned<RawInverter>) -> Option<Action> {
        let k = &node.value.keepalive;
        let span = self.span(k);
        if !self
            .bench
            .instruments
            .values()
            .any(|i| i.driver.role() == Role::Can)
        {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "the bench `{}` has no CAN link to send the keep-alive on",
                        self.bench.name
                    ),
                )
                .help("declare a `bms-can` instrument named `bms`"),
            );
            return None;
        }
        match k.value.as_str() {
            "on" | "true" => Some(Action::KeepAlive { on: true }),
            "off" | "false" => Some(Action::KeepAlive { on: false }),
            other => {
                self.problems.push(Problem::at(
                    self.file,
                    span,
                    format!("`keepalive: {other}` is neither on nor off"),
                ));
                None
            }
        }
    }

    fn chamber(&mut self, node: &Spanned<RawChamber>, vars: &[(String, u32)]) -> Option<Action> {
        let at = Span::new(
            node.referenced.span().byte_offset().unwrap_or(0) as usize,
            1,
        );
        let Some(spec) = self
            .bench
            .instruments
            .values()
            .find(|i| i.driver.role() == Role::Chamber)
            .cloned()
        else {
            self.problems.push(
                Problem::at(
                    self.file,
                    at,
                    format!("the bench `{}` has no chamber", self.bench.name),
                )
                .help("add a chamber to the bench file, or remove the `chamber:` action"),
            );
            return None;
        };
        let raw = &node.value;
        if raw.setpoint.is_none() && raw.run.is_none() {
            self.problems.push(Problem::at(
                self.file,
                at,
                "a chamber action needs `setpoint:` and/or `run:`",
            ));
            return None;
        }
        let setpoint_c = match &raw.setpoint {
            None => None,
            Some(f) => {
                let t = self.constant(f, vars, Dim::Temperature, "the chamber set point")?;
                let span = self.span(f);
                let limits = [
                    (
                        spec.max_temperature,
                        true,
                        "the chamber's rating in the bench file".to_string(),
                    ),
                    (
                        spec.min_temperature,
                        false,
                        "the chamber's rating in the bench file".to_string(),
                    ),
                    (
                        self.dut.number("limits.max_temperature"),
                        true,
                        "dut.limits.max_temperature".to_string(),
                    ),
                    (
                        self.dut.number("limits.min_temperature"),
                        false,
                        "dut.limits.min_temperature".to_string(),
                    ),
                ];
                for (limit, above, why) in limits {
                    let Some(limit) = limit else { continue };
                    if (above && t > limit) || (!above && t < limit) {
                        self.problems.push(
                            Problem::at(
                                self.file,
                                span,
                                format!(
                                    "the chamber set point {} is {} the envelope's {} {}",
                                    Quantity::new(t, Dim::Temperature),
                                    if above { "above" } else { "below" },
                                    if above { "maximum" } else { "minimum" },
                                    Quantity::new(limit, Dim::Temperature)
                                ),
                            )
                            .help(format!("the limit comes from {why}")),
                        );
                        return None;
                    }
                }
                Some(t)
            }
        };
        Some(Action::Chamber {
            setpoint_c,
            run: raw.run.as_ref().map(|r| r.value),
        })
    }

    fn relay(&mut self, node: &Spanned<RawRelay>, vars: &[(String, u32)]) -> Option<Action> {
        let raw = &node.value;
        let at = Span::new(
            node.referenced.span().byte_offset().unwrap_or(0) as usize,
            1,
        );
        let given: Vec<(&Spanned<String>, &str)> = [
            (&raw.close, "close"),
            (&raw.open, "open"),
            (&raw.pulse, "pulse"),
        ]
        .into_iter()
        .filter_map(|(f, n)| f.as_ref().map(|f| (f, n)))
        .collect();
        let [(name, op)] = given.as_slice() else {
            self.problems.push(Problem::at(
                self.file,
                at,
                "a relay action is one of `close: NAME`, `open: NAME` or `pulse: NAME` with `for:`",
            ));
            return None;
        };
        if !self.bench.relays.contains_key(&name.value) {
            let known: Vec<&str> = self.bench.relays.keys().map(String::as_str).collect();
            let close = near_misses(&name.value, known.iter().copied());
            let span = self.span(name);
            self.problems.push(
                Problem::at(self.file, span, format!("unknown relay `{}`", name.value)).help(
                    if close.is_empty() {
                        format!("the bench's relays: {}", known.join(", "))
                    } else {
                        format!("did you mean `{}`?", close[0])
                    },
                ),
            );
            return None;
        }
        let op = match (*op, &raw.duration) {
            ("pulse", Some(d)) => RelayOp::Pulse {
                seconds: self.duration(d, vars, "the pulse length")?,
            },
            ("pulse", None) => {
                self.problems.push(
                    Problem::at(self.file, at, "a pulse needs `for:` its length")
                        .help("e.g. `{ pulse: reset_button, for: 8 s }`"),
                );
                return None;
            }
            (_, Some(d)) => {
                let span = self.span(d);
                self.problems.push(Problem::at(
                    self.file,
                    span,
                    "`for:` belongs to `pulse:` only",
                ));
                return None;
            }
            ("close", None) => RelayOp::Close,
            _ => RelayOp::Open,
        };
        Some(Action::Relay {
            relay: name.value.clone(),
            op,
        })
    }

    fn expectation(
        &mut self,
        node: &Spanned<RawExpectation>,
        vars: &[(String, u32)],
    ) -> Option<Expectation> {
        let raw = &node.value;
        let location = self.location(node);
        let span = self.span(&raw.that);
        let window = match (&raw.within, &raw.holds_for) {
            (Some(w), None) => Window::Within(self.duration(w, vars, "`within`")?),
            (None, Some(f)) => Window::For(self.duration(f, vars, "`for`")?),
            _ => {
                self.problems.push(Problem::at(self.file, span, "an expectation needs exactly one of `within:` (becomes true within a time) or `for:` (stays true for a time)"));
                return None;
            }
        };
        let predicate = self.bind(&raw.that, vars)?;
        if predicate.ty != Type::Bool {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!(
                        "`that:` must be a condition, but this is {}",
                        predicate.ty.noun()
                    ),
                )
                .help("compare it, e.g. `bms.soc >= 80 %`"),
            );
            return None;
        }
        if predicate.channels().is_empty() {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    "this condition reads no channel, so it can never fail or never pass",
                )
                .help("refer to a channel such as `bms.charge_enable`"),
            );
            return None;
        }
        Some(Expectation {
            name: match &raw.name {
                Some(n) => self.interpolate(n, vars),
                None => raw.that.value.clone(),
            },
            text: raw.that.value.clone(),
            predicate,
            window,
            location,
        })
    }
}
