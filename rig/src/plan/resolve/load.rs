//! Loading a plan: the file, its DUT profile, and the fields of the plan as a whole
//! (id, pack count, timeout, poll periods, the profile's limits). The steps are
//! resolved in `steps`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_saphyr::Spanned;

use super::resolver::Resolver;
use crate::bench::{Bench, Role};
use crate::diag::{Problem, Problems, SourceFile, Span, near_misses};
use crate::dut::DutProfile;
use crate::plan::model::{Plan, content_hash};
use crate::plan::raw::RawPlan;
use crate::plan::requires;

/// The shortest poll period: no instrument answers faster, and a shorter one floods the
/// log (issue 13: `poll: 0.000001 ms` grew it by 600 MB a minute).
const MIN_POLL: Duration = Duration::from_millis(10);

/// The profile values the envelope is made of: without them no set point can be checked.
const LIMITS: [&str; 4] = [
    "limits.max_voltage",
    "limits.min_voltage",
    "limits.max_charge_current",
    "limits.max_discharge_current",
];

/// Load and check a plan against a bench. The DUT profile is found from the plan's
/// `dut:` (see [`crate::dut::find_profile`]).
pub fn load_plan(path: &std::path::Path, bench: &Bench) -> Result<Plan, Problems> {
    load_plan_for(path, bench, None)
}

/// Load and check a plan against a bench and the profile `dut` (`--dut`), or the plan's
/// own `dut:` when `None`. A profile that does not promise what the plan needs
/// (`requires: { dut }`) gives the plan unresolved, without steps, and the reason in
/// [`Plan::skip`]: its steps may read values that profile does not have.
pub fn load_plan_for(
    path: &std::path::Path,
    bench: &Bench,
    dut: Option<&str>,
) -> Result<Plan, Problems> {
    let file = SourceFile::read(path)?;
    let raw: RawPlan = crate::input::parse_yaml(&file)?;
    let own = profile(path, &file, &raw.dut)?;
    requires::check_own(raw.requires.as_ref(), &file, &own)?;
    let dut = match dut {
        Some(id) if id != own.id => profile_named(path, id)?,
        _ => own,
    };
    match requires::unmet(raw.requires.as_ref(), &dut) {
        Some(why) => Ok(not_promised(raw, file, dut, why)),
        None => resolve(raw, file, dut, bench),
    }
}

/// The profile the plan's `dut:` names.
fn profile(
    path: &std::path::Path,
    file: &SourceFile,
    id: &Spanned<String>,
) -> Result<DutProfile, Problems> {
    match crate::dut::find_profile(path, &id.value) {
        Ok(p) => DutProfile::load(&p),
        Err(known) => Err(Problem::at(
            file,
            Span::of_scalar(&id.referenced, &file.text),
            format!("no DUT profile `{}`", id.value),
        )
        .help(known_help(&id.value, &known))
        .into()),
    }
}

/// The profile `--dut` names, found from the plan's folder as its own would be.
fn profile_named(path: &std::path::Path, id: &str) -> Result<DutProfile, Problems> {
    match crate::dut::find_profile(path, id) {
        Ok(p) => DutProfile::load(&p),
        Err(known) => Err(Problem::without_source(format!(
            "--dut {id}: no DUT profile `{id}` for the plan {}",
            path.display()
        ))
        .help(known_help(id, &known))
        .into()),
    }
}

fn known_help(id: &str, known: &[String]) -> String {
    let close = near_misses(id, known.iter().map(String::as_str));
    if !close.is_empty() {
        format!("did you mean `{}`?", close[0])
    } else if known.is_empty() {
        "profiles live in a `duts/` folder beside the plan or above it".to_string()
    } else {
        format!("profiles: {}", known.join(", "))
    }
}

/// The plan for a profile that does not promise what it tests: named and described as
/// written, no steps (they are not resolved against values the profile lacks), and
/// the reason it is skipped.
fn not_promised(raw: RawPlan, file: SourceFile, dut: DutProfile, why: String) -> Plan {
    Plan {
        id: raw.id.value,
        title: raw.title,
        tags: raw.tags,
        description: raw.description,
        packs: 1,
        timeout: std::time::Duration::ZERO,
        steps: Vec::new(),
        content_hash: content_hash(&file.text),
        envelope: Default::default(),
        poll: BTreeMap::new(),
        skip: Some(why),
        dut,
        file,
    }
}

