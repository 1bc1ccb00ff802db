//! What the firmware shows the outside world about its state: the numbers it announces
//! from the DUT profile, the 0x35x CAN report assembled from the protections, and the
//! RUN/ALM/SOC LEDs.

use super::{Firmware, PackReading};
use crate::bms::can_frames::{CanReport, PYLON_NAME};
use crate::bms::leds::{Led, LedInputs, LedMode, LedsLit};
use crate::bms::voltage::Levels;
use crate::clock::Duration;
use crate::config::PackParams;
use crate::defects::Defect;

/// The numbers the firmware announces, from the DUT profile.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Announced {
    /// Manual 3.3.2 "Charge voltage 56.0V".
    charge_voltage_limit_v: f64,
    /// Manual 5.6 item 9 "Max. charging current limited value 70A*N".
    charge_current_limit_a: f64,
    /// Manual 5.6 item 10 "Max. discharging current limited value 100A*N".
    discharge_current_limit_a: f64,
    /// Manual 5.6 item 6 "Low Voltage cut-off 48.0V".
    discharge_voltage_limit_v: f64,
    /// Manual FAQ Q4 "Each BMS has a threshold current of 0.5A (~25W) before it begins to report".
    pub(super) current_dead_band_a: f64,
    /// Manual 3.3.3.4 note: warnings (cell high/low voltage, high current).
    alarm_cell_high_v: f64,
    alarm_cell_low_v: f64,
    alarm_charge_current_a: f64,
    alarm_discharge_current_a: f64,
    /// Manual 3.3.3.4 note: "cell imbalanced" warning, V of spread.
    pub(super) alarm_cell_imbalance_v: f64,
    /// 0x355 SOH, percent.
    soh_percent: f64,
    /// Manual 3.3.3.4 note: "high&low temperature" warnings; a profile without
    /// temperature protections warns at no temperature.
    alarm_high_c: f64,
    alarm_low_c: f64,
    /// 0x35E: one name for every profile, as neither manual gives one (see
    /// [`PYLON_NAME`]).
    manufacturer_name: [u8; 8],
}

impl Announced {
    pub(super) fn new(params: &PackParams) -> Self {
        let a = &params.alarms;
        let (alarm_high_c, alarm_low_c) = params
            .temperature_protection
            .as_ref()
            .map_or((f64::INFINITY, f64::NEG_INFINITY), |t| {
                (t.alarm_high_c, t.alarm_low_c)
            });
        Self {
            charge_voltage_limit_v: params.charge_voltage_limit_v,
            charge_current_limit_a: params.charge_current_limit_a,
            discharge_current_limit_a: params.discharge_current_limit_a,
            discharge_voltage_limit_v: params.discharge_voltage_limit_v,
            current_dead_band_a: params.current_dead_band_a,
            alarm_cell_high_v: a.cell_high_v,
            alarm_cell_low_v: a.cell_low_v,
            alarm_charge_current_a: a.charge_high_current_a,
            alarm_discharge_current_a: a.discharge_high_current_a,
            alarm_cell_imbalance_v: a.cell_imbalance_v,
            soh_percent: params.soh_percent,
            alarm_high_c,
            alarm_low_c,
            manufacturer_name: PYLON_NAME,
        }
    }
}

impl Firmware {
    /// The 0x35x frame set's content, or `None` while asleep or rebooting (silent on
    /// CAN, and on RS485, which answers from the same report).
    pub(crate) fn can_report(&self, reading: PackReading) -> Option<CanReport> {
        if self.sleep.asleep() || self.reboot.active() {
            return None;
        }
        let a = &self.announced;
        let charging_allowed = self.charge_mosfet_on();
        let discharging_allowed = self.discharge_mosfet_on();
        let current = if reading.current_a.abs() < a.current_dead_band_a {
            0.0
        } else {
            reading.current_a
        };
        let cells = self.cells(&reading);
        let (over_voltage, under_voltage) = if self.defects.has(Defect::VoltageFlagsSwapped) {
            (self.under_voltage.active(), self.over_voltage.active())
        } else {
            (self.over_voltage.active(), self.under_voltage.active())
        };
        let alarms = !self.defects.has(Defect::AlarmsMissing);
        let temperature_flags = !self.defects.has(Defect::TemperatureFlagMissing);
        Some(CanReport {
            charge_voltage_limit_v: a.charge_voltage_limit_v,
            // protocols.md 1.10: CCL 0 while charging is stopped.
            charge_current_limit_a: if charging_allowed || self.defects.has(Defect::CclNotZeroed) {
                a.charge_current_limit_a
            } else {
                0.0
            },
            discharge_current_limit_a: if discharging_allowed {
                a.discharge_current_limit_a
            } else {
                0.0
            },
            discharge_voltage_limit_v: a.discharge_voltage_limit_v,
            soc_percent: self.soc.reported_percent(reading.soc),
            soh_percent: a.soh_percent,
            pack_voltage_v: reading.voltage_v,
            pack_current_a: current,
            temperature_c: reading.temperature_c,
            charge_overcurrent: self.cocp.active() && !self.defects.has(Defect::CocpFlagMissing),
            // protocols.md 1.4 has no SCP bit in the Pylon set these packs send (the
            // 0x35A short-circuit field is V1.3's): a short is a discharge over-current.
            discharge_overcurrent: self.docp.active() || self.failures.scp(),
            // protocols.md 1.10 "BMS internal fault": byte 1 bit 3, for the failures
            // no other bit names (reversed polarity, sensor failure).
            system_error: self.failures.reverse_polarity() || self.failures.sensor_failure(),
            cell_overvoltage: over_voltage,
            cell_undervoltage: under_voltage,
            over_temperature: temperature_flags && self.over_temperature_active(),
            under_temperature: temperature_flags && self.under_temperature_active(),
            alarm_high_temperature: alarms && reading.temperature_c >= a.alarm_high_c,
            alarm_low_temperature: alarms && reading.temperature_c <= a.alarm_low_c,
            alarm_cell_high_voltage: alarms && cells.max_cell_v >= a.alarm_cell_high_v,
            alarm_cell_low_voltage: alarms && cells.min_cell_v <= a.alarm_cell_low_v,
            alarm_charge_high_current: alarms && reading.current_a > a.alarm_charge_current_a,
            alarm_discharge_high_current: alarms
                && -reading.current_a > a.alarm_discharge_current_a,
            charge_enable: charging_allowed || self.defects.has(Defect::ChargeEnableStuck),
            discharge_enable: discharging_allowed,
            request_full_charge: self.recharge.forcing(),
            module_count: 1,
            internal_comm_failure: false,
            manufacturer_name: a.manufacturer_name,
        })
    }

