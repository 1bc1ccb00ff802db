//! `requires:`, what a plan needs of the installation before it can run:
//! `requires: { packs: 3 }` for three packs in parallel (the master and two slaves).
//! Without it a plan needs one pack. The count is checked against the DUT profile's
//! `parallel.max_packs`. Whether a bench has that many packs is decided when the run
//! starts: a bench with a different count skips the plan (see `runner::skip`).
//! `requires: { dut: [sleep.rs232_wake] }`: what the plan tests that not every pack
//! promises, or a condition on the profile's values (`dut.charge_voltage /
//! dut.cells_in_series >= 3.55 V`); a profile that does not promise or meet it skips
//! the plan (issue 14).

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diag::{Problem, SourceFile, Span};
use crate::dut::{DutProfile, Provenance};
use crate::expr::{Binding, Scope, Value};

/// The profile value that bounds `requires: { packs }`.
pub const MAX_PACKS_PATH: &str = "parallel.max_packs";

/// `requires:` as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRequires {
    /// Packs in parallel, the master included (`3`); at least 1, at most the DUT
    /// profile's `parallel.max_packs`.
    #[schemars(with = "Option<Count>")]
    pub packs: Option<Spanned<Count>>,
    /// What the plan needs of the DUT profile, each a profile value it must promise
    /// (`sleep.rs232_wake`: in the profile, and `true` if yes/no) or a condition on
    /// profile values (`dut.charge_voltage / dut.cells_in_series >= 3.55 V`). A profile
    /// that does not promise or meet one skips the plan, with the reason, before
    /// anything connects.
    #[serde(default)]
    #[schemars(with = "Vec<crate::schema::Scalar>")]
    pub dut: Vec<Spanned<String>>,
}

/// A whole number as written (`3`); range checks come after parsing, so they can say
/// what the range is and why. Anything else is refused with what was expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count(pub i64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CountVisitor)
    }
}

/// A whole number, for `rig schema`.
impl schemars::JsonSchema for Count {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Count".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "integer" })
    }
}

struct CountVisitor;

