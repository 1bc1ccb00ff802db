//! The names a plan may use in expressions: `dut.*` profile values, repeat indices and
//! the bench's channels, with near-miss hints for a name that is none of them; and
//! `{index}` in step and expectation names.

use serde_saphyr::Spanned;

use super::resolver::Resolver;
use crate::bench::Channels;
use crate::diag::{Problem, near_misses};
use crate::dut::DutProfile;
use crate::expr::{Binding, Scope, Value};
use crate::quantity::{Dim, Quantity};

/// A repeat index in scope: the name `as:` gives it and this iteration's value (from 1).
pub(super) type RepeatIndex = (String, u32);

/// Names a plan may use: `dut.*`, repeat indices, channels.
pub(super) struct PlanScope<'a> {
    pub(super) dut: &'a DutProfile,
    pub(super) channels: &'a Channels,
    /// Innermost last: an inner index shadows an outer one of the same name.
    pub(super) vars: &'a [RepeatIndex],
}

impl Scope for PlanScope<'_> {
    fn lookup(&self, path: &[String]) -> Result<Binding, (String, Option<String>)> {
        if path.first().map(String::as_str) == Some("dut") {
            let rest = path[1..].join(".");
            return self.dut.resolve(&rest).map(Binding::Constant);
        }
        if let [single] = path
            && let Some(v) = index_value(self.vars, single)
        {
            return Ok(Binding::Constant(Value::Num(Quantity::new(
                f64::from(v),
                Dim::Number,
            ))));
        }
        let name = path.join(".");
        match self.channels.find(&name) {
            Some((id, spec)) => Ok(Binding::Channel { id, ty: spec.ty }),
            None => Err(self.unknown(path, &name)),
        }
    }
}

impl PlanScope<'_> {
    /// Why `path` is not a name here, with the names it may have meant.
    fn unknown(&self, path: &[String], name: &str) -> (String, Option<String>) {
        let prefix = path.first().map_or("", String::as_str);
        let instruments = self.instruments();
        if !instruments.contains(&prefix) && path.len() > 1 {
            let close = near_misses(prefix, instruments.iter().copied());
            let help = match close.first() {
                Some(c) => format!("did you mean `{c}`?"),
                None => format!(
                    "the bench has: {}, and `dut.*` for profile values",
                    instruments.join(", ")
                ),
            };
            return (format!("unknown instrument `{prefix}`"), Some(help));
        }
        let close = near_misses(name, self.channels.names());
        let help = if !close.is_empty() {
            let quoted: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
            format!("did you mean {}?", quoted.join(" or "))
        } else if path.len() == 1 {
            self.single_word_help()
        } else {
            let of: Vec<&str> = self
                .channels
                .names()
                .filter(|n| n.starts_with(&format!("{prefix}.")))
                .collect();
            format!("`{prefix}` has: {}", of.join(", "))
        };
        (format!("unknown channel `{name}`"), Some(help))
    }

    /// The first words of the channel names (`bms`, `dio`, `relays`), in bench order.
    fn instruments(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .channels
            .names()
            .filter_map(|n| n.split('.').next())
            .collect();
        v.dedup();
        v
    }

    /// A single word is a repeat index, if anything.
    fn single_word_help(&self) -> String {
        let vars: Vec<&str> = self.vars.iter().map(|(n, _)| n.as_str()).collect();
        if vars.is_empty() {
            "names are channels (`bms.soc`), profile values (`dut.cocp.trip_current`) or a repeat index named by `as:`".into()
        } else {
            format!("repeat indices here: {}", vars.join(", "))
        }
    }
}

/// The value of the innermost repeat index named `name`.
fn index_value(vars: &[RepeatIndex], name: &str) -> Option<u32> {
    vars.iter().rev().find(|(n, _)| n == name).map(|(_, v)| *v)
}

