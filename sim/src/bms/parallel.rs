//! The master's CAN report for packs in parallel: one report for the whole system, put
//! together from each pack's own (Lesso 5.6 inverter table "Rated charging current
//! limited value 50A*N", "Max. charging current limited value 70A*N", "Max.
//! discharging current limited value 100A*N (N is the Quantity of the battery pack)").
//!
//! Choices where the manuals are silent:
//! * Only the packs that answer the master on the internal link take part: a pack
//!   asleep contributes no limit and is not counted in 0x359 byte 4, and the master
//!   raises the internal-communication-failure alarm (byte 3 bit 3) while fewer packs
//!   answer than are installed.
//! * CCL and DCL are the sums of each pack's own limit (a protected pack's is 0).
//! * SOC and SOH are capacity-weighted means (SOC in whole percent).
//! * The voltage is the bus voltage, the current the sum of the packs' reported
//!   currents (each after its own dead band).
//! * The temperature is the hottest pack's: the inverter derates on it, and a mean
//!   would hide one hot pack.
//! * Protection and alarm flags, the enables and the full-charge request are OR-ed.

use super::can_frames::CanReport;
use crate::defects::{Defect, DefectSet};

/// One pack that answered the master, with its weight.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Member<'a> {
    pub(crate) report: &'a CanReport,
    /// Full-charge capacity, Ah (rated x SOH): the weight of its SOC and SOH.
    pub(crate) capacity_ah: f64,
}

