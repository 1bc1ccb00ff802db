//! `clock: { scale: N }`: a real bench whose instruments run N times faster than the
//! wall clock (`rig sim serve --speed N`), so the rig's own clock, and with it a plan's
//! windows, polls and timeouts, runs N times faster too. A 5 min window then lasts 5 s
//! of wall time against `--speed 60`, and the log's times stay the model's.

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::diag::{Problem, Problems, SourceFile, Span};

/// `clock:` as written.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClock {
    /// Model seconds per wall second, as `rig sim serve --speed` serves them (`60`).
    #[schemars(with = "f64")]
    scale: Spanned<f64>,
}

/// The checked scale: 1 when the bench says nothing.
pub(super) fn parse(
    file: &SourceFile,
    clock: Option<&Spanned<RawClock>>,
    is_virtual: bool,
) -> Result<f64, Problems> {
    let Some(clock) = clock else {
        return Ok(1.0);
    };
    let scale = &clock.value.scale;
    let at = |loc: &serde_saphyr::Location| {
        let span = loc.span();
        Span::new(
            span.byte_offset().unwrap_or(0) as usize,
            span.byte_len().unwrap_or(1).max(1) as usize,
        )
    };
    let problem = if is_virtual {
        Some(
            Problem::at(
                file,
                at(&clock.referenced),
                "`clock:` scales a real bench's time; the virtual bench runs in its own time",
            )
            .help("drop `clock:`, or point the resources at a `rig sim serve --speed N`"),
        )
    } else if !(scale.value > 0.0 && scale.value <= rig_sim::MAX_SPEED) {
        Some(
            Problem::at(
                file,
                at(&scale.referenced),
                format!("`scale: {}` is not a speed", scale.value),
            )
            .help(format!(
                "model seconds per wall second, above 0 and up to {}, as `rig sim serve --speed` serves",
                rig_sim::MAX_SPEED
            )),
        )
    } else {
        None
    };
    match problem {
        Some(p) => {
            let mut problems = Problems::default();
            problems.push(p);
            Err(problems)
        }
        None => Ok(scale.value),
    }
}

#[cfg(test)]
mod tests {
    use crate::bench::{BUILTIN_SIM_BENCH, Bench};
    use crate::diag::SourceFile;

    const REAL: &str = "name: lab\ninstruments:\n  source:\n    driver: scpi-source\n    resource: TCPIP::127.0.0.1::5025::SOCKET\n    ratings: { max_voltage: 60 V, max_current: 120 A }\n";

    fn parse(text: &str) -> Result<Bench, String> {
        Bench::parse(SourceFile::new("bench.yaml", text)).map_err(|p| p.to_string())
    }

    #[test]
    fn a_real_bench_follows_a_served_twin_and_says_nothing_by_default() {
        let scaled = parse(&format!("{REAL}clock: {{ scale: 60 }}\n")).unwrap();
        assert_eq!(scaled.clock_scale, 60.0);
        assert_eq!(parse(REAL).unwrap().clock_scale, 1.0);
    }

    #[test]
    fn a_scale_that_is_no_speed_or_one_on_the_virtual_bench_is_refused() {
        let err = parse(&format!("{REAL}clock: {{ scale: 0 }}\n")).unwrap_err();
        assert!(err.contains("is not a speed"), "{err}");
        let err = parse(&format!("{BUILTIN_SIM_BENCH}\nclock: {{ scale: 60 }}\n")).unwrap_err();
        assert!(
            err.contains("the virtual bench runs in its own time"),
            "{err}"
        );
    }
}
