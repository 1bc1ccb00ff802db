//! The firmware: protections, the button, sleep, and the outputs that follow from them
//! (MOSFETs, dry contacts, the CAN report), with any injected defects applied.
//!
//! Time is passed in, never read. [`Firmware::advance`] is told what the BMS measured
//! from one instant to another; [`Firmware::next_deadline`] tells the world where its
//! next step must end so that every timer (a trip delay, a recovery, the 30 s
//! under-voltage sleep, a 4 h wake-up) fires exactly on time.
//!
//! The main type is [`Firmware`]. Beside it: `policies` builds each part's policy from
//! the DUT profile with the defects applied, `deadlines` names the timers,
//! `temperature_protections` holds CHTP/DHTP/CLTP/DLTP, `rapid_shutdown` filters its
//! input, and `report` assembles what the firmware shows (the CAN report, the LEDs).

mod deadlines;
mod policies;
mod rapid_shutdown;
mod report;
mod temperature_protections;

use self::deadlines::Deadlines;
use self::rapid_shutdown::RapidShutdown;
use self::report::Announced;
use self::temperature_protections::TemperatureProtections;
use super::button::{Press, ResetButton};
use super::communication::Communication;
use super::failure::{FailureInputs, Failures};
use super::overcurrent::OverCurrent;
use super::precharge::Precharge;
use super::recharge::{ForcedRecharge, RechargeInputs};
use super::sleep::{Sleep, SleepInputs};
use super::soc::SocDisplay;
use super::temperature::TemperatureProtection;
use super::voltage::{Cells, End, VoltageProtection};
use crate::clock::{Instant, secs};
use crate::config::{LedTable, PackParams};
use crate::defects::{Defect, DefectSet};
use crate::snapshot::DryContacts;

/// What the BMS measures, and what a charger applies to its terminals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PackReading {
    /// Cell-stack voltage, V.
    pub(crate) voltage_v: f64,
    /// Highest and lowest cell voltage, V (manual 3.4: "if any cell ... reach").
    pub(crate) max_cell_v: f64,
    pub(crate) min_cell_v: f64,
    /// Positive = charging.
    pub(crate) current_a: f64,
    /// The coulomb counter, 0..=1.
    pub(crate) soc: f64,
    /// Voltage a connected charger holds at the terminals, if one is on.
    pub(crate) charger_v: Option<f64>,
    /// Cell temperature, °C.
    pub(crate) temperature_c: f64,
    /// Voltage at the pack's terminals (outside the MOSFETs), V.
    pub(crate) terminal_v: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct Firmware {
    cocp: OverCurrent,
    docp: OverCurrent,
    over_voltage: VoltageProtection,
    under_voltage: VoltageProtection,
    temperature: TemperatureProtections,
    sleep: Sleep,
    soc: SocDisplay,
    button: ResetButton,
    precharge: Precharge,
    rsd: RapidShutdown,
    /// SCP, reversed polarity, sensor failure (manual 3.4).
    failures: Failures,
    /// Charge complete and the forced recharge (LOSUN 2.3-3).
    recharge: ForcedRecharge,
    led_table: LedTable,
    /// LOSUN 2.3-3 wake-up 3): bytes on RS232 wake the pack.
    rs232_wake: bool,
    /// Frames heard on RS485 and CAN: no standby sleep while someone talks to the pack.
    communication: Communication,
    announced: Announced,
    defects: DefectSet,
}

impl Firmware {
    /// The firmware of the DUT profile `params`, with `defects` injected (`policies`
    /// applies them).
    pub(crate) fn new(params: &PackParams, defects: DefectSet) -> Self {
        Self {
            cocp: OverCurrent::new(policies::cocp(params, defects)),
            docp: OverCurrent::new(policies::docp(params, defects)),
            over_voltage: VoltageProtection::new(policies::voltage(
                &params.over_voltage,
                End::Charge,
            )),
            under_voltage: VoltageProtection::new(policies::voltage(
                &params.under_voltage,
                End::Discharge,
            )),
            temperature: TemperatureProtections::new(
                params.temperature_protection.as_ref(),
                defects,
            ),
            sleep: Sleep::new(policies::sleep(&params.sleep, defects)),
            soc: SocDisplay::new(policies::soc(&params.soc_calibration, defects)),
            button: ResetButton::new(policies::press_windows(&params.reset_button)),
            precharge: Precharge::new(policies::precharge(params.precharge.as_ref())),
            rsd: RapidShutdown::new(secs(params.rapid_shutdown_debounce_s)),
            failures: Failures::new(policies::failures(params, defects)),
            recharge: ForcedRecharge::new(policies::recharge(
                params.forced_recharge.as_ref(),
                defects,
            )),
            led_table: params.led_table,
            rs232_wake: params.rs232_wake && !defects.has(Defect::Rs232WakeIgnored),
            communication: Communication::default(),
            announced: Announced::new(params),
            defects,
        }
    }

