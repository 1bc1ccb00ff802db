//! The firmware: protections, the button, sleep, and the outputs that follow from them
//! (MOSFETs, dry contacts, the CAN report), with any injected defects applied.
//!
//! Time is passed in, never read. [`Firmware::advance`] is told what the BMS measured
//! from one instant to another; [`Firmware::next_deadline`] tells the world where its
//! next step must end so that every timer (a trip delay, a recovery, the 30 s
//! under-voltage sleep, a 4 h wake-up) fires exactly on time.

use super::button::{Press, PressWindows, ResetButton};
use super::can_frames::CanReport;
use super::communication::Communication;
use super::failure::{FailureInputs, FailurePolicy, Failures};
use super::leds::{LedInputs, LedMode, LedsLit};
use super::overcurrent::{OverCurrent, OverCurrentPolicy, Tier};
use super::precharge::{Precharge, PrechargePolicy};
use super::recharge::{ForcedRecharge, RechargeInputs, RechargePolicy};
use super::sleep::{Sleep, SleepInputs, SleepPolicy};
use super::soc::{SocDisplay, SocPolicy};
use super::temperature::{Side, TemperaturePolicy, TemperatureProtection};
use super::voltage::{Cells, End, VoltagePolicy, VoltageProtection};
use crate::clock::{Duration, Instant, secs};
use crate::config::{
    LedTable, OverCurrentParams, PackParams, TemperatureLimit, TemperatureProtectionParams,
    VoltageProtectionParams,
};
use crate::defects::{Defect, DefectSet};
use crate::snapshot::DryContacts;

/// How long the `scp_auto_release` firmware waits before it retries into a short.
const SCP_RETRY_DEFECT: Duration = Duration::from_secs(10);

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

/// The numbers the firmware announces, from the DUT profile.
#[derive(Clone, Debug, PartialEq)]
struct Announced {
    /// Manual 3.3.2 "Charge voltage 56.0V".
    charge_voltage_limit_v: f64,
    /// Manual 5.6 item 9 "Max. charging current limited value 70A*N".
    charge_current_limit_a: f64,
    /// Manual 5.6 item 10 "Max. discharging current limited value 100A*N".
    discharge_current_limit_a: f64,
    /// Manual 5.6 item 6 "Low Voltage cut-off 48.0V".
    discharge_voltage_limit_v: f64,
    /// Manual FAQ Q4 "Each BMS has a threshold current of 0.5A (~25W) before it begins to report".
    current_dead_band_a: f64,
    /// Manual 3.3.3.4 note: warnings (cell high/low voltage, high current).
    alarm_cell_high_v: f64,
    alarm_cell_low_v: f64,
    alarm_charge_current_a: f64,
    alarm_discharge_current_a: f64,
    /// Manual 3.3.3.4 note: "cell imbalanced" warning, V of spread.
    alarm_cell_imbalance_v: f64,
    /// 0x355 SOH, percent.
    soh_percent: f64,
    /// Manual 3.3.3.4 note: "high&low temperature" warnings.
    alarm_high_c: f64,
    alarm_low_c: f64,
}

/// CHTP/DHTP/CLTP/DLTP (manual 3.4).
#[derive(Clone, Debug)]
struct TemperatureProtections {
    chtp: TemperatureProtection,
    dhtp: TemperatureProtection,
    cltp: TemperatureProtection,
    dltp: TemperatureProtection,
}

impl TemperatureProtections {
    fn all_mut(&mut self) -> [&mut TemperatureProtection; 4] {
        [
            &mut self.chtp,
            &mut self.dhtp,
            &mut self.cltp,
            &mut self.dltp,
        ]
    }

    fn all(&self) -> [&TemperatureProtection; 4] {
        [&self.chtp, &self.dhtp, &self.cltp, &self.dltp]
    }
}

