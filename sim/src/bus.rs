//! N packs in parallel on one DC bus, with the source/sink and the bench's contactors.
//!
//! Each pack is an OCV behind its resistance and its MOSFETs. The packs that conduct
//! form one Thevenin source (`V_eq = Σ(OCV_k/R_k) / Σ(1/R_k)`, `R_eq = 1/Σ(1/R_k)`);
//! the source/sink drives its set point into it within its limits (output off: no
//! current from it, and the packs exchange current through the bus). Each pack then
//! carries `(V_bus - OCV_k)/R_k`. A pack whose MOSFET blocks the direction of its
//! current is taken off the bus and the rest solved again, one pack per round, so at
//! most N rounds. A pack discharging through its pre-charge resistor has it in series.
//!
//! With one pack this is [`crate::contactors::operate`] itself, so the single-pack
//! numbers are bit for bit those of before. With a contactor closed, the packs whose
//! discharge path conducts stand as one equivalent pack in `operate`, and its current
//! is shared by the same node equation.

use crate::circuit::{OperatingPoint, PackTerminal, SourceSettings};
use crate::contactors::{BenchPoint, Contactors, operate, protect_source};

/// The packs as an instrument on the bus sees them at one instant (what a measurement
/// solves against while the world is lent out).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BusTerminal {
    pub(crate) packs: Vec<PackTerminal>,
}

impl BusTerminal {
    /// What the source measures, after its own OVP/OCP have acted (as
    /// [`SourceSettings::settle`] does for one pack, which it is for one pack).
    pub(crate) fn settle(&self, s: &mut SourceSettings) -> OperatingPoint {
        if let [pack] = &self.packs[..] {
            return s.settle(pack);
        }
        let point = operate_bus(s, &self.packs, Contactors::NONE).bench.source;
        protect_source(s, &point);
        if s.output_on {
            point
        } else {
            operate_bus(s, &self.packs, Contactors::NONE).bench.source
        }
    }
}

/// The circuit of source, contactors and every pack at one instant.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BusPoint {
    /// What the source measures; `pack_current_a` is the sum over the packs.
    pub(crate) bench: BenchPoint,
    /// Each pack's current, positive = charging, in pack order.
    pub(crate) pack_currents: Vec<f64>,
    /// Voltage of the packs' common bus (inside the contactors), V.
    pub(crate) bus_v: f64,
}

fn magnitude(limit: f64) -> f64 {
    if limit.is_nan() { 0.0 } else { limit.abs() }
}

/// The resistance of pack `p` in the circuit, with its pre-charge resistor if `series`.
fn resistance(p: &PackTerminal, series: bool) -> f64 {
    let extra = if series && p.discharge_series_ohm.is_finite() {
        p.discharge_series_ohm.max(0.0)
    } else {
        0.0
    };
    (p.resistance_ohm + extra).max(f64::MIN_POSITIVE)
}

/// Thevenin equivalent (V, R) of the packs marked `on`, or `None` if none is.
fn equivalent(packs: &[PackTerminal], on: &[bool], series: &[bool]) -> Option<(f64, f64)> {
    let mut g = 0.0;
    let mut i = 0.0;
    for ((p, on), series) in packs.iter().zip(on).zip(series) {
        if *on {
            let r = resistance(p, *series);
            g += 1.0 / r;
            i += p.ocv_v / r;
        }
    }
    (g > 0.0).then(|| (i / g, 1.0 / g))
}

/// Each pack's current for a bus at `bus_v` (zero for the packs not `on`).
fn currents(packs: &[PackTerminal], on: &[bool], series: &[bool], bus_v: f64) -> Vec<f64> {
    packs
        .iter()
        .zip(on)
        .zip(series)
        .map(|((p, on), series)| {
            if *on {
                (bus_v - p.ocv_v) / resistance(p, *series)
            } else {
                0.0
            }
        })
        .collect()
}

