//! The policies of the firmware's parts, from the DUT profile with the injected defects
//! applied: each defect that changes a threshold or a timer does it here, once, when the
//! firmware is built.

use crate::bms::button::PressWindows;
use crate::bms::failure::FailurePolicy;
use crate::bms::overcurrent::{OverCurrentPolicy, Tier};
use crate::bms::precharge::PrechargePolicy;
use crate::bms::recharge::RechargePolicy;
use crate::bms::sleep::SleepPolicy;
use crate::bms::soc::SocPolicy;
use crate::bms::voltage::{End, VoltagePolicy};
use crate::clock::{Duration, secs};
use crate::config::{
    ButtonTimings, ForcedRechargeParams, OverCurrentParams, PackParams, PrechargeParams,
    SleepParams, SocCalibrationParams, VoltageProtectionParams,
};
use crate::defects::{Defect, DefectSet};

/// How long the `scp_auto_release` firmware waits before it retries into a short.
const SCP_RETRY_DEFECT: Duration = Duration::from_secs(10);

fn over_current(p: &OverCurrentParams, tiers: Vec<Tier>, no_lockout: bool) -> OverCurrentPolicy {
    OverCurrentPolicy {
        tiers,
        recovery_delay: secs(p.recovery_delay_s),
        lockout_after_trips: (!no_lockout).then_some(p.lockout_after_trips),
        auto_recovery: true,
        counter_clear: secs(p.counter_clear_s),
    }
}

/// COCP (manual 3.4): one tier.
pub(super) fn cocp(params: &PackParams, defects: DefectSet) -> OverCurrentPolicy {
    let c = &params.cocp;
    let tier = Tier {
        current_a: c.trip_current_a,
        delay: secs(c.trip_delay_s),
    };
    let mut policy = over_current(c, vec![tier], defects.has(Defect::CocpNoLockout));
    if defects.has(Defect::CocpLockoutAfterFour) {
        policy.lockout_after_trips = Some(c.lockout_after_trips.saturating_add(1));
    }
    policy.auto_recovery = !defects.has(Defect::CocpNoRecovery);
    policy
}

/// DOCP (manual 3.4) with the peak-discharge bands of manual 3.3.2 "Peak discharge
/// current 101~119A@5mins 120~200A@15S".
pub(super) fn docp(params: &PackParams, defects: DefectSet) -> OverCurrentPolicy {
    let mut tiers = vec![Tier {
        current_a: params.docp_peak.current_a,
        delay: secs(params.docp_peak.delay_s),
    }];
    if !defects.has(Defect::PeakLimitIgnored) {
        tiers.push(Tier {
            current_a: params.docp.trip_current_a,
            delay: secs(params.docp.trip_delay_s),
        });
    }
    over_current(&params.docp, tiers, defects.has(Defect::DocpNoLockout))
}

/// COVP/POVP (`End::Charge`) or CUVP/PUVP (`End::Discharge`), manual 3.4.
pub(super) fn voltage(p: &VoltageProtectionParams, end: End) -> VoltagePolicy {
    VoltagePolicy {
        end,
        cell_trip_v: p.cell_trip_v,
        pack_trip_v: p.pack_trip_v,
        trip_delay: secs(p.trip_delay_s),
        cell_release_v: p.cell_release_v,
        pack_release_v: p.pack_release_v,
        release_current_a: p.release_current_a,
    }
}

/// Sleep and wake (LOSUN 2.3-3).
pub(super) fn sleep(s: &SleepParams, defects: DefectSet) -> SleepPolicy {
    let interval = secs(s.auto_wake_interval_s);
    SleepPolicy {
        under_voltage_delay: (!defects.has(Defect::UvSleepNever))
            .then(|| secs(s.under_voltage_delay_s)),
        auto_wake_interval: if defects.has(Defect::AutoWakeHourly) {
            interval / 4
        } else {
            interval
        },
        max_failed_wakes: (!defects.has(Defect::AutoWakeForever))
            .then_some(s.auto_wake_max_failures),
        charger_wake_v: (!defects.has(Defect::ChargerWakeIgnored)).then_some(s.charger_wake_v),
        standby: secs(s.standby_s),
        charge_ends_auto_wake: !defects.has(Defect::AutoWakeChargeIgnored),
        charge_resets_failed_wakes: !defects.has(Defect::AutoWakeCountKept),
    }
}

/// The SOC held below 100 % until calibrated (manual 5 FAQ Q1).
pub(super) fn soc(c: &SocCalibrationParams, defects: DefectSet) -> SocPolicy {
    let jumps = defects.has(Defect::SocJumpsTo100);
    SocPolicy {
        held_percent: c.held_percent,
        cutoff_current_a: if jumps {
            f64::INFINITY
        } else {
            c.cutoff_current_a
        },
        cell_voltage_v: c.cell_voltage_v,
        hold: if jumps {
            Duration::ZERO
        } else {
            secs(c.hold_s)
        },
    }
}

/// The reset button's press lengths (manual 3.3.3 E).
pub(super) fn press_windows(b: &ButtonTimings) -> PressWindows {
    PressWindows {
        sleep_wake_min: secs(b.sleep_wake_min_s),
        reset_min: secs(b.reset_min_s),
        reset_max: secs(b.reset_max_s),
    }
}

