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
///
/// Each pack's current is a non-decreasing function of the bus voltage (through its
/// resistance, plus the pre-charge resistor when it discharges through it; zero in a
/// direction its MOSFET blocks), and so is their sum. The bus sits where that sum equals
/// what the source delivers: the source's set point when the packs take a current
/// within its limits, else the voltage at which they take the limit; with the output
/// off, where the packs' currents cancel. A monotonic equation, solved by bisection:
/// unlike taking blocked packs off one by one, it cannot leave off a pack that would
/// conduct at the final voltage.
fn parallel(s: &SourceSettings, packs: &[PackTerminal]) -> BusPoint {
    let limits = (
        -magnitude(s.current_limit_neg_a),
        magnitude(s.current_limit_pos_a),
    );
    let bus_v = if s.output_on && s.voltage_v.is_finite() {
        let at_set_point = into_packs(packs, s.voltage_v);
        if at_set_point > limits.1 {
            bus_voltage_for(packs, limits.1, s.voltage_v)
        } else if at_set_point < limits.0 {
            bus_voltage_for(packs, limits.0, s.voltage_v)
        } else {
            s.voltage_v
        }
    } else {
        // An open bus (no pack conducts) reads the master's own OCV.
        bus_voltage_for(packs, 0.0, packs[0].ocv_v)
    };
    let amps: Vec<f64> = packs.iter().map(|p| pack_current(p, bus_v)).collect();
    let total: f64 = amps.iter().sum();
    BusPoint {
        bench: BenchPoint {
            source: OperatingPoint {
                current_a: if s.output_on { total } else { 0.0 },
                voltage_v: bus_v,
            },
            pack_current_a: total,
            terminal_v: s.output_on.then_some(s.voltage_v),
        },
        pack_currents: amps,
        bus_v,
    }
}

/// Current into pack `p` (positive = charging) with the bus at `v`.
fn pack_current(p: &PackTerminal, v: f64) -> f64 {
    let dv = v - p.ocv_v;
    if dv > 0.0 && p.charge_path {
        dv / resistance(p, false)
    } else if dv < 0.0 && p.discharge_path {
        dv / resistance(p, p.discharge_series_ohm > 0.0)
    } else {
        0.0
    }
}

fn into_packs(packs: &[PackTerminal], v: f64) -> f64 {
    packs.iter().map(|p| pack_current(p, v)).sum()
}

/// Bisection steps: far more than a 1 kV bracket needs to reach f64 resolution.
const BISECTION_STEPS: usize = 200;

/// The bus voltage at which the packs take `target` amperes; where they take it over a
/// whole range (no pack conducts there), the point of that range nearest `near`.
fn bus_voltage_for(packs: &[PackTerminal], target: f64, near: f64) -> f64 {
    let ocvs = packs.iter().map(|p| p.ocv_v).filter(|v| v.is_finite());
    let (mut lo, mut hi) = ocvs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !target.is_finite() {
        return if near.is_finite() { near } else { 0.0 };
    }
    if near.is_finite() {
        (lo, hi) = (lo.min(near), hi.max(near));
    }
    // Wide enough for any current a source can push through milliohm packs.
    let (lo, hi) = (lo - 1000.0, hi + 1000.0);
    // The lowest voltage that reaches the target, and the highest that does not pass it.
    let first = boundary(lo, hi, |v| into_packs(packs, v) >= target);
    let last = boundary(lo, hi, |v| into_packs(packs, v) > target);
    if first < last && near.is_finite() {
        near.clamp(first, last)
    } else {
        first
    }
}

/// The smallest `v` in `[lo, hi]` with `reached(v)`, for a `reached` that stays true
/// once true (`hi` if it never is).
fn boundary(mut lo: f64, mut hi: f64, reached: impl Fn(f64) -> bool) -> f64 {
    if reached(lo) {
        return lo;
    }
    for _ in 0..BISECTION_STEPS {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if reached(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
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

    fn with_paths(ocv_v: f64, charge: bool, discharge: bool) -> PackTerminal {
        PackTerminal {
            charge_path: charge,
            discharge_path: discharge,
            ..pack(ocv_v)
        }
    }

    /// Two packs fully off and one that may only discharge, against a 48 V source with
    /// 10 A limits: the one that may discharge supplies the limit. (Taking the packs
    /// off one by one took that pack off first, as if the others charged it.)
    #[test]
    fn a_pack_that_may_discharge_is_not_left_off_by_packs_that_are() {
        let packs = [
            with_paths(53.0, false, false),
            with_paths(52.8, false, false),
            with_paths(52.0, false, true),
        ];
        let bus = operate_bus(&source(true, 48.0, 10.0, 10.0), &packs, Contactors::NONE);
        assert!(
            close(bus.pack_currents[2], -10.0),
            "{:?}",
            bus.pack_currents
        );
        assert_eq!(bus.pack_currents[..2], [0.0, 0.0]);
        assert!(close(bus.bus_v, 51.8), "{}", bus.bus_v);
        assert!(close(bus.bench.source.current_a, -10.0));
    }

    /// Over a grid of OCVs, MOSFET states and set points: no pack carries current its
    /// MOSFET blocks, every pack that could conduct at the final bus voltage does
    /// (nothing is left off wrongly), the source stays within its limits, and the
    /// currents add up to what it delivers.
    #[test]
    fn every_solution_is_consistent_with_every_pack_s_mosfets() {
        let ocvs = [51.0, 52.0, 53.0];
        let paths = [(true, true), (false, true), (true, false), (false, false)];
        let mut cases = 0;
        for set_v in [40.0, 50.0, 52.2, 56.0] {
            for on in [true, false] {
                for a in paths {
                    for b in paths {
                        for c in paths {
                            let packs = [
                                with_paths(ocvs[0], a.0, a.1),
                                with_paths(ocvs[1], b.0, b.1),
                                with_paths(ocvs[2], c.0, c.1),
                            ];
                            let s = source(on, set_v, 30.0, 20.0);
                            let bus = operate_bus(&s, &packs, Contactors::NONE);
                            let v = bus.bus_v;
                            for (p, i) in packs.iter().zip(&bus.pack_currents) {
                                assert!(
                                    (*i <= 0.0 || p.charge_path) && (*i >= 0.0 || p.discharge_path),
                                    "blocked current {i} in {p:?} at {v} V"
                                );
                                let could = (v - p.ocv_v) / p.resistance_ohm;
                                let allowed = (could > 1e-6 && p.charge_path)
                                    || (could < -1e-6 && p.discharge_path);
                                assert!(
                                    !allowed || (i - could).abs() < 1e-6,
                                    "{p:?} carries {i} A at {v} V, would carry {could}"
                                );
                            }
                            let total: f64 = bus.pack_currents.iter().sum();
                            if on {
                                assert!((-20.0 - 1e-6..=30.0 + 1e-6).contains(&total));
                                assert!((bus.bench.source.current_a - total).abs() < 1e-9);
                            } else {
                                assert!(total.abs() < 1e-6, "packs alone exchange, net {total}");
                            }
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 4 * 2 * 64);
    }
}
