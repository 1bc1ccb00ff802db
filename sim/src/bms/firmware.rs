//! The firmware: protections, the button, sleep, and the outputs that follow from them
//! (MOSFETs, dry contacts, the CAN report), with any injected defects applied.

use super::button::{Press, PressWindows, ResetButton};
use super::can_frames::CanReport;
use super::cocp::{Cocp, CocpPolicy};
use crate::clock::{Instant, secs};
use crate::config::PackParams;
use crate::defects::{Defect, DefectSet};
use crate::snapshot::DryContacts;

/// What the firmware measures on the pack, for its CAN report.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct PackReading {
    pub(crate) voltage_v: f64,
    /// Positive = charging.
    pub(crate) current_a: f64,
    pub(crate) soc: f64,
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
    temperature_c: f64,
}

#[derive(Clone, Debug)]
pub(crate) struct Firmware {
    cocp: Cocp,
    button: ResetButton,
    asleep: bool,
    announced: Announced,
    defects: DefectSet,
}

impl Firmware {
    pub(crate) fn new(params: &PackParams, defects: DefectSet) -> Self {
        let lockout = params.cocp.lockout_after_trips;
        let policy = CocpPolicy {
            trip_current_a: params.cocp.trip_current_a,
            trip_delay: secs(params.cocp.trip_delay_s),
            recovery_delay: secs(params.cocp.recovery_delay_s),
            lockout_after_trips: if defects.has(Defect::CocpNoLockout) {
                None
            } else if defects.has(Defect::CocpLockoutAfterFour) {
                Some(lockout.saturating_add(1))
            } else {
                Some(lockout)
            },
            auto_recovery: !defects.has(Defect::CocpNoRecovery),
            counter_clear: secs(params.cocp.counter_clear_s),
        };
        let b = &params.reset_button;
        let windows = PressWindows {
            sleep_wake_min: secs(b.sleep_wake_min_s),
            reset_min: secs(b.reset_min_s),
            reset_max: secs(b.reset_max_s),
        };
        Self {
            cocp: Cocp::new(policy),
            button: ResetButton::new(windows),
            asleep: false,
            announced: Announced {
                charge_voltage_limit_v: params.charge_voltage_limit_v,
                charge_current_limit_a: params.charge_current_limit_a,
                discharge_current_limit_a: params.discharge_current_limit_a,
                discharge_voltage_limit_v: params.discharge_voltage_limit_v,
                current_dead_band_a: params.current_dead_band_a,
                temperature_c: params.temperature_c,
            },
            defects,
        }
    }

    /// Manual 3.4 COCP "will stop charging"; asleep both MOSFETs are off.
    pub(crate) fn charge_mosfet_on(&self) -> bool {
        !self.asleep && self.cocp.charge_allowed()
    }

    pub(crate) fn discharge_mosfet_on(&self) -> bool {
        !self.asleep
    }

    pub(crate) fn asleep(&self) -> bool {
        self.asleep
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

    /// See [`Cocp::next_deadline`].
    pub(crate) fn next_deadline(&self, now: Instant, current_a: f64) -> Option<Instant> {
        self.cocp.next_deadline(now, current_a)
    }

    /// See [`Cocp::advance`].
    pub(crate) fn advance(&mut self, from: Instant, to: Instant, current_a: f64) {
        self.cocp.advance(from, to, current_a);
    }

    pub(crate) fn press_button(&mut self, now: Instant) {
        self.button.press(now);
    }

    pub(crate) fn release_button(&mut self, now: Instant) {
        match self.button.release(now) {
            Press::Reset if !self.defects.has(Defect::ResetIgnored) => self.reset(),
            Press::SleepWake => self.asleep = !self.asleep,
            Press::Reset | Press::Ignored => {}
        }
    }

    /// Manual 3.3.3.1 D: output 1 "Charge enable/disable signal", output 2 "discharge
    /// enable/disable signal"; both open while asleep.
    pub(crate) fn dry_contacts(&self) -> DryContacts {
        let charge = self.cocp.charge_allowed() || self.defects.has(Defect::DryContactStuck);
        DryContacts {
            charge_enable: !self.asleep && charge,
            discharge_enable: self.discharge_mosfet_on(),
        }
    }

    /// The 0x35x frame set's content, or `None` while asleep (sleep is silent on CAN).
    pub(crate) fn can_report(&self, reading: PackReading) -> Option<CanReport> {
        if self.asleep {
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
            soc_percent: (reading.soc * 100.0).round(),
            soh_percent: 100.0,
            pack_voltage_v: reading.voltage_v,
            pack_current_a: current,
            temperature_c: a.temperature_c,
            charge_overcurrent: self.cocp.active() && !self.defects.has(Defect::CocpFlagMissing),
            charge_enable: charging_allowed || self.defects.has(Defect::ChargeEnableStuck),
            discharge_enable: discharging_allowed,
        })
    }

    /// Manual 3.3.3 E reset: protections released, lock-out cleared, awake.
    fn reset(&mut self) {
        self.cocp.reset();
        self.asleep = false;
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
            current_a,
            soc: 0.504,
        }
    }

    fn trip(fw: &mut Firmware, t0: Instant) -> Instant {
        let t = t0 + Duration::from_secs(2);
        fw.advance(t0, t0, 80.0);
        fw.advance(t0, t, 80.0);
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
                fw.advance(t - Duration::from_secs(60), t, 0.0);
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
