//! Packs in parallel behind one master (Lesso 3.3.2 "Max parallel number 32pcs", 3.3.3
//! F M/S LED, 5.3, 5.6 inverter table "70A*N"/"100A*N"; LOSUN 2.3-2 master sleep;
//! protocols.md 1.4 module count, 2.5 addressing), observed as a plan would: CAN
//! frames, RS485 polls, the source's measurement, the relay board.

use std::sync::Arc;
use std::time::Duration;

use rig_drivers::can::CanFrame;
use rig_drivers::rs485::pylontech::{PylonErrorKind, PylontechClient};
use rig_sim::{Defect, Installation, PackParams, SimBench, SimConfig, SimSnapshot};
use tokio::io::DuplexStream;

use crate::support::{Can, Io, Scpi, after, secs};

/// The defects of this file's stories.
pub const DEFECTS_COVERED: &[Defect] = &[
    Defect::ParallelLimitsNotScaled,
    Defect::SlaveSilentOnRs485,
    Defect::SlaveAlarmsNotAggregated,
    Defect::ModuleCountStuckAtOne,
];

/// Relay 6 (0-based 5): the NTC lead of the last pack in the chain.
const SLAVE_NTC_OPEN: u16 = 5;
/// The Lesso profile's own limits (0x351 for one pack).
const PACK_CCL: f64 = 70.0;
const PACK_DCL: f64 = 100.0;

fn config(packs: u8, defects: &[Defect]) -> SimConfig {
    SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: defects.to_vec(),
        faults: Vec::new(),
        installation: Installation {
            packs,
            ..Default::default()
        },
        source: Default::default(),
    }
}

/// `packs` Lesso packs in parallel, the relay board decoupled.
async fn packs(packs: u8, defects: &[Defect]) -> SimBench {
    let bench = SimBench::start(config(packs, defects));
    Io::open(&bench).decouple().await;
    bench
}

fn rs485(bench: &SimBench) -> PylontechClient<DuplexStream> {
    let stream = bench.open("rs485").expect("rs485 endpoint");
    PylontechClient::new(stream, Arc::from("bms_rs485"), secs(1.0), None)
}

/// A load of `amperes` (voltage priority far below the packs).
async fn discharge(source: &mut Scpi, amperes: f64) {
    source.set("SOUR:VOLT:PROT 62").await;
    source.set("SOUR:CURR:PROT 130").await;
    source.set("SOUR:VOLT 40").await;
    source.set("SOUR:CURR:LIM:POS 1").await;
    source.set(&format!("SOUR:CURR:LIM:NEG -{amperes}")).await;
    source.set("OUTP ON").await;
}

fn currents(s: &SimSnapshot) -> Vec<f64> {
    s.packs.iter().map(|p| p.bms.pack_current_a).collect()
}

/// (CCL, DCL, module count, system error) from the master's next frames.
async fn can_summary(can: &mut Can) -> (f64, f64, f64, f64) {
    let limits = can.next(0x351).await;
    let flags = can.next(0x359).await;
    (
        limits.get("charge_current_limit"),
        limits.get("discharge_current_limit"),
        flags.get("module_count"),
        flags.get("protection_system_error"),
    )
}

#[tokio::test(start_paused = true)]
async fn three_equal_packs_share_a_90_a_charge() {
    let bench = packs(3, &[]).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(90.0).await;
    let s = after(&bench, 10.0).await;
    assert_eq!(s.packs.len(), 3);
    let total: f64 = currents(&s).iter().sum();
    assert!((s.source.measured_current_a - 90.0).abs() < 1e-6, "{s:?}");
    assert!((total - s.source.measured_current_a).abs() < 1e-6);
    for i in currents(&s) {
        assert!((i - 30.0).abs() < 0.03 * 30.0, "{:?}", currents(&s));
    }
    // Their own cells: the packs are not copies of each other.
    assert_ne!(
        s.packs[1].bms.cell_voltages_v,
        s.packs[2].bms.cell_voltages_v
    );
    assert_eq!(s.bms, s.packs[0].bms, "the snapshot's bms is the master's");
}

#[tokio::test(start_paused = true)]
async fn the_ms_led_shows_the_master_in_parallel_mode_only() {
    let single = packs(1, &[]).await.snapshot();
    assert_eq!(single.packs.len(), 1);
    assert!(single.packs[0].master && !single.packs[0].ms_led);
    let three = packs(3, &[]).await.snapshot();
    let leds: Vec<(bool, bool)> = three.packs.iter().map(|p| (p.master, p.ms_led)).collect();
    assert_eq!(leds, [(true, true), (false, false), (false, false)]);
}

