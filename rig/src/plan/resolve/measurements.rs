//! `measure:` entries: one value a step records (a time, a value at an instant, an
//! integral, a minimum, ...) over a window, with its name, kind and window checked here;
//! its limits and display unit in `limits.rs`.

use serde_saphyr::Spanned;

use super::names::RepeatIndex;
use super::resolver::Resolver;
use crate::diag::Problem;
use crate::expr::{BoundExpr, Type};
use crate::plan::model::{Edge, MeasureKind, MeasureWindow, Measurement};
use crate::plan::raw::RawMeasurement;
use crate::quantity::Dim;

/// The kind keys, in the order the plan language lists them.
const KINDS: [&str; 9] = [
    "time_to",
    "value_of",
    "integral_of",
    "min_of",
    "max_of",
    "mean_of",
    "edges_of",
    "period_of",
    "duty_of",
];

/// The kind keys written in `raw`, with their fields.
fn kinds_written(raw: &RawMeasurement) -> Vec<(&'static str, &Spanned<String>)> {
    let fields = [
        &raw.time_to,
        &raw.value_of,
        &raw.integral_of,
        &raw.min_of,
        &raw.max_of,
        &raw.mean_of,
        &raw.edges_of,
        &raw.period_of,
        &raw.duty_of,
    ];
    KINDS
        .iter()
        .zip(fields)
        .filter_map(|(k, f)| f.as_ref().map(|f| (*k, f)))
        .collect()
}

