//! The Lesso LSRR51V100AH-LFP (seed manual 000) as a twin: the default profile, and
//! the one the sim's own tests run against. Each section is a constant with its manual
//! clause, or marked as an assumption where the manual gives no number.

use super::{
    AlarmParams, BalancingParams, ButtonTimings, CellParams, LedTable, OverCurrentParams,
    PackParams, PeakCurrent, PrechargeParams, ShortCircuitParams, SleepParams,
    SocCalibrationParams, TemperatureLimit, TemperatureProtectionParams, ThermalParams,
    VoltageProtectionParams,
};

/// Assumptions: factory-matched cells, top-balanced at assembly. A wider spread puts the
/// top cell into COVP at the 56.0 V charge voltage (the FAQ Q2 "not balanced yet" pack),
/// which a test sets up on purpose.
const CELLS: CellParams = CellParams {
    capacity_spread: 0.003,
    soc_spread: 0.002,
    seed: 1,
};

/// Assumptions: the manuals name balancing without figures.
const BALANCING: BalancingParams = BalancingParams {
    start_cell_v: 3.40,
    delta_v: 0.02,
    bleed_current_a: 0.1,
};

/// Assumptions: the manual names the circuit without figures.
const PRECHARGE: PrechargeParams = PrechargeParams {
    resistance_ohm: 50.0,
    time_s: 2.0,
    pass_margin_v: 5.0,
    retry_delay_s: 10.0,
};

/// Assumptions: a ~46 kg pack (manual 3.3.2) in forced chamber air.
const THERMAL: ThermalParams = ThermalParams {
    time_constant_s: 3600.0,
    heat_capacity_j_per_k: 50_000.0,
};

/// Manual 3.3.2 "Operation temperature Charge: -5~50°C Discharge:-10~50°C"; release
/// temperatures, delays and warnings are assumptions.
const TEMPERATURE_PROTECTION: TemperatureProtectionParams = TemperatureProtectionParams {
    charge_high: TemperatureLimit {
        trip_c: 50.0,
        release_c: 45.0,
        trip_delay_s: 5.0,
    },
    discharge_high: TemperatureLimit {
        trip_c: 50.0,
        release_c: 45.0,
        trip_delay_s: 5.0,
    },
    charge_low: TemperatureLimit {
        trip_c: -5.0,
        release_c: 0.0,
        trip_delay_s: 5.0,
    },
    discharge_low: TemperatureLimit {
        trip_c: -10.0,
        release_c: -5.0,
        trip_delay_s: 5.0,
    },
    alarm_high_c: 45.0,
    alarm_low_c: 0.0,
};

const COCP: OverCurrentParams = OverCurrentParams {
    // Assumptions (manual 3.4 gives no numbers): above the 70 A max. charge current of
    // 3.3.2, a 2 s filter, a 60 s release delay.
    trip_current_a: 75.0,
    trip_delay_s: 2.0,
    recovery_delay_s: 60.0,
    // Manual 3.4: "locked after three consecutive times".
    lockout_after_trips: 3,
    counter_clear_s: 60.0,
};

const DOCP: OverCurrentParams = OverCurrentParams {
    // Manual 3.3.2: "Max. discharge current 100A", "101~119A@5mins".
    trip_current_a: 100.0,
    trip_delay_s: 300.0,
    // Assumptions, as for COCP; manual 3.4 lock-out after three.
    recovery_delay_s: 60.0,
    lockout_after_trips: 3,
    counter_clear_s: 60.0,
};

/// Manual 3.3.2: "120~200A@15S".
const DOCP_PEAK: PeakCurrent = PeakCurrent {
    current_a: 119.0,
    delay_s: 15.0,
};

/// Assumptions: manual 3.4 gives no voltages.
const OVER_VOLTAGE: VoltageProtectionParams = VoltageProtectionParams {
    cell_trip_v: 3.55,
    pack_trip_v: 56.8,
    trip_delay_s: 2.0,
    cell_release_v: 3.40,
    pack_release_v: 54.4,
    release_current_a: 2.0,
};

/// Assumptions: manual 3.4 gives no voltages.
const UNDER_VOLTAGE: VoltageProtectionParams = VoltageProtectionParams {
    cell_trip_v: 2.90,
    pack_trip_v: 46.4,
    trip_delay_s: 2.0,
    cell_release_v: 3.00,
    pack_release_v: 48.0,
    release_current_a: 2.0,
};

const ALARMS: AlarmParams = AlarmParams {
    cell_high_v: 3.52,
    cell_low_v: 3.00,
    charge_high_current_a: 70.0,
    discharge_high_current_a: 100.0,
    cell_imbalance_v: 0.10,
};

/// LOSUN manual 2.3-3, borrowed as assumptions for the Lesso pack.
const SLEEP: SleepParams = SleepParams {
    under_voltage_delay_s: 30.0,
    auto_wake_interval_s: 4.0 * 3600.0,
    auto_wake_max_failures: 10,
    charger_wake_v: 48.0,
    standby_s: 24.0 * 3600.0,
};

const SOC_CALIBRATION: SocCalibrationParams = SocCalibrationParams {
    held_percent: 99.0,
    cutoff_current_a: 5.0,
    cell_voltage_v: 3.45,
    hold_s: 1800.0,
};

/// Manual 3.3.3 E: sleep(3s)/awake(3s)/reset(6~10s).
const RESET_BUTTON: ButtonTimings = ButtonTimings {
    sleep_wake_min_s: 3.0,
    reset_min_s: 6.0,
    reset_max_s: 10.0,
};

/// Assumptions: above the 200 A peak band of manual 3.3.2; LOSUN's "Short Circuit
/// Current 500 A"; a hardware comparator's few hundred microseconds.
const SHORT_CIRCUIT: ShortCircuitParams = ShortCircuitParams {
    trip_current_a: 500.0,
    trip_delay_s: 0.0003,
};

impl PackParams {
    /// The Lesso LSRR51V100AH-LFP (seed manual 000), with assumed COCP numbers.
    pub fn lesso_lsrr51v100ah() -> Self {
        Self {
            model: "LSRR51V100AH-LFP".to_string(),
            serial: "SIM-LSRR51V100AH-0001".to_string(),
            firmware: "sim-1.0".to_string(),
            cells_in_series: 16,
            capacity_ah: 100.0,
            // Assumption: ~1.2 mOhm per cell plus busbars and MOSFETs.
            internal_resistance_ohm: 0.02,
            initial_soc: 0.5,
            soh_percent: 100.0,
            cells: CELLS,
            balancing: Some(BALANCING),
            precharge: Some(PRECHARGE),
            temperature_c: 25.0,
            thermal: Some(THERMAL),
            temperature_protection: Some(TEMPERATURE_PROTECTION),
            charge_voltage_limit_v: 56.0,
            discharge_voltage_limit_v: 48.0,
            charge_current_limit_a: 70.0,
            discharge_current_limit_a: 100.0,
            current_dead_band_a: 0.5,
            cocp: COCP,
            docp: DOCP,
            docp_peak: DOCP_PEAK,
            over_voltage: OVER_VOLTAGE,
            under_voltage: UNDER_VOLTAGE,
            alarms: ALARMS,
            sleep: SLEEP,
            soc_calibration: SOC_CALIBRATION,
            rapid_shutdown_debounce_s: 0.1,
            reset_button: RESET_BUTTON,
            can_period_s: 1.0,
            short_circuit: SHORT_CIRCUIT,
            sensor_failure_delay_s: 2.0,
            led_table: LedTable::Lesso,
            forced_recharge: None,
            rs232_wake: false,
        }
    }
}
