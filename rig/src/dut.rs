//! DUT profiles: what a pack model promises (ratings, thresholds, delays), one YAML file
//! per model in `testplans/duts/`. Every value names the manual section it comes from
//! (`source:`) or says why it is an assumption (`assumption:`), so a lab can replace
//! assumptions with the vendor's figures. Plans read them as `dut.cocp.trip_current`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diag::{Problem, Problems, SourceFile, Span, near_misses};
use crate::expr::{self, Scope, Value};
use crate::quantity::Quantity;

/// The file as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    /// File name without `.yaml`; plans name the profile by it.
    #[schemars(with = "crate::schema::Scalar")]
    id: Spanned<String>,
    /// Manufacturer and model as on the label.
    model: String,
    /// The document the `source:` lines cite.
    manual: String,
    /// Named values, nested in groups (`cocp: { trip_current: {...} }`).
    values: Group,
}

#[derive(Debug, Default)]
struct Group(Vec<(String, Node)>);

#[derive(Debug)]
enum Node {
    Leaf(RawLeaf),
    Group(Group),
}

#[derive(Debug, Default)]
struct RawLeaf {
    value: Option<Spanned<String>>,
    /// `[lo, hi]`: the range the lab accepts for the value (SPEC-12 §1).
    band: Option<Vec<Spanned<String>>>,
    source: Option<String>,
    assumption: Option<String>,
    note: Option<String>,
}

const LEAF_KEYS: &[&str] = &["value", "band", "source", "assumption", "note"];

impl<'de> Deserialize<'de> for Group {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Node::deserialize(d)? {
            Node::Group(g) => Ok(g),
            Node::Leaf(_) => Err(de::Error::custom(
                "`values:` holds named groups and values, not a value itself",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value `{ value: 75 A, source: \"§3.4 ...\" }` or a group of named values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut leaf = RawLeaf::default();
        let mut group = Group::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "value" => leaf.value = Some(map.next_value()?),
                "band" => leaf.band = Some(map.next_value()?),
                "source" => leaf.source = Some(map.next_value()?),
                "assumption" => leaf.assumption = Some(map.next_value()?),
                "note" => leaf.note = Some(map.next_value()?),
                _ => group.0.push((key, map.next_value()?)),
            }
        }
        let is_leaf = leaf.value.is_some()
            || leaf.band.is_some()
            || leaf.source.is_some()
            || leaf.assumption.is_some()
            || leaf.note.is_some();
        match (is_leaf, group.0.is_empty()) {
            (true, true) => Ok(Node::Leaf(leaf)),
            (false, _) => Ok(Node::Group(group)),
            (true, false) => Err(de::Error::custom(format!(
                "a value entry may only have {}; found `{}` beside them",
                LEAF_KEYS.join(", "),
                group.0[0].0
            ))),
        }
    }
}

/// `values:`: named entries, each a value or a group of its own (the schema of the
/// visitor above, for `rig schema`).
impl schemars::JsonSchema for Group {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Group".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let node = generator.subschema_for::<Node>();
        schemars::json_schema!({
            "description": "Named values and groups of values (`cocp: { trip_current: {...} }`).",
            "type": "object",
            "additionalProperties": node,
        })
    }
}

/// A value with its provenance, or a group.
impl schemars::JsonSchema for Node {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Node".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let group = generator.subschema_for::<Group>();
        let scalar = generator.subschema_for::<crate::schema::Scalar>();
        schemars::json_schema!({
            "anyOf": [
                {
                    "description": "A value: `{ value: 75 A, source: \"§3.4 ...\" }`; `band: [lo, hi]` is the range the lab accepts.",
                    "type": "object",
                    "properties": {
                        "value": scalar,
                        "band": { "type": "array", "items": scalar, "minItems": 2, "maxItems": 2 },
                        "source": { "type": "string" },
                        "assumption": { "type": "string" },
                        "note": { "type": "string" },
                    },
                    "minProperties": 1,
                    "additionalProperties": false,
                },
                group,
            ]
        })
    }
}

