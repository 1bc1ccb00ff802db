//! The parametric defects: one number of the firmware description moved (a threshold,
//! a delay, a timer, a limit it announces), everything else as the firmware describes.
//!
//! The twin runs the firmware description it is given (by default a plausible vendor
//! firmware, inside the DUT profile's bands); a parametric defect moves one of its
//! numbers before the twin is built ([`super::shifted`]), so a plan that only checks
//! that a protection *happens* cannot tell it from a healthy pack: only a measurement
//! with limits can. Each row names the manual clause the moved number breaks, or the
//! DUT profile's band where the manual gives no figure.
//!
//! Values are absolute, written for the Lesso LSRR51V100AH (the numbers of the issue
//! that asked for them); on another pack the same number is still off its manual or
//! band, in one direction or the other.

use super::{Defect, Entry};
use crate::config::PackParams;

/// One parametric defect: its catalogue entry, the field it moves and how.
pub(super) struct Shift {
    pub(super) entry: Entry,
    /// The field of [`PackParams`] it moves, dotted (`cocp.trip_current_a`).
    pub(super) field: &'static str,
    pub(super) apply: fn(&mut PackParams),
}

/// One row per parametric defect, in the order the enum declares them.
pub(super) const PARAMETRIC: &[Shift] = &[
    Shift {
        entry: Entry {
            defect: Defect::CocpTripsAt55A,
            name: "cocp_trips_at_55a",
            breaks: "manual 3.3.2 \"Max. charge current 70A\" (and 5.6 item 9 \"70A*N\"): the pack must take its rated maximum without COCP; the DUT profile's band for cocp.trip_current lies above it",
            description: "COCP threshold at 55 A: charging stops below the rated 70 A maximum",
        },
        field: "cocp.trip_current_a",
        apply: |p| p.cocp.trip_current_a = 55.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::DocpTierFrom80A,
            name: "docp_tier_from_80a",
            breaks: "manual 3.3.2 \"Max. discharge current 100A\", \"Peak discharge current 101~119A@5mins\": the 5 min tier starts above the rated 100 A",
            description: "the 5 min DOCP tier starts at 80 A: a discharge at the rated 100 A stops after 5 min",
        },
        field: "docp.trip_current_a",
        apply: |p| p.docp.trip_current_a = 80.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::DocpPeakTier60s,
            name: "docp_peak_tier_60s",
            breaks: "manual 3.3.2 \"Peak discharge current ... 120~200A@15S\"",
            description: "the 120-200 A DOCP tier allows 60 s instead of 15 s",
        },
        field: "docp_peak.delay_s",
        apply: |p| p.docp_peak.delay_s = 60.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::CocpRecovery5s,
            name: "cocp_recovery_5s",
            breaks: "manual 3.4 COCP \"release from the protection when the system delays time is met\" (no figure): outside the DUT profile's band for cocp.recovery_delay",
            description: "COCP releases 5 s after a trip",
        },
        field: "cocp.recovery_delay_s",
        apply: |p| p.cocp.recovery_delay_s = 5.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::CocpTripInstant,
            name: "cocp_trip_instant",
            breaks: "manual 3.4 COCP (no delay given): outside the DUT profile's band for cocp.trip_delay; a COCP without a filter trips on every inrush",
            description: "COCP trips at once: no trip delay",
        },
        field: "cocp.trip_delay_s",
        apply: |p| p.cocp.trip_delay_s = 0.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::AutoWake3h30,
            name: "auto_wake_3h30",
            breaks: "LOSUN manual 2.3-3 note: \"the system wakes up every 4 hours\"",
            description: "the automatic wake-ups after an under-voltage sleep come every 3 h 30 min instead of every 4 h",
        },
        field: "sleep.auto_wake_interval_s",
        apply: |p| p.sleep.auto_wake_interval_s = 3.5 * 3600.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::UvSleepAfter5s,
            name: "uv_sleep_after_5s",
            breaks: "LOSUN manual 2.3-3 sleep 1): \"Over-discharge protection ... remains unresolved for 30 seconds\"",
            description: "an unresolved CUVP/PUVP puts the pack to sleep after 5 s instead of 30 s",
        },
        field: "sleep.under_voltage_delay_s",
        apply: |p| p.sleep.under_voltage_delay_s = 5.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::ForcedRechargeAfter1d,
            name: "forced_recharge_after_1d",
            breaks: "LOSUN manual 2.3-3: \"if it remains in standby for 2 days (standby time set value) without reaching the recovery voltage, it forcefully resumes charging\"",
            description: "the forced recharge comes after 1 day of standby at charge complete instead of 2 days (a pack without a forced recharge is unchanged)",
        },
        field: "forced_recharge.standby_s",
        apply: |p| {
            if let Some(f) = &mut p.forced_recharge {
                f.standby_s = 86_400.0;
            }
        },
    },
    Shift {
        entry: Entry {
            defect: Defect::ResetAt3s,
            name: "reset_at_3s",
            breaks: "manual 3.3.3 E: \"sleep(3s)/awake(3s)/reset(6~10s)\"",
            description: "a press from 3 s resets the BMS: the 3-6 s press that should toggle sleep resets it instead",
        },
        field: "reset_button.reset_min_s",
        apply: |p| p.reset_button.reset_min_s = 3.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::ChtpHysteresis1K,
            name: "chtp_hysteresis_1k",
            breaks: "manual 3.4 CHTP \"Automatic recovery when temperature falls\" (no figure): outside the DUT profile's band for chtp.release_temperature",
            description: "CHTP releases 1 K below its trip temperature instead of at the firmware's release temperature: charging chatters at the edge of the range",
        },
        field: "temperature_protection.charge_high.release_c",
        apply: |p| {
            if let Some(t) = &mut p.temperature_protection {
                t.charge_high.release_c = t.charge_high.trip_c - 1.0;
            }
        },
    },
    Shift {
        entry: Entry {
            defect: Defect::Cvl58V4,
            name: "cvl_58v4",
            breaks: "manual 3.3.2 \"Charge voltage 56.0V\", 5.6 item 1 \"Absorption voltage 56.0V\": the CVL of 0x351",
            description: "CAN 0x351 announces a charge voltage limit of 58.4 V instead of 56.0 V",
        },
        field: "charge_voltage_limit_v",
        apply: |p| p.charge_voltage_limit_v = 58.4,
    },
    Shift {
        entry: Entry {
            defect: Defect::DeadBand5A,
            name: "dead_band_5a",
            breaks: "manual 5 FAQ Q4: \"Each BMS has a threshold current of 0.5A (~25W) before it begins to report\"",
            description: "currents below 5 A are reported as 0 A on CAN and RS485 (and count as standby)",
        },
        field: "current_dead_band_a",
        apply: |p| p.current_dead_band_a = 5.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::Ccl80A,
            name: "ccl_80a",
            breaks: "manual 5.6 item 9: \"Max. charging current limited value 70A*N\"; 3.3.2 \"Max. charge current 70A\"",
            description: "CAN 0x351 announces a charge current limit of 80 A per pack: above the rated maximum",
        },
        field: "charge_current_limit_a",
        apply: |p| p.charge_current_limit_a = 80.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::Dcl50A,
            name: "dcl_50a",
            breaks: "manual 5.6 item 10: \"Max. discharging current limited value 100A*N\"",
            description: "CAN 0x351 announces the rated 50 A (5.6 item 8) as the discharge current limit instead of the 100 A maximum",
        },
        field: "discharge_current_limit_a",
        apply: |p| p.discharge_current_limit_a = 50.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::Dvl44V8,
            name: "dvl_44v8",
            breaks: "manual 5.6 item 6: \"Low Voltage cut-off 48.0V\"",
            description: "CAN 0x351 announces a discharge voltage limit of 44.8 V instead of 48.0 V",
        },
        field: "discharge_voltage_limit_v",
        apply: |p| p.discharge_voltage_limit_v = 44.8,
    },
    Shift {
        entry: Entry {
            defect: Defect::ChargerWakeAbove52V,
            name: "charger_wake_above_52v",
            breaks: "LOSUN manual 2.3-3 wake-up 1): \"Charger is connected, and the charger output voltage is greater than 48V\"",
            description: "a charger wakes a sleeping pack only above 52 V instead of above 48 V",
        },
        field: "sleep.charger_wake_v",
        apply: |p| p.sleep.charger_wake_v = 52.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::AutoWakeStopsAfter5,
            name: "auto_wake_stops_after_5",
            breaks: "LOSUN manual 2.3-3 note: \"If it fails to charge after 10 consecutive automatic wake-ups, it will no longer wake up automatically.\"",
            description: "the automatic wake-ups stop after 5 failed ones instead of 10",
        },
        field: "sleep.auto_wake_max_failures",
        apply: |p| p.sleep.auto_wake_max_failures = 5,
    },
    Shift {
        entry: Entry {
            defect: Defect::StandbySleepAfter12h,
            name: "standby_sleep_after_12h",
            breaks: "LOSUN manual 2.3-3 sleep 4): \"Standby time exceeds 24 hours (no communication, no charging/discharging, no grid power)\"",
            description: "the pack goes to sleep after 12 h of standby instead of 24 h",
        },
        field: "sleep.standby_s",
        apply: |p| p.sleep.standby_s = 12.0 * 3600.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::SocCalibration10min,
            name: "soc_calibration_10min",
            breaks: "manual 5 FAQ Q1: \"Keep float the battery for approximately 0.5~1 hour to calibrate\"",
            description: "the SOC calibrates to 100 % after 10 min at the cut-off current instead of 0.5-1 h",
        },
        field: "soc_calibration.hold_s",
        apply: |p| p.soc_calibration.hold_s = 600.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::ResetUpTo15s,
            name: "reset_up_to_15s",
            breaks: "manual 3.3.3 E: \"reset(6~10s)\"",
            description: "a press of up to 15 s still resets the BMS: the reset window does not end at 10 s",
        },
        field: "reset_button.reset_max_s",
        apply: |p| p.reset_button.reset_max_s = 15.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::DocpPeakFrom150A,
            name: "docp_peak_from_150a",
            breaks: "manual 3.3.2 \"Peak discharge current 101~119A@5mins 120~200A@15S\"",
            description: "the 15 s DOCP tier starts at 150 A: 120-150 A is allowed for the 5 min of the lower tier",
        },
        field: "docp_peak.current_a",
        apply: |p| p.docp_peak.current_a = 150.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::CltpAtMinus10C,
            name: "cltp_at_minus_10c",
            breaks: "manual 3.3.2 \"Operation temperature Charge: -5~50°C\"; 3.4 CLTP \"stop charging ... under the range\"",
            description: "CLTP trips at -10 °C: the pack accepts charge 5 K below its charge range",
        },
        field: "temperature_protection.charge_low.trip_c",
        apply: |p| {
            if let Some(t) = &mut p.temperature_protection {
                t.charge_low.trip_c = -10.0;
            }
        },
    },
    Shift {
        entry: Entry {
            defect: Defect::DhtpAt55C,
            name: "dhtp_at_55c",
            breaks: "manual 3.3.2 \"Operation temperature ... Discharge:-10~50°C\"; 3.4 DHTP \"stop ... discharging ... beyond the range\"",
            description: "DHTP trips at 55 °C: the pack discharges 5 K above its discharge range",
        },
        field: "temperature_protection.discharge_high.trip_c",
        apply: |p| {
            if let Some(t) = &mut p.temperature_protection {
                t.discharge_high.trip_c = 55.0;
            }
        },
    },
    Shift {
        entry: Entry {
            defect: Defect::CuvpAt3V00,
            name: "cuvp_at_3v00",
            breaks: "manual 3.2 \"Support a maximum of 96% DOD\", 3.3.2 \"Nominal capacity@0.2C 100Ah\", \"Usable energy@0.2C 4.92kWh\": the under-voltage protection must let the pack deliver them",
            description: "CUVP trips at 3.00 V per cell (its release voltage) instead of 2.90 V: a 0.2C discharge from full stops at about 93 Ah, short of 96 % of the capacity",
        },
        field: "under_voltage.cell_trip_v",
        apply: |p| p.under_voltage.cell_trip_v = 3.00,
    },
    Shift {
        entry: Entry {
            defect: Defect::ResetFrom5s,
            name: "reset_from_5s",
            breaks: "manual 3.3.3 E: \"sleep(3s)/awake(3s)/reset(6~10s)\": a press shorter than 6 s toggles sleep",
            description: "a press from 5 s resets the BMS: a 5-6 s press reboots it instead of putting it to sleep",
        },
        field: "reset_button.reset_min_s",
        apply: |p| p.reset_button.reset_min_s = 5.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::Reboot20s,
            name: "reboot_20s",
            breaks: "manual 3.3.3 E \"reset(6~10s) BMS\" (no boot time given): outside the DUT profile's band for reset_button.reboot_time",
            description: "after a reset the controller is down for 20 s, silent on CAN and RS485, before it runs again",
        },
        field: "reset_button.reboot_s",
        apply: |p| p.reset_button.reboot_s = 20.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::PovpAt55V5,
            name: "povp_at_55v5",
            breaks: "manual 3.4 COVP/POVP \"stop charging if any cell or PACK voltage reach the protection value\" (no figure): outside the DUT profile's band for povp.trip_voltage, 0.5 V below the 56.0 V charge voltage of 3.3.2",
            description: "POVP trips at a pack voltage of 55.5 V: a charge to the 56.0 V charge voltage stops short of full",
        },
        field: "over_voltage.pack_trip_v",
        apply: |p| p.over_voltage.pack_trip_v = 55.5,
    },
    Shift {
        entry: Entry {
            defect: Defect::CovpReleaseAt10A,
            name: "covp_release_at_10a",
            breaks: "manual 3.4 COVP/POVP \"auto-released ... when there is efficient discharge current\" (no figure): outside the DUT profile's band for covp.release_current",
            description: "COVP/POVP is released by a discharge only above 10 A: a full pack under a light load keeps charging off",
        },
        field: "over_voltage.release_current_a",
        apply: |p| p.over_voltage.release_current_a = 10.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::CuvpRelease0V2High,
            name: "cuvp_release_0v2_high",
            breaks: "manual 3.4 CUVP/PUVP \"released only when all the cell voltage back to the release voltage range\" (no figure): outside the DUT profile's band for cuvp.release_voltage",
            description: "CUVP is released 0.2 V per cell above the firmware's release voltage: without a charge current above the release current, a discharged pack stays off until about 10 % of its capacity is back",
        },
        field: "under_voltage.cell_release_v",
        apply: |p| p.under_voltage.cell_release_v += 0.2,
    },
    Shift {
        entry: Entry {
            defect: Defect::PuvpRelease1VHigh,
            name: "puvp_release_1v_high",
            breaks: "manual 3.4 CUVP/PUVP \"released only when ... back to the release voltage range\" (no figure; Lesso 5.6 item 6 'Low Voltage cut-off 48.0V'): outside the DUT profile's band for puvp.release_voltage",
            description: "PUVP is released 1 V above the firmware's pack release voltage: the pack level holds the protection after every cell is back in its release range",
        },
        field: "under_voltage.pack_release_v",
        apply: |p| p.under_voltage.pack_release_v += 1.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::CuvpReleaseAt10A,
            name: "cuvp_release_at_10a",
            breaks: "manual 3.4 CUVP/PUVP \"or there is efficient charge current\" (no figure): outside the DUT profile's band for cuvp.release_current",
            description: "CUVP/PUVP is released by a charge only above 10 A: a weak charger cannot release an empty pack",
        },
        field: "under_voltage.release_current_a",
        apply: |p| p.under_voltage.release_current_a = 10.0,
    },
    Shift {
        entry: Entry {
            defect: Defect::CuvpAt2V50,
            name: "cuvp_at_2v50",
            breaks: "manual 3.4 CUVP/PUVP \"stop discharging if any cell or PACK voltage is under the protection value\": the cell level below the DUT profile's band for cuvp.trip_voltage, under its share of PUVP",
            description: "the cell level of CUVP at 2.50 V, below its share of PUVP: PUVP acts on its own, at the pack voltage, while the weakest cell is already past its protection value",
        },
        field: "under_voltage.cell_trip_v",
        apply: |p| p.under_voltage.cell_trip_v = 2.50,
    },
    Shift {
        entry: Entry {
            defect: Defect::CovpAt3V70,
            name: "covp_at_3v70",
            breaks: "manual 3.4 COVP/POVP \"stop charging if any cell or PACK voltage reach the protection value\": the cell level above the DUT profile's band for covp.trip_voltage, over its share of POVP",
            description: "the cell level of COVP at 3.70 V, above its share of POVP: POVP acts on its own, at the pack voltage, while the strongest cell is already past its protection value",
        },
        field: "over_voltage.cell_trip_v",
        apply: |p| p.over_voltage.cell_trip_v = 3.70,
    },
    Shift {
        entry: Entry {
            defect: Defect::CovpRelease0V05Low,
            name: "covp_release_0v05_low",
            breaks: "manual 3.4 COVP/POVP \"auto-released only when both Pack and cell voltage back to the release voltage range\" (no figure): below the DUT profile's band for covp.release_voltage",
            description: "COVP is released 0.05 V per cell below the firmware's release voltage: without a discharge current above the release current, a full pack stays off charge until its highest cell is down in the flat middle of the LFP curve, about 13 % of its charge used",
        },
        field: "over_voltage.cell_release_v",
        apply: |p| p.over_voltage.cell_release_v -= 0.05,
    },
    Shift {
        entry: Entry {
            defect: Defect::PovpRelease0V5Low,
            name: "povp_release_0v5_low",
            breaks: "manual 3.4 COVP/POVP \"auto-released only when both Pack and cell voltage back to the release voltage range\" (no figure): below the DUT profile's band for povp.release_voltage",
            description: "POVP is released 0.5 V below the firmware's pack release voltage: the pack level holds the protection after every cell is back in its release range",
        },
        field: "over_voltage.pack_release_v",
        apply: |p| p.over_voltage.pack_release_v -= 0.5,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ForcedRechargeParams;

    /// The Lesso twin with every optional part present (a forced recharge too), so
    /// that every parametric defect has its number to move.
    fn every_part() -> PackParams {
        PackParams {
            forced_recharge: Some(ForcedRechargeParams {
                standby_s: 2.0 * 86_400.0,
                recovery_voltage_v: 53.6,
            }),
            ..PackParams::lesso_lsrr51v100ah()
        }
    }

    /// The dotted paths of the leaves of `{:#?}` whose line differs between `a` and
    /// `b`: one field per line, nesting by indentation.
    fn changed_fields(a: &PackParams, b: &PackParams) -> Vec<String> {
        let (a, b) = (format!("{a:#?}"), format!("{b:#?}"));
        let mut stack: Vec<(usize, String)> = Vec::new();
        let mut changed = Vec::new();
        for (left, right) in a.lines().zip(b.lines()) {
            let indent = left.len() - left.trim_start().len();
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            // A line that opens a value without a name (`Some(` then `Params {`)
            // adds nothing to the path.
            let name = match left.trim_start().split_once(": ") {
                Some((name, _)) => name.to_string(),
                None => String::new(),
            };
            if left != right {
                let mut path: Vec<&str> = stack
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .filter(|n| !n.is_empty())
                    .collect();
                path.push(&name);
                changed.push(path.join("."));
            }
            if left.trim_end().ends_with('{') || left.trim_end().ends_with('(') {
                stack.push((indent, name));
            }
        }
        assert_eq!(a.lines().count(), b.lines().count(), "same shape");
        changed
    }

    #[test]
    fn each_parametric_defect_moves_exactly_its_number() {
        let base = every_part();
        for row in PARAMETRIC {
            let mut moved = base.clone();
            (row.apply)(&mut moved);
            assert_eq!(
                changed_fields(&base, &moved),
                [row.field],
                "{}",
                row.entry.name
            );
        }
    }

    #[test]
    fn the_field_list_finds_a_change_and_its_path() {
        let base = every_part();
        let mut two = base.clone();
        two.cocp.trip_current_a = 1.0;
        two.docp.trip_delay_s = 1.0;
        assert_eq!(
            changed_fields(&base, &two),
            ["cocp.trip_current_a", "docp.trip_delay_s"]
        );
        assert!(changed_fields(&base, &base).is_empty());
    }

    #[test]
    fn the_moved_numbers_are_still_a_firmware_the_twin_can_run() {
        for row in PARAMETRIC {
            let mut moved = every_part();
            (row.apply)(&mut moved);
            assert_eq!(moved.validate(), Ok(()), "{}", row.entry.name);
        }
    }
}
