//! What a twin is built from: the pack's ratings, its BMS's thresholds and timers, and
//! the injected defects.
//!
//! The rig fills [`PackParams`] from a DUT profile. Numbers the manual gives carry their
//! section; numbers it does not give are marked as assumptions, here and in the profile.
//! `lesso` is the default profile (the sim's own tests run on it), `validate` the
//! table of range rules the rig checks a profile against before it builds a twin.

mod lesso;
mod validate;

pub use self::validate::{InvalidParams, ParamProblem};
use crate::defects::Defect;
use crate::dip::DipSettings;

/// Everything [`crate::SimBench::start`] needs.
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    pub pack: PackParams,
    pub defects: Vec<Defect>,
    /// Instrument faults to inject (see [`crate::InstrumentFault`]).
    pub faults: Vec<crate::faults::InstrumentFault>,
    /// How the pack is set up on site (DIP switches).
    pub installation: Installation,
    /// The simulated source/sink's ratings: the rig sizes the virtual bench to what a
    /// plan applies (a 400 Ah pack's 800 A peak tier), so its twin source follows.
    pub source: SourceRating,
}

/// What the simulated source/sink can deliver: set points above it are refused with
/// -222 "Data out of range", protections up to 110 % of it, as on a real unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SourceRating {
    pub max_voltage_v: f64,
    pub max_current_a: f64,
}

impl Default for SourceRating {
    /// The built-in virtual bench's unit: 0-60 V, ±120 A.
    fn default() -> Self {
        SourceRating {
            max_voltage_v: 60.0,
            max_current_a: 120.0,
        }
    }
}

/// How the pack is set up on site, beyond what its DUT profile says.
#[derive(Clone, Debug, PartialEq)]
pub struct Installation {
    /// The DIP switches (of the master, the pack the rig talks to).
    pub dip: DipSettings,
    /// Packs in parallel, the master included (1: single mode). Lesso 3.3.2 "Max
    /// parallel number 32pcs", LOSUN 1 "Max 15 batteries in parallel".
    pub packs: u8,
}

/// Lesso 3.3.2 "Max parallel number 32pcs".
pub const MAX_PACKS: u8 = 32;

impl Default for Installation {
    /// One pack with its default DIP settings.
    fn default() -> Self {
        Self {
            dip: DipSettings::default(),
            packs: 1,
        }
    }
}

