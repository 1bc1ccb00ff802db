//! The SOC the BMS reports, held at 99 % until calibrated (Lesso manual 5, FAQ Q1):
//!
//! > Battery maximum SOC is 99% and never goes to 100%SOC during daily cycle use, why?
//! > [...] BMS will calibrate the SOC to 100% when reached cut-off current or trigger
//! > CHVP [...] Keep float the battery for approximately 0.5~1 hour to calibrate.
//!
//! FAQ Q5 ("SOC suddenly jump to 100% during charging") is the calibration seen from
//! outside. The cut-off current, the cell voltage that counts as "at the end of charge"
//! and the float time are assumptions from the DUT profile. A calibration lasts until
//! the pack is discharged again.

use super::voltage::Cells;
use crate::clock::{Duration, Instant};

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SocPolicy {
    /// "Battery maximum SOC is 99%".
    pub(crate) held_percent: f64,
    /// "when reached cut-off current", A.
    pub(crate) cutoff_current_a: f64,
    /// Highest cell at or above this counts as the end of charge, V.
    pub(crate) cell_voltage_v: f64,
    /// "Keep float the battery for approximately 0.5~1 hour".
    pub(crate) hold: Duration,
}

#[derive(Clone, Debug)]
pub(crate) struct SocDisplay {
    policy: SocPolicy,
    /// The coulomb counter's shortfall at calibration: the BMS then calls it 100 %.
    offset: f64,
    calibrated: bool,
    floating_since: Option<Instant>,
}

impl SocDisplay {
    pub(crate) fn new(policy: SocPolicy) -> Self {
        Self {
            policy,
            offset: 0.0,
            calibrated: false,
            floating_since: None,
        }
    }

    /// Whole percent, as sent in 0x355.
    pub(crate) fn reported_percent(&self, soc: f64) -> f64 {
        let estimate = ((soc + self.offset) * 100.0).round().clamp(0.0, 100.0);
        if self.calibrated {
            estimate
        } else {
            estimate.min(self.policy.held_percent)
        }
    }

    pub(crate) fn next_deadline(
        &self,
        now: Instant,
        cells: &Cells,
        charger: bool,
    ) -> Option<Instant> {
        (!self.calibrated && self.floating(cells, charger))
            .then(|| self.floating_since.unwrap_or(now) + self.policy.hold)
            .filter(|t| *t > now)
    }

    /// `cells` held from `from` to `to`; `covp` is COVP/POVP active ("or trigger CHVP").
    pub(crate) fn advance(
        &mut self,
        from: Instant,
        to: Instant,
        cells: &Cells,
        charger: bool,
        covp: bool,
        soc: f64,
    ) {
        if cells.current_a < -self.policy.cutoff_current_a.min(1.0) {
            self.calibrated = false;
            self.floating_since = None;
            return;
        }
        if self.calibrated {
            return;
        }
        let full = if covp {
            true
        } else if self.floating(cells, charger) {
            let since = *self.floating_since.get_or_insert(from);
            to >= since + self.policy.hold
        } else {
            self.floating_since = None;
            false
        };
        if full {
            self.calibrated = true;
            self.offset = (1.0 - soc).max(0.0);
            self.floating_since = None;
        }
    }

    /// Calibrated to 100 % (Lesso FAQ Q1), until the next discharge.
    pub(crate) fn calibrated(&self) -> bool {
        self.calibrated
    }

    /// Start the calibration over (a forced recharge, LOSUN 2.3-3): held below 100 %
    /// until the charge is complete again.
    pub(crate) fn recalibrate(&mut self) {
        self.calibrated = false;
        self.floating_since = None;
    }

    /// On float: a charger on, the cells at the end of charge, the current at cut-off.
    fn floating(&self, cells: &Cells, charger: bool) -> bool {
        charger
            && cells.max_cell_v >= self.policy.cell_voltage_v
            && cells.current_a <= self.policy.cutoff_current_a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn display() -> SocDisplay {
        SocDisplay::new(SocPolicy {
            held_percent: 99.0,
            cutoff_current_a: 5.0,
            cell_voltage_v: 3.45,
            hold: Duration::from_secs(1800),
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

    #[test]
    fn held_at_99_until_half_an_hour_of_float_at_cut_off() {
        let mut d = display();
        let t0 = Instant::now();
        assert_eq!(d.reported_percent(0.996), 99.0);
        d.advance(
            t0,
            t0 + Duration::from_secs(3600),
            &cells(3.45, 30.0),
            true,
            false,
            0.99,
        );
        assert_eq!(
            d.reported_percent(0.99),
            99.0,
            "bulk current is not cut-off"
        );
        let t1 = t0 + Duration::from_secs(3600);
        let float = cells(3.5, 2.0);
        assert_eq!(
            d.next_deadline(t1, &float, true),
            Some(t1 + Duration::from_secs(1800))
        );
        d.advance(
            t1,
            t1 + Duration::from_secs(1799),
            &float,
            true,
            false,
            0.99,
        );
        assert_eq!(d.reported_percent(0.99), 99.0);
        d.advance(
            t1,
            t1 + Duration::from_secs(1800),
            &float,
            true,
            false,
            0.99,
        );
        assert_eq!(d.reported_percent(0.99), 100.0);
    }

    #[test]
    fn covp_calibrates_and_discharge_ends_the_calibration() {
        let mut d = display();
        let t = Instant::now();
        d.advance(t, t, &cells(3.6, 50.0), true, true, 0.985);
        assert_eq!(d.reported_percent(0.985), 100.0);
        d.advance(t, t, &cells(3.3, -20.0), false, false, 0.985);
        assert_eq!(d.reported_percent(0.985), 99.0);
        assert_eq!(d.reported_percent(0.5), 52.0);
    }
}