/// The rapid-shutdown input (manual 3.3.3.1 D pins 5-6), filtered.
#[derive(Clone, Debug, Default)]
struct RapidShutdown {
    /// Since when the input has been closed.
    closed_since: Option<Instant>,
    active: bool,
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
    rsd_debounce: Duration,
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

fn over_current_policy(
    p: &OverCurrentParams,
    tiers: Vec<Tier>,
    no_lockout: bool,
) -> OverCurrentPolicy {
    OverCurrentPolicy {
        tiers,
        recovery_delay: secs(p.recovery_delay_s),
        lockout_after_trips: (!no_lockout).then_some(p.lockout_after_trips),
        auto_recovery: true,
        counter_clear: secs(p.counter_clear_s),
    }
}

fn temperature_policy(limit: &TemperatureLimit, side: Side) -> TemperaturePolicy {
    TemperaturePolicy {
        side,
        trip_c: limit.trip_c,
        release_c: limit.release_c,
        trip_delay: secs(limit.trip_delay_s),
        enabled: true,
    }
}

fn voltage_policy(p: &VoltageProtectionParams, end: End) -> VoltagePolicy {
    VoltagePolicy {
        end,
        cell_trip_v: p.cell_trip_v,
        pack_trip_v: p.pack_trip_v,
        trip_delay: secs(p.trip_delay_s),
        cell_release_v: p.cell_release_v,
        pack_release_v: p.pack_release_v,
        release_current_a: p.release_current_a,
    }
}

impl Firmware {
    pub(crate) fn new(params: &PackParams, defects: DefectSet) -> Self {
        let mut cocp = over_current_policy(
            &params.cocp,
            vec![Tier {
                current_a: params.cocp.trip_current_a,
                delay: secs(params.cocp.trip_delay_s),
            }],
            defects.has(Defect::CocpNoLockout),
        );
        if defects.has(Defect::CocpLockoutAfterFour) {
            cocp.lockout_after_trips = Some(params.cocp.lockout_after_trips.saturating_add(1));
        }
        cocp.auto_recovery = !defects.has(Defect::CocpNoRecovery);
        // Manual 3.3.2 "Peak discharge current 101~119A@5mins 120~200A@15S".
        let mut docp_tiers = vec![Tier {
            current_a: params.docp_peak.current_a,
            delay: secs(params.docp_peak.delay_s),
        }];
        if !defects.has(Defect::PeakLimitIgnored) {
            docp_tiers.push(Tier {
                current_a: params.docp.trip_current_a,
                delay: secs(params.docp.trip_delay_s),
            });
        }
        let docp =
            over_current_policy(&params.docp, docp_tiers, defects.has(Defect::DocpNoLockout));
        let over_voltage = voltage_policy(&params.over_voltage, End::Charge);
        let s = &params.sleep;
        let interval = secs(s.auto_wake_interval_s);
        let sleep = SleepPolicy {
            under_voltage_delay: (!defects.has(Defect::UvSleepNever))
                .then(|| secs(s.under_voltage_delay_s)),
            auto_wake_interval: if defects.has(Defect::AutoWakeHourly) {
                interval / 4
            } else {
                interval
            },
            max_failed_wakes: (!defects.has(Defect::AutoWakeForever))
                .then_some(s.auto_wake_max_failures),
            charger_wake_v: (!defects.has(Defect::ChargerWakeIgnored)).then_some(s.charger_wake_v),
            standby: secs(s.standby_s),
        };
        let c = &params.soc_calibration;
        let soc = SocPolicy {
            held_percent: c.held_percent,
            cutoff_current_a: if defects.has(Defect::SocJumpsTo100) {
                f64::INFINITY
            } else {
                c.cutoff_current_a
            },
            cell_voltage_v: c.cell_voltage_v,
            hold: if defects.has(Defect::SocJumpsTo100) {
                Duration::ZERO
            } else {
                secs(c.hold_s)
            },
        };
        let b = &params.reset_button;
        let windows = PressWindows {
            sleep_wake_min: secs(b.sleep_wake_min_s),
            reset_min: secs(b.reset_min_s),
            reset_max: secs(b.reset_max_s),
        };
        let a = &params.alarms;
        // A profile without temperature protections gets a twin without them.
        let enabled = params.temperature_protection.is_some();
        let t = params
            .temperature_protection
            .clone()
            .unwrap_or(TemperatureProtectionParams {
                charge_high: TemperatureLimit::NEVER,
                discharge_high: TemperatureLimit::NEVER,
                charge_low: TemperatureLimit::NEVER,
                discharge_low: TemperatureLimit::NEVER,
                alarm_high_c: f64::INFINITY,
                alarm_low_c: f64::NEG_INFINITY,
            });
        let policy = |limit: &TemperatureLimit, side| TemperaturePolicy {
            enabled,
            ..temperature_policy(limit, side)
        };
        let mut chtp = policy(&t.charge_high, Side::High);
        if defects.has(Defect::ChtpNoHysteresis) {
            chtp.release_c = chtp.trip_c;
        }
        let mut cltp = policy(&t.charge_low, Side::Low);
        cltp.enabled &= !defects.has(Defect::CltpIgnored);
        let temperature = TemperatureProtections {
            chtp: TemperatureProtection::new(chtp),
            dhtp: TemperatureProtection::new(policy(&t.discharge_high, Side::High)),
            cltp: TemperatureProtection::new(cltp),
            dltp: TemperatureProtection::new(policy(&t.discharge_low, Side::Low)),
        };
        let failures = Failures::new(FailurePolicy {
            scp_current_a: params.short_circuit.trip_current_a,
            scp_delay: secs(params.short_circuit.trip_delay_s),
            auto_release: defects
                .has(Defect::ScpAutoRelease)
                .then_some(SCP_RETRY_DEFECT),
            detect_reverse: !defects.has(Defect::ReversePolarityIgnored),
            sensor_delay: secs(params.sensor_failure_delay_s),
            latch_sensor: !defects.has(Defect::SensorFailureNotLatched),
        });
        let recharge =
            ForcedRecharge::new(params.forced_recharge.as_ref().map(|f| RechargePolicy {
                standby: (!defects.has(Defect::ForcedRechargeNever)).then(|| secs(f.standby_s)),
                recovery_v: f.recovery_voltage_v,
            }));
        Self {
            cocp: OverCurrent::new(cocp),
            docp: OverCurrent::new(docp),
            over_voltage: VoltageProtection::new(over_voltage),
            under_voltage: VoltageProtection::new(voltage_policy(
                &params.under_voltage,
                End::Discharge,
            )),
            temperature,
            sleep: Sleep::new(sleep),
            soc: SocDisplay::new(soc),
            button: ResetButton::new(windows),
            precharge: Precharge::new(params.precharge.as_ref().map(|p| PrechargePolicy {
                resistance_ohm: p.resistance_ohm,
                time: secs(p.time_s),
                pass_margin_v: p.pass_margin_v,
                retry_delay: secs(p.retry_delay_s),
            })),
            rsd: RapidShutdown::default(),
            rsd_debounce: secs(params.rapid_shutdown_debounce_s),
            failures,
            recharge,
            led_table: params.led_table,
            rs232_wake: params.rs232_wake && !defects.has(Defect::Rs232WakeIgnored),
            communication: Communication::default(),
            announced: Announced {
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
                alarm_high_c: t.alarm_high_c,
                alarm_low_c: t.alarm_low_c,
            },
            defects,
        }
    }