    /// Whether anything stops the pack from conducting at all.
    fn off(&self) -> bool {
        self.sleep.asleep() || self.rsd.active()
    }

    /// Manual 3.4: COCP and COVP/POVP "stop charging"; asleep or in rapid shutdown
    /// both MOSFETs are off.
    pub(crate) fn charge_mosfet_on(&self) -> bool {
        !self.off() && self.charge_protections_clear()
    }

    /// Manual 3.4: DOCP and CUVP/PUVP "stop discharging"; closed only once the
    /// pre-charge has passed.
    pub(crate) fn discharge_mosfet_on(&self) -> bool {
        !self.off() && self.discharge_protections_clear() && self.precharge.done()
    }

    /// The pre-charge resistor in the discharge path, while pre-charging.
    pub(crate) fn precharge_resistance_ohm(&self) -> Option<f64> {
        self.precharge
            .resistance_ohm()
            .filter(|_| !self.off() && self.discharge_protections_clear())
    }

    /// Failed pre-charges so far.
    pub(crate) fn precharge_failures(&self) -> u32 {
        self.precharge.failures()
    }

    /// Manual 3.4: COCP, COVP/POVP, CHTP and CLTP stop charging; SCP, reversed
    /// polarity and sensor failure stop both directions (3.3.3.4 Failure row).
    fn charge_protections_clear(&self) -> bool {
        !self.failures.any()
            && !self.recharge.holds_charging()
            && self.cocp.allowed()
            && !self.over_voltage.active()
            && !self.temperature.stop_charging()
    }

    /// Manual 3.4: DOCP, CUVP/PUVP, DHTP and DLTP stop discharging; so do the failures.
    fn discharge_protections_clear(&self) -> bool {
        !self.failures.any()
            && self.docp.allowed()
            && !self.under_voltage.active()
            && !self.temperature.stop_discharging()
    }

    /// CHTP or DHTP acting (0x359 byte 0 bit 3).
    pub(crate) fn over_temperature_active(&self) -> bool {
        self.temperature.over_temperature()
    }

    /// CLTP or DLTP acting (0x359 byte 0 bit 4).
    pub(crate) fn under_temperature_active(&self) -> bool {
        self.temperature.under_temperature()
    }

    /// Each of CHTP, DHTP, CLTP, DLTP, in that order.
    pub(crate) fn temperature_protections(&self) -> [bool; 4] {
        self.temperature.all().map(TemperatureProtection::active)
    }

    pub(crate) fn asleep(&self) -> bool {
        self.sleep.asleep()
    }

    pub(crate) fn auto_wakes(&self) -> u32 {
        self.sleep.auto_wakes()
    }

    pub(crate) fn cocp_active(&self) -> bool {
        self.cocp.active()
    }

    pub(crate) fn cocp_trips(&self) -> u32 {
        self.cocp.trips()
    }

    pub(crate) fn locked(&self) -> bool {
        self.cocp.locked()
    }

    pub(crate) fn docp_active(&self) -> bool {
        self.docp.active()
    }

    pub(crate) fn docp_locked(&self) -> bool {
        self.docp.locked()
    }

    pub(crate) fn over_voltage_active(&self) -> bool {
        self.over_voltage.active()
    }

    pub(crate) fn under_voltage_active(&self) -> bool {
        self.under_voltage.active()
    }

    pub(crate) fn rapid_shutdown_active(&self) -> bool {
        self.rsd.active()
    }

    /// SCP, reversed polarity, sensor failure, in that order.
    pub(crate) fn failures(&self) -> [bool; 3] {
        [
            self.failures.scp(),
            self.failures.reverse_polarity(),
            self.failures.sensor_failure(),
        ]
    }

