//! Calibration due dates of a bench's instruments (`calibration_due: 2027-03-31` in the
//! bench file). An instrument past its date still runs, flagged in the console, the log
//! and the report; a plan tagged `cert-precheck` refuses it unless the command line
//! overrides that (`--allow-expired-calibration`), which the log and report then state.

use super::{Bench, InstrumentSpec};

/// The tag of plans whose results go into a certification pre-check: they refuse an
/// instrument past its calibration date.
pub const CERT_PRECHECK: &str = "cert-precheck";

/// An instrument's calibration, as the bench file declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// `2027-03-31` (UTC): the last day the calibration is valid.
    pub due: String,
    /// The first second it no longer is: midnight after the due date.
    expires_unix: i64,
    /// The run was told to use the instrument past its date.
    pub overridden: bool,
}

impl Calibration {
    /// A date `YYYY-MM-DD`; `None` for anything else (a time of day too).
    pub fn parse(text: &str) -> Option<Calibration> {
        let text = text.trim();
        let shape = text.len() == 10
            && text.char_indices().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == '-'
                } else {
                    c.is_ascii_digit()
                }
            });
        if !shape {
            return None;
        }
        let start = crate::results::wallclock::parse(text)?;
        // `parse` rolls an impossible day over (2027-02-30); a calibration date is written
        // as it is meant.
        if crate::results::wallclock::iso(start)[..10] != *text {
            return None;
        }
        Some(Calibration {
            due: text.to_string(),
            expires_unix: start + 86_400,
            overridden: false,
        })
    }

    /// Past its date at `now_unix` (valid through the whole due date, UTC).
    pub fn expired_at(&self, now_unix: i64) -> bool {
        now_unix >= self.expires_unix
    }
}

/// The bench's instruments past their calibration date at `now_unix`.
pub fn expired(bench: &Bench, now_unix: i64) -> Vec<&InstrumentSpec> {
    bench
        .instruments
        .values()
        .filter(|i| {
            i.calibration
                .as_ref()
                .is_some_and(|c| c.expired_at(now_unix))
        })
        .collect()
}

/// Marks every expired instrument as used by the command line's override.
pub fn override_expired(bench: &mut Bench, now_unix: i64) {
    for i in bench.instruments.values_mut() {
        if let Some(c) = &mut i.calibration
            && c.expired_at(now_unix)
        {
            c.overridden = true;
        }
    }
}

/// Why a plan with `tags` must not run on `bench` at `now_unix`: it is a certification
/// pre-check and an instrument is past its date, without the override.
pub fn refusal(tags: &[String], bench: &Bench, now_unix: i64) -> Option<String> {
    if !tags.iter().any(|t| t == CERT_PRECHECK) {
        return None;
    }
    let refused: Vec<String> = expired(bench, now_unix)
        .into_iter()
        .filter_map(|i| {
            let c = i.calibration.as_ref()?;
            (!c.overridden).then(|| format!("`{}` (due {})", i.name, c.due))
        })
        .collect();
    (!refused.is_empty()).then(|| {
        format!(
            "the plan is tagged `{CERT_PRECHECK}` and bench `{}` has instruments past their calibration date: {}",
            bench.name,
            refused.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2027-03-31T00:00:00Z.
    const MARCH_31: i64 = 1_806_451_200;

    #[test]
    fn a_calibration_is_valid_through_its_due_date() {
        let c = Calibration::parse("2027-03-31").expect("a date");
        assert_eq!(c.due, "2027-03-31");
        assert!(!c.expired_at(MARCH_31));
        assert!(!c.expired_at(MARCH_31 + 86_399));
        assert!(c.expired_at(MARCH_31 + 86_400));
    }

    #[test]
    fn only_a_real_date_is_a_due_date() {
        for bad in [
            "2027-3-31",
            "31.03.2027",
            "2027-02-30",
            "2027-13-01",
            "2027-03-31T00:00",
            "soon",
        ] {
            assert_eq!(Calibration::parse(bad), None, "{bad}");
        }
    }
}