/// The JSON Schema of a DUT profile file, for `rig schema`.
pub fn schema() -> schemars::Schema {
    schemars::schema_for!(RawProfile)
}

/// Where a profile value comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Provenance {
    /// A manual section, quoted.
    Manual(String),
    /// Not in the manual; why this number was chosen.
    Assumption(String),
}

/// One profile value.
#[derive(Clone, Debug)]
pub struct ProfileValue {
    pub path: String,
    /// The nominal: what `dut.<path>` reads.
    pub value: Value,
    /// The range the lab accepts (`band: [lo, hi]`), same dimension as the value:
    /// what `dut.<path>.min` / `.max` read.
    pub band: Option<(Quantity, Quantity)>,
    pub provenance: Provenance,
    pub span: Span,
}

/// Which end of a value's band an expression reads (`dut.x.min`, `dut.x.max`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BandEnd {
    Min,
    Max,
}

impl BandEnd {
    /// `cocp.trip_current.min` -> (`cocp.trip_current`, Min).
    pub fn split(path: &str) -> Option<(&str, BandEnd)> {
        let (base, end) = path.rsplit_once('.')?;
        match end {
            "min" => Some((base, BandEnd::Min)),
            "max" => Some((base, BandEnd::Max)),
            _ => None,
        }
    }
}

/// A loaded, checked DUT profile.
#[derive(Clone, Debug)]
pub struct DutProfile {
    pub id: String,
    pub model: String,
    pub manual: String,
    pub file: SourceFile,
    values: BTreeMap<String, ProfileValue>,
}

/// Profile values hold literals only (`75 A`, `3`, `true`): no names to resolve.
struct NoNames;

impl Scope for NoNames {
    fn lookup(&self, path: &[String]) -> Result<expr::Binding, (String, Option<String>)> {
        Err((
            format!("`{}`: profile values are literals", path.join(".")),
            Some("write the number with its unit, e.g. `75 A`".into()),
        ))
    }
}

impl DutProfile {
    pub fn load(path: &Path) -> Result<DutProfile, Problems> {
        let file = SourceFile::read(path)?;
        Self::parse(file)
    }

    pub fn parse(file: SourceFile) -> Result<DutProfile, Problems> {
        let raw: RawProfile = crate::input::parse_yaml(&file)?;
        let mut problems = Problems::default();
        let expected_id = file
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        if raw.id.value != expected_id {
            problems.push(
                Problem::at(
                    &file,
                    Span::of_scalar(&raw.id.referenced, &file.text),
                    format!("profile id `{}` differs from its file name", raw.id.value),
                )
                .help(format!(
                    "name the file `{}.yaml` or the id `{expected_id}`",
                    raw.id.value
                )),
            );
        }
        let mut values = BTreeMap::new();
        collect(&file, "", &raw.values, &mut values, &mut problems);
        problems.into_result(DutProfile {
            id: raw.id.value,
            model: raw.model,
            manual: raw.manual,
            file,
            values,
        })
    }

    /// A value by its path below `dut.` (`cocp.trip_current`).
    pub fn get(&self, path: &str) -> Option<&ProfileValue> {
        self.values.get(path)
    }

    pub fn values(&self) -> impl Iterator<Item = &ProfileValue> {
        self.values.values()
    }

    /// What `dut.<path>` reads in an expression: a value's nominal, or with `.min` /
    /// `.max` an end of its band. The error says what is missing and where to add it.
    pub fn resolve(&self, path: &str) -> Result<Value, (String, Option<String>)> {
        if let Some(v) = self.get(path) {
            return Ok(v.value);
        }
        let Some((base, end)) = BandEnd::split(path) else {
            return Err(self.unknown(path));
        };
        let Some(v) = self.get(base) else {
            return Err(self.unknown(path));
        };
        match (v.band, end) {
            (Some((lo, _)), BandEnd::Min) => Ok(Value::Num(lo)),
            (Some((_, hi)), BandEnd::Max) => Ok(Value::Num(hi)),
            (None, _) => {
                let (line, col) = self.file.line_col(v.span.offset);
                Err((
                    format!(
                        "`dut.{path}`: the profile value `dut.{base}` has no band (only its nominal)"
                    ),
                    Some(format!(
                        "add `band: [lo, hi]` to `{base}` at {}:{line}:{col}, or use `dut.{base}` itself",
                        self.file.path.display()
                    )),
                ))
            }
        }
    }