impl serde::de::Visitor<'_> for CountVisitor {
    type Value = Count;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a whole number of packs, e.g. `3`")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Count, E> {
        Ok(Count(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Count, E> {
        Ok(Count(i64::try_from(v).unwrap_or(i64::MAX)))
    }
}

/// Packs the plan needs: 1 without `requires:`, else the checked count. `rs485` is the
/// bench's RS485 link and the master's address, if it has one: the slaves answer at the
/// addresses after it, which must exist.
pub fn packs(
    raw: Option<&Spanned<RawRequires>>,
    file: &SourceFile,
    dut: &DutProfile,
    rs485: Option<(&str, u8)>,
) -> Result<u8, Problem> {
    let Some(packs) = raw.and_then(|r| r.value.packs.as_ref()) else {
        return Ok(1);
    };
    let at = Span::new(
        packs.referenced.span().byte_offset().unwrap_or(0) as usize,
        packs.referenced.span().byte_len().unwrap_or(1).max(1) as usize,
    );
    let n = packs.value.0;
    if n < 1 {
        return Err(Problem::at(
            file,
            at,
            format!("`requires: packs: {n}`: a plan needs at least 1 pack"),
        )
        .help("leave `requires:` out for a single pack"));
    }
    let Some(max) = dut.get(MAX_PACKS_PATH) else {
        if n == 1 {
            return Ok(1);
        }
        return Err(Problem::at(
            file,
            at,
            format!(
                "the plan needs {n} packs in parallel, but the profile `{}` does not say how many may run in parallel",
                dut.id
            ),
        )
        .help(format!(
            "add `{MAX_PACKS_PATH}` to {} with its manual section",
            dut.file.path.display()
        )));
    };
    let limit = dut.number(MAX_PACKS_PATH).unwrap_or(1.0);
    // Addresses are one byte (protocols.md 2.5): no installation has more packs.
    let limit = limit.clamp(1.0, f64::from(u8::MAX)) as i64;
    if n > limit {
        let why = match &max.provenance {
            Provenance::Manual(s) => s.clone(),
            Provenance::Assumption(a) => format!("an assumption: {a}"),
        };
        return Err(Problem::at(
            file,
            at,
            format!(
                "the plan needs {n} packs in parallel; the profile `{}` allows at most {limit}",
                dut.id
            ),
        )
        .help(format!("dut.{MAX_PACKS_PATH} = {limit} ({why})")));
    }
    if let Some((link, master)) = rs485
        && i64::from(master) + n - 1 > 254
    {
        return Err(Problem::at(
            file,
            at,
            format!(
                "{n} packs from the master's RS485 address {master} on `{link}` would need addresses past 254"
            ),
        )
        .help("give the master a lower address (the link's `address:`); protocols.md 2.2 reserves 255"));
    }
    Ok(n as u8)
}

/// Why `dut` does not promise what the plan needs (`requires: { dut }`), or `None` when
/// it promises all of it. Decided from the profile alone.
pub fn unmet(raw: Option<&Spanned<RawRequires>>, dut: &DutProfile) -> Option<String> {
    let needs = raw.map(|r| r.value.dut.as_slice()).unwrap_or_default();
    let reasons: Vec<String> = needs
        .iter()
        .filter_map(|need| {
            let text = need.value.trim();
            if is_path(text) {
                value_unmet(text.strip_prefix("dut.").unwrap_or(text), dut)
            } else {
                condition_unmet(text, dut)
            }
        })
        .collect();
    (!reasons.is_empty()).then(|| reasons.join("; "))
}

/// `sleep.rs232_wake` or `dut.sleep.rs232_wake`: a value's path, not a condition.
fn is_path(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// Why a profile does not promise the value at `path`: it lacks it, or it is `false`.
fn value_unmet(path: &str, dut: &DutProfile) -> Option<String> {
    let Some(v) = dut.get(path) else {
        return Some(format!(
            "the profile `{}` does not promise `dut.{path}` (it has no such value)",
            dut.id
        ));
    };
    (v.value == Value::Bool(false)).then(|| {
        format!(
            "the profile `{}` does not promise `dut.{path}` (false: {})",
            dut.id,
            why(&v.provenance)
        )
    })
}

fn why(p: &Provenance) -> String {
    match p {
        Provenance::Manual(s) => s.clone(),
        Provenance::Assumption(a) => format!("an assumption: {a}"),
    }
}

/// Why a profile does not meet a condition on its values: a value it lacks, the
/// condition false (with the values it read), or a condition that is no yes/no.
fn condition_unmet(text: &str, dut: &DutProfile) -> Option<String> {
    let scope = ProfileScope(dut);
    let bound = match crate::expr::compile(text, &scope) {
        Ok(b) => b,
        Err(e) => {
            return Some(format!(
                "the profile `{}` does not meet `{text}`: {}",
                dut.id, e.message
            ));
        }
    };
    match bound.as_const() {
        Some(Value::Bool(true)) => None,
        Some(Value::Bool(false)) => {
            let read: Vec<String> = scope_reads(text)
                .filter_map(|p| dut.resolve(p).ok().map(|v| format!("dut.{p} = {v}")))
                .collect();
            Some(format!(
                "the profile `{}` does not meet `{text}` ({})",
                dut.id,
                read.join(", ")
            ))
        }
        _ => Some(format!(
            "`{text}` is no yes/no condition on the profile `{}`",
            dut.id
        )),
    }
}

/// The `dut.` paths a condition's text names, for the reason it is not met.
fn scope_reads(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter_map(|w| w.strip_prefix("dut."))
}

/// Names in a `requires:` condition: the profile's values as `dut.<path>`, nothing else
/// (no channel has a value before the run).
struct ProfileScope<'a>(&'a DutProfile);

impl Scope for ProfileScope<'_> {
    fn lookup(&self, path: &[String]) -> Result<Binding, (String, Option<String>)> {
        match path.split_first() {
            Some((head, rest)) if head == "dut" && !rest.is_empty() => {
                self.0.resolve(&rest.join(".")).map(Binding::Constant)
            }
            _ => Err((
                format!(
                    "`{}`: a `requires:` condition reads profile values only (`dut.<path>`)",
                    path.join(".")
                ),
                None,
            )),
        }
    }
}

/// A plan must apply to its own profile: a `requires: { dut }` entry that the plan's own
/// `dut:` does not promise is a slip (a misspelt path would skip the plan everywhere).
pub fn check_own(
    raw: Option<&Spanned<RawRequires>>,
    file: &SourceFile,
    own: &DutProfile,
) -> Result<(), Problem> {
    match (unmet(raw, own), raw) {
        (Some(why), Some(r)) => {
            let at = Span::new(
                r.referenced.span().byte_offset().unwrap_or(0) as usize,
                r.referenced.span().byte_len().unwrap_or(1).max(1) as usize,
            );
            Err(Problem::at(
                file,
                at,
                format!("`requires: dut:` does not hold for the plan's own `dut:`: {why}"),
            )
            .help(format!(
                "name values `{}` promises (e.g. `sleep.rs232_wake`), or another `dut:`",
                own.id
            )))
        }
        _ => Ok(()),
    }
}