/// The pack and its BMS as the DUT profile describes them.
#[derive(Clone, Debug, PartialEq)]
pub struct PackParams {
    pub model: String,
    pub serial: String,
    pub firmware: String,
    /// Cells in series (16 for a 51.2 V LFP pack, manual 3.3.2 "Rated voltage 51.2V").
    pub cells_in_series: u32,
    /// Nominal capacity in Ah (manual 3.3.2 "Nominal capacity@0.2C").
    pub capacity_ah: f64,
    /// Pack DC resistance in ohm. Assumption: the manual gives none.
    pub internal_resistance_ohm: f64,
    /// State of charge at start, 0..=1 (the coulomb counter, and the mean of the cells).
    pub initial_soc: f64,
    /// State of health, percent: the full-charge capacity is `capacity_ah` x SOH / 100
    /// (Lesso glossary: "the percentage between the full charged capacity and the rated
    /// capacity of the battery"), sent in 0x355 and used by the coulomb counter.
    pub soh_percent: f64,
    /// How the cells of the string differ (all zero: identical cells).
    pub cells: CellParams,
    /// Passive balancing during charge; `None`: a pack that does not balance.
    pub balancing: Option<BalancingParams>,
    /// The pre-charge circuit (Lesso 3.2); `None`: the discharge path closes at once.
    pub precharge: Option<PrechargeParams>,
    /// Pack (and chamber air) temperature at start, °C.
    pub temperature_c: f64,
    /// How the pack's temperature follows the chamber air and its own I²R loss; `None`:
    /// the temperature stays at `temperature_c`.
    pub thermal: Option<ThermalParams>,
    /// CHTP/DHTP/CLTP/DLTP (manual 3.4) and the temperature warnings; `None`: a profile
    /// that declares none gets a twin without them.
    pub temperature_protection: Option<TemperatureProtectionParams>,
    /// CVL sent in 0x351 (manual 3.3.2 "Charge voltage 56.0V").
    pub charge_voltage_limit_v: f64,
    /// DVL sent in 0x351 (manual 5.6 item 6 "Low Voltage cut-off 48.0V").
    pub discharge_voltage_limit_v: f64,
    /// CCL sent in 0x351 (manual 5.6 item 9 "Max. charging current limited value 70A*N").
    pub charge_current_limit_a: f64,
    /// DCL sent in 0x351 (manual 5.6 item 10 "Max. discharging current limited value 100A*N").
    pub discharge_current_limit_a: f64,
    /// Currents of smaller magnitude are reported as 0 (manual FAQ Q4 "threshold current of 0.5A").
    pub current_dead_band_a: f64,
    pub cocp: OverCurrentParams,
    /// DOCP (manual 3.4). Its `trip_current_a`/`trip_delay_s` are the first peak-discharge
    /// band of manual 3.3.2 ("101~119A@5mins"): above the rated maximum for 5 min.
    pub docp: OverCurrentParams,
    /// The second peak-discharge band of manual 3.3.2 ("120~200A@15S").
    pub docp_peak: PeakCurrent,
    /// COVP/POVP (manual 3.4 "Charge end").
    pub over_voltage: VoltageProtectionParams,
    /// CUVP/PUVP (manual 3.4 "Discharge end").
    pub under_voltage: VoltageProtectionParams,
    /// Warnings before protections (manual 3.3.3.4 note: "'Warning' including items of
    /// cell imbalanced/low voltage/high current/high&low temperature").
    pub alarms: AlarmParams,
    pub sleep: SleepParams,
    pub soc_calibration: SocCalibrationParams,
    /// How long the rapid-shutdown input (manual 3.3.3.1 D pins 5-6) must be closed before
    /// the BMS acts, in s. Assumption: a digital input filter; the manual gives none.
    pub rapid_shutdown_debounce_s: f64,
    pub reset_button: ButtonTimings,
    /// Period of the 0x35x frame set in seconds (protocols.md 1.1: every frame once per 1000 ms).
    pub can_period_s: f64,
    /// SCP (Lesso manual 3.4 "SCP Reversed polarity").
    pub short_circuit: ShortCircuitParams,
    /// How long a sensor must read open before the BMS enters the failure mode (Lesso
    /// manual 3.4 "sensor failure"), s. Assumption: the manual gives no filter time.
    pub sensor_failure_delay_s: f64,
    /// Which manual's RUN/ALM/SOC LED table the pack follows.
    pub led_table: LedTable,
    /// LOSUN manual 2.3-3 forced recharge; `None`: the pack does not promise one.
    pub forced_recharge: Option<ForcedRechargeParams>,
    /// LOSUN manual 2.3-3 wake-up 3): "Activating through the RS232 port".
    pub rs232_wake: bool,
}

/// Short-circuit protection. Neither manual gives a threshold or a delay (LOSUN 1
/// Technical Data only "Short Circuit Current 500 A"): both are assumptions.
#[derive(Clone, Debug, PartialEq)]
pub struct ShortCircuitParams {
    /// Discharge current above which the SCP timer runs, A.
    pub trip_current_a: f64,
    /// How long the current must stay above it before both MOSFETs open, s.
    pub trip_delay_s: f64,
}

/// The RUN/ALM/SOC LED table a pack follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedTable {
    /// Lesso manual 3.3.3.4: RUN, ALM and four SOC LEDs.
    Lesso,
    /// LOSUN manual 2.5: L8 RUN, L7 ALM, L1..L6 battery level.
    Losun,
}

/// LOSUN manual 2.3-3: "When the system is defined as charging complete, if it remains
/// in standby for 2 days (standby time set value) without reaching the recovery
/// voltage, it forcefully resumes charging until charging is complete again."
#[derive(Clone, Debug, PartialEq)]
pub struct ForcedRechargeParams {
    /// "2 days (standby time set value)", s.
    pub standby_s: f64,
    /// "the recovery voltage": at or below it charging is allowed again, V (pack).
    pub recovery_voltage_v: f64,
}