/// The system report from the master's own `master` report and the slaves that
/// answered; `installed` packs in all. One pack alone: its own report unchanged.
pub(crate) fn aggregate(
    master: Member<'_>,
    slaves: &[Member<'_>],
    installed: usize,
    bus_v: f64,
    defects: DefectSet,
) -> CanReport {
    let mut out = master.report.clone();
    if installed <= 1 {
        return out;
    }
    let members: Vec<Member<'_>> = std::iter::once(master)
        .chain(slaves.iter().copied())
        .collect();
    let sum = |f: fn(&CanReport) -> f64| members.iter().map(|m| f(m.report)).sum::<f64>();
    let any = |f: fn(&CanReport) -> bool| members.iter().any(|m| f(m.report));
    let weight: f64 = members.iter().map(|m| m.capacity_ah.max(0.0)).sum();
    let mean = |f: fn(&CanReport) -> f64| {
        if weight > 0.0 {
            members
                .iter()
                .map(|m| f(m.report) * m.capacity_ah.max(0.0))
                .sum::<f64>()
                / weight
        } else {
            f(master.report)
        }
    };
    if !defects.has(Defect::ParallelLimitsNotScaled) {
        out.charge_current_limit_a = sum(|r| r.charge_current_limit_a);
        out.discharge_current_limit_a = sum(|r| r.discharge_current_limit_a);
    }
    out.soc_percent = mean(|r| r.soc_percent).round();
    out.soh_percent = mean(|r| r.soh_percent);
    out.pack_voltage_v = bus_v;
    out.pack_current_a = sum(|r| r.pack_current_a);
    out.temperature_c = members
        .iter()
        .map(|m| m.report.temperature_c)
        .fold(f64::NEG_INFINITY, f64::max);
    if !defects.has(Defect::SlaveAlarmsNotAggregated) {
        out.charge_overcurrent = any(|r| r.charge_overcurrent);
        out.discharge_overcurrent = any(|r| r.discharge_overcurrent);
        out.cell_overvoltage = any(|r| r.cell_overvoltage);
        out.cell_undervoltage = any(|r| r.cell_undervoltage);
        out.over_temperature = any(|r| r.over_temperature);
        out.under_temperature = any(|r| r.under_temperature);
        out.system_error = any(|r| r.system_error);
        out.alarm_high_temperature = any(|r| r.alarm_high_temperature);
        out.alarm_low_temperature = any(|r| r.alarm_low_temperature);
        out.alarm_cell_high_voltage = any(|r| r.alarm_cell_high_voltage);
        out.alarm_cell_low_voltage = any(|r| r.alarm_cell_low_voltage);
        out.alarm_charge_high_current = any(|r| r.alarm_charge_high_current);
        out.alarm_discharge_high_current = any(|r| r.alarm_discharge_high_current);
    }
    out.charge_enable = any(|r| r.charge_enable);
    out.discharge_enable = any(|r| r.discharge_enable);
    out.request_full_charge = any(|r| r.request_full_charge);
    let answering = members.len();
    out.module_count = if defects.has(Defect::ModuleCountStuckAtOne) {
        1
    } else {
        u8::try_from(answering).unwrap_or(u8::MAX)
    };
    out.internal_comm_failure = answering < installed;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(soc: f64, temperature_c: f64) -> CanReport {
        CanReport {
            charge_current_limit_a: 70.0,
            soc_percent: soc,
            pack_current_a: -10.0,
            temperature_c,
            ..CanReport::example()
        }
    }

    fn member(report: &CanReport) -> Member<'_> {
        Member {
            report,
            capacity_ah: 100.0,
        }
    }

    #[test]
    fn one_pack_reports_itself() {
        let r = report(50.0, 25.0);
        let out = aggregate(member(&r), &[], 1, 99.0, DefectSet::default());
        assert_eq!(out, r);
    }

    #[test]
    fn limits_add_up_and_flags_are_or_ed() {
        let master = report(50.0, 25.0);
        let mut failed = report(60.0, 31.0);
        failed.charge_current_limit_a = 0.0;
        failed.discharge_current_limit_a = 0.0;
        failed.system_error = true;
        failed.charge_enable = false;
        failed.discharge_enable = false;
        let slaves = [member(&master), member(&failed)];
        let out = aggregate(member(&master), &slaves, 3, 52.5, DefectSet::default());
        assert_eq!(out.charge_current_limit_a, 140.0);
        assert_eq!(out.discharge_current_limit_a, 200.0);
        assert!(out.system_error && out.charge_enable && out.discharge_enable);
        assert_eq!(out.soc_percent, 53.0);
        assert_eq!(out.temperature_c, 31.0);
        assert_eq!((out.pack_voltage_v, out.pack_current_a), (52.5, -30.0));
        assert_eq!(out.module_count, 3);
        assert!(!out.internal_comm_failure);
    }

    #[test]
    fn a_pack_that_does_not_answer_is_not_counted_and_raises_the_link_alarm() {
        let r = report(50.0, 25.0);
        let out = aggregate(member(&r), &[member(&r)], 3, 52.0, DefectSet::default());
        assert_eq!(out.module_count, 2);
        assert!(out.internal_comm_failure);
        assert_eq!(out.charge_current_limit_a, 140.0);
    }

    #[test]
    fn each_parallel_defect_breaks_its_own_field() {
        let master = report(50.0, 25.0);
        let mut slave = report(50.0, 25.0);
        slave.cell_undervoltage = true;
        let run = |d: &[Defect]| {
            aggregate(
                member(&master),
                &[member(&slave), member(&slave)],
                3,
                52.0,
                DefectSet::from_list(d),
            )
        };
        let healthy = run(&[]);
        let limits = run(&[Defect::ParallelLimitsNotScaled]);
        assert_eq!(
            (
                limits.charge_current_limit_a,
                limits.discharge_current_limit_a
            ),
            (70.0, 100.0)
        );
        assert_eq!(
            CanReport {
                charge_current_limit_a: 210.0,
                discharge_current_limit_a: 300.0,
                ..limits
            },
            healthy
        );
        let alarms = run(&[Defect::SlaveAlarmsNotAggregated]);
        assert!(healthy.cell_undervoltage && !alarms.cell_undervoltage);
        let count = run(&[Defect::ModuleCountStuckAtOne]);
        assert_eq!((healthy.module_count, count.module_count), (3, 1));
        assert_eq!(
            CanReport {
                module_count: 3,
                ..count
            },
            healthy
        );
    }
}
