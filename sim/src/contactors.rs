//! The bench's fault-injection contactors, between the source/sink and the pack, as a
//! HIL bench wires them for the Lesso manual 3.4 "SCP Reversed polarity" tests:
//!
//! * relay 3 closes a short-circuit contactor with a low-ohm shunt across the pack
//!   terminals;
//! * relay 4 switches a reversing contactor that swaps the source's leads.
//!
//! The pack, the shunt and the source meet at the terminals. In a short the source sits
//! across the shunt too and delivers at most its own current limit, which is all its
//! OCP ever sees: the pack's short-circuit current flows through the shunt, never
//! through the source, so only the BMS can end it. Reversed, the source's set point
//! appears at the terminals with the wrong sign; the BMS sees it and keeps its MOSFETs
//! off. If the MOSFETs conduct anyway, the source's voltage and the pack's add up and the
//! pack discharges at the source's limit. Without either contactor the circuit is
//! [`crate::circuit::solve`]'s.

use crate::circuit::{OperatingPoint, PackTerminal, SourceSettings, solve};
use crate::snapshot::SourceProtection;

/// Shunt, contactor and cabling of the short-circuit path, ohm. Assumption: a typical
/// bench shunt; the pack's SCP sees thousands of amperes through it.
pub(crate) const SHORT_CIRCUIT_OHM: f64 = 0.005;

/// Which contactors are closed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Contactors {
    pub(crate) short_circuit: bool,
    pub(crate) reversed: bool,
}

impl Contactors {
    /// Neither contactor closed.
    pub(crate) const NONE: Contactors = Contactors {
        short_circuit: false,
        reversed: false,
    };
}

/// The circuit at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BenchPoint {
    /// What the source measures: its output current (positive = out of its + terminal
    /// into the battery side) and the voltage at its terminals.
    pub(crate) source: OperatingPoint,
    /// Pack current, positive = charging.
    pub(crate) pack_current_a: f64,
    /// Voltage something outside holds at the pack terminals (negative: reversed).
    pub(crate) terminal_v: Option<f64>,
}

fn magnitude(limit: f64) -> f64 {
    if limit.is_nan() { 0.0 } else { limit.abs() }
}

/// The operating point of source, contactors and pack.
pub(crate) fn operate(s: &SourceSettings, pack: &PackTerminal, c: Contactors) -> BenchPoint {
    if c.short_circuit {
        return shorted(s, pack);
    }
    if c.reversed && s.output_on {
        return reversed(s, pack);
    }
    let point = solve(s, pack);
    BenchPoint {
        source: point,
        pack_current_a: point.current_a,
        terminal_v: s.output_on.then_some(s.voltage_v),
    }
}

/// The shunt across the terminals: the source drives its limit into the node (it
/// cannot reach its set point across a few milliohms), the pack discharges into it
/// while its discharge MOSFET conducts.
fn shorted(s: &SourceSettings, pack: &PackTerminal) -> BenchPoint {
    let r_s = SHORT_CIRCUIT_OHM;
    let source_a = if s.output_on {
        magnitude(s.current_limit_pos_a).min(magnitude(s.voltage_v) / r_s)
    } else {
        0.0
    };
    let r_p = pack.resistance_ohm.max(f64::MIN_POSITIVE);
    let open_v = source_a * r_s;
    // Node voltage with the pack's branch: (V - ocv)/r_p + V/r_s = source_a.
    let (node_v, pack_a) = if pack.discharge_path && open_v < pack.ocv_v {
        let v = (source_a + pack.ocv_v / r_p) / (1.0 / r_p + 1.0 / r_s);
        (v, (v - pack.ocv_v) / r_p)
    } else {
        (open_v, 0.0)
    };
    BenchPoint {
        source: OperatingPoint {
            current_a: source_a,
            voltage_v: node_v,
        },
        pack_current_a: pack_a,
        terminal_v: None,
    }
}