/// The manufacturing spread of the cells. Assumptions: the manuals give none.
#[derive(Clone, Debug, PartialEq)]
pub struct CellParams {
    /// Largest deviation of a cell's capacity from the pack's, a fraction (0.01 = ±1 %).
    pub capacity_spread: f64,
    /// Largest deviation of a cell's initial SOC from the pack's, a fraction of full.
    pub soc_spread: f64,
    /// Seed of the deterministic draw: the same seed gives the same cells.
    pub seed: u64,
}

impl CellParams {
    /// Identical cells.
    pub const IDENTICAL: CellParams = CellParams {
        capacity_spread: 0.0,
        soc_spread: 0.0,
        seed: 0,
    };
}

/// Passive balancing (LOSUN 2.1 "the BMS facilitates cell balancing during charging";
/// Lesso 2.x "automatic balancing function"). The manuals give no figures: every value
/// is an assumption.
#[derive(Clone, Debug, PartialEq)]
pub struct BalancingParams {
    /// Balancing runs only while the highest cell is at or above this, V (on the flat
    /// middle of the LFP curve cell voltages say nothing about SOC).
    pub start_cell_v: f64,
    /// A cell this far or more above the lowest cell is bled, V.
    pub delta_v: f64,
    /// Current through a cell's bleed resistor, A.
    pub bleed_current_a: f64,
}

/// The pre-charge circuit (Lesso 3.2 Features: "Built-in pre-charge circuit to avoid
/// rush current when connecting with different inverter/chargers"). The manual gives
/// no figures: every value is an assumption.
#[derive(Clone, Debug, PartialEq)]
pub struct PrechargeParams {
    /// The pre-charge resistor, ohm.
    pub resistance_ohm: f64,
    /// How long the pre-charge lasts before the BMS checks its terminals, s.
    pub time_s: f64,
    /// The terminals must be no more than this below the pack voltage to pass, V.
    pub pass_margin_v: f64,
    /// How long after a failed pre-charge the BMS tries again, s.
    pub retry_delay_s: f64,
}

/// First-order thermal model of the pack. Assumptions: the manuals give neither.
#[derive(Clone, Debug, PartialEq)]
pub struct ThermalParams {
    /// Time constant of the cells towards the chamber air, s.
    pub time_constant_s: f64,
    /// Heat capacity of the pack, J/K (turns the I²R loss into a temperature rise).
    pub heat_capacity_j_per_k: f64,
}

/// One temperature protection of manual 3.4: trips beyond `trip_c` for `trip_delay_s`,
/// releases on the other side of `release_c` ("Automatic recovery when temperature
/// falls/rise"). The trip is the end of the operation range of manual 3.3.2; the
/// release (the hysteresis) and the delay are assumptions.
#[derive(Clone, Debug, PartialEq)]
pub struct TemperatureLimit {
    pub trip_c: f64,
    pub release_c: f64,
    pub trip_delay_s: f64,
}

impl TemperatureLimit {
    /// A placeholder for a protection the profile does not declare (never enabled).
    pub(crate) const NEVER: TemperatureLimit = TemperatureLimit {
        trip_c: 0.0,
        release_c: 0.0,
        trip_delay_s: 0.0,
    };
}

/// CHTP/DHTP/CLTP/DLTP (manual 3.4) and the high/low temperature warnings (manual
/// 3.3.3.4 note "'Warning' including items of ... high&low temperature").
#[derive(Clone, Debug, PartialEq)]
pub struct TemperatureProtectionParams {
    /// CHTP: stops charging above the range ("Charge: -5~50°C", manual 3.3.2).
    pub charge_high: TemperatureLimit,
    /// DHTP: stops discharging above the range ("Discharge:-10~50°C").
    pub discharge_high: TemperatureLimit,
    /// CLTP: stops charging below the range.
    pub charge_low: TemperatureLimit,
    /// DLTP: stops discharging below the range.
    pub discharge_low: TemperatureLimit,
    /// High-temperature warning at or above, °C.
    pub alarm_high_c: f64,
    /// Low-temperature warning at or below, °C.
    pub alarm_low_c: f64,
}

/// A current and how long it may be exceeded (manual 3.3.2 peak discharge current).
#[derive(Clone, Debug, PartialEq)]
pub struct PeakCurrent {
    pub current_a: f64,
    pub delay_s: f64,
}

