//! The catalogue of injected firmware defects.
//!
//! Each defect is a plausible firmware regression that breaks exactly one behaviour the
//! manual promises, so that a plan which claims to test that behaviour can be shown to
//! catch it. The twin without defects follows the manual.

use std::fmt;
use std::str::FromStr;

/// One injected firmware defect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Defect {
    /// COCP recovers after every trip and never locks.
    CocpNoLockout,
    /// COCP locks only on the fourth consecutive trip.
    CocpLockoutAfterFour,
    /// COCP never recovers by itself: the first trip holds until a reset.
    CocpNoRecovery,
    /// The 0x359 charge over-current protection bit is never set.
    CocpFlagMissing,
    /// 0x351 keeps the normal charge current limit while COCP is active.
    CclNotZeroed,
    /// The 0x35C charge-enable bit stays 1 during protection.
    ChargeEnableStuck,
    /// Dry contact output 1 (charge enable) stays closed during protection.
    DryContactStuck,
    /// A 6-10 s reset press does not release the lock-out.
    ResetIgnored,
    /// DOCP recovers after every trip and never locks.
    DocpNoLockout,
    /// The 5 min limit of the 101-119 A band is missing.
    PeakLimitIgnored,
    /// Dry contact output 2 stays closed during discharge protection.
    DischargeContactStuck,
    /// 0x359 over- and under-voltage bits swapped.
    VoltageFlagsSwapped,
    /// SOC calibrates to 100 % without reaching cut-off current.
    SocJumpsTo100,
    /// Unresolved under-voltage never puts the pack to sleep.
    UvSleepNever,
    /// Automatic wake-ups never stop.
    AutoWakeForever,
    /// Automatic wake-ups every hour instead of every 4 h.
    AutoWakeHourly,
    /// A charger above 48 V does not wake the pack.
    ChargerWakeIgnored,
    /// The rapid-shutdown input is ignored.
    RsdIgnored,
    /// A 3-6 s press does not toggle sleep.
    SleepButtonIgnored,
    /// No warnings before protections.
    AlarmsMissing,
    /// CHTP releases as soon as the temperature is back in range: no hysteresis.
    ChtpNoHysteresis,
    /// CLTP never acts: charging allowed below the range.
    CltpIgnored,
    /// The 0x359 over/under-temperature protection bits are never set.
    TemperatureFlagMissing,
    /// SCP and reversed polarity release by themselves: no charge or reset needed.
    ScpAutoRelease,
    /// Reversed polarity is not detected: the MOSFETs stay on.
    ReversePolarityIgnored,
    /// The sensor failure mode ends by itself when the sensor reads again.
    SensorFailureNotLatched,
    /// The ALM LED stays dark in protection and failure states.
    AlmLedDarkOnProtection,
    /// No forced recharge after the standby time at charge complete.
    ForcedRechargeNever,
    /// RS485 0x95 "Turn off module" is answered but not obeyed.
    Rs485TurnOffIgnored,
    /// Bytes on the RS232 port do not wake a sleeping pack.
    Rs232WakeIgnored,
    /// The balancer never bleeds a cell.
    BalancingNever,
    /// Packs in parallel: the master announces one pack's current limits, not N times.
    ParallelLimitsNotScaled,
    /// Packs in parallel: the slaves never answer on RS485 at their addresses.
    SlaveSilentOnRs485,
    /// Packs in parallel: the master's CAN flags show only its own pack's state.
    SlaveAlarmsNotAggregated,
    /// Packs in parallel: 0x359 byte 4 says 1 module whatever the number.
    ModuleCountStuckAtOne,
}

/// One row of the catalogue.
struct Entry {
    defect: Defect,
    /// The snake_case name used in bench files and on the command line.
    name: &'static str,
    /// The manual behaviour the defect breaks, with its section.
    breaks: &'static str,
    /// What the defective firmware does.
    description: &'static str,
}