/// The operating point of source, contactors and packs. `packs` is never empty in the
/// world; an empty slice gives an open bus at the source's set point.
pub(crate) fn operate_bus(s: &SourceSettings, packs: &[PackTerminal], c: Contactors) -> BusPoint {
    match packs {
        [] => BusPoint {
            bench: BenchPoint {
                source: OperatingPoint {
                    current_a: 0.0,
                    voltage_v: if s.output_on { s.voltage_v } else { 0.0 },
                },
                pack_current_a: 0.0,
                terminal_v: s.output_on.then_some(s.voltage_v),
            },
            pack_currents: Vec::new(),
            bus_v: 0.0,
        },
        [pack] => {
            let bench = operate(s, pack, c);
            BusPoint {
                pack_currents: vec![bench.pack_current_a],
                bus_v: pack.ocv_v + bench.pack_current_a * pack.resistance_ohm,
                bench,
            }
        }
        _ if c.short_circuit || (c.reversed && s.output_on) => through_contactors(s, packs, c),
        _ => parallel(s, packs),
    }
}

/// Source (voltage priority within its limits) and packs, no contactor closed.
fn parallel(s: &SourceSettings, packs: &[PackTerminal]) -> BusPoint {
    let n = packs.len();
    let mut on = vec![true; n];
    let mut series = vec![false; n];
    let limits = (
        -magnitude(s.current_limit_neg_a),
        magnitude(s.current_limit_pos_a),
    );
    // Each round either switches pre-charge resistors in or takes one pack off: at most
    // 2N rounds; the last round's solution stands.
    let mut solution = (0.0, 0.0, vec![0.0; n]);
    for _ in 0..=2 * n {
        let (source_a, bus_v) = match equivalent(packs, &on, &series) {
            None if s.output_on => (0.0, s.voltage_v),
            // An open bus: the master's terminals read its own OCV.
            None => (0.0, packs[0].ocv_v),
            Some((v_eq, r_eq)) if s.output_on => {
                let wanted = ((s.voltage_v - v_eq) / r_eq).clamp(limits.0, limits.1);
                (wanted, v_eq + wanted * r_eq)
            }
            Some((v_eq, _)) => (0.0, v_eq),
        };
        let amps = currents(packs, &on, &series, bus_v);
        let mut changed = false;
        for (k, (p, i)) in packs.iter().zip(&amps).enumerate() {
            if on[k] && *i < 0.0 && !series[k] && p.discharge_series_ohm > 0.0 {
                series[k] = true;
                changed = true;
            }
        }
        // The pack most strongly against its open MOSFET goes first: taking a sink off
        // raises the bus and a source off lowers it, so the others stay blocked.
        let blocked = packs
            .iter()
            .zip(&amps)
            .enumerate()
            .filter(|(k, (p, i))| {
                on[*k] && ((**i > 0.0 && !p.charge_path) || (**i < 0.0 && !p.discharge_path))
            })
            .max_by(|a, b| a.1.1.abs().total_cmp(&b.1.1.abs()))
            .map(|(k, _)| k);
        solution = (source_a, bus_v, amps);
        if !changed && let Some(k) = blocked {
            on[k] = false;
            changed = true;
        }
        if !changed {
            break;
        }
    }
    let (source_a, bus_v, amps) = solution;
    let total: f64 = amps.iter().sum();
    BusPoint {
        bench: BenchPoint {
            source: OperatingPoint {
                current_a: if s.output_on { source_a } else { 0.0 },
                voltage_v: bus_v,
            },
            pack_current_a: total,
            terminal_v: s.output_on.then_some(s.voltage_v),
        },
        pack_currents: amps,
        bus_v,
    }
}

