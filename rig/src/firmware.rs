//! The twin's firmware description (SPEC-12 §6): the thresholds, delays and timers the
//! virtual pack's BMS runs, one YAML file per DUT profile in `testplans/firmware/`.
//!
//! The DUT profile says what the lab expects (a nominal and the band it accepts); the
//! firmware says what this twin's vendor actually flashed. Keeping them apart is what
//! lets a plan's limit be wrong: if the twin ran the profile's numbers, a plan checking
//! against the same numbers could never fail on them. Values use the profile's paths
//! (`cocp.trip_current`) and must be of the profile value's dimension.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::diag::{Problem, Problems, SourceFile, Span, near_misses};
use crate::dut::DutProfile;
use crate::expr::{self, Scope, Value};

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFirmware {
    /// The DUT profile this firmware runs in (its id).
    dut: Spanned<String>,
    /// The vendor's version string, for people reading the file.
    version: String,
    /// Named values, nested in the profile's groups.
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
    why: Option<String>,
}

impl<'de> Deserialize<'de> for Group {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_map(NodeVisitor)? {
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
        f.write_str("a value `{ value: 76 A, why: \"...\" }` or a group of named values")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut leaf = RawLeaf::default();
        let mut group = Group::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "value" => leaf.value = Some(map.next_value()?),
                "why" => leaf.why = Some(map.next_value()?),
                _ => group.0.push((key, map.next_value()?)),
            }
        }
        match (
            leaf.value.is_some() || leaf.why.is_some(),
            group.0.is_empty(),
        ) {
            (true, true) => Ok(Node::Leaf(leaf)),
            (false, _) => Ok(Node::Group(group)),
            (true, false) => Err(de::Error::custom(format!(
                "a firmware value has only `value:` and `why:`; found `{}` beside them",
                group.0[0].0
            ))),
        }
    }
}

/// One firmware value, in the base unit of its dimension.
#[derive(Clone, Debug)]
pub struct FirmwareValue {
    pub value: f64,
    pub span: Span,
}

/// A loaded firmware description, checked against its DUT profile.
#[derive(Clone, Debug)]
pub struct Firmware {
    pub version: String,
    pub file: SourceFile,
    values: BTreeMap<String, FirmwareValue>,
}

/// Paths of profile values that describe the pack itself, not its firmware: the
/// firmware cannot change them (they stay in the profile's `twin:` group and ratings).
const PHYSICAL: &[&str] = &[
    "cells_in_series",
    "capacity",
    "precharge.resistance",
    "balancing.bleed_current",
];

/// Groups of the profile the firmware has no say in.
const PHYSICAL_GROUPS: &[&str] = &["twin.", "limits.", "parallel.", "leds."];

fn is_physical(path: &str) -> bool {
    PHYSICAL.contains(&path) || PHYSICAL_GROUPS.iter().any(|g| path.starts_with(g))
}

/// Firmware values are literals (`76 A`): no names to resolve.
struct NoNames;

impl Scope for NoNames {
    fn lookup(&self, path: &[String]) -> Result<expr::Binding, (String, Option<String>)> {
        Err((
            format!("`{}`: firmware values are literals", path.join(".")),
            Some("write the number with its unit, e.g. `76 A`".into()),
        ))
    }
}

impl Firmware {
    /// The default firmware of a profile: `firmware/<id>.yaml` beside the profile's
    /// `duts/` folder (`testplans/firmware/lesso_lsrr51v100ah.yaml`).
    pub fn default_path(dut: &DutProfile) -> Option<PathBuf> {
        let duts = dut.file.path.parent()?;
        Some(
            duts.parent()?
                .join("firmware")
                .join(format!("{}.yaml", dut.id)),
        )
    }

    pub fn load(path: &Path, dut: &DutProfile) -> Result<Firmware, Problems> {
        let file = SourceFile::read(path)?;
        Self::parse(file, dut)
    }