    fn recharge_inputs(&self, r: &PackReading) -> RechargeInputs {
        RechargeInputs {
            standby: r.current_a.abs() <= self.announced.current_dead_band_a,
            pack_v: r.voltage_v,
        }
    }

    fn failure_inputs(r: &PackReading) -> FailureInputs {
        FailureInputs {
            current_a: r.current_a,
            pack_v: r.voltage_v,
            terminal_v: r.charger_v,
        }
    }

    fn cells(&self, r: &PackReading) -> Cells {
        Cells {
            max_cell_v: r.max_cell_v,
            min_cell_v: r.min_cell_v,
            pack_v: r.voltage_v,
            current_a: r.current_a,
        }
    }

    fn sleep_inputs(&self, now: Instant, r: &PackReading) -> SleepInputs {
        SleepInputs {
            under_voltage: self.under_voltage.active(),
            idle: r.current_a.abs() <= self.announced.current_dead_band_a
                && r.charger_v.is_none()
                && self.communication.silent_at(now),
            charger_v: r.charger_v,
        }
    }

    /// The earliest instant after `now` at which the firmware changes state by itself,
    /// given that `r` holds.
    pub(crate) fn next_deadline(&self, now: Instant, r: &PackReading) -> Option<Instant> {
        self.deadlines(now, r).earliest_after(now)
    }

    /// Every timer's deadline, given that `r` holds from `now`. While asleep the
    /// protections are frozen: only sleep and the forced recharge run.
    fn deadlines(&self, now: Instant, r: &PackReading) -> Deadlines {
        let sleep = self.sleep.next_deadline(now, &self.sleep_inputs(now, r));
        let recharge = self.recharge.next_deadline(now, &self.recharge_inputs(r));
        if self.sleep.asleep() {
            return Deadlines {
                sleep,
                recharge,
                ..Deadlines::default()
            };
        }
        let cells = self.cells(r);
        let t = &self.temperature;
        Deadlines {
            chtp: t.chtp.next_deadline(now, r.temperature_c),
            dhtp: t.dhtp.next_deadline(now, r.temperature_c),
            cltp: t.cltp.next_deadline(now, r.temperature_c),
            dltp: t.dltp.next_deadline(now, r.temperature_c),
            cocp: self.cocp.next_deadline(now, r.current_a),
            docp: self.docp.next_deadline(now, -r.current_a),
            over_voltage: self.over_voltage.next_deadline(now, &cells),
            under_voltage: self.under_voltage.next_deadline(now, &cells),
            soc_calibration: self.soc.next_deadline(now, &cells, r.charger_v.is_some()),
            rapid_shutdown: self.rsd.next_deadline(),
            failures: self.failures.next_deadline(now, &Self::failure_inputs(r)),
            precharge: self.precharge.next_deadline(now),
            sleep,
            recharge,
            // The end of a conversation starts the standby timer.
            silence: self.communication.next_deadline(now),
        }
    }

    /// `r` held from `from` to `to` (`from == to` evaluates the instant). While asleep
    /// the protections are frozen: only the wake-up sources are watched.
    pub(crate) fn advance(&mut self, from: Instant, to: Instant, r: &PackReading) {
        if self.recharge.advance(from, to, &self.recharge_inputs(r)) {
            // LOSUN 2.3-3: "it forcefully resumes charging until charging is complete
            // again": awake, and the SOC calibration starts over.
            if self.sleep.asleep() {
                self.sleep.reset();
                self.precharge.start(to);
            }
            self.soc.recalibrate();
        }
        if self.sleep.asleep() {
            self.sleep.advance(from, to, &self.sleep_inputs(from, r));
            if !self.sleep.asleep() {
                // Awake again: switching on pre-charges (Lesso 3.2).
                self.precharge.start(to);
            }
            return;
        }
        self.precharge.advance(to, r.voltage_v, r.terminal_v);
        self.rsd.advance(to);
        let cells = self.cells(r);
        self.failures.advance(from, to, &Self::failure_inputs(r));
        self.cocp.advance(from, to, r.current_a);
        self.docp.advance(from, to, -r.current_a);
        self.over_voltage.advance(from, to, &cells);
        self.under_voltage.advance(from, to, &cells);
        self.temperature.advance(from, to, r.temperature_c);
        let was_calibrated = self.soc.calibrated();
        self.soc.advance(
            from,
            to,
            &cells,
            r.charger_v.is_some(),
            self.over_voltage.active(),
            r.soc,
        );
        if self.soc.calibrated() && !was_calibrated {
            self.recharge.complete(to);
        }
        self.sleep.advance(from, to, &self.sleep_inputs(from, r));
    }

