//! Passive cell balancing and the cell-imbalance warning.
//!
//! LOSUN 2.1: "the BMS facilitates cell balancing during charging to enhance cycle
//! life"; Lesso 2.x: "automatic balancing function". While a charger is connected and
//! the pack is not being discharged (it charges, or floats at the charger's voltage),
//! and its highest cell is on the steep top of the LFP curve (where a cell's voltage
//! tells its SOC), every cell well above the lowest one is bled through its resistor.
//! Thresholds and the bleed current are assumptions of the DUT profile.
//!
//! Lesso 3.3.3.4 note: "'Warning' including items of cell imbalanced"; FAQ Q2: "'High
//! voltage' and 'cell unbalance' warning ... happened on new batteries that are not
//! balanced yet". The warning is the spread of the cell voltages against a level from
//! the profile (an assumption).

use crate::config::BalancingParams;
use crate::defects::{Defect, DefectSet};

/// What the balancer looks at besides the cells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ChargeState {
    /// A charger holds the terminals (the BMS senses its voltage).
    pub(crate) charger: bool,
    /// Positive = charging.
    pub(crate) current_a: f64,
    /// Discharge currents smaller than this count as none (the reporting dead band,
    /// Lesso FAQ Q4), A.
    pub(crate) dead_band_a: f64,
}

/// Which cells bleed now: none unless balancing is configured, a charger is connected,
/// the pack is not discharging, and the highest cell has reached the start voltage.
/// With `balancing_never` injected none ever does: the pack behaves as one whose profile
/// has no balancing, everything else unchanged.
pub(crate) fn bleeding(
    policy: Option<&BalancingParams>,
    cell_voltages: &[f64],
    state: ChargeState,
    defects: DefectSet,
) -> Vec<bool> {
    let none = vec![false; cell_voltages.len()];
    let Some(p) = policy.filter(|_| !defects.has(Defect::BalancingNever)) else {
        return none;
    };
    let Some((low, high)) = extremes(cell_voltages) else {
        return none;
    };
    // A current that is not a number counts as discharging: nothing bleeds.
    let discharging = state.current_a.is_nan() || state.current_a < -state.dead_band_a.abs();
    if !state.charger || discharging || high < p.start_cell_v {
        return none;
    }
    cell_voltages
        .iter()
        .map(|v| *v - low >= p.delta_v)
        .collect()
}

/// Lowest and highest cell voltage, ignoring non-numbers; `None` without any.
pub(crate) fn extremes(cell_voltages: &[f64]) -> Option<(f64, f64)> {
    cell_voltages
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((l, h)) => Some((l.min(v), h.max(v))),
        })
}

/// The "cell imbalanced" warning: highest minus lowest cell at or above `level_v`.
pub(crate) fn imbalanced(max_cell_v: f64, min_cell_v: f64, level_v: f64) -> bool {
    max_cell_v - min_cell_v >= level_v
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: DefectSet = DefectSet::EMPTY;

    fn policy() -> BalancingParams {
        BalancingParams {
            start_cell_v: 3.40,
            delta_v: 0.02,
            bleed_current_a: 0.1,
        }
    }

    fn charging(current_a: f64) -> ChargeState {
        ChargeState {
            charger: true,
            current_a,
            dead_band_a: 0.5,
        }
    }

    #[test]
    fn bleeds_the_high_cells_while_charging_at_the_top() {
        let cells = [3.40, 3.45, 3.41, 3.43];
        assert_eq!(
            bleeding(Some(&policy()), &cells, charging(10.0), NONE),
            [false, true, false, true]
        );
        // Floating on the charger with next to no current still balances.
        assert_eq!(
            bleeding(Some(&policy()), &cells, charging(-0.2), NONE),
            [false, true, false, true]
        );
    }

    #[test]
    fn without_a_charger_discharging_or_on_the_flat_middle_nothing_bleeds() {
        let cells = [3.40, 3.45, 3.41, 3.43];
        let idle = ChargeState {
            charger: false,
            ..charging(0.0)
        };
        assert_eq!(bleeding(Some(&policy()), &cells, idle, NONE), [false; 4]);
        assert_eq!(
            bleeding(Some(&policy()), &cells, charging(-20.0), NONE),
            [false; 4]
        );
        assert_eq!(
            bleeding(Some(&policy()), &cells, charging(f64::NAN), NONE),
            [false; 4]
        );
        let middle = [3.30, 3.33, 3.31, 3.32];
        assert_eq!(
            bleeding(Some(&policy()), &middle, charging(10.0), NONE),
            [false; 4]
        );
        assert_eq!(bleeding(None, &cells, charging(10.0), NONE), [false; 4]);
    }

    #[test]
    fn with_balancing_never_no_cell_ever_bleeds() {
        let cells = [3.40, 3.45, 3.41, 3.43];
        let never = DefectSet::from_list(&[Defect::BalancingNever]);
        assert_eq!(
            bleeding(Some(&policy()), &cells, charging(10.0), never),
            [false; 4]
        );
        // Other defects leave the balancer alone.
        let other = DefectSet::from_list(&[Defect::Rs232WakeIgnored]);
        assert_eq!(
            bleeding(Some(&policy()), &cells, charging(10.0), other),
            [false, true, false, true]
        );
    }

    #[test]
    fn the_warning_is_the_spread_against_its_level() {
        assert!(imbalanced(3.60, 3.44, 0.15));
        assert!(!imbalanced(3.50, 3.44, 0.15));
        assert!(!imbalanced(3.60, 3.0, f64::INFINITY));
        assert_eq!(extremes(&[3.3, f64::NAN, 3.1]), Some((3.1, 3.3)));
        assert_eq!(extremes(&[]), None);
    }
}