/// The resolved plan, or every problem found in it.
pub(super) fn resolve(
    raw: RawPlan,
    file: SourceFile,
    dut: DutProfile,
    bench: &Bench,
) -> Result<Plan, Problems> {
    let mut problems = Problems::default();
    let packs = packs(&raw, &file, &dut, bench, &mut problems);
    let mut r = Resolver::new(&file, &dut, bench, packs, problems);
    r.check_id(&raw.id);
    if r.instrument(Role::Source).is_some() {
        r.check_profile_limits();
    }
    let timeout = r.duration(&raw.timeout, &[], "`timeout`");
    let poll = r.poll_periods(&raw.poll);
    if raw.steps.is_empty() {
        r.problems
            .push(Problem::in_file(&file, "the plan has no steps"));
    }
    r.steps_of(&raw.steps, &[]);
    let envelope = r.envelope.limits(&dut);
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
        timeout: timeout.unwrap_or_default(),
        steps,
        content_hash,
        envelope,
        poll,
        skip: None,
        file,
    })
}

/// Packs the plan needs (`requires:`); 1 if that is refused, so the rest is still checked.
fn packs(
    raw: &RawPlan,
    file: &SourceFile,
    dut: &DutProfile,
    bench: &Bench,
    problems: &mut Problems,
) -> u8 {
    let rs485 = bench
        .instruments
        .values()
        .find(|i| i.driver.role() == Role::Rs485)
        .map(|i| (i.name.as_str(), i.address));
    match requires::packs(raw.requires.as_ref(), file, dut, rs485) {
        Ok(n) => n,
        Err(p) => {
            problems.push(p);
            1
        }
    }
}

impl Resolver<'_> {
    /// The plan's id names it in reports and filters: a plain name.
    fn check_id(&mut self, id: &Spanned<String>) {
        if let Some(why) = crate::input::plain_name_problem(&id.value) {
            let span = self.span(id);
            let shown: String = id.value.chars().take(crate::input::MAX_ID_CHARS).collect();
            self.problems.push(
                Problem::at(self.file, span, format!("plan id `{shown}` {why}"))
                    .help("use letters, digits, `_` and `-`, e.g. `cocp_lockout`"),
            );
        }
    }

    /// A bench with a source needs the profile's limits to check set points against.
    fn check_profile_limits(&mut self) {
        for path in LIMITS {
            if self.dut.get(path).is_none() {
                self.problems.push(
                    Problem::in_file(
                        &self.dut.file,
                        format!("the profile has no `{path}`, so set points cannot be checked"),
                    )
                    .help(
                        "add the DUT's limits under `values: limits:` with their manual sections",
                    ),
                );
            }
        }
    }

    /// `poll: { io: 10 s }`: periods by instrument, each a polled instrument of the bench
    /// (CAN links are not polled: the BMS sends on its own). A plan may slow down a
    /// role's instrument (`rs485`) that this bench lacks: there is nothing to poll, and a
    /// plan that slows what it does not read must still run on benches without it.
    fn poll_periods(
        &mut self,
        poll: &BTreeMap<String, Spanned<String>>,
    ) -> BTreeMap<String, Duration> {
        let polled = |i: &&crate::bench::InstrumentSpec| i.driver.role() != Role::Can;
        let mut periods = BTreeMap::new();
        for (name, period) in poll {
            let on_bench = self.bench.instruments.get(name).filter(polled).is_some();
            if !on_bench && !self.bench.instruments.contains_key(name) && is_polled_role(name) {
                continue;
            }
            if !on_bench {
                let known: Vec<&str> = (self.bench.instruments.values())
                    .filter(polled)
                    .map(|i| i.name.as_str())
                    .collect();
                let span = self.span(period);
                self.problems.push(
                    Problem::at(
                        self.file,
                        span,
                        format!(
                            "`poll` names `{name}`, which is not a polled instrument of the bench"
                        ),
                    )
                    .help(format!("polled instruments: {}", known.join(", "))),
                );
            } else if let Some(d) = self.duration(period, &[], "a poll period") {
                if d < MIN_POLL {
                    let span = self.span(period);
                    self.problems.push(
                        Problem::at(self.file, span, "a poll period must be at least 10 ms")
                            .help("instruments answer in milliseconds; faster polling only floods the log"),
                    );
                } else {
                    periods.insert(name.clone(), d);
                }
            }
        }
        periods
    }
}

