//! The envelope: what the rig may ever apply to the pack, the tighter of the DUT
//! profile's `limits.*` and the bench source's ratings, each limit with the reason it is
//! there; and the check of a set point against it.

use serde_saphyr::Spanned;

use super::resolver::Resolver;
use crate::bench::{Bench, Driver, Role};
use crate::diag::Problem;
use crate::dut::{DutProfile, Provenance};
use crate::expr::Value;
use crate::plan::model::EnvelopeLimits;
use crate::quantity::{Dim, Quantity};

/// Which side of the allowed range a limit bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    Max,
    Min,
}

/// A limit of the envelope and why it is there.
#[derive(Clone, Debug)]
pub(super) struct Limit {
    pub(super) value: f64,
    pub(super) dim: Dim,
    pub(super) side: Side,
    pub(super) why: String,
}

impl Limit {
    fn max(value: f64, dim: Dim, why: String) -> Limit {
        Limit {
            value,
            dim,
            side: Side::Max,
            why,
        }
    }

    /// Whether `value` is inside the limit. A set point computed from profile values
    /// (`dut.x + 5 A`) may land a rounding error past a limit it equals: allow 1e-9.
    pub(super) fn admits(&self, value: f64) -> bool {
        match self.side {
            Side::Max => value <= self.value + 1e-9,
            Side::Min => value >= self.value - 1e-9,
        }
    }
}

/// What the rig may ever apply to the pack: the tighter of the DUT's limits and the
/// bench source's ratings.
#[derive(Clone, Debug, Default)]
pub(super) struct Envelope {
    pub(super) max_voltage: Option<Limit>,
    pub(super) min_voltage: Option<Limit>,
    pub(super) max_charge: Option<Limit>,
    pub(super) max_discharge: Option<Limit>,
}

impl Envelope {
    pub(super) fn of(dut: &DutProfile, bench: &Bench) -> Envelope {
        let source = bench
            .instruments
            .values()
            .find(|i| i.driver.role() == Role::Source);
        let rating = format!(
            "the rating of the bench's source in {}",
            bench.file.path.display()
        );
        let bench_v = source
            .and_then(|s| s.max_voltage)
            .map(|v| Limit::max(v, Dim::Voltage, rating.clone()));
        let bench_i = source
            .and_then(|s| s.max_current)
            .map(|v| Limit::max(v, Dim::Current, rating));
        // An electronic load sinks only: nothing may charge the pack on its bench.
        let bench_charge = match source {
            Some(s) if s.driver == Driver::ScpiLoad => Some(Limit::max(
                0.0,
                Dim::Current,
                format!(
                    "the bench's `{}`, an electronic load that cannot charge ({})",
                    s.name,
                    bench.file.path.display()
                ),
            )),
            _ => bench_i.clone(),
        };
        let dut_max = |path, dim| dut_limit(dut, path, dim, Side::Max);
        Envelope {
            max_voltage: tighter(dut_max("limits.max_voltage", Dim::Voltage), bench_v),
            min_voltage: dut_limit(dut, "limits.min_voltage", Dim::Voltage, Side::Min),
            max_charge: tighter(
                dut_max("limits.max_charge_current", Dim::Current),
                bench_charge,
            ),
            max_discharge: tighter(
                dut_max("limits.max_discharge_current", Dim::Current),
                bench_i,
            ),
        }
    }

    /// The envelope in base units, for the supervisor; temperatures are the profile's.
    pub(super) fn limits(&self, dut: &DutProfile) -> EnvelopeLimits {
        let value = |l: &Option<Limit>| l.as_ref().map(|l| l.value);
        EnvelopeLimits {
            max_voltage: value(&self.max_voltage),
            min_voltage: value(&self.min_voltage),
            max_charge_a: value(&self.max_charge),
            max_discharge_a: value(&self.max_discharge),
            min_temperature_c: dut.number("limits.min_temperature"),
            max_temperature_c: dut.number("limits.max_temperature"),
        }
    }
}

/// The tighter of two limits on the same side; on a tie, `a`.
fn tighter(a: Option<Limit>, b: Option<Limit>) -> Option<Limit> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let lower_is_tighter = a.side == Side::Max;
            if (a.value <= b.value) == lower_is_tighter {
                Some(a)
            } else {
                Some(b)
            }
        }
        (a, b) => a.or(b),
    }
}

/// A profile value as a limit, its reason the manual section or the assumption.
fn dut_limit(dut: &DutProfile, path: &str, dim: Dim, side: Side) -> Option<Limit> {
    let v = dut.get(path)?;
    let Value::Num(q) = v.value else { return None };
    let why = match &v.provenance {
        Provenance::Manual(s) => format!("dut.{path}, {s}"),
        Provenance::Assumption(a) => format!("dut.{path}, an assumption: {a}"),
    };
    Some(Limit {
        value: q.value,
        dim,
        side,
        why,
    })
}

