//! The voltage protections of manual 3.4:
//!
//! > Charge end COVP/POVP: The BMS will stop charging if any cell or PACK voltage reach
//! > the protection value and it will be auto-released only when both Pack and cell
//! > voltage back to the release voltage range or there is efficient discharge current.
//!
//! > Discharge end CUVP/PUVP: The BMS will stop discharging if any cell or PACK voltage
//! > is under the protection value and it will be released only when all the cell
//! > voltage back to the release voltage range or there is efficient charge current.
//!
//! One [`VoltageProtection`] is the cell and the pack level of one end together, as
//! the manual describes them together. The manual gives no voltages or delays: they come
//! from the DUT profile, marked as assumptions.

use crate::clock::{Duration, Instant};

/// Which end of the voltage range a protection guards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// COVP/POVP: trips above, relieved by discharge current.
    Charge,
    /// CUVP/PUVP: trips below, relieved by charge current.
    Discharge,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VoltagePolicy {
    pub(crate) end: End,
    /// "the protection value" of a cell, V.
    pub(crate) cell_trip_v: f64,
    /// "the protection value" of the pack, V.
    pub(crate) pack_trip_v: f64,
    /// How long a value must stay beyond its protection value.
    pub(crate) trip_delay: Duration,
    /// "the release voltage range" boundary of a cell, V.
    pub(crate) cell_release_v: f64,
    /// "the release voltage range" boundary of the pack, V.
    pub(crate) pack_release_v: f64,
    /// "efficient discharge (charge) current": a current in the relieving direction above
    /// this releases the protection, A.
    pub(crate) release_current_a: f64,
}

/// What the BMS measures, for the voltage protections.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Cells {
    /// Highest cell voltage, V.
    pub(crate) max_cell_v: f64,
    /// Lowest cell voltage, V.
    pub(crate) min_cell_v: f64,
    pub(crate) pack_v: f64,
    /// Positive = charging.
    pub(crate) current_a: f64,
}

/// Which levels of a protection act: the cell level ("any cell"), the pack level
/// ("or PACK voltage"), or both. The manual releases them together; the RS485 alarm
/// answer names them apart (0x44 cell states and status 1 bit 1 for the cells, the
/// module-voltage state and status 1 bits 0 and 7 for the pack).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Levels {
    pub(crate) cell: bool,
    pub(crate) pack: bool,
}

impl Levels {
    pub(crate) fn any(self) -> bool {
        self.cell || self.pack
    }
}

#[derive(Clone, Debug)]
pub(crate) struct VoltageProtection {
    policy: VoltagePolicy,
    active: bool,
    beyond_since: Option<Instant>,
    /// The levels beyond their protection values at the trip, and any that went beyond
    /// while it held; none while released.
    levels: Levels,
}

impl VoltageProtection {
    pub(crate) fn new(policy: VoltagePolicy) -> Self {
        Self {
            policy,
            active: false,
            beyond_since: None,
            levels: Levels::default(),
        }
    }

    pub(crate) fn active(&self) -> bool {
        self.active
    }

    /// The levels that act while the protection holds (none while released).
    pub(crate) fn levels(&self) -> Levels {
        self.levels
    }

    /// The earliest instant after `now` at which the protection trips if `cells` hold.
    pub(crate) fn next_deadline(&self, now: Instant, cells: &Cells) -> Option<Instant> {
        (!self.active && self.beyond(cells).any())
            .then(|| self.beyond_since.unwrap_or(now) + self.policy.trip_delay)
            .filter(|t| *t > now)
    }

    /// `cells` held from `from` to `to` (`from == to` evaluates the instant).
    pub(crate) fn advance(&mut self, from: Instant, to: Instant, cells: &Cells) {
        let beyond = self.beyond(cells);
        if self.active {
            if self.released(cells) {
                self.reset();
            } else {
                self.levels.cell |= beyond.cell;
                self.levels.pack |= beyond.pack;
            }
            return;
        }
        if beyond.any() {
            let since = *self.beyond_since.get_or_insert(from);
            if to >= since + self.policy.trip_delay {
                self.active = true;
                self.levels = beyond;
            }
        } else {
            self.beyond_since = None;
        }
    }

