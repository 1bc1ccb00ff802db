//! The firmware as a whole: protections reach the MOSFETs, the CAN report, the dry
//! contacts; the button; the timers it names.

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

/// How a test sets up one timer: the firmware already built, the instant, the reading.
type Setup = fn(&mut Firmware, Instant, &mut PackReading);
/// The named deadline a case looks at.
type Pick = fn(&Deadlines) -> Option<Instant>;

/// Each timer with a situation that starts it (the reading starts idle: 0 A, 25 °C,
/// 3.3 V cells), and when it must run out.
#[rustfmt::skip]
const TIMERS: [(&str, Setup, Pick, Duration); 15] = [
    ("chtp", |_, _, r| r.temperature_c = 55.0, |d| d.chtp, Duration::from_secs(5)),
    ("dhtp", |_, _, r| r.temperature_c = 55.0, |d| d.dhtp, Duration::from_secs(5)),
    ("cltp", |_, _, r| r.temperature_c = -7.0, |d| d.cltp, Duration::from_secs(5)),
    ("dltp", |_, _, r| r.temperature_c = -12.0, |d| d.dltp, Duration::from_secs(5)),
    ("cocp", |_, _, r| r.current_a = 80.0, |d| d.cocp, Duration::from_secs(2)),
    ("docp", |_, _, r| r.current_a = -110.0, |d| d.docp, Duration::from_secs(300)),
    ("over_voltage", |_, _, r| r.max_cell_v = 3.6, |d| d.over_voltage, Duration::from_secs(2)),
    ("under_voltage", |_, _, r| r.min_cell_v = 2.8, |d| d.under_voltage, Duration::from_secs(2)),
    ("soc_calibration", |_, _, r| (r.charger_v, r.max_cell_v, r.current_a) = (Some(56.0), 3.46, 1.0),
        |d| d.soc_calibration, Duration::from_secs(1800)),
    ("rapid_shutdown", |fw, now, _| fw.set_rapid_shutdown(now, true), |d| d.rapid_shutdown,
        Duration::from_millis(100)),
    ("failures", |fw, now, _| fw.set_ntc_open(now, true), |d| d.failures, Duration::from_secs(2)),
    ("precharge", |fw, now, _| { fw.sleep_by_master(); fw.wake_by_master(now) }, |d| d.precharge,
        Duration::from_secs(2)),
    ("sleep", |_, _, _| {}, |d| d.sleep, Duration::from_secs(24 * 3600)),
    ("recharge", |fw, now, _| fw.recharge.complete(now), |d| d.recharge, Duration::from_secs(600)),
    ("silence", |fw, now, _| fw.communicated(now), |d| d.silence, crate::bms::communication::HOLD),
];

/// Each timer with a situation that starts it, and when it must run out: every named
/// deadline is wired to its part, and is the firmware's next one when it is the
/// earliest.
#[test]
fn every_timer_is_reachable() {
    let mut params = PackParams::lesso_lsrr51v100ah();
    params.forced_recharge = Some(crate::config::ForcedRechargeParams {
        standby_s: 600.0,
        recovery_voltage_v: 50.0,
    });
    for (name, setup, pick, after) in TIMERS {
        let mut fw = Firmware::new(&params, DefectSet::EMPTY);
        let now = Instant::now();
        let mut r = reading(0.0);
        setup(&mut fw, now, &mut r);
        assert_eq!(pick(&fw.deadlines(now, &r)), Some(now + after), "{name}");
        assert_eq!(fw.next_deadline(now, &r), Some(now + after), "{name}");
    }
}

#[test]
fn asleep_only_sleep_and_the_forced_recharge_run() {
    let mut fw = firmware(&[]);
    let now = hold(&mut fw, Instant::now(), 4);
    assert!(fw.asleep());
    fw.set_rapid_shutdown(now, true);
    let mut r = reading(80.0);
    r.temperature_c = 55.0;
    let d = fw.deadlines(now, &r);
    let frozen = Deadlines {
        sleep: d.sleep,
        recharge: d.recharge,
        ..Deadlines::default()
    };
    assert_eq!(d, frozen);
    assert_eq!(fw.next_deadline(now, &r), d.sleep.or(d.recharge));
}
