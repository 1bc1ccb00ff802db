//! The parametric defects move a number the rig can measure on the twin, not only a
//! field: each test measures the figure as a plan would (a staircase for a trip
//! current, a stopwatch for a delay, a CAN frame for an announced limit) on the healthy
//! twin and on the twin with the defect, and finds the defect's number.

use rig_sim::{Defect, SimBench, SimSnapshot};
use tokio::time::sleep;

use crate::support::{Can, Io, Scpi, after, ready, secs};

/// The parametric defects whose number a test here measures on the twin. The others
/// (CLTP/DHTP trip temperatures, the forced recharge a Lesso pack does not have, the
/// number of automatic wake-ups, the SOC calibration hold, the end of the reset
/// window) are shown moving exactly their field of the firmware the twin runs by the
/// tests of `rig_sim`'s `defects::parametric` ([`SHIFT_ONLY`]).
pub const DEFECTS_COVERED: &[Defect] = &[
    Defect::CocpTripsAt55A,
    Defect::CocpTripInstant,
    Defect::CocpRecovery5s,
    Defect::DocpTierFrom80A,
    Defect::DocpPeakTier60s,
    Defect::DocpPeakFrom150A,
    Defect::Cvl58V4,
    Defect::Ccl80A,
    Defect::Dcl50A,
    Defect::Dvl44V8,
    Defect::DeadBand5A,
    Defect::ResetAt3s,
    Defect::UvSleepAfter5s,
    Defect::AutoWake3h30,
    Defect::StandbySleepAfter12h,
    Defect::ChargerWakeAbove52V,
    // Measured in capacity.rs: the capacity a 0.2C discharge delivers.
    Defect::CuvpAt3V00,
];

/// Parametric defects not yet measured on the bench here (see [`DEFECTS_COVERED`]).
pub const SHIFT_ONLY: &[Defect] = &[
    Defect::ForcedRechargeAfter1d,
    Defect::ChtpHysteresis1K,
    Defect::AutoWakeStopsAfter5,
    Defect::SocCalibration10min,
    Defect::ResetUpTo15s,
    Defect::CltpAtMinus10C,
    Defect::DhtpAt55C,
    Defect::ResetFrom5s,
    Defect::Reboot20s,
    Defect::PovpAt55V5,
    Defect::CovpReleaseAt10A,
    Defect::CuvpRelease0V2High,
    Defect::PuvpRelease1VHigh,
    Defect::CuvpReleaseAt10A,
    Defect::CuvpAt2V50,
    Defect::CovpAt3V70,
    Defect::CovpRelease0V05Low,
    Defect::PovpRelease0V5Low,
];

/// Polling step of the stopwatch, s.
const TICK: f64 = 0.1;

/// Seconds until `done` holds, polled every [`TICK`], at most `limit`.
async fn time_until(bench: &SimBench, limit: f64, done: fn(&SimSnapshot) -> bool) -> Option<f64> {
    time_every(bench, TICK, limit, done).await
}

/// Seconds until `done` holds, polled every `step`, at most `limit`.
async fn time_every(
    bench: &SimBench,
    step: f64,
    limit: f64,
    done: fn(&SimSnapshot) -> bool,
) -> Option<f64> {
    let mut n = 0u32;
    while f64::from(n) * step <= limit {
        if done(&bench.snapshot()) {
            return Some(f64::from(n) * step);
        }
        sleep(secs(step)).await;
        n += 1;
    }
    None
}

/// A staircase of the charge current from 50 A up in 1 A steps held 3 s each (longer
/// than the 2 s trip delay): the first level at which COCP has tripped.
async fn cocp_trip_current(defects: &[Defect]) -> Option<f64> {
    let bench = ready(defects).await;
    let mut source = Scpi::open(&bench);
    for level in 50..=90 {
        let level = f64::from(level);
        source.charge_at(level).await;
        if after(&bench, 3.0).await.bms.cocp_active {
            return Some(level);
        }
    }
    None
}

/// Manual 3.3.2 "Max. charge current 70A": the healthy twin trips above it (its
/// firmware at 75 A), `cocp_trips_at_55a` at 55 A.
#[tokio::test(start_paused = true)]
async fn cocp_trips_at_55a_moves_the_measured_trip_current() {
    let healthy = cocp_trip_current(&[]).await.expect("trips");
    assert!((75.0..=77.0).contains(&healthy), "{healthy}");
    let moved = cocp_trip_current(&[Defect::CocpTripsAt55A])
        .await
        .expect("trips");
    assert!((55.0..=56.0).contains(&moved), "{moved}");
}