#[tokio::test(start_paused = true)]
async fn can_limits_are_n_times_the_pack_limit_and_module_count_is_n() {
    for n in 1..=3u8 {
        let bench = packs(n, &[]).await;
        let mut can = Can::attach(&bench);
        let (ccl, dcl, count, error) = can_summary(&mut can).await;
        let k = f64::from(n);
        assert_eq!((ccl, dcl), (k * PACK_CCL, k * PACK_DCL), "{n} packs");
        assert_eq!((count, error), (k, 0.0), "{n} packs");
        let flags = can.next(0x359).await;
        assert_eq!(flags.get("alarm_internal_comm_fail"), 0.0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_slave_in_sensor_failure_drops_out_and_the_master_reports_it() {
    let bench = packs(3, &[]).await;
    let mut source = Scpi::open(&bench);
    discharge(&mut source, 90.0).await;
    let s = after(&bench, 5.0).await;
    for i in currents(&s) {
        assert!((i + 30.0).abs() < 1.0, "{:?}", currents(&s));
    }
    Io::open(&bench).relay(SLAVE_NTC_OPEN, true).await;
    let s = after(&bench, 5.0).await;
    assert_eq!(
        s.packs[2].bms.failures,
        [false, false, true],
        "sensor failure"
    );
    assert!(!s.packs[2].bms.discharge_mosfet_on);
    assert_eq!(s.packs[2].bms.pack_current_a, 0.0);
    for i in &currents(&s)[..2] {
        assert!((i + 45.0).abs() < 1.0, "{:?}", currents(&s));
    }
    assert!((s.source.measured_current_a + 90.0).abs() < 1e-6);
    assert_eq!(s.bms.failures, [false; 3], "the master is healthy");
    let mut can = Can::attach(&bench);
    let (ccl, dcl, count, error) = can_summary(&mut can).await;
    assert_eq!((ccl, dcl), (2.0 * PACK_CCL, 2.0 * PACK_DCL));
    assert_eq!((count, error), (3.0, 1.0), "still answering, in failure");
}

#[tokio::test(start_paused = true)]
async fn the_others_carry_a_failed_packs_share_until_their_own_docp_trips() {
    // Two packs share 120 A; alone, the master carries it, beyond the 119 A band.
    let bench = packs(2, &[]).await;
    let mut source = Scpi::open(&bench);
    discharge(&mut source, 120.0).await;
    let s = after(&bench, 20.0).await;
    assert!(!s.bms.docp_active, "60 A each is within the ratings");
    Io::open(&bench).relay(SLAVE_NTC_OPEN, true).await;
    let s = after(&bench, 5.0).await;
    assert!((s.bms.pack_current_a + 120.0).abs() < 1e-6, "{s:?}");
    let s = after(&bench, 15.0).await;
    assert!(s.bms.docp_active, "DOCP after 15 s above 119 A");
    assert_eq!(currents(&s), [0.0, 0.0]);
}

#[tokio::test(start_paused = true)]
async fn each_pack_answers_rs485_at_its_own_address() {
    let bench = packs(3, &[]).await;
    let mut source = Scpi::open(&bench);
    source.charge_at(60.0).await;
    let s = after(&bench, 60.0).await;
    let mut c = rs485(&bench);
    let mut seen = Vec::new();
    for (k, adr) in [2u8, 3, 4].into_iter().enumerate() {
        let a = c.analog(adr).await.unwrap();
        assert_eq!(a.command_value, adr);
        let cells: Vec<f64> = s.packs[k]
            .bms
            .cell_voltages_v
            .iter()
            .map(|v| (v * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(a.cell_voltages, cells, "pack at {adr}: its own cells");
        assert!((a.current - 20.0).abs() < 1.0, "{}", a.current);
        seen.push(a.cell_voltages);
        let m = c.charge_management(adr).await.unwrap();
        assert_eq!(m.charge_current_limit, PACK_CCL, "each pack its own limit");
    }
    assert_ne!(seen[0], seen[1]);
    assert_ne!(seen[1], seen[2]);
    let err = c.analog(5).await.unwrap_err();
    assert!(
        matches!(err.kind, PylonErrorKind::Timeout { .. }),
        "{err:?}"
    );
    // The whole system at the master's address: 3 modules, each with its own block.
    let info = c.analog_whole_system_raw(2).await.unwrap();
    assert_eq!(info[1], 3);
    // Cell count (1) + 16 cells (32) + temperature count (1) + 5 temperatures (10) +
    // current, voltage, remaining (6) + user items (1) + total, cycles (4) + 3-byte
    // capacities (6): 61 bytes per module.
    assert_eq!(info.len(), 2 + 3 * 61);
}

#[tokio::test(start_paused = true)]
async fn turn_off_at_a_slave_address_puts_only_that_pack_to_sleep() {
    let bench = packs(3, &[]).await;
    let mut c = rs485(&bench);
    c.turn_off(3).await.unwrap();
    let s = after(&bench, 1.0).await;
    let asleep: Vec<bool> = s.packs.iter().map(|p| p.bms.asleep).collect();
    assert_eq!(asleep, [false, true, false]);
    assert!(c.analog(3).await.is_err(), "asleep: silent");
    assert!(c.analog(4).await.is_ok());
    let mut can = Can::attach(&bench);
    let (ccl, dcl, count, _) = can_summary(&mut can).await;
    assert_eq!((ccl, dcl, count), (2.0 * PACK_CCL, 2.0 * PACK_DCL, 2.0));
    let flags = can.next(0x359).await;
    assert_eq!(
        flags.get("alarm_internal_comm_fail"),
        1.0,
        "a slave is missing"
    );
    let info = c.analog_whole_system_raw(2).await.unwrap();
    assert_eq!(info[1], 2, "the whole system of the modules that answer");
}

#[tokio::test(start_paused = true)]
async fn the_masters_button_puts_every_pack_to_sleep_and_a_charger_wakes_them() {
    let bench = packs(3, &[]).await;
    let mut io = Io::open(&bench);
    io.press_reset(4.0).await;
    let s = after(&bench, 1.0).await;
    let asleep: Vec<bool> = s.packs.iter().map(|p| p.bms.asleep).collect();
    assert_eq!(asleep, [true; 3]);
    assert!(!s.packs[0].ms_led);
    let mut can = Can::attach(&bench);
    assert!(can.collect(secs(3.0)).await.is_empty(), "silent on CAN");
    let mut source = Scpi::open(&bench);
    source.charge_at(30.0).await;
    let s = after(&bench, 5.0).await;
    let asleep: Vec<bool> = s.packs.iter().map(|p| p.bms.asleep).collect();
    assert_eq!(asleep, [false; 3], "a charger above 48 V wakes every pack");
    assert!(s.packs[0].ms_led);
}

#[tokio::test(start_paused = true)]
async fn a_press_that_wakes_the_master_wakes_its_slaves() {
    let bench = packs(2, &[]).await;
    let mut io = Io::open(&bench);
    io.press_reset(4.0).await;
    assert!(after(&bench, 1.0).await.packs.iter().all(|p| p.bms.asleep));
    io.press_reset(4.0).await;
    assert!(after(&bench, 1.0).await.packs.iter().all(|p| !p.bms.asleep));
}

#[tokio::test(start_paused = true)]
async fn relay_6_does_nothing_with_one_pack() {
    let bench = packs(1, &[]).await;
    Io::open(&bench).relay(SLAVE_NTC_OPEN, true).await;
    let s = after(&bench, 10.0).await;
    assert_eq!(s.bms.failures, [false; 3]);
    assert!(s.relays.closed[5] && !s.relays.linkage[5]);
}

/// One 0x35x frame set (0x351 to 0x35E) after `story`, from each bench at the same
/// instant.
async fn frame_set(bench: &SimBench) -> Vec<CanFrame> {
    let mut can = Can::attach(bench);
    loop {
        let frame = can.next_frame().await.expect("a frame");
        if frame.id().raw() == 0x351 {
            let mut set = vec![frame];
            while set.len() < 6 {
                set.push(can.next_frame().await.expect("a frame"));
            }
            return set;
        }
    }
}

/// The story the defect tests tell: three packs, the last slave's NTC lead open.
async fn slave_failure(defects: &[Defect]) -> (SimBench, Vec<CanFrame>) {
    let bench = packs(3, defects).await;
    Io::open(&bench).relay(SLAVE_NTC_OPEN, true).await;
    tokio::time::sleep(secs(5.0)).await;
    let frames = frame_set(&bench).await;
    (bench, frames)
}

/// Which frames differ, as `id:byte` strings.
fn differing_bytes(a: &[CanFrame], b: &[CanFrame]) -> Vec<String> {
    let mut out = Vec::new();
    for (fa, fb) in a.iter().zip(b) {
        assert_eq!(fa.id(), fb.id());
        for (i, (x, y)) in fa.data().iter().zip(fb.data()).enumerate() {
            if x != y {
                out.push(format!("{:03X}:{i}", fa.id().raw()));
            }
        }
    }
    out
}

#[tokio::test(start_paused = true)]
async fn each_parallel_defect_changes_only_its_can_field() {
    let (_healthy_bench, healthy) = slave_failure(&[]).await;
    let cases: [(Defect, &[&str]); 3] = [
        // CCL bytes 2-3, DCL bytes 4-5.
        (
            Defect::ParallelLimitsNotScaled,
            &["351:2", "351:3", "351:4", "351:5"],
        ),
        // 0x359 byte 1 bit 3: the slave's sensor failure.
        (Defect::SlaveAlarmsNotAggregated, &["359:1"]),
        // 0x359 byte 4: the module count.
        (Defect::ModuleCountStuckAtOne, &["359:4"]),
    ];
    for (defect, fields) in cases {
        let (_bench, frames) = slave_failure(&[defect]).await;
        assert_eq!(differing_bytes(&healthy, &frames), fields, "{defect}");
    }
    let (_silent, frames) = slave_failure(&[Defect::SlaveSilentOnRs485]).await;
    assert!(differing_bytes(&healthy, &frames).is_empty());
}

#[tokio::test(start_paused = true)]
async fn parallel_defects_show_their_values_to_a_plan() {
    let bench = packs(3, &[Defect::ParallelLimitsNotScaled]).await;
    let (ccl, dcl, _, _) = can_summary(&mut Can::attach(&bench)).await;
    assert_eq!((ccl, dcl), (PACK_CCL, PACK_DCL));
    let bench = packs(3, &[Defect::ModuleCountStuckAtOne]).await;
    let (_, _, count, _) = can_summary(&mut Can::attach(&bench)).await;
    assert_eq!(count, 1.0);
    let (bench, _) = slave_failure(&[Defect::SlaveAlarmsNotAggregated]).await;
    let (ccl, _, _, error) = can_summary(&mut Can::attach(&bench)).await;
    assert_eq!((ccl, error), (2.0 * PACK_CCL, 0.0), "limits drop, no flag");
}

#[tokio::test(start_paused = true)]
async fn slave_silent_on_rs485_leaves_only_the_master_answering() {
    for (defects, slaves_answer) in [(vec![], true), (vec![Defect::SlaveSilentOnRs485], false)] {
        let bench = packs(3, &defects).await;
        let mut c = rs485(&bench);
        assert!(c.analog(2).await.is_ok(), "{defects:?}");
        assert_eq!(c.analog(3).await.is_ok(), slaves_answer, "{defects:?}");
        assert_eq!(c.alarms(4).await.is_ok(), slaves_answer, "{defects:?}");
        let info = c.analog_whole_system_raw(2).await.unwrap();
        assert_eq!(info[1], 3, "the master still knows its slaves");
    }
}

#[tokio::test(start_paused = true)]
async fn with_one_pack_the_parallel_defects_change_nothing() {
    let story = |defects: Vec<Defect>| async move {
        let bench = packs(1, &defects).await;
        let mut source = Scpi::open(&bench);
        source.charge_at(50.0).await;
        tokio::time::sleep(secs(30.0)).await;
        let frames = frame_set(&bench).await;
        let mut c = rs485(&bench);
        let analog = c.analog(2).await.unwrap();
        (frames, analog, bench.snapshot())
    };
    let healthy = story(vec![]).await;
    for defect in DEFECTS_COVERED {
        assert_eq!(story(vec![*defect]).await, healthy, "{defect}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_same_config_gives_the_same_frames_and_snapshots() {
    let run = || async {
        let bench = packs(3, &[]).await;
        let mut can = Can::attach(&bench);
        let mut source = Scpi::open(&bench);
        source.charge_at(90.0).await;
        let frames = can.collect(Duration::from_secs(20)).await;
        Io::open(&bench).relay(SLAVE_NTC_OPEN, true).await;
        let more = can.collect(Duration::from_secs(10)).await;
        (frames, more, bench.snapshot())
    };
    let (a, b) = (run().await, run().await);
    assert!(!a.0.is_empty());
    assert_eq!(a, b);
}

#[test]
fn packs_outside_1_to_32_are_invalid_not_a_panic() {
    for n in [0u8, 33, 255] {
        let err = config(n, &[]).validate().unwrap_err();
        assert_eq!(err.problems[0].field, "installation.packs");
    }
    for n in [1u8, 2, 32] {
        assert_eq!(config(n, &[]).validate(), Ok(()));
    }
    crate::support::run_paused(async {
        for n in [0u8, 33] {
            let bench = SimBench::start(config(n, &[]));
            let s = after(&bench, 1.0).await;
            assert!(!s.packs.is_empty() && s.packs.len() <= 32);
        }
        let bench = SimBench::start(config(32, &[]));
        assert_eq!(after(&bench, 1.0).await.packs.len(), 32);
    });
}
