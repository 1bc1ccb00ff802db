//! What every mutant must satisfy, whatever the mutation.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use libtest_mimic::Failed;
use rig::diag::{Problem, Problems};
use rig::plan::{Action, Plan, Window};

/// What a mutant must lead to.
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    /// Refused, with a problem located on this line (1-based) of the mutant.
    RefusedAt(usize),
    /// Refused; the mistake has no line (a file too large, an empty file).
    Refused,
    /// Accepted, and not dangerous (the unmutated files).
    Accepted,
    /// Accepted or refused; either is right (a sign flip may still be inside the envelope).
    Either,
}

/// One mutant: its name, its bytes (a mutation may make them other than UTF-8), and
/// what it must lead to.
pub struct Case {
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

impl Case {
    pub fn text(name: String, text: String, expect: Expect) -> Self {
        Case {
            name,
            bytes: text.into_bytes(),
            expect,
        }
    }
}

/// Loading a file must take no longer than this: a mutant that takes longer is a hang.
const PATIENCE: Duration = Duration::from_secs(10);

/// Run `load` for `case` catching panics and timing it, then judge its outcome: for an
/// accepted file, `accepted` says what is wrong with it, if anything.
pub fn judge<T>(
    case: &Case,
    (folder, path_shown): (&str, &str),
    load: impl FnOnce() -> Result<T, Problems>,
    accepted: impl FnOnce(&T) -> Option<String>,
) -> Result<(), Failed> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(load))
        .map_err(|_| Failed::from(format!("{}: loading panicked", case.name)))?;
    if started.elapsed() > PATIENCE {
        return Err(format!("{}: loading took {:?}", case.name, started.elapsed()).into());
    }
    match (outcome, case.expect) {
        (Ok(value), Expect::Either | Expect::Accepted) => match accepted(&value) {
            None => Ok(()),
            Some(danger) => Err(format!("{}: accepted but dangerous: {danger}", case.name).into()),
        },
        (Ok(_), _) => Err(format!("{}: accepted; expected a refusal", case.name).into()),
        (Err(problems), Expect::Accepted) => {
            Err(format!("{}: refused:\n{problems}", case.name).into())
        }
        (Err(problems), expect) => refusal(case, (folder, path_shown), &problems, expect),
    }
}

/// Every problem renders and names a file in `folder` (with line and column where it has
/// a place); for [`Expect::RefusedAt`] one of them is on the mutated line of `path`.
fn refusal(
    case: &Case,
    (folder, path): (&str, &str),
    problems: &Problems,
    expect: Expect,
) -> Result<(), Failed> {
    let shown = || {
        problems
            .iter()
            .map(Problem::one_line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    if problems.is_empty() {
        return Err(format!("{}: refused with no problem", case.name).into());
    }
    for p in problems.iter() {
        let rendered = catch_unwind(AssertUnwindSafe(|| p.render())).map_err(|_| {
            Failed::from(format!(
                "{}: rendering panicked: {}",
                case.name,
                p.one_line()
            ))
        })?;
        // The renderer wraps long lines behind a margin: compare without either.
        let bare = |t: &str| -> String {
            t.chars()
                .filter(|c| !c.is_whitespace() && *c != '│')
                .collect()
        };
        if !bare(&rendered).contains(&bare(&p.message)) {
            return Err(format!(
                "{}: the rendering lacks the message:\n{rendered}",
                case.name
            )
            .into());
        }
        // A file refused before it is read (too large, not a file) has no text to
        // locate in: its message names it.
        let located = match p.location() {
            Some(l) => l.starts_with(folder),
            None => p.message.contains(folder),
        };
        if !located {
            return Err(format!(
                "{}: a problem without the file's name: {}",
                case.name,
                p.one_line()
            )
            .into());
        }
    }
    if let Expect::RefusedAt(line) = expect {
        let at = format!("{path}:{line}:");
        if !problems
            .iter()
            .any(|p| p.location().is_some_and(|l| l.starts_with(&at)))
        {
            return Err(format!(
                "{}: expected a problem at {at}, got:\n{}",
                case.name,
                shown()
            )
            .into());
        }
    }
    Ok(())
}

/// What makes an accepted plan dangerous: a set point outside the envelope, the output
/// on before voltage and both current limits are programmed, or a time no clock can
/// reach. `None` if there is nothing.
pub fn danger(plan: &Plan) -> Option<String> {
    let env = &plan.envelope;
    let (mut voltage, mut current, mut sink) = (false, false, false);
    // Durations are integer now; what is left to catch is one no clock reaches.
    let time_ok = |d: Duration| d <= rig::clock::MAX_DURATION;
    if !time_ok(plan.timeout) {
        return Some(format!("plan timeout {:?}", plan.timeout));
    }
    for step in &plan.steps {
        let at = format!(
            "step {} ({}:{})",
            step.number, step.location.line, step.location.column
        );
        let mut times = [Some(step.wait), step.timeout].into_iter().flatten().chain(
            step.expectations.iter().flat_map(|e| match e.window {
                Window::Within(d) | Window::For(d) | Window::Never(d) => vec![d],
                Window::WithinAfter { after, within } => vec![after, within],
            }),
        );
        if let Some(t) = times.find(|t| !time_ok(*t)) {
            return Some(format!("{at}: a time of {t:?}"));
        }
        for action in &step.actions {
            match action {
                Action::Source(s) => {
                    if let Some(v) = s.voltage {
                        let low = env.min_voltage.is_some_and(|m| v < m);
                        let high = env.max_voltage.is_some_and(|m| v > m);
                        if low || high || !v.is_finite() {
                            return Some(format!("{at}: {v} V outside the envelope"));
                        }
                        voltage = true;
                    }
                    for (value, max, seen, what) in [
                        (
                            s.current_limit,
                            env.max_charge_a,
                            &mut current,
                            "current limit",
                        ),
                        (s.sink_limit, env.max_discharge_a, &mut sink, "sink limit"),
                    ] {
                        if let Some(a) = value {
                            if a.is_nan() || a < 0.0 || max.is_some_and(|m| a > m) {
                                return Some(format!("{at}: {what} {a} A outside the envelope"));
                            }
                            *seen = true;
                        }
                    }
                    if s.output == Some(true) && !(voltage && current && sink) {
                        return Some(format!("{at}: output on before its set points"));
                    }
                }
                Action::Chamber {
                    setpoint_c: Some(c),
                    ..
                } => {
                    let low = env.min_temperature_c.is_some_and(|m| *c < m);
                    let high = env.max_temperature_c.is_some_and(|m| *c > m);
                    if low || high || !c.is_finite() {
                        return Some(format!("{at}: chamber {c} degC outside the envelope"));
                    }
                }
                _ => {}
            }
        }
    }
    None
}