    /// COVP/POVP and CUVP/PUVP as the reports show them, each with the levels that act
    /// (over, under); swapped, as on CAN, by `voltage_flags_swapped`.
    pub(crate) fn voltage_levels(&self) -> (Levels, Levels) {
        let (over, under) = (self.over_voltage.levels(), self.under_voltage.levels());
        if self.defects.has(Defect::VoltageFlagsSwapped) {
            (under, over)
        } else {
            (over, under)
        }
    }

    /// The state the LED table is looked up in, most severe first.
    fn led_mode(&self, r: &PackReading, soc_percent: f64) -> LedMode {
        let dead_band = self.announced.current_dead_band_a;
        if self.off() {
            LedMode::Off
        } else if self.failures.any() {
            LedMode::Failure
        } else if self.docp.active() || self.docp.locked() || self.temperature.any() {
            LedMode::Protection
        } else if self.under_voltage.active() {
            LedMode::UnderVoltage
        } else if !self.cocp.allowed() || self.over_voltage.active() {
            LedMode::ChargeStopped
        } else if r.charger_v.is_some() && soc_percent >= 100.0 {
            LedMode::FullCharged
        } else if r.current_a > dead_band {
            LedMode::Charging
        } else if r.current_a < -dead_band {
            LedMode::Discharging
        } else {
            LedMode::Standby
        }
    }

    /// The LEDs lit `since_power_on` (Lesso 3.3.3.4 or LOSUN 2.5, per the profile).
    pub(crate) fn leds(&self, since_power_on: Duration, r: PackReading) -> LedsLit {
        let report = self.can_report(r);
        let warning = report.as_ref().is_some_and(|c| {
            c.alarm_high_temperature
                || c.alarm_low_temperature
                || c.alarm_cell_high_voltage
                || c.alarm_cell_low_voltage
                || c.alarm_charge_high_current
                || c.alarm_discharge_high_current
        });
        let soc_percent = report.as_ref().map_or(0.0, |c| c.soc_percent);
        let mode = match self.led_mode(&r, soc_percent) {
            LedMode::UnderVoltage if self.defects.has(Defect::UvpLedsAsProtection) => {
                LedMode::Protection
            }
            mode => mode,
        };
        let mut pattern = self.led_table.pattern(&LedInputs {
            mode,
            warning,
            soc_percent,
        });
        let alarming = !matches!(
            mode,
            LedMode::Off
                | LedMode::Standby
                | LedMode::Charging
                | LedMode::FullCharged
                | LedMode::Discharging
        );
        if alarming && self.defects.has(Defect::AlmLedDarkOnProtection) {
            pattern.alm = Led::Off;
        }
        if self.defects.has(Defect::Flash3Period1s) {
            pattern.flash3_as_flash2();
        }
        pattern.at(since_power_on)
    }

    /// The "cell imbalanced" warning (manual 3.3.3.4 note), while awake.
    pub(crate) fn cell_imbalance_warning(&self, r: &PackReading) -> bool {
        !self.sleep.asleep()
            && !self.defects.has(Defect::AlarmsMissing)
            && crate::bms::balancing::imbalanced(
                r.max_cell_v,
                r.min_cell_v,
                self.announced.alarm_cell_imbalance_v,
            )
    }
}