/// Every defect, one row each in the order the enum declares them (checked below when
/// the crate compiles), so that a defect finds its row by its discriminant.
const CATALOGUE: &[Entry] = &[
    Entry {
        defect: Defect::CocpNoLockout,
        name: "cocp_no_lockout",
        breaks: "manual 3.4 COCP: \"If locked after three consecutive times, manual intervention is required.\"",
        description: "COCP recovers automatically after every trip and never locks out",
    },
    Entry {
        defect: Defect::CocpLockoutAfterFour,
        name: "cocp_lockout_after_four",
        breaks: "manual 3.4 COCP: lock-out after three consecutive trips",
        description: "COCP locks out one trip late: on the fourth consecutive trip instead of the third",
    },
    Entry {
        defect: Defect::CocpNoRecovery,
        name: "cocp_no_recovery",
        breaks: "manual 3.4 COCP: \"it will release from the protection when the system delays time is met. Automatic recovery.\"",
        description: "COCP never recovers by itself: after the first trip charging stays off until a reset",
    },
    Entry {
        defect: Defect::CocpFlagMissing,
        name: "cocp_flag_missing",
        breaks: "manual 3.4 COCP reported to the inverter: 0x359 byte 1 bit 0 (protocols.md 1.4)",
        description: "the CAN 0x359 charge over-current protection bit is never set",
    },
    Entry {
        defect: Defect::CclNotZeroed,
        name: "ccl_not_zeroed",
        breaks: "manual 3.4 COCP \"will stop charging\": CCL 0 in 0x351 while charging is stopped (protocols.md 1.10)",
        description: "CAN 0x351 keeps announcing the normal charge current limit while COCP is active",
    },
    Entry {
        defect: Defect::ChargeEnableStuck,
        name: "charge_enable_stuck",
        breaks: "manual 3.4 COCP \"will stop charging\": 0x35C charge enable cleared (protocols.md 1.5, 1.10)",
        description: "the CAN 0x35C charge-enable bit stays 1 while COCP has stopped charging",
    },
    Entry {
        defect: Defect::DryContactStuck,
        name: "dry_contact_stuck",
        breaks: "manual 3.3.3.1 D: dry contact output 1 is the charge enable/disable signal",
        description: "dry contact output 1 (charge enable) stays closed while COCP has stopped charging",
    },
    Entry {
        defect: Defect::ResetIgnored,
        name: "reset_ignored",
        breaks: "manual 3.3.3 E: reset (6~10s); 3.4 COCP lock-out needs manual intervention",
        description: "a 6-10 s press of the reset button is ignored",
    },
    Entry {
        defect: Defect::DocpNoLockout,
        name: "docp_no_lockout",
        breaks: "manual 3.4 DOCP: \"If locked after three consecutive times, manual intervention is required.\"",
        description: "DOCP recovers automatically after every trip and never locks out",
    },
    Entry {
        defect: Defect::PeakLimitIgnored,
        name: "peak_limit_ignored",
        breaks: "manual 3.3.2: \"Peak discharge current 101~119A@5mins\"",
        description: "a discharge current in the 101-119 A band is allowed indefinitely: the 5 min limit is missing",
    },
    Entry {
        defect: Defect::DischargeContactStuck,
        name: "discharge_contact_stuck",
        breaks: "manual 3.3.3.1 D: dry contact output 2 is the discharge enable/disable signal",
        description: "dry contact output 2 (discharge enable) stays closed while a protection has stopped discharging",
    },
    Entry {
        defect: Defect::VoltageFlagsSwapped,
        name: "voltage_flags_swapped",
        breaks: "manual 3.4 COVP/CUVP reported to the inverter: 0x359 byte 0 bit 1 over-voltage, bit 2 under-voltage (protocols.md 1.4)",
        description: "the CAN 0x359 cell over-voltage and under-voltage protection bits are swapped",
    },
    Entry {
        defect: Defect::SocJumpsTo100,
        name: "soc_jumps_to_100",
        breaks: "manual 5 FAQ Q1: \"Battery maximum SOC is 99%\" until \"BMS will calibrate the SOC to 100% when reached cut-off current\"",
        description: "SOC jumps to 100 % as soon as the cells reach the calibration voltage, during bulk charge, instead of being held at 99 % until the cut-off current",
    },
    Entry {
        defect: Defect::UvSleepNever,
        name: "uv_sleep_never",
        breaks: "LOSUN manual 2.3-3 sleep 1): \"Over-discharge protection ... remains unresolved for 30 seconds\"; Lesso manual 3.4 CUVP remark (low-power mode)",
        description: "an unresolved CUVP/PUVP never puts the pack to sleep: it stays awake and draws its own consumption",
    },
    Entry {
        defect: Defect::AutoWakeForever,
        name: "auto_wake_forever",
        breaks: "LOSUN manual 2.3-3 note: \"If it fails to charge after 10 consecutive automatic wake-ups, it will no longer wake up automatically.\"",
        description: "the automatic wake-ups after an under-voltage sleep never stop: there is no limit of 10 failed wakes",
    },
    Entry {
        defect: Defect::AutoWakeHourly,
        name: "auto_wake_hourly",
        breaks: "LOSUN manual 2.3-3 note: \"the system wakes up every 4 hours\"",
        description: "the automatic wake-up timer runs in the wrong unit: wakes every hour instead of every 4 hours",
    },
    Entry {
        defect: Defect::ChargerWakeIgnored,
        name: "charger_wake_ignored",
        breaks: "LOSUN manual 2.3-3 wake-up 1): \"Charger is connected, and the charger output voltage is greater than 48V\"; Lesso manual 3.4 sleep mode: \"Charge ... to activate\"",
        description: "a charger above 48 V on the terminals does not wake a sleeping pack",
    },
    Entry {
        defect: Defect::RsdIgnored,
        name: "rsd_ignored",
        breaks: "manual 3.3.3.1 D: \"Passive INPUT signal. Rapid Shut Down function\"; manual 3.2 \"Rapid shut down function\"",
        description: "the rapid-shutdown input (dry contact pins 5-6) is ignored: the pack keeps its output on",
    },
    Entry {
        defect: Defect::SleepButtonIgnored,
        name: "sleep_button_ignored",
        breaks: "manual 3.3.3 E: \"sleep(3s)/awake(3s)\"; LOSUN manual 2.3-2/2.3-3: press 3~6 seconds",
        description: "a 3-6 s press of the button neither puts the pack to sleep nor wakes it",
    },
    Entry {
        defect: Defect::AlarmsMissing,
        name: "alarms_missing",
        breaks: "manual 3.3.3.4 note: \"'Warning' including items of cell imbalanced/low voltage/high current\"; 0x359 bytes 2-3 (protocols.md 1.4)",
        description: "the 0x359 alarm bits (warnings) are never set: protections act without a warning first",
    },
    Entry {
        defect: Defect::ChtpNoHysteresis,
        name: "chtp_no_hysteresis",
        breaks: "manual 3.4 CHTP: \"Automatic recovery when temperature falls\" (to the release temperature of the DUT profile, below the 50 °C end of manual 3.3.2)",
        description: "CHTP releases as soon as the temperature is back below the trip point: no hysteresis, so charging chatters on and off at the edge of the range",
    },
    Entry {
        defect: Defect::CltpIgnored,
        name: "cltp_ignored",
        breaks: "manual 3.4 CLTP: \"The BMS will stop charging ... if any cell/environment/MOS temperature is under the range\"; manual 3.3.2 \"Charge: -5~50°C\"",
        description: "CLTP never acts: the pack accepts charge below the -5 °C end of its charge range",
    },
    Entry {
        defect: Defect::TemperatureFlagMissing,
        name: "temperature_flag_missing",
        breaks: "manual 3.4 CHTP/DHTP/CLTP/DLTP reported to the inverter: 0x359 byte 0 bits 3 and 4 (protocols.md 1.4)",
        description: "the CAN 0x359 over- and under-temperature protection bits are never set, although the temperature protections stop charging/discharging",
    },
    Entry {
        defect: Defect::ScpAutoRelease,
        name: "scp_auto_release",
        breaks: "manual 3.4 SCP/Reversed polarity: \"Charge to release. Manual press reset.\"",
        description: "SCP releases by itself 10 s after tripping and reversed-polarity protection as soon as the reversal is gone, without a charger or a reset",
    },
    Entry {
        defect: Defect::ReversePolarityIgnored,
        name: "reverse_polarity_ignored",
        breaks: "manual 3.4 SCP/Reversed polarity: \"The BMS will stop charging when detect short circuit or reversed polarity\"; 3.3.3.4 Failure row \"Stop charging/discharging\"",
        description: "reversed polarity at the terminals is not detected: the MOSFETs stay on and the reversed source drives current through the pack",
    },
    Entry {
        defect: Defect::SensorFailureNotLatched,
        name: "sensor_failure_not_latched",
        breaks: "manual 3.4: \"Temperature, Voltage, Current sensor failure: Enter the failure mode, manual intervention is required\"",
        description: "the sensor failure mode ends by itself as soon as the sensor reads again, without manual intervention",
    },
    Entry {
        defect: Defect::AlmLedDarkOnProtection,
        name: "alm_led_dark_on_protection",
        breaks: "manual 3.3.3.4 RUN/ALM/SOC table: ALM ON for DOCP, temperature protections and failures; LOSUN manual 2.5: L7 Light for protection and fault",
        description: "the ALM LED stays dark where the LED table lights it (protections, failures)",
    },
    Entry {
        defect: Defect::ForcedRechargeNever,
        name: "forced_recharge_never",
        breaks: "LOSUN manual 2.3-3: \"if it remains in standby for 2 days (standby time set value) without reaching the recovery voltage, it forcefully resumes charging\"",
        description: "after charge complete the pack never forces a recharge, however long it stands by",
    },
    Entry {
        defect: Defect::Rs485TurnOffIgnored,
        name: "rs485_turn_off_ignored",
        breaks: "LOSUN manual 2.3-3 sleep 5): \"Forced shutdown through upper computer software\"; Pylontech RS485 0x95 \"Turn off module\" (protocols.md 2.7)",
        description: "RS485 0x95 \"Turn off module\" is answered normally but the pack stays on",
    },
    Entry {
        defect: Defect::Rs232WakeIgnored,
        name: "rs232_wake_ignored",
        breaks: "LOSUN manual 2.3-3 wake-up 3): \"Activating through the RS232 port\"",
        description: "bytes on the RS232 port do not wake a sleeping pack",
    },
    Entry {
        defect: Defect::BalancingNever,
        name: "balancing_never",
        breaks: "LOSUN manual 2.1: \"the BMS facilitates cell balancing during charging\"; Lesso manual 3.2 \"automatic balancing function\", FAQ Q2 'cell unbalance' on new batteries \"not balanced yet\": \"float the battery\"",
        description: "the BMS never bleeds a cell: a spread between the cells stays however long the pack charges or floats",
    },
    Entry {
        defect: Defect::ParallelLimitsNotScaled,
        name: "parallel_limits_not_scaled",
        breaks: "Lesso manual 5.6 inverter settings: \"Max. charging current limited value 70A*N\", \"Max. discharging current limited value 100A*N (N is the Quantity of the battery pack)\"",
        description: "with packs in parallel the master announces one pack's charge and discharge current limits on CAN 0x351 instead of the sum over the packs",
    },
    Entry {
        defect: Defect::SlaveSilentOnRs485,
        name: "slave_silent_on_rs485",
        breaks: "Lesso manual 3.3.2 \"Max parallel number 32pcs\" with each pack at its own address (LOSUN manual 2.4: DIP address per pack, \"avoid setting the same address\"); Pylontech single group: slaves at 0x03, 0x04, ... (protocols.md 2.5)",
        description: "with packs in parallel the slave packs never answer RS485 requests at their own addresses (master address + 1, + 2, ...)",
    },
    Entry {
        defect: Defect::SlaveAlarmsNotAggregated,
        name: "slave_alarms_not_aggregated",
        breaks: "Lesso manual 3.3.3 F / 5.3: the master battery talks to the inverter for the whole parallel system; its 0x359 flags cover every pack (protocols.md 1.4)",
        description: "with packs in parallel the master's CAN 0x359 protection and alarm flags show only its own pack: a slave's protection or failure is not reported",
    },
    Entry {
        defect: Defect::ModuleCountStuckAtOne,
        name: "module_count_stuck_at_one",
        breaks: "Lesso manual 3.3.2 \"Max parallel number 32pcs\": 0x359 byte 4 \"Number of modules (packs) in parallel\" (protocols.md 1.4)",
        description: "CAN 0x359 byte 4 (number of modules) always says 1, however many packs answer the master",
    },
];

