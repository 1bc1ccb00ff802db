//! One pack of the parallel system: its cells, its temperature and its BMS firmware.
//! Every pack has the DUT profile's parameters and defects; pack k draws its cells'
//! spread from the profile's seed + k, so packs differ slightly (pack 0, the master,
//! has exactly the single-pack cells).

use crate::bms::{ChargeState, Firmware, PackReading, bleeding, extremes};
use crate::circuit::PackTerminal;
use crate::config::{BalancingParams, CellParams, PackParams};
use crate::contactors::BenchPoint;
use crate::defects::DefectSet;
use crate::pack::{Pack, Thermal};
use crate::snapshot::BmsSnapshot;

#[derive(Clone, Debug)]
pub(crate) struct PackUnit {
    pub(crate) pack: Pack,
    pub(crate) thermal: Thermal,
    pub(crate) firmware: Firmware,
    /// Full-charge capacity (rated x SOH), Ah: the weight of its SOC in the master's
    /// report.
    pub(crate) capacity_ah: f64,
    /// The injected defects, for the balancer (the firmware keeps its own copy).
    defects: DefectSet,
}

impl PackUnit {
    /// Pack `index` (0: the master) of the system.
    pub(crate) fn new(p: &PackParams, defects: DefectSet, index: u64) -> Self {
        let capacity_ah = p.capacity_ah * p.soh_percent / 100.0;
        let cells = CellParams {
            seed: p.cells.seed.wrapping_add(index),
            ..p.cells.clone()
        };
        Self {
            pack: Pack::new(
                p.cells_in_series,
                capacity_ah,
                p.internal_resistance_ohm,
                p.initial_soc,
            )
            .with_spread(&cells),
            thermal: Thermal::new(p.temperature_c, p.thermal.as_ref()),
            firmware: Firmware::new(p, defects),
            capacity_ah,
            defects,
        }
    }

    /// The pack as the bus sees it now.
    pub(crate) fn terminal(&self) -> PackTerminal {
        let precharge = self.firmware.precharge_resistance_ohm();
        PackTerminal {
            ocv_v: self.pack.ocv(),
            resistance_ohm: self.pack.resistance_ohm(),
            charge_path: self.firmware.charge_mosfet_on(),
            discharge_path: self.firmware.discharge_mosfet_on() || precharge.is_some(),
            discharge_series_ohm: precharge.unwrap_or(0.0),
        }
    }

    /// What this pack's BMS measures with `current_a` through it: its cell stack, the
    /// charger (the source/sink, not the other packs) and the bus at its terminals.
    pub(crate) fn reading(&self, current_a: f64, point: &BenchPoint) -> PackReading {
        let (min_cell_v, max_cell_v) =
            extremes(&self.pack.cell_voltages(current_a)).unwrap_or((0.0, 0.0));
        PackReading {
            voltage_v: self.pack.ocv() + current_a * self.pack.resistance_ohm(),
            max_cell_v,
            min_cell_v,
            current_a,
            soc: self.pack.soc(),
            charger_v: point.terminal_v,
            temperature_c: self.thermal.temperature_c(),
            terminal_v: point.source.voltage_v,
        }
    }

    /// The cells the balancer bleeds while `r` holds; none while asleep.
    pub(crate) fn bleeding(
        &self,
        r: &PackReading,
        balancing: Option<&BalancingParams>,
        dead_band_a: f64,
    ) -> Vec<bool> {
        if self.firmware.asleep() {
            return vec![false; self.pack.cell_count()];
        }
        let state = ChargeState {
            charger: r.charger_v.is_some(),
            current_a: r.current_a,
            dead_band_a,
        };
        bleeding(
            balancing,
            &self.pack.cell_voltages(r.current_a),
            state,
            self.defects,
        )
    }

    /// The BMS's state as the snapshot shows it.
    pub(crate) fn snapshot(
        &self,
        reading: &PackReading,
        balancing: Option<&BalancingParams>,
        dead_band_a: f64,
    ) -> BmsSnapshot {
        let fw = &self.firmware;
        BmsSnapshot {
            charge_mosfet_on: fw.charge_mosfet_on(),
            discharge_mosfet_on: fw.discharge_mosfet_on(),
            cocp_active: fw.cocp_active(),
            docp_active: fw.docp_active(),
            docp_locked: fw.docp_locked(),
            over_voltage_active: fw.over_voltage_active(),
            under_voltage_active: fw.under_voltage_active(),
            rapid_shutdown_active: fw.rapid_shutdown_active(),
            auto_wakes: fw.auto_wakes(),
            cocp_trips: fw.cocp_trips(),
            locked: fw.locked(),
            asleep: fw.asleep(),
            rebooting: fw.rebooting(),
            soc: self.pack.soc(),
            pack_voltage_v: reading.voltage_v,
            pack_current_a: reading.current_a,
            temperature_c: reading.temperature_c,
            over_temperature_active: fw.over_temperature_active(),
            under_temperature_active: fw.under_temperature_active(),
            temperature_protections: fw.temperature_protections(),
            failures: fw.failures(),
            cell_voltages_v: self.pack.cell_voltages(reading.current_a),
            cell_socs: self.pack.cell_socs(),
            balancing: self.bleeding(reading, balancing, dead_band_a),
            cell_imbalance_warning: fw.cell_imbalance_warning(reading),
            precharging: fw.precharge_resistance_ohm().is_some(),
            precharge_failures: fw.precharge_failures(),
        }
    }
}
