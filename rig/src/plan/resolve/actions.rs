//! The actions other than `source:`: relays, the chamber, the inverter's CAN
//! keep-alive, RS485 commands and RS232 console lines. Each needs its instrument on the
//! bench.

use serde_saphyr::Spanned;

use super::names::RepeatIndex;
use super::resolver::Resolver;
use crate::bench::{InstrumentSpec, Role};
use crate::diag::{Problem, Span, near_misses};
use crate::plan::model::{Action, RelayOp, Rs485Command};
use crate::plan::raw::{RawChamber, RawInverter, RawRelay, RawRs232, RawRs485};
use crate::quantity::{Dim, Quantity};

impl Resolver<'_> {
    /// `rs485: { send: turn_off }`: needs the pack's RS485 link.
    pub(super) fn rs485(&mut self, node: &Spanned<RawRs485>) -> Option<Action> {
        let c = &node.value.send;
        let span = self.span(c);
        self.needs(
            Role::Rs485,
            span,
            "RS485 link to the pack",
            Some("declare a `pylontech-rs485` instrument named `rs485`"),
        )?;
        match c.value.as_str() {
            "turn_off" => Some(Action::Rs485(Rs485Command::TurnOff)),
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
    pub(super) fn rs232(&mut self, node: &Spanned<RawRs232>) -> Option<Action> {
        let line = &node.value.send;
        let span = self.span(line);
        self.needs(
            Role::Rs232,
            span,
            "RS232 console port to the pack",
            Some("declare an `rs232-console` instrument named `rs232`"),
        )?;
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
    pub(super) fn inverter(&mut self, node: &Spanned<RawInverter>) -> Option<Action> {
        let k = &node.value.keepalive;
        let span = self.span(k);
        self.needs(
            Role::Can,
            span,
            "CAN link to send the keep-alive on",
            Some("declare a `bms-can` instrument named `bms`"),
        )?;
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

    /// `chamber: { setpoint, run }`: at least one of them; the set point inside the
    /// chamber's rating and the DUT's temperature limits.
    pub(super) fn chamber(
        &mut self,
        node: &Spanned<RawChamber>,
        vars: &[RepeatIndex],
    ) -> Option<Action> {
        let at = Self::start_of(node);
        let spec = self.needs(
            Role::Chamber,
            at,
            "chamber",
            Some("add a chamber to the bench file, or remove the `chamber:` action"),
        )?;
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
            Some(f) => Some(self.chamber_setpoint(f, vars, spec)?),
        };
        Some(Action::Chamber {
            setpoint_c,
            run: raw.run.as_ref().map(|r| r.value),
        })
    }

    /// A chamber set point in degC, or `None` (and a problem) outside the envelope.
    fn chamber_setpoint(
        &mut self,
        field: &Spanned<String>,
        vars: &[RepeatIndex],
        spec: &InstrumentSpec,
    ) -> Option<f64> {
        let t = self.constant(field, vars, Dim::Temperature, "the chamber set point")?;
        let rating = "the chamber's rating in the bench file";
        let limits = [
            (spec.max_temperature, true, rating),
            (spec.min_temperature, false, rating),
            (
                self.dut.number("limits.max_temperature"),
                true,
                "dut.limits.max_temperature",
            ),
            (
                self.dut.number("limits.min_temperature"),
                false,
                "dut.limits.min_temperature",
            ),
        ];
        for (limit, above, why) in limits {
            let Some(limit) = limit else { continue };
            if (above && t > limit) || (!above && t < limit) {
                let span = self.span(field);
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

    /// `{ close: NAME }`, `{ open: NAME }` or `{ pulse: NAME, for: 8 s }` on a relay of
    /// the bench.
    pub(super) fn relay(
        &mut self,
        node: &Spanned<RawRelay>,
        vars: &[RepeatIndex],
    ) -> Option<Action> {
        let raw = &node.value;
        let at = Self::start_of(node);
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
        if !self.is_relay(name) {
            return None;
        }
        Some(Action::Relay {
            relay: name.value.clone(),
            op: self.relay_op(op, raw.duration.as_ref(), at, vars)?,
        })
    }

    /// Whether the bench has the relay `name`; if not, a problem with near misses.
    fn is_relay(&mut self, name: &Spanned<String>) -> bool {
        if self.bench.relays.contains_key(&name.value) {
            return true;
        }
        let known: Vec<&str> = self.bench.relays.keys().map(String::as_str).collect();
        let close = near_misses(&name.value, known.iter().copied());
        let span = self.span(name);
        self.problems.push(
            Problem::at(self.file, span, format!("unknown relay `{}`", name.value)).help(
                match close.first() {
                    None => format!("the bench's relays: {}", known.join(", ")),
                    Some(c) => format!("did you mean `{c}`?"),
                },
            ),
        );
        false
    }

    /// The operation: `for:` goes with a pulse and only with a pulse.
    fn relay_op(
        &mut self,
        op: &str,
        duration: Option<&Spanned<String>>,
        at: Span,
        vars: &[RepeatIndex],
    ) -> Option<RelayOp> {
        match (op, duration) {
            ("pulse", Some(d)) => Some(RelayOp::Pulse {
                seconds: self.duration(d, vars, "the pulse length")?,
            }),
            ("pulse", None) => {
                self.problems.push(
                    Problem::at(self.file, at, "a pulse needs `for:` its length")
                        .help("e.g. `{ pulse: reset_button, for: 8 s }`"),
                );
                None
            }
            (_, Some(d)) => {
                let span = self.span(d);
                self.problems.push(Problem::at(
                    self.file,
                    span,
                    "`for:` belongs to `pulse:` only",
                ));
                None
            }
            ("close", None) => Some(RelayOp::Close),
            _ => Some(RelayOp::Open),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{accepted, plan, refusals, sim, sim_without};
    use super::*;

    fn action(step: &str) -> Action {
        let p = accepted(&sim(), &plan(&format!("  - {step}\n")));
        p.steps[0].actions[0].clone()
    }

    #[test]
    fn relays_close_open_and_pulse() {
        let relay = |op| Action::Relay {
            relay: "rsd".into(),
            op,
        };
        assert_eq!(action("relay: { close: rsd }"), relay(RelayOp::Close));
        assert_eq!(action("relay: { open: rsd }"), relay(RelayOp::Open));
        assert_eq!(
            action("relay: { pulse: rsd, for: 8 s }"),
            relay(RelayOp::Pulse { seconds: 8.0 })
        );
    }

    #[test]
    fn a_misspelt_relay_suggests_the_right_one() {
        let errors = refusals(&sim(), &plan("  - relay: { close: reset_buton }\n"));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:21: unknown relay `reset_buton` (hint: did you mean `reset_button`?)"
            ]
        );
        let errors = refusals(&sim(), &plan("  - relay: { close: xyz }\n"));
        assert!(
            errors[0].contains("(hint: the bench's relays: ntc_open, reset_button, reverse_polarity, rsd, short_circuit, slave_ntc_open)"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_relay_action_is_one_operation_and_for_goes_with_pulse() {
        let cases = [
            ("{ close: rsd, open: rsd }", "a relay action is one of"),
            ("{ pulse: rsd }", "a pulse needs `for:` its length"),
            (
                "{ close: rsd, for: 1 s }",
                "`for:` belongs to `pulse:` only",
            ),
        ];
        for (relay, wanted) in cases {
            let errors = refusals(&sim(), &plan(&format!("  - relay: {relay}\n")));
            assert_eq!(errors.len(), 1, "{relay}: {errors:?}");
            assert!(errors[0].contains(wanted), "{relay}: {errors:?}");
        }
    }

    #[test]
    fn the_chamber_takes_a_set_point_and_or_run() {
        assert_eq!(
            action("chamber: { setpoint: 45 degC, run: true }"),
            Action::Chamber {
                setpoint_c: Some(45.0),
                run: Some(true)
            }
        );
        assert_eq!(
            action("chamber: { run: false }"),
            Action::Chamber {
                setpoint_c: None,
                run: Some(false)
            }
        );
        let errors = refusals(&sim(), &plan("  - chamber: {}\n"));
        assert!(
            errors[0].contains("a chamber action needs `setpoint:` and/or `run:`"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_chamber_set_point_stays_inside_the_rating_and_the_dut_limits() {
        // The sim chamber is rated -40..100 degC, the test pack -20..60 degC.
        let refused = |t: &str| {
            refusals(
                &sim(),
                &plan(&format!("  - chamber: {{ setpoint: {t} }}\n")),
            )
        };
        let errors = refused("80 degC");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("the chamber set point 80 degC is above the envelope's maximum 60 degC (hint: the limit comes from dut.limits.max_temperature)"),
            "{errors:?}"
        );
        let errors = refused("-50 degC");
        assert!(
            errors[0].contains("is below the envelope's minimum -40 degC (hint: the limit comes from the chamber's rating in the bench file)"),
            "{errors:?}"
        );
        let errors = refusals(
            &sim_without("chamber"),
            &plan("  - chamber: { run: true }\n"),
        );
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:14: the bench `sim` has no chamber (hint: add a chamber to the bench file, or remove the `chamber:` action)"
            ]
        );
    }

    #[test]
    fn the_keepalive_is_on_or_off_on_a_bench_with_can() {
        assert_eq!(
            action("inverter: { keepalive: on }"),
            Action::KeepAlive { on: true }
        );
        assert_eq!(
            action("inverter: { keepalive: off }"),
            Action::KeepAlive { on: false }
        );
        let errors = refusals(&sim(), &plan("  - inverter: { keepalive: sometimes }\n"));
        assert!(
            errors[0].contains("`keepalive: sometimes` is neither on nor off"),
            "{errors:?}"
        );
        let errors = refusals(
            &sim_without("bms"),
            &plan("  - inverter: { keepalive: on }\n"),
        );
        assert!(
            errors[0].contains("the bench `sim` has no CAN link to send the keep-alive on"),
            "{errors:?}"
        );
    }

    #[test]
    fn rs485_knows_turn_off_only() {
        assert_eq!(
            action("rs485: { send: turn_off }"),
            Action::Rs485(Rs485Command::TurnOff)
        );
        let errors = refusals(&sim(), &plan("  - rs485: { send: reboot }\n"));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:6:20: unknown RS485 command `reboot` (hint: commands: turn_off (0x95))"
            ]
        );
        let errors = refusals(
            &sim_without("rs485"),
            &plan("  - rs485: { send: turn_off }\n"),
        );
        assert!(
            errors[0].contains("the bench `sim` has no RS485 link to the pack"),
            "{errors:?}"
        );
    }

    #[test]
    fn rs232_sends_a_printable_line() {
        assert_eq!(
            action("rs232: { send: wake }"),
            Action::Rs232 {
                line: "wake".into()
            }
        );
        let errors = refusals(&sim(), &plan("  - rs232: { send: \"\" }\n"));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("(hint: write the text only"),
            "{errors:?}"
        );
        let errors = refusals(&sim_without("rs232"), &plan("  - rs232: { send: wake }\n"));
        assert!(
            errors[0].contains("the bench `sim` has no RS232 console port to the pack"),
            "{errors:?}"
        );
    }
}
