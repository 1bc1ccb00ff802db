//! Channels beyond the DBC signals: the BMS's per-message frame period, and the pack's
//! RS485 reports.

use libtest_mimic::Trial;
use rig_reports::Verdict;

use crate::support;

pub fn trials() -> Vec<Trial> {
    vec![
        Trial::test("channels::rs485_reports_can_fail", || {
            // The RS485 plan passes on the twin (plan::rs485_monitoring); a firmware that
            // keeps its charge current limit during COCP fails it on RS485 (0x92).
            let plan = support::repo().join("testplans/rs485_monitoring.yaml");
            let o = support::run(&plan, &["ccl_not_zeroed"], "rs485-ccl")?;
            match (o.verdict, o.message.unwrap_or_default()) {
                (Verdict::Fail, m) if m.contains("rs485.charge_current_limit = 70 A") => Ok(()),
                (v, m) => {
                    Err(format!("ccl_not_zeroed must fail the RS485 plan, got {v}: {m}").into())
                }
            }
        }),
        Trial::test("channels::can_frame_periods_are_measured", || {
            let dir = support::repo().join("tests/fixtures/channels");
            let ok = support::run(&dir.join("can_period.yaml"), &[], "period-ok")?;
            if ok.verdict != Verdict::Pass {
                return Err(format!("once a second should pass: {:?}", ok.message).into());
            }
            // The same channels with a bound the BMS cannot meet: the expectation fails.
            let strict = support::run(
                &dir.join("can_period_too_strict.yaml"),
                &[],
                "period-strict",
            )?;
            match (strict.verdict, strict.message.unwrap_or_default()) {
                (Verdict::Fail, m) if m.contains("bms.period.bms_limits = 1 s") => Ok(()),
                (v, m) => {
                    Err(format!("a 0.5 s bound must fail on 1 s frames, got {v}: {m}").into())
                }
            }
        }),
    ]
}