    /// Every value must name a firmware value of `dut` (not a physical one), in its
    /// dimension, with a reason.
    pub fn parse(file: SourceFile, dut: &DutProfile) -> Result<Firmware, Problems> {
        let raw: RawFirmware = crate::input::parse_yaml(&file)?;
        let mut problems = Problems::default();
        if raw.dut.value != dut.id {
            problems.push(
                Problem::at(
                    &file,
                    Span::of_scalar(&raw.dut.referenced, &file.text),
                    format!(
                        "this firmware is for `{}`, the plan's DUT is `{}`",
                        raw.dut.value, dut.id
                    ),
                )
                .help("name the firmware of the plan's DUT profile"),
            );
        }
        let mut values = BTreeMap::new();
        collect(&file, dut, "", &raw.values, &mut values, &mut problems);
        problems.into_result(Firmware {
            version: raw.version,
            file,
            values,
        })
    }

    /// A firmware value by its profile path, in base units.
    pub fn number(&self, path: &str) -> Option<f64> {
        self.values.get(path).map(|v| v.value)
    }

    /// This firmware with only the value at `path` (to find which value breaks a rule).
    pub fn keep_only(&mut self, path: &str) {
        self.values.retain(|k, _| k == path);
    }

    pub fn values(&self) -> impl Iterator<Item = (&str, &FirmwareValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }
}

fn collect(
    file: &SourceFile,
    dut: &DutProfile,
    prefix: &str,
    group: &Group,
    out: &mut BTreeMap<String, FirmwareValue>,
    problems: &mut Problems,
) {
    for (name, node) in &group.0 {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match node {
            Node::Group(g) => collect(file, dut, &path, g, out, problems),
            Node::Leaf(leaf) => match leaf_value(file, dut, &path, leaf) {
                Ok(v) => {
                    out.insert(path, v);
                }
                Err(p) => problems.push(p),
            },
        }
    }
}

fn leaf_value(
    file: &SourceFile,
    dut: &DutProfile,
    path: &str,
    leaf: &RawLeaf,
) -> Result<FirmwareValue, Problem> {
    let Some(text) = &leaf.value else {
        return Err(Problem::in_file(file, format!("`{path}` has no `value:`")));
    };
    let span = Span::of_scalar(&text.referenced, &file.text);
    let Some(profile) = dut.get(path) else {
        let close = near_misses(path, dut.paths());
        return Err(Problem::at(
            file,
            span,
            format!("`{path}`: the DUT profile `{}` has no such value", dut.id),
        )
        .help(match close.first() {
            Some(c) => format!("did you mean `{c}`?"),
            None => "firmware values use the profile's paths, e.g. `cocp.trip_current`".into(),
        }));
    };
    if is_physical(path) {
        return Err(Problem::at(
            file,
            span,
            format!("`{path}` describes the pack, not its firmware"),
        )
        .help("the pack's physical data stay in the DUT profile"));
    }
    if leaf.why.as_deref().is_none_or(|w| w.trim().is_empty()) {
        return Err(
            Problem::at(file, span, format!("`{path}` does not say why"))
                .help("add `why: \"...\"`: the manual clause or the reason for this number"),
        );
    }
    let bound = expr::compile(&text.value, &NoNames).map_err(|e| {
        let mut p = Problem::at(file, span.slice(e.span.clone()), e.message);
        if let Some(h) = e.help {
            p = p.help(h);
        }
        p
    })?;
    match (bound.as_const(), profile.value) {
        (Some(Value::Num(q)), Value::Num(want)) if q.dim == want.dim => Ok(FirmwareValue {
            value: q.value,
            span,
        }),
        _ => Err(Problem::at(
            file,
            span,
            format!(
                "`{path}`: `{}` is not of the profile value's kind (`{}`)",
                text.value,
                profile_value_text(profile.value)
            ),
        )),
    }
}

fn profile_value_text(v: Value) -> String {
    match v {
        Value::Num(q) => q.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

#[cfg(test)]
mod tests;