    /// Whether anything stops the pack from conducting at all.
    fn off(&self) -> bool {
        self.sleep.asleep() || self.rsd.active
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
            && !self.temperature.chtp.active()
            && !self.temperature.cltp.active()
    }

    /// Manual 3.4: DOCP, CUVP/PUVP, DHTP and DLTP stop discharging; so do the failures.
    fn discharge_protections_clear(&self) -> bool {
        !self.failures.any()
            && self.docp.allowed()
            && !self.under_voltage.active()
            && !self.temperature.dhtp.active()
            && !self.temperature.dltp.active()
    }

    /// CHTP or DHTP acting (0x359 byte 0 bit 3).
    pub(crate) fn over_temperature_active(&self) -> bool {
        self.temperature.chtp.active() || self.temperature.dhtp.active()
    }

    /// CLTP or DLTP acting (0x359 byte 0 bit 4).
    pub(crate) fn under_temperature_active(&self) -> bool {
        self.temperature.cltp.active() || self.temperature.dltp.active()
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
        self.rsd.active
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

    /// The "cell imbalanced" warning (manual 3.3.3.4 note), while awake.
    pub(crate) fn cell_imbalance_warning(&self, r: &PackReading) -> bool {
        !self.sleep.asleep()
            && !self.defects.has(Defect::AlarmsMissing)
            && super::balancing::imbalanced(
                r.max_cell_v,
                r.min_cell_v,
                self.announced.alarm_cell_imbalance_v,
            )
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
        let inputs = self.sleep_inputs(now, r);
        let sleep = self.sleep.next_deadline(now, &inputs);
        // The end of a conversation starts the standby timer.
        let silence = (!self.sleep.asleep())
            .then(|| self.communication.next_deadline(now))
            .flatten();
        let rsd = self
            .rsd
            .closed_since
            .filter(|_| !self.rsd.active)
            .map(|since| since + self.rsd_debounce);
        let awake = if self.sleep.asleep() {
            [None; 12]
        } else {
            let cells = self.cells(r);
            let [chtp, dhtp, cltp, dltp] = self
                .temperature
                .all()
                .map(|p| p.next_deadline(now, r.temperature_c));
            [
                chtp,
                dhtp,
                cltp,
                dltp,
                self.cocp.next_deadline(now, r.current_a),
                self.docp.next_deadline(now, -r.current_a),
                self.over_voltage.next_deadline(now, &cells),
                self.under_voltage.next_deadline(now, &cells),
                self.soc.next_deadline(now, &cells, r.charger_v.is_some()),
                rsd,
                self.failures.next_deadline(now, &Self::failure_inputs(r)),
                self.precharge.next_deadline(now),
            ]
        };
        let recharge = self.recharge.next_deadline(now, &self.recharge_inputs(r));
        awake
            .into_iter()
            .chain([sleep, recharge, silence])
            .flatten()
            .filter(|t| *t > now)
            .min()
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
        if let Some(since) = self.rsd.closed_since
            && to >= since + self.rsd_debounce
        {
            self.rsd.active = true;
        }
        let cells = self.cells(r);
        self.failures.advance(from, to, &Self::failure_inputs(r));
        self.cocp.advance(from, to, r.current_a);
        self.docp.advance(from, to, -r.current_a);
        self.over_voltage.advance(from, to, &cells);
        self.under_voltage.advance(from, to, &cells);
        for p in self.temperature.all_mut() {
            p.advance(from, to, r.temperature_c);
        }
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
        if closed {
            self.rsd.closed_since.get_or_insert(now);
            if self.rsd_debounce.is_zero() {
                self.rsd.active = true;
            }
        } else {
            self.rsd = RapidShutdown::default();
        }
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

    /// The 0x35x frame set's content, or `None` while asleep (sleep is silent on CAN).
    pub(crate) fn can_report(&self, reading: PackReading) -> Option<CanReport> {
        if self.sleep.asleep() {
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
        })
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
        let dead_band = self.announced.current_dead_band_a;
        let soc_percent = report.as_ref().map_or(0.0, |c| c.soc_percent);
        let mode = if self.off() {
            LedMode::Off
        } else if self.failures.any() {
            LedMode::Failure
        } else if self.docp.active() || self.docp.locked() || self.temperature_protected() {
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
            pattern.alm = super::leds::Led::Off;
        }
        pattern.at(since_power_on)
    }

    fn temperature_protected(&self) -> bool {
        self.temperature_protections().iter().any(|p| *p)
    }

    /// Manual 3.3.3 E reset: protections released, lock-outs cleared, awake.
    fn reset(&mut self, now: Instant) {
        self.failures.reset(now);
        self.cocp.reset();
        self.docp.reset();
        self.over_voltage.reset();
        self.under_voltage.reset();
        for p in self.temperature.all_mut() {
            p.reset();
        }
        self.sleep.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Duration;

    fn firmware(defects: &[Defect]) -> Firmware {
        Firmware::new(
            &PackParams::lesso_lsrr51v100ah(),
            DefectSet::from_list(defects),
        )
    }

    fn reading(current_a: f64) -> PackReading {
        PackReading {
            voltage_v: 53.0,
            max_cell_v: 53.0 / 16.0,
            min_cell_v: 53.0 / 16.0,
            current_a,
            soc: 0.504,
            charger_v: None,
            temperature_c: 25.0,
            terminal_v: 53.0,
        }
    }

    fn trip(fw: &mut Firmware, t0: Instant) -> Instant {
        let t = t0 + Duration::from_secs(2);
        fw.advance(t0, t0, &reading(80.0));
        fw.advance(t0, t, &reading(80.0));
        assert!(fw.cocp_active());
        t
    }

    fn hold(fw: &mut Firmware, from: Instant, seconds: u64) -> Instant {
        let to = from + Duration::from_secs(seconds);
        fw.press_button(from);
        fw.release_button(to);
        to
    }

    #[test]
    fn reports_limits_and_applies_the_dead_band() {
        let fw = firmware(&[]);
        let r = fw.can_report(reading(0.4)).unwrap();
        assert_eq!(r.pack_current_a, 0.0);
        assert_eq!(r.soc_percent, 50.0);
        assert_eq!(
            (r.charge_current_limit_a, r.discharge_current_limit_a),
            (70.0, 100.0)
        );
        assert!(r.charge_enable && r.discharge_enable && !r.charge_overcurrent);
        assert_eq!(fw.can_report(reading(-0.6)).unwrap().pack_current_a, -0.6);
    }

    #[test]
    fn cocp_stops_charging_everywhere() {
        let mut fw = firmware(&[]);
        trip(&mut fw, Instant::now());
        assert!(!fw.charge_mosfet_on());
        assert!(fw.discharge_mosfet_on());
        let r = fw.can_report(reading(0.0)).unwrap();
        assert_eq!(r.charge_current_limit_a, 0.0);
        assert!(r.charge_overcurrent && !r.charge_enable && r.discharge_enable);
        assert_eq!(
            fw.dry_contacts(),
            DryContacts {
                charge_enable: false,
                discharge_enable: true
            }
        );
    }

    #[test]
    fn reporting_defects_each_break_one_output() {
        type Broken = fn(&Firmware) -> bool;
        let cases: [(Defect, Broken); 4] = [
            (Defect::CocpFlagMissing, |fw| {
                !fw.can_report(reading(0.0)).unwrap().charge_overcurrent
            }),
            (Defect::CclNotZeroed, |fw| {
                fw.can_report(reading(0.0)).unwrap().charge_current_limit_a == 70.0
            }),
            (Defect::ChargeEnableStuck, |fw| {
                fw.can_report(reading(0.0)).unwrap().charge_enable
            }),
            (Defect::DryContactStuck, |fw| {
                fw.dry_contacts().charge_enable
            }),
        ];
        for (defect, broken) in cases {
            let mut healthy = firmware(&[]);
            let mut defective = firmware(&[defect]);
            let t0 = Instant::now();
            trip(&mut healthy, t0);
            trip(&mut defective, t0);
            assert!(!broken(&healthy), "{defect}: healthy firmware looks broken");
            assert!(broken(&defective), "{defect}: defect has no effect");
            assert!(
                !defective.charge_mosfet_on(),
                "{defect}: MOSFET still stops"
            );
        }
    }

    #[test]
    fn a_reset_press_clears_the_lock_out_unless_ignored() {
        for (defects, released) in [(vec![], true), (vec![Defect::ResetIgnored], false)] {
            let mut fw = firmware(&defects);
            let mut t = Instant::now();
            for _ in 0..3 {
                t = trip(&mut fw, t);
                t += Duration::from_secs(60);
                fw.advance(t - Duration::from_secs(60), t, &reading(0.0));
            }
            assert!(fw.locked());
            hold(&mut fw, t, 8);
            assert_eq!(fw.charge_mosfet_on(), released, "{defects:?}");
            assert_eq!(fw.locked(), !released);
        }
    }

    #[test]
    fn a_sleep_press_silences_can_and_opens_the_contacts() {
        let mut fw = firmware(&[]);
        let t = hold(&mut fw, Instant::now(), 4);
        assert!(fw.asleep());
        assert!(fw.can_report(reading(0.0)).is_none());
        assert!(!fw.charge_mosfet_on() && !fw.discharge_mosfet_on());
        assert_eq!(
            fw.dry_contacts(),
            DryContacts {
                charge_enable: false,
                discharge_enable: false
            }
        );
        hold(&mut fw, t, 4);
        assert!(!fw.asleep());
        assert!(fw.can_report(reading(0.0)).is_some());
    }
}