/// One end of the voltage protections of manual 3.4 (COVP/POVP or CUVP/PUVP). The manual
/// names the behaviour without numbers: every value is an assumption.
#[derive(Clone, Debug, PartialEq)]
pub struct VoltageProtectionParams {
    /// Cell protection value, V.
    pub cell_trip_v: f64,
    /// Pack protection value, V.
    pub pack_trip_v: f64,
    /// How long a value must stay beyond its protection value, s.
    pub trip_delay_s: f64,
    /// Cell release voltage ("back to the release voltage range"), V.
    pub cell_release_v: f64,
    /// Pack release voltage, V.
    pub pack_release_v: f64,
    /// Manual 3.4 "efficient discharge (charge) current" that releases the protection, A.
    pub release_current_a: f64,
}

/// Warning levels announced in 0x359 bytes 2-3 before a protection acts.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmParams {
    pub cell_high_v: f64,
    pub cell_low_v: f64,
    /// Charge current above this raises the charge high-current alarm, A.
    pub charge_high_current_a: f64,
    /// Discharge current above this raises the discharge high-current alarm, A.
    pub discharge_high_current_a: f64,
    /// Highest minus lowest cell voltage at or above this is the "cell imbalanced"
    /// warning (Lesso 3.3.3.4 note), V; infinite: no such warning.
    pub cell_imbalance_v: f64,
}

/// Sleep and wake (LOSUN manual 2.3-3).
#[derive(Clone, Debug, PartialEq)]
pub struct SleepParams {
    /// "Over-discharge protection ... remains unresolved for 30 seconds", s.
    pub under_voltage_delay_s: f64,
    /// "the system wakes up every 4 hours", s.
    pub auto_wake_interval_s: f64,
    /// "If it fails to charge after 10 consecutive automatic wake-ups, it will no longer
    /// wake up automatically."
    pub auto_wake_max_failures: u32,
    /// "Charger is connected, and the charger output voltage is greater than 48V", V.
    pub charger_wake_v: f64,
    /// "Standby time exceeds 24 hours", s.
    pub standby_s: f64,
}

/// SOC held below 100 % until calibrated (Lesso manual 5 FAQ Q1).
#[derive(Clone, Debug, PartialEq)]
pub struct SocCalibrationParams {
    /// "Battery maximum SOC is 99%", percent.
    pub held_percent: f64,
    /// "calibrate the SOC to 100% when reached cut-off current", A.
    pub cutoff_current_a: f64,
    /// Highest cell at or above this while at cut-off current counts as full, V.
    pub cell_voltage_v: f64,
    /// "Keep float the battery for approximately 0.5~1 hour to calibrate", s.
    pub hold_s: f64,
}

/// COCP (manual 3.4). The manual names the behaviour but gives no numbers: every value
/// here is an assumption to be replaced by the vendor's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct OverCurrentParams {
    /// Charge current above which the protection timer runs, in A.
    pub trip_current_a: f64,
    /// How long the current must stay above the trip current before charging stops, in s.
    pub trip_delay_s: f64,
    /// Manual 3.4 "release from the protection when the system delays time is met", in s.
    pub recovery_delay_s: f64,
    /// Manual 3.4 "If locked after three consecutive times, manual intervention is required."
    pub lockout_after_trips: u32,
    /// Trip-free time after a release that makes the next trip count from one again, in s.
    /// Assumption: this is what "consecutive" means.
    pub counter_clear_s: f64,
}

/// The reset button (manual 3.3.3 E: "Used to sleep(3s)/awake(3s)/reset(6~10s) BMS").
#[derive(Clone, Debug, PartialEq)]
pub struct ButtonTimings {
    /// Shortest press that toggles sleep, in s (3).
    pub sleep_wake_min_s: f64,
    /// Shortest press that resets the BMS, in s (6); shorter presses toggle sleep.
    pub reset_min_s: f64,
    /// Longest press that resets the BMS, in s (10); longer presses do nothing.
    pub reset_max_s: f64,
    /// How long the BMS is down after a reset press, in s: MOSFETs off, contacts open,
    /// LEDs dark, silent on CAN and RS485; the reset takes effect when it runs again.
    /// Assumption: neither manual gives it; 0 is a reset that takes effect at once.
    pub reboot_s: f64,
}