    /// A BMS reset starts the protection afresh (it trips again if the cells say so).
    pub(crate) fn reset(&mut self) {
        self.active = false;
        self.beyond_since = None;
        self.levels = Levels::default();
    }

    fn beyond(&self, c: &Cells) -> Levels {
        let p = &self.policy;
        match p.end {
            End::Charge => Levels {
                cell: c.max_cell_v >= p.cell_trip_v,
                pack: c.pack_v >= p.pack_trip_v,
            },
            End::Discharge => Levels {
                cell: c.min_cell_v <= p.cell_trip_v,
                pack: c.pack_v <= p.pack_trip_v,
            },
        }
    }

    fn released(&self, c: &Cells) -> bool {
        let p = &self.policy;
        match p.end {
            End::Charge => {
                (c.max_cell_v < p.cell_release_v && c.pack_v < p.pack_release_v)
                    || -c.current_a > p.release_current_a
            }
            End::Discharge => {
                (c.min_cell_v > p.cell_release_v && c.pack_v > p.pack_release_v)
                    || c.current_a > p.release_current_a
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covp() -> VoltageProtection {
        VoltageProtection::new(VoltagePolicy {
            end: End::Charge,
            cell_trip_v: 3.55,
            pack_trip_v: 56.8,
            trip_delay: Duration::from_secs(2),
            cell_release_v: 3.40,
            pack_release_v: 54.4,
            release_current_a: 2.0,
        })
    }

    fn cuvp() -> VoltageProtection {
        VoltageProtection::new(VoltagePolicy {
            end: End::Discharge,
            cell_trip_v: 2.90,
            pack_trip_v: 46.4,
            trip_delay: Duration::from_secs(2),
            cell_release_v: 3.00,
            pack_release_v: 48.0,
            release_current_a: 2.0,
        })
    }

    fn cells(cell_v: f64, current_a: f64) -> Cells {
        Cells {
            max_cell_v: cell_v,
            min_cell_v: cell_v,
            pack_v: cell_v * 16.0,
            current_a,
        }
    }

    fn hold(p: &mut VoltageProtection, t: &mut Instant, c: Cells, seconds: f64) {
        let to = *t + Duration::from_secs_f64(seconds);
        p.advance(*t, *t, &c);
        p.advance(*t, to, &c);
        *t = to;
    }

    #[test]
    fn covp_trips_after_its_delay_and_holds_above_the_release_voltage() {
        let mut p = covp();
        let mut t = Instant::now();
        hold(&mut p, &mut t, cells(3.56, 50.0), 1.9);
        assert!(!p.active());
        assert_eq!(
            p.next_deadline(t, &cells(3.56, 50.0)),
            Some(t + Duration::from_millis(100))
        );
        hold(&mut p, &mut t, cells(3.56, 50.0), 0.1);
        assert!(p.active());
        hold(&mut p, &mut t, cells(3.45, 0.0), 3600.0);
        assert!(p.active(), "3.45 V is not yet in the release range");
        hold(&mut p, &mut t, cells(3.39, 0.0), 0.0);
        assert!(!p.active());
    }

    #[test]
    fn covp_is_released_by_discharge_current() {
        let mut p = covp();
        let mut t = Instant::now();
        hold(&mut p, &mut t, cells(3.6, 50.0), 2.0);
        assert!(p.active());
        hold(&mut p, &mut t, cells(3.5, -1.0), 10.0);
        assert!(p.active(), "1 A is not an efficient discharge current");
        hold(&mut p, &mut t, cells(3.5, -10.0), 0.0);
        assert!(!p.active());
    }

    #[test]
    fn the_pack_level_trips_on_its_own() {
        let mut p = covp();
        let mut t = Instant::now();
        let c = Cells {
            pack_v: 57.0,
            ..cells(3.5, 50.0)
        };
        hold(&mut p, &mut t, c, 2.0);
        assert!(p.active());
        let pack_only = Levels {
            cell: false,
            pack: true,
        };
        assert_eq!(p.levels(), pack_only);
    }

    /// The levels that act: those beyond at the trip, joined by one that goes beyond
    /// while it holds; none once released.
    #[test]
    fn the_levels_that_act_are_kept_until_the_release() {
        let mut p = cuvp();
        let mut t = Instant::now();
        let low_cell = Cells {
            min_cell_v: 2.85,
            ..cells(3.1, -50.0)
        };
        hold(&mut p, &mut t, low_cell, 2.0);
        let cell_only = Levels {
            cell: true,
            pack: false,
        };
        assert_eq!(p.levels(), cell_only, "the pack at 49.6 V, above PUVP");
        hold(&mut p, &mut t, cells(2.95, 0.0), 60.0);
        assert_eq!(
            p.levels(),
            cell_only,
            "the cell level holds after the cells rose"
        );
        hold(&mut p, &mut t, cells(2.8, -50.0), 0.0);
        let both = Levels {
            cell: true,
            pack: true,
        };
        assert_eq!(p.levels(), both, "the pack went below PUVP too");
        hold(&mut p, &mut t, cells(3.05, 0.0), 0.0);
        assert!(!p.active());
        assert_eq!(p.levels(), Levels::default());
    }

    #[test]
    fn cuvp_trips_below_and_is_released_by_charge_current_or_recovery() {
        let mut p = cuvp();
        let mut t = Instant::now();
        hold(&mut p, &mut t, cells(2.95, -50.0), 60.0);
        assert!(!p.active());
        hold(&mut p, &mut t, cells(2.85, -50.0), 2.0);
        assert!(p.active());
        hold(&mut p, &mut t, cells(2.98, 0.0), 600.0);
        assert!(p.active());
        hold(&mut p, &mut t, cells(2.98, 5.0), 0.0);
        assert!(!p.active());
        hold(&mut p, &mut t, cells(2.85, 0.0), 2.0);
        assert!(p.active());
        hold(&mut p, &mut t, cells(3.01, 0.0), 0.0);
        assert!(!p.active());
    }

    /// Manual 3.4 CUVP: "released only when all the cell voltage back to the release
    /// voltage range".
    #[test]
    fn cuvp_releases_only_when_all_cells_are_back() {
        let mut p = cuvp();
        let mut t = Instant::now();
        let spread = |min_cell_v: f64| Cells {
            max_cell_v: 3.25,
            min_cell_v,
            pack_v: 51.0,
            current_a: 0.0,
        };
        hold(
            &mut p,
            &mut t,
            Cells {
                current_a: -50.0,
                ..spread(2.85)
            },
            2.0,
        );
        assert!(
            p.active(),
            "one low cell trips it, the pack well above PUVP"
        );
        hold(&mut p, &mut t, spread(2.99), 3600.0);
        assert!(
            p.active(),
            "the pack and fifteen cells are back, the lowest is not"
        );
        hold(&mut p, &mut t, spread(3.01), 0.0);
        assert!(!p.active());
    }

    /// Manual 3.4 COVP: "if any cell ... reach the protection value".
    #[test]
    fn covp_trips_on_the_highest_cell() {
        let mut p = covp();
        let mut t = Instant::now();
        let c = Cells {
            max_cell_v: 3.56,
            min_cell_v: 3.45,
            pack_v: 55.4,
            current_a: 20.0,
        };
        hold(&mut p, &mut t, c, 2.0);
        assert!(p.active());
    }

    #[test]
    fn a_brief_excursion_does_not_trip() {
        let mut p = cuvp();
        let mut t = Instant::now();
        hold(&mut p, &mut t, cells(2.85, -50.0), 1.5);
        hold(&mut p, &mut t, cells(3.1, 0.0), 0.5);
        hold(&mut p, &mut t, cells(2.85, -50.0), 1.5);
        assert!(!p.active());
    }
}