/// COCP at 80 A: the time to the trip, then the time to the release.
/// (An instant trip re-trips at its release: the stopwatch may never see it.)
async fn cocp_delays(defects: &[Defect]) -> (f64, Option<f64>) {
    let bench = ready(defects).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(80.0).await;
    let trip = time_until(&bench, 10.0, |s| s.bms.cocp_active)
        .await
        .expect("trips");
    let release = time_until(&bench, 120.0, |s| !s.bms.cocp_active).await;
    (trip, release)
}

#[tokio::test(start_paused = true)]
async fn cocp_delay_defects_move_the_measured_delays() {
    let (trip, release) = cocp_delays(&[]).await;
    assert!((trip - 2.0).abs() <= TICK + 1e-9, "{trip}");
    let release = release.expect("releases");
    assert!((release - 60.0).abs() <= TICK + 1e-9, "{release}");
    let (trip, _) = cocp_delays(&[Defect::CocpTripInstant]).await;
    assert!(trip <= TICK + 1e-9, "{trip}");
    let (_, release) = cocp_delays(&[Defect::CocpRecovery5s]).await;
    let release = release.expect("releases");
    assert!((release - 5.0).abs() <= TICK + 1e-9, "{release}");
}

/// Seconds of a discharge at `amperes` until DOCP trips (at most `limit`).
async fn docp_time(defects: &[Defect], amperes: f64, limit: f64) -> Option<f64> {
    let bench = ready(defects).await;
    let mut source = Scpi::open(&bench);
    source.hold(40.0, 1.0, amperes).await;
    time_until(&bench, limit, |s| s.bms.docp_active).await
}

/// Manual 3.3.2 "Max. discharge current 100A", "101~119A@5mins 120~200A@15S".
#[tokio::test(start_paused = true)]
async fn docp_defects_move_the_measured_tiers() {
    assert_eq!(docp_time(&[], 90.0, 400.0).await, None);
    let t = docp_time(&[Defect::DocpTierFrom80A], 90.0, 400.0)
        .await
        .expect("trips");
    assert!((t - 300.0).abs() <= 1.0, "{t}");
    let t = docp_time(&[], 120.0, 400.0).await.expect("trips");
    assert!((t - 15.0).abs() <= 1.0, "{t}");
    let t = docp_time(&[Defect::DocpPeakTier60s], 120.0, 400.0)
        .await
        .expect("trips");
    assert!((t - 60.0).abs() <= 1.0, "{t}");
    // From 150 A, 120 A falls in the 5 min tier.
    let t = docp_time(&[Defect::DocpPeakFrom150A], 120.0, 400.0)
        .await
        .expect("trips");
    assert!((t - 300.0).abs() <= 1.0, "{t}");
}

/// Manual 5.6 commissioning table on CAN 0x351: each limit defect moves its signal,
/// and only it.
#[tokio::test(start_paused = true)]
async fn can_limit_defects_move_the_announced_limits() {
    const SIGNALS: [&str; 4] = [
        "charge_voltage_limit",
        "charge_current_limit",
        "discharge_current_limit",
        "discharge_voltage_limit",
    ];
    let read = async |defects: &[Defect]| {
        let bench = ready(defects).await;
        let frame = Can::attach(&bench).next(0x351).await;
        SIGNALS.map(|s| frame.get(s))
    };
    let healthy = read(&[]).await;
    assert_eq!(healthy, [56.0, 70.0, 100.0, 48.0]);
    for (defect, index, moved) in [
        (Defect::Cvl58V4, 0, 58.4),
        (Defect::Ccl80A, 1, 80.0),
        (Defect::Dcl50A, 2, 50.0),
        (Defect::Dvl44V8, 3, 44.8),
    ] {
        let mut expected = healthy;
        expected[index] = moved;
        let got = read(&[defect]).await;
        let near = got.iter().zip(expected).all(|(g, e)| (g - e).abs() < 0.05);
        assert!(near, "{defect}: {got:?}, expected {expected:?}");
    }
}