/// `name` is what plans call a polled role's instrument (`source`, `rs485`, ...).
fn is_polled_role(name: &str) -> bool {
    [Role::Source, Role::Rs485, Role::Rs232, Role::Chamber]
        .into_iter()
        .any(|r| r.required_name() == Some(name))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_support::{HEAD, accepted, plan, plan_with, refusals, sim};

    const STEP: &str = "  - wait: 1 s\n";

    #[test]
    fn a_plain_plan_keeps_its_fields_and_timeout() {
        let p = accepted(&sim(), &plan(STEP));
        assert_eq!(p.id, "t");
        assert_eq!(p.title, "T");
        assert_eq!(p.timeout, Duration::from_secs(600));
        assert_eq!(p.packs, 1);
        assert_eq!(p.steps.len(), 1);
    }

    #[test]
    fn an_id_that_is_not_a_plain_name_is_refused() {
        let errors = refusals(&sim(), &plan_with("id: \"cocp lockout\"", STEP));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("plan id `cocp lockout` is not a plain name"),
            "{errors:?}"
        );
    }

    /// Issue 13: a 5,000-character id validated and the run failed on the file name.
    #[test]
    fn an_id_is_bounded_in_length() {
        let long = "x".repeat(5000);
        let errors = refusals(&sim(), &plan_with(&format!("id: {long}"), STEP));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("is 5000 characters long; at most 64"),
            "{errors:?}"
        );
        assert!(errors[0].len() < 400, "the message quotes the id shortened");
    }

    #[test]
    fn a_plan_without_steps_is_refused() {
        let errors = refusals(&sim(), &format!("{HEAD}steps: []\n"));
        assert_eq!(errors, vec!["plan.yaml: the plan has no steps"]);
    }

    #[test]
    fn the_plan_timeout_needs_a_time() {
        let errors = refusals(&sim(), &plan_with("timeout: 10", STEP));
        assert!(errors[0].contains("`timeout` needs a unit"), "{errors:?}");
        let errors = refusals(&sim(), &plan_with("timeout: 0 s", STEP));
        assert!(
            errors[0].contains("`timeout` must be longer than zero"),
            "{errors:?}"
        );
    }

    #[test]
    fn poll_periods_are_for_polled_instruments_only() {
        let p = accepted(&sim(), &plan_with("poll: { io: 10 s, source: 2 s }", STEP));
        assert_eq!(p.poll.get("io"), Some(&Duration::from_secs(10)));
        assert_eq!(p.poll.get("source"), Some(&Duration::from_secs(2)));
        let errors = refusals(&sim(), &plan_with("poll: { bms: 1 s }", STEP));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("`poll` names `bms`, which is not a polled instrument"),
            "{errors:?}"
        );
        assert!(
            errors[0].contains("polled instruments: chamber, io, rs232, rs485, source"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_refused_pack_count_is_reported_and_the_rest_still_checked() {
        let errors = refusals(
            &sim(),
            &plan_with("requires: { packs: 0 }", "  - wait: -1 s\n"),
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("a plan needs at least 1 pack"),
            "{errors:?}"
        );
        assert!(
            errors[1].contains("`wait` must be longer than zero"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_profile_without_limits_is_refused_on_a_bench_with_a_source() {
        let dut =
            "id: bare\nmodel: M\nmanual: m\nvalues:\n  capacity: { value: 100 Ah, source: s }\n";
        let errors = super::super::test_support::refusals_with_dut(dut, &sim(), &plan(STEP));
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(
            errors[0].starts_with(
                "duts/bare.yaml: the profile has no `limits.max_voltage`, so set points cannot be checked"
            ),
            "{errors:?}"
        );
        assert!(
            errors[3].contains("limits.max_discharge_current"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_poll_period_for_a_role_the_bench_lacks_is_accepted_and_unused() {
        let bench = super::super::test_support::sim_without("rs485");
        let p = accepted(&bench, &plan_with("poll: { rs485: 10 s, io: 1 s }", STEP));
        assert_eq!(p.poll.get("rs485"), None);
        assert_eq!(p.poll.get("io"), Some(&Duration::from_secs(1)));
        // A name that is no role and not on the bench is still a mistake.
        let errors = refusals(&bench, &plan_with("poll: { rs458: 10 s }", STEP));
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn a_poll_period_is_at_least_ten_milliseconds() {
        let p = accepted(&sim(), &plan_with("poll: { io: 10 ms }", STEP));
        assert_eq!(p.poll.get("io"), Some(&Duration::from_millis(10)));
        let errors = refusals(&sim(), &plan_with("poll: { io: 0.000001 ms }", STEP));
        assert_eq!(
            errors,
            vec![
                "plan.yaml:5:13: a poll period must be at least 10 ms (hint: instruments answer in milliseconds; faster polling only floods the log)"
            ]
        );
    }

    #[test]
    fn a_plan_timeout_beyond_thirty_days_is_refused() {
        // Issue 13 (4): it validated, then panicked converting to a duration.
        let errors = refusals(&sim(), &plan_with("timeout: 1e20 s", STEP));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(
            errors,
            vec![
                "plan.yaml:4:10: `timeout` `1e20 s` is longer than 30 days, the longest the rig waits for anything"
            ]
        );
    }
}
