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
}

impl Defect {
    /// Every defect, in catalogue order.
    pub const ALL: &'static [Defect] = &[
        Defect::CocpNoLockout,
        Defect::CocpLockoutAfterFour,
        Defect::CocpNoRecovery,
        Defect::CocpFlagMissing,
        Defect::CclNotZeroed,
        Defect::ChargeEnableStuck,
        Defect::DryContactStuck,
        Defect::ResetIgnored,
    ];

    /// The snake_case name used in bench files and on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Defect::CocpNoLockout => "cocp_no_lockout",
            Defect::CocpLockoutAfterFour => "cocp_lockout_after_four",
            Defect::CocpNoRecovery => "cocp_no_recovery",
            Defect::CocpFlagMissing => "cocp_flag_missing",
            Defect::CclNotZeroed => "ccl_not_zeroed",
            Defect::ChargeEnableStuck => "charge_enable_stuck",
            Defect::DryContactStuck => "dry_contact_stuck",
            Defect::ResetIgnored => "reset_ignored",
        }
    }

    /// What the defective firmware does.
    pub fn description(&self) -> &'static str {
        match self {
            Defect::CocpNoLockout => {
                "COCP recovers automatically after every trip and never locks out"
            }
            Defect::CocpLockoutAfterFour => {
                "COCP locks out one trip late: on the fourth consecutive trip instead of the third"
            }
            Defect::CocpNoRecovery => {
                "COCP never recovers by itself: after the first trip charging stays off until a reset"
            }
            Defect::CocpFlagMissing => {
                "the CAN 0x359 charge over-current protection bit is never set"
            }
            Defect::CclNotZeroed => {
                "CAN 0x351 keeps announcing the normal charge current limit while COCP is active"
            }
            Defect::ChargeEnableStuck => {
                "the CAN 0x35C charge-enable bit stays 1 while COCP has stopped charging"
            }
            Defect::DryContactStuck => {
                "dry contact output 1 (charge enable) stays closed while COCP has stopped charging"
            }
            Defect::ResetIgnored => "a 6-10 s press of the reset button is ignored",
        }
    }

    /// The manual behaviour the defect breaks, with its section.
    pub fn breaks(&self) -> &'static str {
        match self {
            Defect::CocpNoLockout => {
                "manual 3.4 COCP: \"If locked after three consecutive times, manual intervention is required.\""
            }
            Defect::CocpLockoutAfterFour => {
                "manual 3.4 COCP: lock-out after three consecutive trips"
            }
            Defect::CocpNoRecovery => {
                "manual 3.4 COCP: \"it will release from the protection when the system delays time is met. Automatic recovery.\""
            }
            Defect::CocpFlagMissing => {
                "manual 3.4 COCP reported to the inverter: 0x359 byte 1 bit 0 (protocols.md 1.4)"
            }
            Defect::CclNotZeroed => {
                "manual 3.4 COCP \"will stop charging\": CCL 0 in 0x351 while charging is stopped (protocols.md 1.10)"
            }
            Defect::ChargeEnableStuck => {
                "manual 3.4 COCP \"will stop charging\": 0x35C charge enable cleared (protocols.md 1.5, 1.10)"
            }
            Defect::DryContactStuck => {
                "manual 3.3.3.1 D: dry contact output 1 is the charge enable/disable signal"
            }
            Defect::ResetIgnored => {
                "manual 3.3.3 E: reset (6~10s); 3.4 COCP lock-out needs manual intervention"
            }
        }
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
pub(crate) struct DefectSet(u16);

impl DefectSet {
    pub(crate) fn from_list(defects: &[Defect]) -> Self {
        Self(defects.iter().fold(0, |bits, d| bits | Self::bit(*d)))
    }

    pub(crate) fn has(self, defect: Defect) -> bool {
        self.0 & Self::bit(defect) != 0
    }

    fn bit(defect: Defect) -> u16 {
        1 << (defect as u16)
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