    /// Paths of all values, for "did you mean" hints.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    /// A number in the base unit of its dimension, for the twin's parameters.
    pub fn number(&self, path: &str) -> Option<f64> {
        match self.get(path)?.value {
            Value::Num(q) => Some(q.value),
            Value::Bool(_) => None,
        }
    }

    /// The lookup error for `dut.<path>`, with near misses.
    pub fn unknown(&self, path: &str) -> (String, Option<String>) {
        let close = near_misses(path, self.paths());
        let help = if close.is_empty() {
            format!(
                "the profile {} defines: {}",
                self.id,
                self.paths().collect::<Vec<_>>().join(", ")
            )
        } else {
            format!(
                "did you mean {}?",
                close
                    .iter()
                    .map(|c| format!("`dut.{c}`"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        };
        (
            format!("the DUT profile `{}` has no value `dut.{path}`", self.id),
            Some(help),
        )
    }
}

fn collect(
    file: &SourceFile,
    prefix: &str,
    group: &Group,
    out: &mut BTreeMap<String, ProfileValue>,
    problems: &mut Problems,
) {
    for (name, node) in &group.0 {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match node {
            Node::Group(g) => collect(file, &path, g, out, problems),
            Node::Leaf(leaf) => match leaf_value(file, &path, leaf) {
                Ok(v) => {
                    out.insert(path, v);
                }
                Err(p) => problems.push(p),
            },
        }
    }
}

fn leaf_value(file: &SourceFile, path: &str, leaf: &RawLeaf) -> Result<ProfileValue, Problem> {
    let Some(value) = &leaf.value else {
        return Err(Problem::in_file(file, format!("`{path}` has no `value:`")));
    };
    let span = Span::of_scalar(&value.referenced, &file.text);
    let provenance = match (&leaf.source, &leaf.assumption) {
        (Some(s), None) => Provenance::Manual(s.clone()),
        (None, Some(a)) => Provenance::Assumption(a.clone()),
        (Some(_), Some(_)) => {
            return Err(Problem::at(
                file,
                span,
                format!("`{path}` has both `source:` and `assumption:`"),
            )
            .help("a value either comes from the manual or is an assumption"));
        }
        (None, None) => {
            return Err(Problem::at(
                file,
                span,
                format!("`{path}` does not say where it comes from"),
            )
            .help("add `source: \"§x.y ...\"` quoting the manual, or `assumption: \"why\"`"));
        }
    };
    let (value, _) = literal(file, value)?;
    let band = match &leaf.band {
        Some(ends) => Some(band(file, path, value, span, ends)?),
        None => None,
    };
    Ok(ProfileValue {
        path: path.to_string(),
        value,
        band,
        provenance,
        span,
    })
}

/// A literal of a profile file (`75 A`), located at its own scalar.
fn literal(file: &SourceFile, text: &Spanned<String>) -> Result<(Value, Span), Problem> {
    let span = Span::of_scalar(&text.referenced, &file.text);
    let bound = expr::compile(&text.value, &NoNames).map_err(|e| {
        let mut p = Problem::at(file, span.slice(e.span.clone()), e.message);
        if let Some(h) = e.help {
            p = p.help(h);
        }
        p
    })?;
    let value = bound
        .as_const()
        .ok_or_else(|| Problem::at(file, span, format!("`{}` is not a constant", text.value)))?;
    Ok((value, span))
}

/// `band: [lo, hi]`: two numbers of the value's dimension with lo <= value <= hi.
fn band(
    file: &SourceFile,
    path: &str,
    value: Value,
    value_span: Span,
    ends: &[Spanned<String>],
) -> Result<(Quantity, Quantity), Problem> {
    let Value::Num(nominal) = value else {
        return Err(Problem::at(
            file,
            value_span,
            format!("`{path}` is true/false: only a number can have a band"),
        ));
    };
    let [lo, hi] = ends else {
        return Err(Problem::at(
            file,
            value_span,
            format!(
                "`{path}`: `band:` needs two ends, `[lo, hi]`; found {}",
                ends.len()
            ),
        )
        .help("e.g. `band: [70 A, 80 A]`"));
    };
    let mut out = [nominal; 2];
    for (slot, end) in out.iter_mut().zip([lo, hi]) {
        let (v, span) = literal(file, end)?;
        match v {
            Value::Num(q) if q.dim == nominal.dim => *slot = q,
            _ => {
                return Err(Problem::at(
                    file,
                    span,
                    format!(
                        "`{path}`: the band end `{}` is not {} like the value `{nominal}`",
                        end.value,
                        nominal.dim.noun()
                    ),
                ));
            }
        }
    }
    let [lo_q, hi_q] = out;
    if !(lo_q.value <= nominal.value && nominal.value <= hi_q.value) {
        return Err(Problem::at(
            file,
            value_span,
            format!("`{path}`: the band [{lo_q}, {hi_q}] does not hold the value {nominal}"),
        )
        .help("a band is `[lo, hi]` with lo <= value <= hi"));
    }
    Ok((lo_q, hi_q))
}

/// Find the profile a plan names: `duts/<id>.yaml` beside the plan, else in the nearest
/// parent folder's `duts/` that has it (so plans may sit in sub-folders of `testplans/`).
/// `id` is an id, never a path: `../x` or `/other/folder/pack` would let a copied profile
/// with other limits stand in for the one the plan names.
pub fn find_profile(plan_path: &Path, id: &str) -> Result<PathBuf, Vec<String>> {
    let mut known = Vec::new();
    let by_id = crate::input::plain_name_problem(id).is_none();
    let mut dir = plan_path.parent();
    while let Some(d) = dir {
        let duts = d.join("duts");
        let candidate = duts.join(format!("{id}.yaml"));
        if by_id && candidate.is_file() {
            return Ok(candidate);
        }
        if let Ok(entries) = std::fs::read_dir(&duts) {
            known.extend(entries.filter_map(|e| e.ok()).filter_map(|e| {
                let p = e.path();
                (p.extension()? == "yaml").then(|| p.file_stem()?.to_str().map(String::from))?
            }));
        }
        dir = d.parent();
    }
    known.sort();
    known.dedup();
    Err(known)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantity::{Dim, Quantity};

    fn parse(text: &str) -> Result<DutProfile, Problems> {
        DutProfile::parse(SourceFile::new("duts/pack.yaml", text))
    }

    #[test]
    fn nested_values_with_provenance() {
        let p = parse(
            "id: pack\nmodel: M\nmanual: doc\nvalues:\n  limits:\n    max_voltage: { value: 57.6 V, source: \"§3.3.2\" }\n  cocp:\n    trip_current: { value: 75 A, assumption: \"not in the manual\" }\n    lockout_after_trips: { value: 3, source: \"§3.4\" }\n",
        )
        .unwrap();
        let v = p.get("limits.max_voltage").unwrap();
        assert_eq!(v.value, Value::Num(Quantity::new(57.6, Dim::Voltage)));
        assert_eq!(v.provenance, Provenance::Manual("§3.3.2".into()));
        assert!(matches!(
            p.get("cocp.trip_current").unwrap().provenance,
            Provenance::Assumption(_)
        ));
        assert_eq!(p.number("cocp.lockout_after_trips"), Some(3.0));
    }

    #[test]
    fn every_value_must_say_where_it_comes_from() {
        let err =
            parse("id: pack\nmodel: M\nmanual: doc\nvalues:\n  x: { value: 1 V }\n").unwrap_err();
        assert!(
            err.to_string().contains("does not say where it comes from"),
            "{err}"
        );
        assert!(err.to_string().starts_with("duts/pack.yaml:5:"), "{err}");
    }

    #[test]
    fn bad_units_and_ids_are_located() {
        let err =
            parse("id: other\nmodel: M\nmanual: doc\nvalues:\n  x: { value: 5 amps, source: s }\n")
                .unwrap_err();
        assert_eq!(err.len(), 2, "{err}");
        assert!(err.to_string().contains("unknown unit `amps`"));
        assert!(err.to_string().contains("differs from its file name"));
    }

    #[test]
    fn unknown_paths_suggest_near_misses() {
        let p = parse("id: pack\nmodel: M\nmanual: doc\nvalues:\n  cocp:\n    trip_current: { value: 75 A, source: s }\n").unwrap();
        let (msg, help) = p.unknown("cocp.trip_curent");
        assert!(msg.contains("dut.cocp.trip_curent"));
        assert!(help.unwrap().contains("dut.cocp.trip_current"));
    }

    #[test]
    fn a_band_reads_as_min_and_max_and_the_value_stays_the_nominal() {
        let p = parse("id: pack\nmodel: M\nmanual: doc\nvalues:\n  cocp:\n    trip_current: { value: 75 A, band: [70 A, 80 A], assumption: a }\n    lockout: { value: 3, source: s }\n").unwrap();
        let amps = |v| Value::Num(Quantity::new(v, Dim::Current));
        assert_eq!(p.resolve("cocp.trip_current"), Ok(amps(75.0)));
        assert_eq!(p.resolve("cocp.trip_current.min"), Ok(amps(70.0)));
        assert_eq!(p.resolve("cocp.trip_current.max"), Ok(amps(80.0)));
        let (msg, help) = p.resolve("cocp.lockout.max").unwrap_err();
        assert!(msg.contains("`dut.cocp.lockout` has no band"), "{msg}");
        let help = help.unwrap();
        assert!(
            help.contains("add `band: [lo, hi]` to `cocp.lockout` at duts/pack.yaml:7:"),
            "{help}"
        );
        assert!(
            p.resolve("cocp.nothing.min")
                .unwrap_err()
                .0
                .contains("no value")
        );
    }

    #[test]
    fn a_band_must_hold_its_value_in_the_same_dimension() {
        let err = parse("id: pack\nmodel: M\nmanual: doc\nvalues:\n  x: { value: 75 A, band: [76 A, 80 A], assumption: a }\n").unwrap_err().to_string();
        assert!(err.contains("does not hold the value 75 A"), "{err}");
        assert!(err.starts_with("duts/pack.yaml:5:"), "{err}");
        let err = parse("id: pack\nmodel: M\nmanual: doc\nvalues:\n  x: { value: 75 A, band: [70 A, 80 V], assumption: a }\n").unwrap_err().to_string();
        assert!(
            err.contains("the band end `80 V` is not a current"),
            "{err}"
        );
        assert!(err.starts_with("duts/pack.yaml:5:34"), "{err}");
        let err = parse("id: pack\nmodel: M\nmanual: doc\nvalues:\n  x: { value: 75 A, band: [70 A], assumption: a }\n").unwrap_err().to_string();
        assert!(err.contains("needs two ends"), "{err}");
    }

    /// Issue 13: `dut: ../../x` or an absolute path let a copied profile with raised
    /// limits stand in for the one named.
    #[test]
    fn a_profile_is_found_by_id_never_by_path() {
        let plans = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testplans");
        let plan = plans.join("cocp_lockout.yaml");
        assert!(find_profile(&plan, "lesso_lsrr51v100ah").is_ok());
        let absolute = plans.join("duts/lesso_lsrr51v100ah");
        for path in [
            "../testplans/duts/lesso_lsrr51v100ah",
            "./lesso_lsrr51v100ah",
            absolute.to_str().unwrap(),
        ] {
            let known = find_profile(&plan, path).unwrap_err();
            assert!(known.contains(&"lesso_lsrr51v100ah".to_string()), "{path}");
        }
    }
}