/// SCP, reversed polarity and sensor failure (manual 3.4).
pub(super) fn failures(params: &PackParams, defects: DefectSet) -> FailurePolicy {
    FailurePolicy {
        scp_current_a: params.short_circuit.trip_current_a,
        scp_delay: secs(params.short_circuit.trip_delay_s),
        auto_release: defects
            .has(Defect::ScpAutoRelease)
            .then_some(SCP_RETRY_DEFECT),
        detect_reverse: !defects.has(Defect::ReversePolarityIgnored),
        sensor_delay: secs(params.sensor_failure_delay_s),
        latch_sensor: !defects.has(Defect::SensorFailureNotLatched),
    }
}

/// The forced recharge (LOSUN 2.3-3), for a profile that promises one.
pub(super) fn recharge(
    f: Option<&ForcedRechargeParams>,
    defects: DefectSet,
) -> Option<RechargePolicy> {
    f.map(|f| RechargePolicy {
        standby: (!defects.has(Defect::ForcedRechargeNever)).then(|| secs(f.standby_s)),
        recovery_v: f.recovery_voltage_v,
    })
}

/// The pre-charge circuit (Lesso 3.2), for a profile that has one.
pub(super) fn precharge(p: Option<&PrechargeParams>) -> Option<PrechargePolicy> {
    p.map(|p| PrechargePolicy {
        resistance_ohm: p.resistance_ohm,
        time: secs(p.time_s),
        pass_margin_v: p.pass_margin_v,
        retry_delay: secs(p.retry_delay_s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesso() -> PackParams {
        PackParams::lesso_lsrr51v100ah()
    }

    fn with(defect: Defect) -> DefectSet {
        DefectSet::from_list(&[defect])
    }

    #[test]
    fn cocp_defects_move_the_lock_out_or_the_recovery() {
        let healthy = cocp(&lesso(), DefectSet::EMPTY);
        assert_eq!(healthy.lockout_after_trips, Some(3));
        assert!(healthy.auto_recovery);
        let late = cocp(&lesso(), with(Defect::CocpLockoutAfterFour));
        assert_eq!(late.lockout_after_trips, Some(4));
        assert_eq!(
            cocp(&lesso(), with(Defect::CocpNoLockout)).lockout_after_trips,
            None
        );
        assert!(!cocp(&lesso(), with(Defect::CocpNoRecovery)).auto_recovery);
    }

    #[test]
    fn docp_has_both_peak_bands_unless_the_limit_is_ignored() {
        let currents = |d| -> Vec<f64> {
            docp(&lesso(), d)
                .tiers
                .iter()
                .map(|t| t.current_a)
                .collect()
        };
        assert_eq!(currents(DefectSet::EMPTY), [119.0, 100.0]);
        assert_eq!(currents(with(Defect::PeakLimitIgnored)), [119.0]);
        assert_eq!(
            docp(&lesso(), with(Defect::DocpNoLockout)).lockout_after_trips,
            None
        );
    }

    #[test]
    fn sleep_defects_change_its_timers() {
        let s = &lesso().sleep;
        let healthy = sleep(s, DefectSet::EMPTY);
        assert_eq!(healthy.auto_wake_interval, secs(4.0 * 3600.0));
        assert_eq!(
            sleep(s, with(Defect::AutoWakeHourly)).auto_wake_interval,
            secs(3600.0)
        );
        assert_eq!(
            sleep(s, with(Defect::UvSleepNever)).under_voltage_delay,
            None
        );
        assert_eq!(
            sleep(s, with(Defect::AutoWakeForever)).max_failed_wakes,
            None
        );
        assert_eq!(
            sleep(s, with(Defect::ChargerWakeIgnored)).charger_wake_v,
            None
        );
    }

    #[test]
    fn soc_jumps_to_100_drops_the_cut_off_and_the_hold() {
        let c = &lesso().soc_calibration;
        assert_eq!(soc(c, DefectSet::EMPTY).hold, secs(1800.0));
        let jumps = soc(c, with(Defect::SocJumpsTo100));
        assert_eq!(jumps.hold, Duration::ZERO);
        assert_eq!(jumps.cutoff_current_a, f64::INFINITY);
    }

    #[test]
    fn failure_defects_release_or_blind_the_failures() {
        let p = lesso();
        let healthy = failures(&p, DefectSet::EMPTY);
        assert!(healthy.auto_release.is_none() && healthy.detect_reverse && healthy.latch_sensor);
        assert_eq!(
            failures(&p, with(Defect::ScpAutoRelease)).auto_release,
            Some(SCP_RETRY_DEFECT)
        );
        assert!(!failures(&p, with(Defect::ReversePolarityIgnored)).detect_reverse);
        assert!(!failures(&p, with(Defect::SensorFailureNotLatched)).latch_sensor);
    }

    #[test]
    fn forced_recharge_never_keeps_the_recovery_but_drops_the_standby() {
        let f = ForcedRechargeParams {
            standby_s: 172_800.0,
            recovery_voltage_v: 52.0,
        };
        let healthy = recharge(Some(&f), DefectSet::EMPTY).unwrap();
        assert_eq!(healthy.standby, Some(secs(172_800.0)));
        let never = recharge(Some(&f), with(Defect::ForcedRechargeNever)).unwrap();
        assert_eq!((never.standby, never.recovery_v), (None, 52.0));
        assert!(recharge(None, DefectSet::EMPTY).is_none());
    }
}