impl Resolver<'_> {
    /// Whether `value`, written in `field`, is inside `limit`; if not, a problem that
    /// says which limit and where it comes from.
    pub(super) fn check_limit(
        &mut self,
        field: &Spanned<String>,
        value: f64,
        limit: &Option<Limit>,
        what: &str,
    ) -> bool {
        let Some(limit) = limit else { return true };
        if limit.admits(value) {
            return true;
        }
        let (relation, bound) = match limit.side {
            Side::Max => ("above", "maximum"),
            Side::Min => ("below", "minimum"),
        };
        let quantity = |v| Quantity::new(v, limit.dim);
        let span = self.span(field);
        self.problems.push(
            Problem::at(
                self.file,
                span,
                format!(
                    "{what} {} is {relation} the envelope's {bound} {}",
                    quantity(value),
                    quantity(limit.value)
                ),
            )
            .label(format!("evaluates to {}", quantity(value)))
            .help(format!("the limit comes from {}", limit.why)),
        );
        false
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{bench, dut, load_bench, plan, refusals, sim};
    use super::*;

    fn limit(value: f64, why: &str) -> Option<Limit> {
        Some(Limit::max(value, Dim::Voltage, why.into()))
    }

    #[test]
    fn tighter_takes_the_lower_maximum_and_the_dut_on_a_tie() {
        let pick = |a, b| tighter(limit(a, "dut"), limit(b, "bench")).map(|l| l.why);
        assert_eq!(pick(57.6, 60.0).as_deref(), Some("dut"));
        assert_eq!(pick(60.0, 57.6).as_deref(), Some("bench"));
        assert_eq!(pick(57.6, 57.6).as_deref(), Some("dut"));
        assert_eq!(tighter(None, limit(1.0, "bench")).unwrap().why, "bench");
        assert!(tighter(None, None).is_none());
    }

    #[test]
    fn tighter_takes_the_higher_minimum() {
        let min = |v: f64, why: &str| {
            Some(Limit {
                side: Side::Min,
                ..Limit::max(v, Dim::Voltage, why.into())
            })
        };
        assert_eq!(
            tighter(min(44.0, "dut"), min(45.0, "bench")).unwrap().why,
            "bench"
        );
    }

    #[test]
    fn a_limit_admits_a_rounding_error_and_no_more() {
        let max = Limit::max(100.0, Dim::Current, String::new());
        assert!(max.admits(100.0) && max.admits(100.0 + 1e-10));
        assert!(!max.admits(100.0 + 1e-6));
        let min = Limit {
            side: Side::Min,
            ..max
        };
        assert!(min.admits(100.0 - 1e-10) && !min.admits(100.0 - 1e-6));
    }

    #[test]
    fn the_envelope_is_the_tighter_of_dut_and_bench_and_says_why() {
        // The test profile allows 57.6 V and 100 A; the sim source is rated 60 V, 120 A.
        let e = Envelope::of(&dut(), &sim());
        let max_v = e.max_voltage.unwrap();
        assert_eq!(max_v.value, 57.6);
        assert_eq!(
            max_v.why,
            "dut.limits.max_voltage, §1 'Charge voltage 57.6 V'"
        );
        let max_i = e.max_charge.unwrap();
        assert_eq!(max_i.value, 100.0);
        assert_eq!(
            max_i.why,
            "dut.limits.max_charge_current, an assumption: above COCP"
        );
        assert_eq!(e.min_voltage.unwrap().side, Side::Min);
        // A source rated below the profile's limits bounds the envelope instead.
        let small = bench(&crate::bench::BUILTIN_SIM_BENCH.replace(
            "max_voltage: 60 V, max_current: 120 A",
            "max_voltage: 50 V, max_current: 40 A",
        ));
        let e = Envelope::of(&dut(), &small);
        let max_v = e.max_voltage.unwrap();
        assert_eq!(max_v.value, 50.0);
        assert_eq!(max_v.why, "the rating of the bench's source in bench.yaml");
        assert_eq!(e.max_discharge.unwrap().value, 40.0);
    }

    #[test]
    fn a_load_bench_forbids_charging() {
        let e = Envelope::of(&dut(), &load_bench());
        let max_charge = e.max_charge.unwrap();
        assert_eq!(max_charge.value, 0.0);
        assert_eq!(
            max_charge.why,
            "the bench's `source`, an electronic load that cannot charge (bench.yaml)"
        );
        assert_eq!(e.max_discharge.unwrap().value, 60.0);
    }

    #[test]
    fn the_supervisor_gets_the_envelope_in_base_units() {
        let limits = Envelope::of(&dut(), &sim()).limits(&dut());
        assert_eq!(
            limits,
            EnvelopeLimits {
                max_voltage: Some(57.6),
                min_voltage: Some(44.8),
                max_charge_a: Some(100.0),
                max_discharge_a: Some(100.0),
                min_temperature_c: Some(-20.0),
                max_temperature_c: Some(60.0),
            }
        );
    }

    #[test]
    fn a_set_point_past_a_limit_names_the_limit_and_its_reason() {
        let errors = refusals(
            &sim(),
            &plan("  - source: { voltage: dut.charge_voltage + 3 V }\n"),
        );
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:24: the source voltage 59.6 V is above the envelope's maximum 57.6 V: evaluates to 59.6 V (hint: the limit comes from dut.limits.max_voltage, §1 'Charge voltage 57.6 V')"
            ]
        );
        let errors = refusals(&sim(), &plan("  - source: { voltage: 40 V }\n"));
        assert!(
            errors[0].contains("the source voltage 40 V is below the envelope's minimum 44.8 V"),
            "{errors:?}"
        );
    }
}