/// Whether `name` is dotted lower-case words: `cocp.trip_delay`, `led.run.period`,
/// `trip.2.delay` (a repeat index may be a word after the first).
fn is_dotted_id(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split('.').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

impl Resolver<'_> {
    pub(super) fn measurement(
        &mut self,
        node: &Spanned<RawMeasurement>,
        vars: &[RepeatIndex],
    ) -> Option<Measurement> {
        let raw = &node.value;
        let location = self.location(node);
        let name = self.measurement_name(&raw.name, vars, &location);
        let (key, field) = self.kind_field(node)?;
        let kind = self.kind(raw, key, field, vars);
        let window = self.measure_window(raw, key, field, vars);
        let (kind, window, name) = (kind?, window?, name?);
        let (unit, min, max) = self.limits_and_unit(raw, &kind, field, vars)?;
        let basis = self.limit_basis(raw);
        Some(Measurement {
            name,
            text: field.value.clone(),
            kind,
            window,
            min,
            max,
            unit,
            location,
            basis,
        })
    }

    /// The name, interpolated, a dotted lower-case id not used before in the plan.
    fn measurement_name(
        &mut self,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
        location: &crate::plan::Location,
    ) -> Option<String> {
        let name = self.interpolate(field, vars);
        let span = self.span(field);
        if !is_dotted_id(&name) {
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!("`{name}` cannot name a measurement"),
                )
                .help("use dotted lower-case words, e.g. `cocp.trip_delay`; reports and history key on it"),
            );
            return None;
        }
        if let Some((_, first)) = self.measured.iter().find(|(n, _)| *n == name) {
            let first = first.clone();
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!("the measurement name `{name}` is already used at {first}"),
                )
                .help("each measurement of a plan needs its own name; in a `repeat:` put the index in it, e.g. `trip.{i}.delay`"),
            );
            return None;
        }
        self.measured.push((name.clone(), location.clone()));
        Some(name)
    }

    /// The one kind key of a measurement.
    fn kind_field<'n>(
        &mut self,
        node: &'n Spanned<RawMeasurement>,
    ) -> Option<(&'static str, &'n Spanned<String>)> {
        let written = kinds_written(&node.value);
        if let [one] = written[..] {
            return Some(one);
        }
        let span = match written.get(1) {
            Some((_, second)) => self.span(second),
            None => Self::start_of(node),
        };
        let found = match written.len() {
            0 => "none".to_string(),
            _ => written
                .iter()
                .map(|(k, _)| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        self.problems.push(
            Problem::at(
                self.file,
                span,
                format!("a measurement needs exactly one of `time_to`, `value_of`, `integral_of`, `min_of`, `max_of`, `mean_of`, `edges_of`, `period_of`, `duty_of`; found {found}"),
            ),
        );
        None
    }

    /// The measured expression bound, of the type its kind needs, reading a channel.
    fn kind(
        &mut self,
        raw: &RawMeasurement,
        key: &str,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
    ) -> Option<MeasureKind> {
        self.only_with(raw.when.as_ref(), "when", key, "value_of");
        self.only_with(raw.edge.as_ref(), "edge", key, "edges_of");
        let want_bool = matches!(key, "time_to" | "edges_of" | "period_of" | "duty_of");
        let e = self.measured_expr(field, key, want_bool, vars)?;
        Some(match key {
            "time_to" => MeasureKind::TimeTo(e),
            "value_of" => {
                let Some(when) = &raw.when else {
                    let span = self.span(field);
                    self.problems.push(
                        Problem::at(self.file, span, "`value_of:` needs `when:`, the condition at whose first true reading the value is taken")
                            .help("e.g. `when: bms.protection_charge_overcurrent`"),
                    );
                    return None;
                };
                let when_text = when.value.clone();
                let when = self.measured_expr(when, "when", true, vars)?;
                MeasureKind::ValueOf {
                    value: e,
                    when,
                    when_text,
                }
            }
            "integral_of" => {
                let Type::Num(dim) = e.ty else { return None };
                let Some((_, factor)) = dim.integral() else {
                    let span = self.span(field);
                    self.problems.push(
                        Problem::at(self.file, span, format!("`integral_of:` integrates a current (to a charge) or a power (to an energy), not {}", dim.noun()))
                            .help("e.g. `-source.current` or `-source.current * source.voltage`"),
                    );
                    return None;
                };
                MeasureKind::IntegralOf { of: e, factor }
            }
            "min_of" => MeasureKind::MinOf(e),
            "max_of" => MeasureKind::MaxOf(e),
            "mean_of" => MeasureKind::MeanOf(e),
            "edges_of" => MeasureKind::EdgesOf {
                of: e,
                edge: self.edge(raw.edge.as_ref())?,
            },
            "period_of" => MeasureKind::PeriodOf(e),
            _ => MeasureKind::DutyOf(e),
        })
    }

    /// `key:` was written, but belongs only to the kind `owner`.
    fn only_with(&mut self, field: Option<&Spanned<String>>, key: &str, kind: &str, owner: &str) {
        if let Some(f) = field.filter(|_| kind != owner) {
            let span = self.span(f);
            self.problems.push(Problem::at(
                self.file,
                span,
                format!("`{key}:` goes only with `{owner}:`, not `{kind}:`"),
            ));
        }
    }

    /// An expression of a measurement: a condition (`want_bool`) or a number, reading
    /// at least one channel.
    pub(super) fn measured_expr(
        &mut self,
        field: &Spanned<String>,
        key: &str,
        want_bool: bool,
        vars: &[RepeatIndex],
    ) -> Option<BoundExpr> {
        let e = self.bind(field, vars)?;
        let span = self.span(field);
        let problem = match (want_bool, e.ty) {
            (true, Type::Num(d)) => Problem::at(
                self.file,
                span,
                format!("`{key}:` must be a condition, but this is {}", d.noun()),
            )
            .help("compare it, e.g. `bms.soc >= 80 %`"),
            (false, Type::Bool) => Problem::at(
                self.file,
                span,
                format!("`{key}:` must be a number with a unit, but this is a condition"),
            )
            .help("measure a channel such as `source.current`; time a condition with `time_to:`"),
            _ if e.channels().is_empty() => Problem::at(
                self.file,
                span,
                "this reads no channel, so there is nothing to measure",
            )
            .help("refer to a channel such as `source.current`"),
            _ => return Some(e),
        };
        self.problems.push(problem);
        None
    }

    /// `edge:` of `edges_of`: `rising`, `falling` or `any` (the default).
    fn edge(&mut self, field: Option<&Spanned<String>>) -> Option<Edge> {
        let Some(f) = field else {
            return Some(Edge::Any);
        };
        match f.value.as_str() {
            "rising" => Some(Edge::Rising),
            "falling" => Some(Edge::Falling),
            "any" => Some(Edge::Any),
            other => {
                let span = self.span(f);
                self.problems.push(Problem::at(
                    self.file,
                    span,
                    format!("`edge: {other}` must be `rising`, `falling` or `any`"),
                ));
                None
            }
        }
    }

    /// `within:` for `time_to`/`value_of`; `for:`, or `until:` with `within:`, for the
    /// others.
    fn measure_window(
        &mut self,
        raw: &RawMeasurement,
        key: &str,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
    ) -> Option<MeasureWindow> {
        let waits = matches!(key, "time_to" | "value_of");
        let span = self.span(field);
        let text = match (&raw.within, &raw.holds_for, &raw.until) {
            (Some(w), None, None) if waits => {
                return Some(MeasureWindow::Within(self.duration(w, vars, "`within`")?));
            }
            (None, Some(f), None) if !waits => {
                return Some(MeasureWindow::For(self.duration(f, vars, "`for`")?));
            }
            (Some(w), None, Some(u)) if !waits => {
                let within = self.duration(w, vars, "`within`");
                let until = self.measured_expr(u, "until", true, vars)?;
                return Some(MeasureWindow::Until {
                    until,
                    text: u.value.clone(),
                    within: within?,
                });
            }
            _ if waits => format!(
                "`{key}:` needs `within:` (how long to wait for its condition), and no `for:` or `until:`"
            ),
            (None, None, Some(_)) => {
                "`until:` needs `within:`, the longest the window may last".to_string()
            }
            _ => format!(
                "`{key}:` needs a window: `for:` (a fixed time) or `until:` with `within:` (until a condition, at most a time)"
            ),
        };
        self.problems.push(Problem::at(self.file, span, text));
        None
    }
}

/// The dimension a measurement's value has.
pub(super) fn measured_dim(kind: &MeasureKind) -> Dim {
    let dim_of = |e: &BoundExpr| match e.ty {
        Type::Num(d) => d,
        Type::Bool => Dim::Number,
    };
    match kind {
        MeasureKind::TimeTo(_) | MeasureKind::PeriodOf(_) => Dim::Time,
        MeasureKind::EdgesOf { .. } => Dim::Number,
        MeasureKind::DutyOf(_) => Dim::Percent,
        MeasureKind::IntegralOf { of, .. } => dim_of(of).integral().map_or(Dim::Number, |(d, _)| d),
        MeasureKind::ValueOf { value: e, .. }
        | MeasureKind::MinOf(e)
        | MeasureKind::MaxOf(e)
        | MeasureKind::MeanOf(e) => dim_of(e),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_support::{accepted, plan, refusals, sim};
    use super::*;
    use crate::dut::Provenance;

    fn measure(entries: &[&str]) -> String {
        let list: String = entries.iter().map(|e| format!("      - {e}\n")).collect();
        plan(&format!("  - measure:\n{list}"))
    }

    fn one(entry: &str) -> Measurement {
        let p = accepted(&sim(), &measure(&[entry]));
        p.steps[0].measurements[0].clone()
    }

    fn refused(entry: &str) -> Vec<String> {
        refusals(&sim(), &measure(&[entry]))
    }

    #[test]
    fn a_time_to_with_limits_from_the_profile() {
        let m = one(
            "{ name: cocp.trip_delay, time_to: bms.protection_charge_overcurrent, within: 30 s, between: [dut.cocp.trip_delay - 1 s, dut.cocp.trip_delay * 2] }",
        );
        assert_eq!(m.name, "cocp.trip_delay");
        assert_eq!(m.kind.key(), "time_to");
        assert!(matches!(m.window, MeasureWindow::Within(d) if d == Duration::from_secs(30)));
        assert_eq!((m.min, m.max), (Some(1.0), Some(4.0)));
        assert_eq!(m.unit.name, "s");
        assert_eq!(m.location.to_string(), "plan.yaml:7:9");
    }

    #[test]
    fn the_limits_rest_on_the_profile_values_they_read_each_once() {
        let m = one(
            "{ name: cocp.trip_current, value_of: source.current, when: bms.protection_charge_overcurrent, within: 1 min, min: dut.standard_charge_current, max: dut.limits.max_charge_current + dut.standard_charge_current * 0 }",
        );
        assert_eq!(
            m.basis,
            [
                (
                    "standard_charge_current".to_string(),
                    Provenance::Manual("§1".into())
                ),
                (
                    "limits.max_charge_current".to_string(),
                    Provenance::Assumption("above COCP".into())
                ),
            ]
        );
        let band_ends = one(
            "{ name: d, time_to: bms.protection_charge_overcurrent, within: 30 s, between: [dut.cocp.trip_delay.min, 2 * dut.cocp.trip_delay.max] }",
        );
        assert_eq!(band_ends.basis.len(), 1, "{:?}", band_ends.basis);
        let own =
            one("{ name: e, time_to: bms.protection_charge_overcurrent, within: 30 s, max: 5 s }");
        assert!(own.basis.is_empty());
    }

    #[test]
    fn between_a_banded_profile_value_is_its_band() {
        let m = one(
            "{ name: cocp.trip_delay, time_to: bms.protection_charge_overcurrent, within: 30 s, between: dut.cocp.trip_delay }",
        );
        assert_eq!((m.min, m.max), (Some(1.0), Some(4.0)));
        assert_eq!(
            m.basis,
            [(
                "cocp.trip_delay".to_string(),
                Provenance::Manual("§3.4".into())
            )]
        );
        let unbanded = refused(
            "{ name: a, time_to: bms.protection_charge_overcurrent, within: 30 s, between: dut.cocp.trip_current }",
        );
        assert_eq!(unbanded.len(), 2, "{unbanded:?}");
        assert!(
            unbanded[0].starts_with("plan.yaml:7:") && unbanded[0].contains("band"),
            "{unbanded:?}"
        );
        let expression = refused(
            "{ name: a, time_to: bms.protection_charge_overcurrent, within: 30 s, between: dut.cocp.trip_delay * 2 }",
        );
        assert_eq!(expression.len(), 1, "{expression:?}");
        assert!(
            expression[0].contains("is neither two limits nor a DUT profile value"),
            "{expression:?}"
        );
    }

    #[test]
    fn an_integral_of_a_current_is_a_charge_and_of_a_power_an_energy() {
        let m = one(
            "{ name: capacity, integral_of: -source.current, unit: Ah, until: not bms.discharge_enable, within: 6 h, min: 96 Ah }",
        );
        assert_eq!(m.unit.dim, Dim::Charge);
        assert_eq!(m.min, Some(96.0));
        assert!(
            matches!(m.window, MeasureWindow::Until { within, .. } if within == Duration::from_secs(6 * 3600))
        );
        let m = one(
            "{ name: energy, integral_of: -source.current * source.voltage, unit: kWh, for: 1 h, min: 4.92 kWh }",
        );
        assert_eq!((m.unit.dim, m.unit.factor), (Dim::Energy, 1000.0));
        assert_eq!(m.min, Some(4920.0));
        assert_eq!(m.unit.show(4920.0), 4.92);
        let errors = refused("{ name: x, integral_of: source.voltage, for: 1 h, limits: none }");
        assert_eq!(
            errors,
            vec![
                "plan.yaml:7:33: `integral_of:` integrates a current (to a charge) or a power (to an energy), not a voltage (hint: e.g. `-source.current` or `-source.current * source.voltage`)"
            ]
        );
    }

    #[test]
    fn each_kind_has_its_dimension() {
        let dim = |entry: &str| one(entry).unit.dim;
        assert_eq!(
            dim("{ name: a, duty_of: dio.charge_enable, for: 40 s, between: [4 %, 8 %] }"),
            Dim::Percent
        );
        assert_eq!(
            dim("{ name: a, edges_of: dio.charge_enable, edge: rising, for: 10 min, max: 0 }"),
            Dim::Number
        );
        assert_eq!(
            dim("{ name: a, period_of: dio.charge_enable, for: 40 s, between: [3.8 s, 4.2 s] }"),
            Dim::Time
        );
        assert_eq!(
            dim("{ name: a, max_of: source.voltage, unit: mV, for: 1 min, max: 58 V }"),
            Dim::Voltage
        );
        assert_eq!(
            dim("{ name: a, mean_of: source.current, for: 1 min, limits: none }"),
            Dim::Current
        );
        assert_eq!(
            dim(
                "{ name: a, value_of: source.current, when: bms.protection_charge_overcurrent, within: 20 min, min: 70 A }"
            ),
            Dim::Current
        );
        let m = one("{ name: a, edges_of: dio.charge_enable, for: 10 min, max: 0 }");
        assert!(matches!(
            m.kind,
            MeasureKind::EdgesOf {
                edge: Edge::Any,
                ..
            }
        ));
        assert_eq!((m.min, m.max), (None, Some(0.0)));
    }

    #[test]
    fn the_unit_must_fit_the_dimension() {
        let errors =
            refused("{ name: a, integral_of: -source.current, unit: Wh, for: 1 h, limits: none }");
        assert_eq!(
            errors,
            vec![
                "plan.yaml:7:56: `unit: Wh` does not fit `integral_of:`, which measures a charge: `Wh` is a unit of an energy (hint: use a unit of a charge, e.g. `100 Ah`)"
            ]
        );
        let errors = refused("{ name: a, edges_of: dio.charge_enable, unit: s, for: 1 h, max: 0 }");
        assert!(errors[0].contains("a count has no unit"), "{errors:?}");
        let errors = refused(
            "{ name: a, time_to: dio.charge_enable, unit: furlong, within: 1 h, max: 1 s }",
        );
        assert!(
            errors[0].contains("`furlong` is no unit the rig knows"),
            "{errors:?}"
        );
    }

    #[test]
    fn limits_must_have_the_measured_dimension() {
        let errors = refused("{ name: a, time_to: dio.charge_enable, within: 1 h, max: 5 A }");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("plan.yaml:7:66: `max` must be a duration, not a current"),
            "{errors:?}"
        );
        let errors = refused("{ name: a, duty_of: dio.charge_enable, for: 1 h, min: 5 }");
        assert!(errors[0].contains("`min` needs a unit"), "{errors:?}");
    }

    #[test]
    fn limits_are_written_one_way() {
        let cases = [
            (
                "{ name: a, time_to: dio.charge_enable, within: 1 h }",
                "a measurement needs limits",
            ),
            (
                "{ name: a, time_to: dio.charge_enable, within: 1 h, min: 1 s, between: [1 s, 2 s] }",
                "write the limits one way",
            ),
            (
                "{ name: a, time_to: dio.charge_enable, within: 1 h, limits: some }",
                "must be `limits: none`",
            ),
            (
                "{ name: a, time_to: dio.charge_enable, within: 1 h, between: [1 s] }",
                "`between:` takes two limits, `[lo, hi]`, not 1",
            ),
            (
                "{ name: a, time_to: dio.charge_enable, within: 1 h, between: [2 s, 1 s] }",
                "the upper limit 1 s is below the lower limit 2 s",
            ),
            (
                "{ name: a, time_to: dio.charge_enable, within: 1 h, min: 2 s, max: 1 s }",
                "the upper limit 1 s is below the lower limit 2 s",
            ),
        ];
        for (entry, wanted) in cases {
            let errors = refused(entry);
            assert_eq!(errors.len(), 1, "{entry}: {errors:?}");
            assert!(errors[0].contains(wanted), "{entry}: {errors:?}");
            assert!(errors[0].starts_with("plan.yaml:7:"), "{errors:?}");
        }
        let m = one("{ name: a, time_to: dio.charge_enable, within: 1 h, limits: none }");
        assert_eq!((m.min, m.max), (None, None));
    }

    #[test]
    fn exactly_one_kind_and_its_window() {
        let cases = [
            (
                "{ name: a, for: 1 s, limits: none }",
                "plan.yaml:7:9: a measurement needs exactly one of `time_to`",
            ),
            (
                "{ name: a, min_of: source.current, max_of: source.current, for: 1 s, limits: none }",
                "found `min_of`, `max_of`",
            ),
            (
                "{ name: a, time_to: dio.charge_enable, for: 1 s, limits: none }",
                "`time_to:` needs `within:`",
            ),
            (
                "{ name: a, min_of: source.current, within: 1 s, limits: none }",
                "`min_of:` needs a window: `for:`",
            ),
            (
                "{ name: a, min_of: source.current, until: dio.charge_enable, limits: none }",
                "`until:` needs `within:`",
            ),
            (
                "{ name: a, value_of: source.current, within: 1 s, limits: none }",
                "`value_of:` needs `when:`",
            ),
            (
                "{ name: a, time_to: dio.charge_enable, when: dio.charge_enable, within: 1 s, limits: none }",
                "`when:` goes only with `value_of:`, not `time_to:`",
            ),
            (
                "{ name: a, duty_of: dio.charge_enable, edge: rising, for: 1 s, limits: none }",
                "`edge:` goes only with `edges_of:`",
            ),
            (
                "{ name: a, edges_of: dio.charge_enable, edge: up, for: 1 s, limits: none }",
                "`edge: up` must be `rising`, `falling` or `any`",
            ),
            (
                "{ name: a, time_to: source.current, within: 1 s, limits: none }",
                "`time_to:` must be a condition, but this is a current",
            ),
            (
                "{ name: a, min_of: dio.charge_enable, for: 1 s, limits: none }",
                "`min_of:` must be a number with a unit",
            ),
            (
                "{ name: a, max_of: dut.cocp.trip_current, for: 1 s, limits: none }",
                "this reads no channel",
            ),
            (
                "{ name: a, min_of: source.current, until: source.current, within: 1 s, limits: none }",
                "`until:` must be a condition",
            ),
        ];
        for (entry, wanted) in cases {
            let errors = refused(entry);
            assert_eq!(errors.len(), 1, "{entry}: {errors:?}");
            assert!(errors[0].contains(wanted), "{entry}: {errors:?}");
        }
    }

    #[test]
    fn names_are_dotted_lower_case_and_unique_in_the_plan() {
        for bad in [
            "Cocp.delay",
            "cocp..delay",
            "cocp delay",
            "1st",
            "cocp.",
            "",
        ] {
            let errors = refused(&format!(
                "{{ name: \"{bad}\", time_to: dio.charge_enable, within: 1 s, limits: none }}"
            ));
            assert!(
                errors[0].contains(&format!("`{bad}` cannot name a measurement")),
                "{bad}: {errors:?}"
            );
        }
        let twice = plan(concat!(
            "  - measure:\n",
            "      - { name: trip.delay, time_to: dio.charge_enable, within: 1 s, limits: none }\n",
            "  - measure:\n",
            "      - { name: trip.delay, time_to: dio.charge_enable, within: 1 s, limits: none }\n",
        ));
        assert_eq!(
            refusals(&sim(), &twice),
            vec![
                "plan.yaml:9:17: the measurement name `trip.delay` is already used at plan.yaml:7:9 (hint: each measurement of a plan needs its own name; in a `repeat:` put the index in it, e.g. `trip.{i}.delay`)"
            ]
        );
        let repeated = plan(concat!(
            "  - repeat: 2\n    as: i\n    steps:\n",
            "      - measure:\n",
            "          - { name: \"trip.{i}.delay\", time_to: dio.charge_enable, within: 1 s, limits: none }\n",
        ));
        let p = accepted(&sim(), &repeated);
        assert_eq!(p.steps[1].measurements[0].name, "trip.2.delay");
    }

    #[test]
    fn windows_are_bounded_and_count_for_the_step_timeout() {
        let errors = refused("{ name: a, min_of: source.current, for: 31 d, limits: none }");
        assert!(
            errors[0].contains("`for` `31 d` is longer than 30 days"),
            "{errors:?}"
        );
        let errors = refusals(
            &sim(),
            &plan(
                "  - timeout: 1 min\n    measure:\n      - { name: a, min_of: source.current, for: 2 min, limits: none }\n",
            ),
        );
        assert!(
            errors[0].contains("the step's timeout 60 s is shorter than its longest window 2 min"),
            "{errors:?}"
        );
    }

    #[test]
    fn the_measured_channels_are_read_before_step_one() {
        let p = accepted(
            &sim(),
            &measure(&[
                "{ name: a, integral_of: -source.current, until: not bms.discharge_enable, within: 1 h, limits: none }",
            ]),
        );
        let names: Vec<String> = p.channels_read().into_iter().map(|(_, n)| n).collect();
        assert!(names.contains(&"source.current".to_string()), "{names:?}");
        assert!(
            names.contains(&"bms.discharge_enable".to_string()),
            "{names:?}"
        );
    }
}