/// Lesso FAQ Q4: a current inside the dead band reads 0 A on CAN 0x356; 3 A is
/// outside the healthy 0.5 A band and inside `dead_band_5a`'s.
#[tokio::test(start_paused = true)]
async fn dead_band_5a_hides_a_3a_charge() {
    for (defects, reads) in [(&[][..], 3.0), (&[Defect::DeadBand5A][..], 0.0)] {
        let bench = ready(defects).await;
        let mut source = Scpi::open(&bench);
        source.charge_at(3.0).await;
        sleep(secs(2.0)).await;
        let current = Can::attach(&bench).next(0x356).await.get("pack_current");
        assert_eq!(current, reads, "{defects:?}");
    }
}

/// Manual 3.3.3 E "sleep(3s)/awake(3s)/reset(6~10s)": a 4 s press puts the healthy
/// pack to sleep; with `reset_at_3s` it resets it instead and the pack stays awake.
#[tokio::test(start_paused = true)]
async fn reset_at_3s_turns_a_4s_press_into_a_reset() {
    for (defects, asleep) in [(&[][..], true), (&[Defect::ResetAt3s][..], false)] {
        let bench = ready(defects).await;
        Io::open(&bench).press_reset(4.0).await;
        let s = after(&bench, 1.0).await;
        assert_eq!(s.bms.asleep, asleep, "{defects:?}");
    }
}

/// LOSUN 2.3-3 sleep 1) and its note: (seconds from CUVP to sleep, hours from sleep to
/// the first automatic wake-up).
async fn under_voltage_timers(defects: &[Defect]) -> (f64, f64) {
    let bench = ready(defects).await;
    let mut source = Scpi::open(&bench);
    source.hold(45.9, 1.0, 80.0).await;
    time_every(&bench, 1.0, 4.0 * 3600.0, |s| s.bms.under_voltage_active)
        .await
        .expect("CUVP");
    source.set("OUTP OFF").await;
    let sleep_s = time_until(&bench, 60.0, |s| s.bms.asleep)
        .await
        .expect("asleep");
    let wake_s = time_every(&bench, 60.0, 6.0 * 3600.0, |s| s.bms.auto_wakes >= 1)
        .await
        .expect("wakes");
    (sleep_s, wake_s / 3600.0)
}

#[tokio::test(start_paused = true)]
async fn under_voltage_timer_defects_move_the_measured_times() {
    let (sleep_s, wake_h) = under_voltage_timers(&[]).await;
    assert!((sleep_s - 30.0).abs() <= 1.0, "{sleep_s}");
    assert!((wake_h - 4.0).abs() <= 0.05, "{wake_h}");
    let (sleep_s, _) = under_voltage_timers(&[Defect::UvSleepAfter5s]).await;
    assert!((sleep_s - 5.0).abs() <= 1.0, "{sleep_s}");
    let (_, wake_h) = under_voltage_timers(&[Defect::AutoWake3h30]).await;
    assert!((wake_h - 3.5).abs() <= 0.05, "{wake_h}");
}

/// LOSUN 2.3-3 sleep 4): an idle pack, nobody talking to it, sleeps after 24 h.
#[tokio::test(start_paused = true)]
async fn standby_sleep_after_12h_moves_the_measured_standby() {
    for (defects, hours) in [(&[][..], 24.0), (&[Defect::StandbySleepAfter12h][..], 12.0)] {
        let bench = ready(defects).await;
        let t = time_every(&bench, 60.0, 30.0 * 3600.0, |s| s.bms.asleep)
            .await
            .expect("asleep");
        assert!((t / 3600.0 - hours).abs() <= 0.05, "{defects:?}: {t}");
    }
}

/// LOSUN 2.3-3 wake-up 1) "charger output voltage is greater than 48V": a 50 V charger
/// wakes the healthy pack, not one that waits for 52 V.
#[tokio::test(start_paused = true)]
async fn charger_wake_above_52v_ignores_a_50v_charger() {
    for (defects, wakes) in [(&[][..], true), (&[Defect::ChargerWakeAbove52V][..], false)] {
        let bench = ready(defects).await;
        Io::open(&bench).press_reset(4.0).await;
        assert!(after(&bench, 1.0).await.bms.asleep, "{defects:?}");
        Scpi::open(&bench).hold(50.0, 5.0, 1.0).await;
        let s = after(&bench, 10.0).await;
        assert_eq!(!s.bms.asleep, wakes, "{defects:?}");
    }
}