    /// The rapid-shutdown input as wired at `now` (manual 3.3.3.1 D: "Passive INPUT
    /// signal. Rapid Shut Down function for US"): the output is off while it is closed.
    pub(crate) fn set_rapid_shutdown(&mut self, now: Instant, closed: bool) {
        if self.defects.has(Defect::RsdIgnored) {
            return;
        }
        self.rsd.set(now, closed);
    }

    /// The NTC lead as wired at `now` (`true` = open circuit: the sensor reads nothing).
    pub(crate) fn set_ntc_open(&mut self, now: Instant, open: bool) {
        self.failures.set_sensor_open(now, open);
    }

    /// LOSUN 2.3-3 sleep 5): "Forced shutdown through upper computer software"
    /// (RS485 0x95 "Turn off module"): the pack goes to low-power mode.
    pub(crate) fn turn_off(&mut self) {
        if !self.defects.has(Defect::Rs485TurnOffIgnored) {
            self.sleep.enter();
        }
    }

    /// Bytes arrived on the RS232 port (LOSUN 2.3-3 wake-up 3): "Activating through the
    /// RS232 port"), for a pack whose profile says so.
    pub(crate) fn rs232_activity(&mut self) {
        if self.rs232_wake && self.sleep.asleep() {
            self.sleep.reset();
        }
    }

    /// LOSUN 2.3-2: the master "will shut down after all slave packs shut down": a
    /// slave goes to sleep when its master tells it to.
    pub(crate) fn sleep_by_master(&mut self) {
        self.sleep.enter();
    }

    /// A frame for this pack arrived (an RS485 request it answers, an inverter's CAN
    /// frame). Asleep, it hears nothing: neither port wakes it (LOSUN 2.3-3 names the
    /// RS232 port only).
    pub(crate) fn communicated(&mut self, at: Instant) {
        if !self.sleep.asleep() {
            self.communication.heard(at);
        }
    }

    /// A sleeping slave woken by its master (the master's button woke it): switching
    /// on pre-charges (Lesso 3.2).
    pub(crate) fn wake_by_master(&mut self, now: Instant) {
        if self.sleep.asleep() {
            self.sleep.reset();
            self.precharge.start(now);
        }
    }

    pub(crate) fn press_button(&mut self, now: Instant) {
        self.button.press(now);
    }

    pub(crate) fn release_button(&mut self, now: Instant) {
        match self.button.release(now) {
            Press::Reset if !self.defects.has(Defect::ResetIgnored) => {
                self.reset(now);
                self.precharge.start(now);
            }
            Press::SleepWake if !self.defects.has(Defect::SleepButtonIgnored) => {
                self.sleep.toggle();
                if !self.sleep.asleep() {
                    self.precharge.start(now);
                }
            }
            Press::Reset | Press::SleepWake | Press::Ignored => {}
        }
    }

    /// Manual 3.3.3.1 D: output 1 "Charge enable/disable signal", output 2 "discharge
    /// enable/disable signal"; both open while asleep or shut down.
    pub(crate) fn dry_contacts(&self) -> DryContacts {
        let charge = self.charge_protections_clear() || self.defects.has(Defect::DryContactStuck);
        let discharge =
            self.discharge_protections_clear() || self.defects.has(Defect::DischargeContactStuck);
        DryContacts {
            charge_enable: !self.off() && charge,
            discharge_enable: !self.off() && discharge,
        }
    }

    /// Manual 3.3.3 E reset: protections released, lock-outs cleared, awake.
    fn reset(&mut self, now: Instant) {
        self.failures.reset(now);
        self.cocp.reset();
        self.docp.reset();
        self.over_voltage.reset();
        self.under_voltage.reset();
        self.temperature.reset();
        self.sleep.reset();
    }
}

#[cfg(test)]
mod tests;
