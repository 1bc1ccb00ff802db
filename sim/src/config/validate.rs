//! What the twin can model sensibly: one table of range rules over the pack parameters,
//! and the installation's pack count. Every problem is reported, in table order.

use super::{
    Installation, MAX_PACKS, PackParams, SimConfig, TemperatureLimit, TemperatureProtectionParams,
};

/// One out-of-range pack parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamProblem {
    pub field: &'static str,
    pub value: f64,
    pub expected: &'static str,
}

/// Every out-of-range pack parameter; never empty.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("invalid pack parameters: {}", problems.iter()
    .map(|p| format!("{} = {} (expected {})", p.field, p.value, p.expected))
    .collect::<Vec<_>>().join(", "))]
pub struct InvalidParams {
    pub problems: Vec<ParamProblem>,
}

impl InvalidParams {
    fn from_problems(problems: Vec<ParamProblem>) -> Result<(), InvalidParams> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidParams { problems })
        }
    }
}

/// What a value must satisfy (besides being finite), and how the error says it.
#[derive(Clone, Copy)]
struct Check(fn(&PackParams, f64) -> bool, &'static str);

const POSITIVE: Check = Check(|_, v| v > 0.0, "> 0");
const NON_NEGATIVE: Check = Check(|_, v| v >= 0.0, ">= 0");
const AT_LEAST_ONE: Check = Check(|_, v| v >= 1.0, ">= 1");
const NUMBER: Check = Check(|_, _| true, "a number");
const SPREAD: Check = Check(|_, v| (0.0..=0.2).contains(&v), "0..=0.2");
const SAFE_SIDE: &str = "a release temperature on the safe side of the trip";

/// One rule: the field's name, its value (`None`: the profile has no such section, so
/// nothing to check), and the check.
struct Rule(&'static str, fn(&PackParams) -> Option<f64>, Check);

/// Which of the four temperature limits a rule is about.
type Pick = fn(&TemperatureProtectionParams) -> &TemperatureLimit;
const CHARGE_HIGH: Pick = |t| &t.charge_high;
const DISCHARGE_HIGH: Pick = |t| &t.discharge_high;
const CHARGE_LOW: Pick = |t| &t.charge_low;
const DISCHARGE_LOW: Pick = |t| &t.discharge_low;

fn temperature(p: &PackParams) -> Option<&TemperatureProtectionParams> {
    p.temperature_protection.as_ref()
}

fn release(p: &PackParams, pick: Pick) -> Option<f64> {
    temperature(p).map(|t| pick(t).release_c)
}

fn trip_delay(p: &PackParams, pick: Pick) -> Option<f64> {
    temperature(p).map(|t| pick(t).trip_delay_s)
}

/// A high-side limit releases at or below its trip, a low-side one at or above.
fn safe_side(p: &PackParams, pick: Pick, high: bool) -> bool {
    temperature(p).map(pick).is_some_and(|limit| {
        let ok = if high {
            limit.release_c <= limit.trip_c
        } else {
            limit.release_c >= limit.trip_c
        };
        ok && limit.trip_c.is_finite()
    })
}

/// Every rule, in the order problems are reported (one rule a line: a table).
#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule("cells_in_series", |p| Some(f64::from(p.cells_in_series)),
        Check(|p, _| (1..=64).contains(&p.cells_in_series), "1..=64")),
    Rule("capacity_ah", |p| Some(p.capacity_ah), POSITIVE),
    Rule("internal_resistance_ohm", |p| Some(p.internal_resistance_ohm), POSITIVE),
    Rule("initial_soc", |p| Some(p.initial_soc), Check(|_, v| (0.0..=1.0).contains(&v), "0..=1")),
    Rule("temperature_c", |p| Some(p.temperature_c), NUMBER),
    Rule("soh_percent", |p| Some(p.soh_percent), Check(|_, v| v > 0.0 && v <= 100.0, "0 < soh <= 100")),
    Rule("cells.capacity_spread", |p| Some(p.cells.capacity_spread), SPREAD),
    Rule("cells.soc_spread", |p| Some(p.cells.soc_spread), SPREAD),
    Rule("balancing.start_cell_v", |p| p.balancing.as_ref().map(|b| b.start_cell_v), NON_NEGATIVE),
    Rule("balancing.delta_v", |p| p.balancing.as_ref().map(|b| b.delta_v), NON_NEGATIVE),
    Rule("balancing.bleed_current_a", |p| p.balancing.as_ref().map(|b| b.bleed_current_a), NON_NEGATIVE),
    Rule("precharge.resistance_ohm", |p| p.precharge.as_ref().map(|c| c.resistance_ohm), POSITIVE),
    Rule("precharge.time_s", |p| p.precharge.as_ref().map(|c| c.time_s), NON_NEGATIVE),
    Rule("precharge.pass_margin_v", |p| p.precharge.as_ref().map(|c| c.pass_margin_v), NON_NEGATIVE),
    Rule("precharge.retry_delay_s", |p| p.precharge.as_ref().map(|c| c.retry_delay_s), NON_NEGATIVE),
    // Infinite is allowed here: no imbalance warning.
    Rule("alarms.cell_imbalance_v", |p| Some(p.alarms.cell_imbalance_v).filter(|v| *v != f64::INFINITY),
        Check(|_, v| v > 0.0, "> 0 (or infinite: none)")),
    Rule("thermal.time_constant_s", |p| p.thermal.as_ref().map(|t| t.time_constant_s), AT_LEAST_ONE),
    Rule("thermal.heat_capacity_j_per_k", |p| p.thermal.as_ref().map(|t| t.heat_capacity_j_per_k), POSITIVE),
    Rule("temperature_protection.charge_high", |p| release(p, CHARGE_HIGH),
        Check(|p, _| safe_side(p, CHARGE_HIGH, true), SAFE_SIDE)),
    Rule("temperature_protection.charge_high", |p| trip_delay(p, CHARGE_HIGH), NON_NEGATIVE),
    Rule("temperature_protection.discharge_high", |p| release(p, DISCHARGE_HIGH),
        Check(|p, _| safe_side(p, DISCHARGE_HIGH, true), SAFE_SIDE)),
    Rule("temperature_protection.discharge_high", |p| trip_delay(p, DISCHARGE_HIGH), NON_NEGATIVE),
    Rule("temperature_protection.charge_low", |p| release(p, CHARGE_LOW),
        Check(|p, _| safe_side(p, CHARGE_LOW, false), SAFE_SIDE)),
    Rule("temperature_protection.charge_low", |p| trip_delay(p, CHARGE_LOW), NON_NEGATIVE),
    Rule("temperature_protection.discharge_low", |p| release(p, DISCHARGE_LOW),
        Check(|p, _| safe_side(p, DISCHARGE_LOW, false), SAFE_SIDE)),
    Rule("temperature_protection.discharge_low", |p| trip_delay(p, DISCHARGE_LOW), NON_NEGATIVE),
    Rule("temperature_protection.alarm_high_c", |p| temperature(p).map(|t| t.alarm_high_c), NUMBER),
    Rule("temperature_protection.alarm_low_c", |p| temperature(p).map(|t| t.alarm_low_c), NUMBER),
    Rule("charge_voltage_limit_v", |p| Some(p.charge_voltage_limit_v), NON_NEGATIVE),
    Rule("discharge_voltage_limit_v", |p| Some(p.discharge_voltage_limit_v), NON_NEGATIVE),
    Rule("charge_current_limit_a", |p| Some(p.charge_current_limit_a), NON_NEGATIVE),
    Rule("discharge_current_limit_a", |p| Some(p.discharge_current_limit_a), NON_NEGATIVE),
    Rule("current_dead_band_a", |p| Some(p.current_dead_band_a), NON_NEGATIVE),
    Rule("cocp.trip_current_a", |p| Some(p.cocp.trip_current_a), NON_NEGATIVE),
    Rule("cocp.trip_delay_s", |p| Some(p.cocp.trip_delay_s), NON_NEGATIVE),
    Rule("cocp.recovery_delay_s", |p| Some(p.cocp.recovery_delay_s), NON_NEGATIVE),
    Rule("cocp.counter_clear_s", |p| Some(p.cocp.counter_clear_s), NON_NEGATIVE),
    Rule("docp.trip_current_a", |p| Some(p.docp.trip_current_a), NON_NEGATIVE),
    Rule("docp.trip_delay_s", |p| Some(p.docp.trip_delay_s), NON_NEGATIVE),
    Rule("docp.recovery_delay_s", |p| Some(p.docp.recovery_delay_s), NON_NEGATIVE),
    Rule("docp.counter_clear_s", |p| Some(p.docp.counter_clear_s), NON_NEGATIVE),
    Rule("docp_peak.current_a", |p| Some(p.docp_peak.current_a), NON_NEGATIVE),
    Rule("docp_peak.delay_s", |p| Some(p.docp_peak.delay_s), NON_NEGATIVE),
    Rule("over_voltage.trip_delay_s", |p| Some(p.over_voltage.trip_delay_s), NON_NEGATIVE),
    Rule("over_voltage.release_current_a", |p| Some(p.over_voltage.release_current_a), NON_NEGATIVE),
    Rule("under_voltage.trip_delay_s", |p| Some(p.under_voltage.trip_delay_s), NON_NEGATIVE),
    Rule("under_voltage.release_current_a", |p| Some(p.under_voltage.release_current_a), NON_NEGATIVE),
    Rule("sleep.under_voltage_delay_s", |p| Some(p.sleep.under_voltage_delay_s), NON_NEGATIVE),
    Rule("sleep.standby_s", |p| Some(p.sleep.standby_s), NON_NEGATIVE),
    Rule("soc_calibration.cutoff_current_a", |p| Some(p.soc_calibration.cutoff_current_a), NON_NEGATIVE),
    Rule("soc_calibration.hold_s", |p| Some(p.soc_calibration.hold_s), NON_NEGATIVE),
    Rule("rapid_shutdown_debounce_s", |p| Some(p.rapid_shutdown_debounce_s), NON_NEGATIVE),
    Rule("short_circuit.trip_current_a", |p| Some(p.short_circuit.trip_current_a), NON_NEGATIVE),
    Rule("cocp.lockout_after_trips", |p| Some(f64::from(p.cocp.lockout_after_trips)), AT_LEAST_ONE),
    Rule("docp.lockout_after_trips", |p| Some(f64::from(p.docp.lockout_after_trips)), AT_LEAST_ONE),
    Rule("over_voltage.cell_release_v", |p| Some(p.over_voltage.cell_release_v),
        Check(|p, v| v <= p.over_voltage.cell_trip_v, "<= cell_trip_v")),
    Rule("over_voltage.pack_release_v", |p| Some(p.over_voltage.pack_release_v),
        Check(|p, v| v <= p.over_voltage.pack_trip_v, "<= pack_trip_v")),
    Rule("under_voltage.cell_release_v", |p| Some(p.under_voltage.cell_release_v),
        Check(|p, v| v >= p.under_voltage.cell_trip_v, ">= cell_trip_v")),
    Rule("under_voltage.pack_release_v", |p| Some(p.under_voltage.pack_release_v),
        Check(|p, v| v >= p.under_voltage.pack_trip_v, ">= pack_trip_v")),
    Rule("sleep.auto_wake_interval_s", |p| Some(p.sleep.auto_wake_interval_s), AT_LEAST_ONE),
    Rule("soc_calibration.held_percent", |p| Some(p.soc_calibration.held_percent),
        Check(|_, v| (0.0..=100.0).contains(&v), "0..=100")),
    Rule("reset_button.sleep_wake_min_s", |p| Some(p.reset_button.sleep_wake_min_s), POSITIVE),
    Rule("reset_button.reset_min_s", |p| Some(p.reset_button.reset_min_s),
        Check(|p, v| v >= p.reset_button.sleep_wake_min_s, ">= sleep_wake_min_s")),
    Rule("reset_button.reset_max_s", |p| Some(p.reset_button.reset_max_s),
        Check(|p, v| v >= p.reset_button.reset_min_s, ">= reset_min_s")),
    // A delay of zero would let a contactor that closes for no time at all latch.
    Rule("short_circuit.trip_delay_s", |p| Some(p.short_circuit.trip_delay_s), POSITIVE),
    Rule("sensor_failure_delay_s", |p| Some(p.sensor_failure_delay_s), POSITIVE),
    Rule("forced_recharge.standby_s", |p| p.forced_recharge.as_ref().map(|f| f.standby_s), AT_LEAST_ONE),
    Rule("forced_recharge.recovery_voltage_v", |p| p.forced_recharge.as_ref().map(|f| f.recovery_voltage_v),
        POSITIVE),
    Rule("can_period_s", |p| Some(p.can_period_s), Check(|_, v| v >= 0.001, ">= 0.001")),
];