const _: () = {
    let mut i = 0;
    while i < CATALOGUE.len() {
        assert!(
            CATALOGUE[i].defect as usize == i,
            "the catalogue lists the defects in declaration order"
        );
        i += 1;
    }
};

impl Defect {
    /// Every defect, in catalogue order.
    pub const ALL: &'static [Defect] = &{
        let mut all = [Defect::CocpNoLockout; CATALOGUE.len()];
        let mut i = 0;
        while i < CATALOGUE.len() {
            all[i] = CATALOGUE[i].defect;
            i += 1;
        }
        all
    };

    fn entry(self) -> &'static Entry {
        // In range: every defect has its row at its discriminant (the check above).
        &CATALOGUE[self as usize]
    }

    /// The snake_case name used in bench files and on the command line.
    pub fn name(&self) -> &'static str {
        self.entry().name
    }

    /// What the defective firmware does.
    pub fn description(&self) -> &'static str {
        self.entry().description
    }

    /// The manual behaviour the defect breaks, with its section.
    pub fn breaks(&self) -> &'static str {
        self.entry().breaks
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A defect name that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown defect `{name}` (known: {})", known.join(", "))]
pub struct UnknownDefect {
    pub name: String,
    pub known: Vec<String>,
}

impl FromStr for Defect {
    type Err = UnknownDefect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Defect::ALL
            .iter()
            .copied()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownDefect {
                name: s.to_string(),
                known: Defect::ALL.iter().map(|d| d.name().to_string()).collect(),
            })
    }
}

