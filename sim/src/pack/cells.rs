//! The pack as a string of cells in series, and the BMS's coulomb counter.
//!
//! Each cell has its own capacity and state of charge; its voltage is the LFP curve at
//! its SOC plus its share of the pack's DC resistance (the resistance is split equally:
//! the spread that matters to the BMS tests is in capacity and SOC). The same current
//! flows through every cell, except that a cell the balancer bleeds loses its bleed
//! current as well. The BMS's SOC is a coulomb counter of the pack current over the
//! pack's capacity: it does not see the bleed, nor which cell is fullest.

use super::ocv::cell_ocv;
use super::spread::{Draws, offsets};
use crate::clock::Duration;
use crate::config::CellParams;

/// Smallest resistance the circuit solver divides by, in ohm.
const MIN_RESISTANCE_OHM: f64 = 1e-4;
/// Smallest capacity the coulomb counter divides by, in Ah.
const MIN_CAPACITY_AH: f64 = 1e-3;
/// Largest spread the model accepts (a cell half the size of its neighbours is a
/// broken pack, not a spread).
const MAX_SPREAD: f64 = 0.5;

fn positive_or(v: f64, min: f64) -> f64 {
    if v.is_finite() { v.max(min) } else { min }
}

fn unit(soc: f64) -> f64 {
    if soc.is_finite() {
        soc.clamp(0.0, 1.0)
    } else {
        0.0
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Cell {
    capacity_ah: f64,
    soc: f64,
}

impl Cell {
    fn integrate(&mut self, current_a: f64, dt: Duration) {
        let amp_hours = current_a * dt.as_secs_f64() / 3600.0;
        self.soc = unit(self.soc + amp_hours / self.capacity_ah);
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Pack {
    cells: Vec<Cell>,
    capacity_ah: f64,
    resistance_ohm: f64,
    /// The BMS's coulomb counter, 0..=1.
    soc: f64,
}

impl Pack {
    /// A string of identical cells. Out-of-range parameters are clamped (see
    /// `PackParams::validate`).
    pub(crate) fn new(
        cells_in_series: u32,
        capacity_ah: f64,
        resistance_ohm: f64,
        soc: f64,
    ) -> Self {
        let capacity_ah = positive_or(capacity_ah, MIN_CAPACITY_AH);
        let soc = unit(soc);
        let count = cells_in_series.max(1) as usize;
        Self {
            cells: vec![Cell { capacity_ah, soc }; count],
            capacity_ah,
            resistance_ohm: positive_or(resistance_ohm, MIN_RESISTANCE_OHM),
            soc,
        }
    }

    /// The same string with each cell's capacity and initial SOC offset by the seeded
    /// spread of `params` (capacities first, then SOCs, from one stream of draws).
    pub(crate) fn with_spread(mut self, params: &CellParams) -> Self {
        let clamp = |s: f64| {
            if s.is_finite() {
                s.clamp(0.0, MAX_SPREAD)
            } else {
                0.0
            }
        };
        let mut draws = Draws::new(params.seed);
        let count = self.cells.len();
        let capacity = offsets(&mut draws, count, clamp(params.capacity_spread));
        let soc = offsets(&mut draws, count, clamp(params.soc_spread));
        for ((cell, dc), ds) in self.cells.iter_mut().zip(capacity).zip(soc) {
            cell.capacity_ah = positive_or(self.capacity_ah * (1.0 + dc), MIN_CAPACITY_AH);
            cell.soc = unit(self.soc + ds);
        }
        self
    }

    /// The coulomb counter, 0..=1.
    pub(crate) fn soc(&self) -> f64 {
        self.soc
    }

    pub(crate) fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// The string's open-circuit voltage: the sum of the cells'.
    pub(crate) fn ocv(&self) -> f64 {
        self.cells.iter().map(|c| cell_ocv(c.soc)).sum()
    }

    pub(crate) fn resistance_ohm(&self) -> f64 {
        self.resistance_ohm
    }

    /// Each cell's voltage while `current_a` flows (positive = charging).
    pub(crate) fn cell_voltages(&self, current_a: f64) -> Vec<f64> {
        let share = self.resistance_ohm / self.cells.len() as f64;
        let drop = if current_a.is_finite() {
            current_a * share
        } else {
            0.0
        };
        self.cells.iter().map(|c| cell_ocv(c.soc) + drop).collect()
    }

    /// Each cell's state of charge, 0..=1 (what only the twin knows).
    pub(crate) fn cell_socs(&self) -> Vec<f64> {
        self.cells.iter().map(|c| c.soc).collect()
    }

    /// Coulomb counting: `current_a` (positive = charging) flowed for `dt`, and each
    /// cell marked in `bleeding` also lost `bleed_a` through its balancing resistor.
    pub(crate) fn integrate(
        &mut self,
        current_a: f64,
        dt: Duration,
        bleeding: &[bool],
        bleed_a: f64,
    ) {
        if !current_a.is_finite() {
            return;
        }
        let bleed_a = if bleed_a.is_finite() {
            bleed_a.max(0.0)
        } else {
            0.0
        };
        for (i, cell) in self.cells.iter_mut().enumerate() {
            let bleed = if bleeding.get(i).copied().unwrap_or(false) {
                bleed_a
            } else {
                0.0
            };
            cell.integrate(current_a - bleed, dt);
        }
        let amp_hours = current_a * dt.as_secs_f64() / 3600.0;
        self.soc = unit(self.soc + amp_hours / self.capacity_ah);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(capacity: f64, soc: f64) -> CellParams {
        CellParams {
            capacity_spread: capacity,
            soc_spread: soc,
            seed: 1,
        }
    }

    fn run(pack: &mut Pack, current_a: f64, seconds: u64) {
        pack.integrate(current_a, Duration::from_secs(seconds), &[], 0.0);
    }

    #[test]
    fn a_half_full_16s_pack_sits_on_the_flat_middle() {
        let pack = Pack::new(16, 100.0, 0.02, 0.5);
        assert!((pack.ocv() - 52.96).abs() < 1e-9);
        assert_eq!(pack.cell_voltages(0.0), vec![3.31; 16]);
    }

    #[test]
    fn ten_amps_for_an_hour_is_ten_percent_of_100_ah() {
        let mut pack = Pack::new(16, 100.0, 0.02, 0.5);
        run(&mut pack, 10.0, 3600);
        assert!((pack.soc() - 0.6).abs() < 1e-12);
        run(&mut pack, -10.0, 7200);
        assert!((pack.soc() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn soc_stays_within_empty_and_full() {
        let mut pack = Pack::new(16, 100.0, 0.02, 0.99);
        run(&mut pack, 100.0, 3600);
        assert_eq!(pack.soc(), 1.0);
        run(&mut pack, -1000.0, 3600);
        assert_eq!(pack.soc(), 0.0);
    }

    #[test]
    fn absurd_parameters_are_clamped_not_divided_by() {
        let mut pack = Pack::new(0, 0.0, 0.0, f64::NAN).with_spread(&CellParams {
            capacity_spread: f64::INFINITY,
            soc_spread: -3.0,
            seed: 0,
        });
        assert_eq!(pack.soc(), 0.0);
        assert!(pack.resistance_ohm() > 0.0);
        pack.integrate(f64::NAN, Duration::from_secs(1), &[true], f64::NAN);
        pack.integrate(1.0, Duration::from_secs(1), &[true], f64::NAN);
        assert!(pack.soc().is_finite());
        assert!(pack.cell_voltages(f64::NAN).iter().all(|v| v.is_finite()));
    }

    #[test]
    fn the_cells_share_the_pack_voltage_and_its_resistance() {
        let pack = Pack::new(16, 100.0, 0.02, 0.5).with_spread(&spread(0.01, 0.02));
        let cells = pack.cell_voltages(50.0);
        let sum: f64 = cells.iter().sum();
        assert!((sum - (pack.ocv() + 50.0 * 0.02)).abs() < 1e-9);
        let socs = pack.cell_socs();
        let (low, high) = socs
            .iter()
            .fold((1.0f64, 0.0f64), |(l, h), s| (l.min(*s), h.max(*s)));
        assert!(high - low > 0.02, "a ±2 % spread spans more than 2 %");
        assert!(high - low <= 0.04 + 1e-12);
        assert!((socs.iter().sum::<f64>() / 16.0 - 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_smaller_cell_fills_faster() {
        let mut pack = Pack::new(16, 100.0, 0.02, 0.5).with_spread(&spread(0.01, 0.0));
        let before = pack.cell_socs();
        run(&mut pack, 20.0, 3600);
        let gained: Vec<f64> = pack
            .cell_socs()
            .iter()
            .zip(&before)
            .map(|(a, b)| a - b)
            .collect();
        let smallest = pack
            .cells
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.capacity_ah.total_cmp(&b.1.capacity_ah))
            .map(|(i, _)| i)
            .unwrap();
        let most = gained
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .unwrap();
        assert_eq!(smallest, most);
        assert!(
            (pack.soc() - 0.7).abs() < 1e-12,
            "the counter sees the pack"
        );
    }

    #[test]
    fn a_bleeding_cell_loses_its_bleed_current_only() {
        let mut pack = Pack::new(4, 100.0, 0.02, 0.5);
        let mut bleeding = [false; 4];
        bleeding[2] = true;
        pack.integrate(0.0, Duration::from_secs(3600), &bleeding, 1.0);
        let socs = pack.cell_socs();
        assert!((socs[2] - 0.49).abs() < 1e-12);
        assert_eq!(socs[0], 0.5);
        assert_eq!(pack.soc(), 0.5, "the current sensor does not see the bleed");
    }
}