impl PackParams {
    /// Every value the twin cannot model sensibly, all at once. [`crate::SimBench::start`]
    /// does not refuse such values (it clamps them), so callers validate first.
    pub fn validate(&self) -> Result<(), InvalidParams> {
        let problems = RULES
            .iter()
            .filter_map(|Rule(field, value, Check(holds, expected))| {
                let value = value(self)?;
                (!holds(self, value) || !value.is_finite()).then_some(ParamProblem {
                    field,
                    value,
                    expected,
                })
            })
            .collect();
        InvalidParams::from_problems(problems)
    }
}

impl Installation {
    /// `packs` must be 1..=32 ([`MAX_PACKS`]).
    pub fn validate(&self) -> Result<(), InvalidParams> {
        let mut problems = Vec::new();
        if !(1..=MAX_PACKS).contains(&self.packs) {
            problems.push(ParamProblem {
                field: "installation.packs",
                value: f64::from(self.packs),
                expected: "1..=32 (Lesso 3.3.2 \"Max parallel number 32pcs\")",
            });
        }
        InvalidParams::from_problems(problems)
    }
}

impl SimConfig {
    /// The pack parameters and the installation, every problem of both.
    pub fn validate(&self) -> Result<(), InvalidParams> {
        let mut problems = Vec::new();
        for result in [self.pack.validate(), self.installation.validate()] {
            if let Err(e) = result {
                problems.extend(e.problems);
            }
        }
        InvalidParams::from_problems(problems)
    }
}

#[cfg(test)]
mod tests;