/// `text` with each `{index}` replaced by that repeat index's value, and the names in
/// braces that are no repeat index here (left out of the text). An unclosed `{` is
/// kept as written.
pub(super) fn interpolate<'t>(text: &'t str, vars: &[RepeatIndex]) -> (String, Vec<&'t str>) {
    let mut out = String::new();
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let var = &rest[open + 1..open + close];
        match index_value(vars, var) {
            Some(v) => out.push_str(&v.to_string()),
            None => unknown.push(var),
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    (out, unknown)
}

impl Resolver<'_> {
    /// The scope names are bound in, with the repeat indices `vars`.
    pub(super) fn scope<'s>(&'s self, vars: &'s [RepeatIndex]) -> PlanScope<'s> {
        PlanScope {
            dut: self.dut,
            channels: &self.channels,
            vars,
        }
    }

    /// A step's or an expectation's name with its `{index}`es filled in; each unknown
    /// one is a problem.
    pub(super) fn interpolate(&mut self, text: &Spanned<String>, vars: &[RepeatIndex]) -> String {
        let (out, unknown) = interpolate(&text.value, vars);
        for var in unknown {
            let span = self.span(text);
            self.problems.push(
                Problem::at(
                    self.file,
                    span,
                    format!("`{{{var}}}` is not a repeat index here"),
                )
                .help("`{name}` inserts the index named by `as: name` of an enclosing `repeat:`"),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{dut, plan, refusals, sim};
    use super::*;
    use crate::bench::Bench;

    fn lookup(name: &str, vars: &[RepeatIndex]) -> Result<Binding, (String, Option<String>)> {
        let dut = dut();
        let channels = Channels::of(&Bench::builtin_sim(), 1);
        let scope = PlanScope {
            dut: &dut,
            channels: &channels,
            vars,
        };
        let path: Vec<String> = name.split('.').map(String::from).collect();
        scope.lookup(&path)
    }

    fn refusal(name: &str, vars: &[RepeatIndex]) -> (String, String) {
        match lookup(name, vars) {
            Ok(b) => panic!("`{name}` was bound: {b:?}"),
            Err((message, help)) => (message, help.unwrap_or_default()),
        }
    }

    #[test]
    fn dut_values_bind_as_constants() {
        let Ok(Binding::Constant(Value::Num(q))) = lookup("dut.cocp.trip_current", &[]) else {
            panic!("not a constant");
        };
        assert_eq!(q, Quantity::new(75.0, Dim::Current));
    }

    #[test]
    fn a_band_reads_as_min_and_max_and_an_unbanded_value_names_its_line() {
        let Ok(Binding::Constant(Value::Num(q))) = lookup("dut.cocp.trip_delay.max", &[]) else {
            panic!("not a constant");
        };
        assert_eq!(q, Quantity::new(4.0, Dim::Time));
        let (message, help) = refusal("dut.cocp.trip_current.min", &[]);
        assert!(
            message.contains("`dut.cocp.trip_current` has no band"),
            "{message}"
        );
        assert!(
            help.starts_with(
                "add `band: [lo, hi]` to `cocp.trip_current` at duts/pack.yaml:15:28,"
            ),
            "{help}"
        );
    }

    #[test]
    fn a_misspelt_dut_value_suggests_the_right_one() {
        let (message, help) = refusal("dut.cocp.trip_curent", &[]);
        assert_eq!(
            message,
            "the DUT profile `pack` has no value `dut.cocp.trip_curent`"
        );
        assert_eq!(help, "did you mean `dut.cocp.trip_current`?");
    }

    #[test]
    fn channels_bind_by_their_full_name() {
        assert!(matches!(
            lookup("bms.soc", &[]),
            Ok(Binding::Channel { .. })
        ));
        assert!(matches!(
            lookup("dio.charge_enable", &[]),
            Ok(Binding::Channel { .. })
        ));
    }

    #[test]
    fn a_misspelt_channel_suggests_near_misses() {
        let (message, help) = refusal("bms.charge_enabel", &[]);
        assert_eq!(message, "unknown channel `bms.charge_enabel`");
        assert_eq!(help, "did you mean `bms.charge_enable`?");
        let (_, help) = refusal("bms.sco", &[]);
        assert_eq!(help, "did you mean `bms.soc` or `bms.soh`?");
    }

    #[test]
    fn a_channel_far_from_any_suggests_its_instruments_channels() {
        let (message, help) = refusal("chamber.humidity", &[]);
        assert_eq!(message, "unknown channel `chamber.humidity`");
        assert_eq!(
            help,
            "did you mean `chamber.setpoint` or `chamber.temperature`?"
        );
    }

    #[test]
    fn a_misspelt_instrument_suggests_the_right_one() {
        let (message, help) = refusal("sorce.voltage", &[]);
        assert_eq!(message, "unknown instrument `sorce`");
        assert_eq!(help, "did you mean `source`?");
        let (_, help) = refusal("xyz.voltage", &[]);
        assert!(
            help.starts_with("the bench has: ") && help.contains("source") && help.contains("dio"),
            "{help}"
        );
    }

    #[test]
    fn a_single_word_is_a_repeat_index_innermost_first() {
        let vars = [("trip".to_string(), 2), ("trip".to_string(), 3)];
        let Ok(Binding::Constant(Value::Num(q))) = lookup("trip", &vars) else {
            panic!("not a constant");
        };
        assert_eq!(q, Quantity::new(3.0, Dim::Number));
        let (message, help) = refusal("cycle", &vars[..1]);
        assert_eq!(message, "unknown channel `cycle`");
        assert_eq!(help, "repeat indices here: trip");
        let (_, help) = refusal("cycle", &[]);
        assert!(help.starts_with("names are channels"), "{help}");
    }

    #[test]
    fn interpolation_fills_in_indices_and_returns_unknown_names() {
        let vars = [("trip".to_string(), 2)];
        assert_eq!(
            interpolate("trip {trip} of 3", &vars),
            ("trip 2 of 3".to_string(), vec![])
        );
        assert_eq!(
            interpolate("{x} and {trip}", &vars),
            (" and 2".to_string(), vec!["x"])
        );
        assert_eq!(
            interpolate("open { brace", &vars),
            ("open { brace".to_string(), vec![])
        );
    }

    #[test]
    fn an_unknown_index_in_a_step_name_is_refused() {
        let errors = refusals(&sim(), &plan("  - name: \"cycle {x}\"\n    wait: 1 s\n"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with("plan.yaml:6:12: `{x}` is not a repeat index here"),
            "{errors:?}"
        );
    }
}
