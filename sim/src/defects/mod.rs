//! The catalogue of injected firmware defects.
//!
//! Each defect is a plausible firmware regression that breaks exactly one behaviour the
//! manual promises, so that a plan which claims to test that behaviour can be shown to
//! catch it. The twin without defects follows the manual (and the firmware description
//! it is given).
//!
//! Two kinds: `logical` defects break a behaviour (a lock-out that never comes, a flag
//! never set) where the firmware decides it; `parametric` ones move one number of the
//! firmware description (a threshold, a delay, a timer, an announced limit) before the
//! twin is built, and nothing else.

mod logical;
mod parametric;

use std::fmt;
use std::str::FromStr;

use crate::config::PackParams;

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
    /// The CAN node hangs at the first protection: silent on CAN from then on, while
    /// the rest of the firmware (RS485, protections) goes on.
    CanHangsOnProtection,
    /// FLASH3 flashes with a 1 s period (0.5 s on, 0.5 s off) instead of 2 s.
    Flash3Period1s,
    /// An automatic wake-up that can charge goes back to sleep as a failed one.
    AutoWakeChargeIgnored,
    /// During CUVP/PUVP the LEDs show the row of the other protections.
    UvpLedsAsProtection,
    /// A charge during an automatic wake-up ends sleep, but the count of failed
    /// wake-ups carries on.
    AutoWakeCountKept,
    // Parametric defects: a firmware number moved (see `parametric`).
    /// COCP threshold at 55 A.
    CocpTripsAt55A,
    /// The 5 min DOCP tier from 80 A.
    DocpTierFrom80A,
    /// The 15 s DOCP tier lasting 60 s.
    DocpPeakTier60s,
    /// COCP recovery after 5 s.
    CocpRecovery5s,
    /// COCP trip delay 0 s.
    CocpTripInstant,
    /// Automatic wake-ups every 3 h 30 min.
    AutoWake3h30,
    /// Sleep after 5 s of unresolved under-voltage.
    UvSleepAfter5s,
    /// Forced recharge after 1 day of standby.
    ForcedRechargeAfter1d,
    /// Reset accepted from a 3 s press.
    ResetAt3s,
    /// CHTP released 1 K below its trip.
    ChtpHysteresis1K,
    /// CVL 58.4 V on CAN.
    Cvl58V4,
    /// Current dead band 5 A.
    DeadBand5A,
    /// CCL 80 A per pack on CAN.
    Ccl80A,
    /// DCL 50 A per pack on CAN.
    Dcl50A,
    /// DVL 44.8 V on CAN.
    Dvl44V8,
    /// A charger wakes the pack only above 52 V.
    ChargerWakeAbove52V,
    /// Automatic wake-ups stop after 5 failed ones.
    AutoWakeStopsAfter5,
    /// Standby sleep after 12 h.
    StandbySleepAfter12h,
    /// SOC calibration after 10 min at cut-off current.
    SocCalibration10min,
    /// Reset accepted up to a 15 s press.
    ResetUpTo15s,
    /// The 15 s DOCP tier from 150 A.
    DocpPeakFrom150A,
    /// CLTP at -10 °C.
    CltpAtMinus10C,
    /// DHTP at 55 °C.
    DhtpAt55C,
    /// CUVP at 3.00 V per cell: a discharge ends early.
    CuvpAt3V00,
    /// Reset accepted from a 5 s press: the sleep press's end moved.
    ResetFrom5s,
    /// The controller takes 20 s to boot after a reset.
    Reboot20s,
    /// POVP at 55.5 V: the pack level trips below its band.
    PovpAt55V5,
    /// COVP/POVP released only by a discharge above 10 A.
    CovpReleaseAt10A,
    /// CUVP released 0.2 V per cell above the firmware's release voltage.
    CuvpRelease0V2High,
    /// PUVP released 1 V above the firmware's pack release voltage.
    PuvpRelease1VHigh,
    /// CUVP/PUVP released by a charge only above 10 A.
    CuvpReleaseAt10A,
    /// The cell level of CUVP at 2.50 V: PUVP acts on its own.
    CuvpAt2V50,
    /// The cell level of COVP at 3.70 V: POVP acts on its own.
    CovpAt3V70,
    /// COVP released 0.05 V per cell below the firmware's release voltage.
    CovpRelease0V05Low,
    /// POVP released 0.5 V below the firmware's pack release voltage.
    PovpRelease0V5Low,
}

