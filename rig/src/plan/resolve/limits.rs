//! A measurement's limits (`min:`, `max:`, `between: [lo, hi]`, or `limits: none`) and
//! the unit it is shown in (`unit:`), both of the dimension the measurement has.

use serde_saphyr::Spanned;

use super::measurements::measured_dim;
use super::names::RepeatIndex;
use super::resolver::Resolver;
use crate::diag::Problem;
use crate::dut::{BandEnd, Provenance};
use crate::plan::model::{DisplayUnit, MeasureKind};
use crate::plan::raw::{RawBetween, RawMeasurement};
use crate::quantity::{Dim, Quantity, unit_factor};

/// Lower and upper limit in base units.
type Limits = (Option<f64>, Option<f64>);

impl Resolver<'_> {
    /// The display unit and the limits of a measurement of `kind`, written at `field`.
    pub(super) fn limits_and_unit(
        &mut self,
        raw: &RawMeasurement,
        kind: &MeasureKind,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
    ) -> Option<(DisplayUnit, Option<f64>, Option<f64>)> {
        let dim = measured_dim(kind);
        let unit = self.display_unit(raw.unit.as_ref(), dim, kind.key());
        let limits = self.limits(raw, dim, field, vars);
        Some((unit?, limits?.0, limits?.1))
    }

    /// `unit:`, which must be a unit of `dim`; without it the base unit.
    fn display_unit(
        &mut self,
        field: Option<&Spanned<String>>,
        dim: Dim,
        key: &str,
    ) -> Option<DisplayUnit> {
        let Some(f) = field else {
            return Some(DisplayUnit {
                name: dim.base_unit().to_string(),
                dim,
                factor: 1.0,
            });
        };
        let name = f.value.trim();
        match unit_factor(name) {
            Some((d, factor)) if d == dim => Some(DisplayUnit {
                name: name.to_string(),
                dim,
                factor,
            }),
            found => {
                let span = self.span(f);
                let what = match found {
                    Some((d, _)) => format!("a unit of {}", d.noun()),
                    None => "no unit the rig knows".to_string(),
                };
                let help = match dim {
                    Dim::Number => "a count has no unit; leave `unit:` out".to_string(),
                    d => format!("use a unit of {}, e.g. `{}`", d.noun(), d.example()),
                };
                self.problems.push(
                    Problem::at(
                        self.file,
                        span,
                        format!("`unit: {name}` does not fit `{key}:`, which measures {}: `{name}` is {what}", dim.noun()),
                    )
                    .help(help),
                );
                None
            }
        }
    }

    /// `min:` and/or `max:`, or `between: [lo, hi]`, or `limits: none`: exactly one form.
    fn limits(
        &mut self,
        raw: &RawMeasurement,
        dim: Dim,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
    ) -> Option<Limits> {
        let bounds = raw.min.is_some() || raw.max.is_some();
        let problem = match (&raw.limits, &raw.between) {
            (Some(l), None) if !bounds && l.value.trim() == "none" => return Some((None, None)),
            (Some(l), None) if !bounds => Some((self.span(l), format!("`limits: {}` must be `limits: none` (record the value without judging it)", l.value))),
            (None, Some(b)) if !bounds => return self.between(b, dim, vars),
            (None, None) if bounds => {
                let min = self.limit(raw.min.as_ref(), dim, vars, "`min`");
                let max = self.limit(raw.max.as_ref(), dim, vars, "`max`");
                return self.ordered(min?, max?, raw.max.as_ref(), dim);
            }
            (None, None) => Some((self.span(field), "a measurement needs limits: `min:`, `max:`, `between: [lo, hi]`, or `limits: none` to record the value without judging it".to_string())),
            _ => Some((self.span(field), "write the limits one way: `min:` and/or `max:`, or `between: [lo, hi]`, or `limits: none`".to_string())),
        };
        if let Some((span, text)) = problem {
            self.problems.push(Problem::at(self.file, span, text));
        }
        None
    }

    /// One limit, a constant of `dim`; `Some(None)` when not written.
    fn limit(
        &mut self,
        field: Option<&Spanned<String>>,
        dim: Dim,
        vars: &[RepeatIndex],
        what: &str,
    ) -> Option<Option<f64>> {
        match field {
            None => Some(None),
            Some(f) => self.constant(f, vars, dim, what).map(Some),
        }
    }

    /// `between: [lo, hi]`, or `between: dut.x` for the band of a profile value.
    fn between(
        &mut self,
        node: &Spanned<RawBetween>,
        dim: Dim,
        vars: &[RepeatIndex],
    ) -> Option<Limits> {
        let ends: [Spanned<String>; 2];
        let [lo, hi] = match &node.value {
            RawBetween::Pair(pair) => match &pair[..] {
                [lo, hi] => [lo, hi],
                _ => {
                    self.problems.push(Problem::at(
                        self.file,
                        Self::start_of(node),
                        format!(
                            "`between:` takes two limits, `[lo, hi]`, not {}",
                            pair.len()
                        ),
                    ));
                    return None;
                }
            },
            RawBetween::Band(path) if is_profile_path(path) => {
                // The band's ends, located at the value as written.
                ends = [".min", ".max"].map(|end| {
                    Spanned::new(
                        format!("{}{end}", path.trim()),
                        node.referenced,
                        node.defined,
                    )
                });
                [&ends[0], &ends[1]]
            }
            RawBetween::Band(text) => {
                self.problems.push(
                    Problem::at(
                        self.file,
                        Self::start_of(node),
                        format!("`between: {text}` is neither two limits nor a DUT profile value"),
                    )
                    .help("write `between: [lo, hi]`, or `between: dut.<value>` for the band of a profile value"),
                );
                return None;
            }
        };
        let lo_v = self.constant(lo, vars, dim, "the lower limit");
        let hi_v = self.constant(hi, vars, dim, "the upper limit");
        self.ordered(Some(lo_v?), Some(hi_v?), Some(hi), dim)
    }

    /// Limits whose lower one is not above the upper.
    fn ordered(
        &mut self,
        min: Option<f64>,
        max: Option<f64>,
        at: Option<&Spanned<String>>,
        dim: Dim,
    ) -> Option<Limits> {
        if let (Some(lo), Some(hi), Some(at)) = (min, max, at)
            && lo > hi
        {
            let span = self.span(at);
            self.problems.push(Problem::at(
                self.file,
                span,
                format!(
                    "the upper limit {} is below the lower limit {}",
                    Quantity::new(hi, dim),
                    Quantity::new(lo, dim)
                ),
            ));
            return None;
        }
        Some((min, max))
    }
}