/// Leads swapped: the source's + on the pack's -, in series aiding the pack.
fn reversed(s: &SourceSettings, pack: &PackTerminal) -> BenchPoint {
    let terminal_v = Some(-magnitude(s.voltage_v));
    if !pack.discharge_path {
        return BenchPoint {
            source: OperatingPoint {
                current_a: 0.0,
                voltage_v: s.voltage_v,
            },
            pack_current_a: 0.0,
            terminal_v,
        };
    }
    let r_p = pack.resistance_ohm.max(f64::MIN_POSITIVE);
    let current_a =
        ((magnitude(s.voltage_v) + pack.ocv_v) / r_p).min(magnitude(s.current_limit_pos_a));
    BenchPoint {
        source: OperatingPoint {
            current_a,
            voltage_v: -pack.ocv_v - current_a * r_p,
        },
        pack_current_a: -current_a,
        terminal_v,
    }
}

/// The source's own OVP/OCP at `point` (as [`SourceSettings::settle`] applies them
/// without contactors): a measured voltage above OVP or a current above OCP switches
/// the output off and latches.
pub(crate) fn protect_source(s: &mut SourceSettings, point: &OperatingPoint) {
    if !s.output_on {
        return;
    }
    let trip = if point.voltage_v > s.ovp_v {
        Some(SourceProtection::OverVoltage)
    } else if point.current_a.abs() > s.ocp_a {
        Some(SourceProtection::OverCurrent)
    } else {
        None
    };
    if let Some(protection) = trip {
        s.output_on = false;
        s.tripped = Some(protection);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(output_on: bool) -> SourceSettings {
        SourceSettings {
            output_on,
            voltage_v: 56.0,
            current_limit_pos_a: 50.0,
            current_limit_neg_a: 50.0,
            ovp_v: 60.0,
            ocp_a: 110.0,
            tripped: None,
        }
    }

    fn pack(on: bool) -> PackTerminal {
        PackTerminal {
            ocv_v: 52.0,
            resistance_ohm: 0.02,
            charge_path: on,
            discharge_path: on,
            discharge_series_ohm: 0.0,
        }
    }

    const SHORT: Contactors = Contactors {
        short_circuit: true,
        reversed: false,
    };
    const REVERSED: Contactors = Contactors {
        short_circuit: false,
        reversed: true,
    };

    #[test]
    fn a_short_discharges_the_pack_through_the_shunt_not_the_source() {
        let p = operate(&source(false), &pack(true), SHORT);
        // 52 V across 20 + 5 mOhm.
        assert!((p.pack_current_a + 2080.0).abs() < 1e-6, "{p:?}");
        assert_eq!(p.source.current_a, 0.0);
        let p = operate(&source(true), &pack(true), SHORT);
        assert_eq!(p.source.current_a, 50.0, "the source stays at its limit");
        assert!(p.pack_current_a < -2000.0);
        let mut s = source(true);
        protect_source(&mut s, &p.source);
        assert!(s.output_on, "the source's OCP does not end the short");
    }

    #[test]
    fn open_mosfets_leave_the_shunt_to_the_source() {
        let p = operate(&source(true), &pack(false), SHORT);
        assert_eq!(p.pack_current_a, 0.0);
        assert!((p.source.voltage_v - 0.25).abs() < 1e-9);
        assert_eq!(p.terminal_v, None);
    }

    #[test]
    fn reversed_leads_show_a_negative_terminal_and_drive_current_only_through_closed_mosfets() {
        let p = operate(&source(true), &pack(false), REVERSED);
        assert_eq!((p.pack_current_a, p.terminal_v), (0.0, Some(-56.0)));
        let p = operate(&source(true), &pack(true), REVERSED);
        assert_eq!(p.pack_current_a, -50.0);
        let p = operate(&source(false), &pack(true), REVERSED);
        assert_eq!((p.pack_current_a, p.terminal_v), (0.0, None));
    }

    #[test]
    fn without_contactors_it_is_the_plain_circuit() {
        let p = operate(&source(true), &pack(true), Contactors::default());
        assert_eq!(p.source, solve(&source(true), &pack(true)));
        assert_eq!(p.terminal_v, Some(56.0));
    }
}