/// The defects injected into one twin, as a set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DefectSet(u64);

impl DefectSet {
    /// No defect: the firmware as the manual describes it.
    #[cfg(test)]
    pub(crate) const EMPTY: DefectSet = DefectSet(0);

    pub(crate) fn from_list(defects: &[Defect]) -> Self {
        Self(defects.iter().fold(0, |bits, d| bits | Self::bit(*d)))
    }

    pub(crate) fn has(self, defect: Defect) -> bool {
        self.0 & Self::bit(defect) != 0
    }

    /// Room for 64 defects.
    fn bit(defect: Defect) -> u64 {
        1 << (defect as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for d in Defect::ALL {
            assert_eq!(d.to_string().parse::<Defect>(), Ok(*d));
            assert!(!d.description().is_empty());
            assert!(d.breaks().contains("manual"));
        }
        let mut names: Vec<_> = Defect::ALL.iter().map(|d| d.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Defect::ALL.len());
    }

    #[test]
    fn unknown_names_list_the_catalogue() {
        let err = "cocp_no_lockuot".parse::<Defect>().unwrap_err();
        assert_eq!(err.name, "cocp_no_lockuot");
        assert!(err.known.contains(&"cocp_no_lockout".to_string()));
        assert!(err.to_string().contains("reset_ignored"));
    }

    #[test]
    fn a_set_holds_exactly_its_members() {
        let set = DefectSet::from_list(&[Defect::CclNotZeroed, Defect::CclNotZeroed]);
        for d in Defect::ALL {
            assert_eq!(set.has(*d), *d == Defect::CclNotZeroed);
        }
    }
}