/// One row of the catalogue.
struct Entry {
    defect: Defect,
    /// The snake_case name used in bench files and on the command line.
    name: &'static str,
    /// The manual behaviour the defect breaks, with its section (or the DUT profile's
    /// band, for a number the manual does not give).
    breaks: &'static str,
    /// What the defective firmware does.
    description: &'static str,
}

/// What kind of defect it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefectKind {
    /// A behaviour is missing or wrong.
    Logical,
    /// One firmware number moved; the field of [`PackParams`] it moves
    /// (`cocp.trip_current_a`).
    Parametric { field: &'static str },
}

use self::logical::LOGICAL;
use self::parametric::{PARAMETRIC, Shift};

/// Every defect has its row at its discriminant: the logical ones first, then the
/// parametric ones, each table in declaration order (checked when the crate compiles).
const COUNT: usize = LOGICAL.len() + PARAMETRIC.len();

const _: () = {
    let mut i = 0;
    while i < LOGICAL.len() {
        assert!(
            LOGICAL[i].defect as usize == i,
            "the logical table lists its defects in declaration order"
        );
        i += 1;
    }
    let mut k = 0;
    while k < PARAMETRIC.len() {
        assert!(
            PARAMETRIC[k].entry.defect as usize == LOGICAL.len() + k,
            "the parametric table lists its defects in declaration order, after the logical ones"
        );
        k += 1;
    }
    assert!(COUNT <= 128, "a DefectSet holds 128 defects");
};

impl Defect {
    /// Every defect, in catalogue order (the logical ones, then the parametric ones).
    pub const ALL: &'static [Defect] = &{
        let mut all = [Defect::CocpNoLockout; COUNT];
        let mut i = 0;
        while i < LOGICAL.len() {
            all[i] = LOGICAL[i].defect;
            i += 1;
        }
        let mut k = 0;
        while k < PARAMETRIC.len() {
            all[LOGICAL.len() + k] = PARAMETRIC[k].entry.defect;
            k += 1;
        }
        all
    };

    /// The row of a parametric defect.
    fn shift_row(self) -> Option<&'static Shift> {
        (self as usize)
            .checked_sub(LOGICAL.len())
            .and_then(|k| PARAMETRIC.get(k))
    }

    fn entry(self) -> &'static Entry {
        match self.shift_row() {
            Some(row) => &row.entry,
            // In range: every logical defect has its row at its discriminant.
            None => &LOGICAL[self as usize],
        }
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

    /// Logical, or parametric with the firmware number it moves.
    pub fn kind(&self) -> DefectKind {
        match self.shift_row() {
            Some(row) => DefectKind::Parametric { field: row.field },
            None => DefectKind::Logical,
        }
    }

    /// Move this defect's firmware number in `firmware` (nothing for a logical defect,
    /// or for a parametric one whose part the pack does not have, such as a forced
    /// recharge on a pack without one).
    pub fn shift(&self, firmware: &mut PackParams) {
        if let Some(row) = self.shift_row() {
            (row.apply)(firmware);
        }
    }
}

/// The firmware a twin with `defects` runs: `pack` with every parametric defect's
/// number moved.
pub(crate) fn shifted(pack: &PackParams, defects: &[Defect]) -> PackParams {
    let mut firmware = pack.clone();
    for d in defects {
        d.shift(&mut firmware);
    }
    firmware
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
pub(crate) struct DefectSet(u128);

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

    /// Room for 128 defects.
    fn bit(defect: Defect) -> u128 {
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