/// A contactor closed: the packs whose discharge path conducts, as one pack in
/// [`operate`], sharing its current by the node equation.
fn through_contactors(s: &SourceSettings, packs: &[PackTerminal], c: Contactors) -> BusPoint {
    let on: Vec<bool> = packs.iter().map(|p| p.discharge_path).collect();
    let series = vec![false; packs.len()];
    let Some((v_eq, r_eq)) = equivalent(packs, &on, &series) else {
        let open = PackTerminal {
            charge_path: false,
            discharge_path: false,
            ..packs[0]
        };
        let bench = operate(s, &open, c);
        return BusPoint {
            bench,
            pack_currents: vec![0.0; packs.len()],
            bus_v: packs[0].ocv_v,
        };
    };
    let eq = PackTerminal {
        ocv_v: v_eq,
        resistance_ohm: r_eq,
        charge_path: packs.iter().any(|p| p.charge_path),
        discharge_path: true,
        discharge_series_ohm: 0.0,
    };
    let bench = operate(s, &eq, c);
    let bus_v = v_eq + bench.pack_current_a * r_eq;
    BusPoint {
        pack_currents: currents(packs, &on, &series, bus_v),
        bus_v,
        bench,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(output_on: bool, voltage_v: f64, pos: f64, neg: f64) -> SourceSettings {
        SourceSettings {
            output_on,
            voltage_v,
            current_limit_pos_a: pos,
            current_limit_neg_a: neg,
            ovp_v: 62.0,
            ocp_a: 400.0,
            tripped: None,
        }
    }

    fn pack(ocv_v: f64) -> PackTerminal {
        PackTerminal {
            ocv_v,
            resistance_ohm: 0.02,
            charge_path: true,
            discharge_path: true,
            discharge_series_ohm: 0.0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn one_pack_is_the_single_pack_circuit() {
        let s = source(true, 56.0, 80.0, 10.0);
        let p = pack(52.0);
        for c in [
            Contactors::default(),
            Contactors {
                short_circuit: true,
                reversed: false,
            },
        ] {
            let bus = operate_bus(&s, &[p], c);
            assert_eq!(bus.bench, operate(&s, &p, c));
            assert_eq!(bus.pack_currents, [bus.bench.pack_current_a]);
        }
    }

    #[test]
    fn equal_packs_share_the_source_current_equally() {
        let bus = operate_bus(
            &source(true, 58.0, 90.0, 10.0),
            &[pack(52.0); 3],
            Contactors::default(),
        );
        assert!(close(bus.bench.source.current_a, 90.0));
        assert!(close(bus.bench.pack_current_a, 90.0));
        for i in &bus.pack_currents {
            assert!(close(*i, 30.0), "{bus:?}");
        }
        assert!(close(bus.bus_v, 52.6));
    }

    #[test]
    fn with_the_source_off_packs_at_different_ocv_exchange_current() {
        let bus = operate_bus(
            &source(false, 0.0, 0.0, 0.0),
            &[pack(52.2), pack(52.0)],
            Contactors::default(),
        );
        assert!(close(bus.pack_currents[0], -5.0));
        assert!(close(bus.pack_currents[1], 5.0));
        assert!(close(bus.bench.source.current_a, 0.0));
        assert!(close(bus.bus_v, 52.1));
    }

    #[test]
    fn a_pack_with_its_discharge_mosfet_open_carries_nothing_of_a_load() {
        let mut off = pack(52.0);
        off.discharge_path = false;
        let bus = operate_bus(
            &source(true, 40.0, 10.0, 90.0),
            &[pack(52.0), pack(52.0), off],
            Contactors::default(),
        );
        assert_eq!(bus.pack_currents[2], 0.0);
        assert!(close(bus.pack_currents[0], -45.0));
        assert!(close(bus.pack_currents[1], -45.0));
        // It would still take charge.
        let bus = operate_bus(
            &source(true, 58.0, 90.0, 10.0),
            &[pack(52.0), pack(52.0), off],
            Contactors::default(),
        );
        assert!(close(bus.pack_currents[2], 30.0));
    }

    #[test]
    fn every_pack_blocked_leaves_the_source_at_its_set_point() {
        let mut off = pack(52.0);
        off.charge_path = false;
        let bus = operate_bus(
            &source(true, 56.0, 90.0, 10.0),
            &[off; 2],
            Contactors::default(),
        );
        assert_eq!(bus.pack_currents, [0.0, 0.0]);
        assert_eq!(bus.bench.source.voltage_v, 56.0);
    }

    #[test]
    fn a_short_is_fed_by_every_conducting_pack() {
        let bus = operate_bus(
            &source(false, 0.0, 0.0, 0.0),
            &[pack(52.0); 2],
            Contactors {
                short_circuit: true,
                reversed: false,
            },
        );
        // 52 V across 10 + 5 mOhm, shared.
        assert!(close(bus.bench.pack_current_a, -52.0 / 0.015));
        assert!(close(bus.pack_currents[0], bus.pack_currents[1]));
    }

    #[test]
    fn nan_settings_do_not_panic() {
        let s = source(true, f64::NAN, f64::NAN, f64::NAN);
        let bus = operate_bus(&s, &[pack(52.0); 2], Contactors::default());
        assert_eq!(bus.pack_currents.len(), 2);
        let _ = operate_bus(&s, &[], Contactors::default());
    }
}