impl Resolver<'_> {
    /// The profile values a measurement's limits read, each once in the order written,
    /// with their provenance (the manual clause or the assumption).
    pub(super) fn limit_basis(&self, raw: &RawMeasurement) -> Vec<(String, Provenance)> {
        let mut texts: Vec<&str> = [&raw.min, &raw.max]
            .into_iter()
            .flatten()
            .map(|f| f.value.as_str())
            .collect();
        match raw.between.as_ref().map(|b| &b.value) {
            Some(RawBetween::Pair(pair)) => texts.extend(pair.iter().map(|f| f.value.as_str())),
            Some(RawBetween::Band(path)) => texts.push(path),
            None => {}
        }
        let mut basis: Vec<(String, Provenance)> = Vec::new();
        for path in texts.into_iter().flat_map(profile_paths) {
            let value = self.dut.get(path).or_else(|| {
                let (base, _) = BandEnd::split(path)?;
                self.dut.get(base)
            });
            if let Some(v) = value
                && !basis.iter().any(|(p, _)| *p == v.path)
            {
                basis.push((v.path.clone(), v.provenance.clone()));
            }
        }
        basis
    }
}

/// The dotted paths after each `dut.` in an expression (`cocp.trip_current.max` of
/// `dut.cocp.trip_current.max + 2 A`).
fn profile_paths(text: &str) -> Vec<&str> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for (i, _) in text.match_indices("dut.") {
        if text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| is_name(c) || c == '.')
        {
            continue;
        }
        let rest = &text[i + 4..];
        let end = rest
            .find(|c: char| !(is_name(c) || c == '.'))
            .unwrap_or(rest.len());
        let path = rest[..end].trim_end_matches('.');
        if !path.is_empty() {
            out.push(path);
        }
    }
    out
}

/// `dut.` and a dotted path of plain names: a profile value, not an expression.
fn is_profile_path(text: &str) -> bool {
    text.trim().strip_prefix("dut.").is_some_and(|path| {
        !path.is_empty()
            && path.split('.').all(|word| {
                !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    })
}
