//! The latching failures of Lesso manual 3.4 (SCP, reversed polarity, sensor failure)
//! through the bench's fault-injection relays, the LEDs through the board's photo-sensor
//! inputs, the forced recharge of LOSUN 2.3-3, the RS485 0x95 "Turn off module" and
//! the RS232 wake-up. Each story is told once healthy and once with the defect that
//! breaks it; the relay board is driven by the rig's own driver where it matters that
//! the rig, not a test helper, decouples the channels.

use std::sync::Arc;
use std::time::Duration;

use rig_drivers::modbus::RelayBoard;
use rig_drivers::rs485::pylontech::{Frame, decode_frame, encode_frame};
use rig_sim::{Defect, ForcedRechargeParams, LedTable, PackParams, SimBench, SimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;
use tokio_modbus::prelude::{Reader, Writer};

use crate::support::{ANSWER_TIMEOUT, Can, Io, Scpi, after, bench, ready, try_ask};

/// The defects this file shows breaking their behaviour.
pub const DEFECTS_COVERED: &[Defect] = &[
    Defect::ScpAutoRelease,
    Defect::ReversePolarityIgnored,
    Defect::SensorFailureNotLatched,
    Defect::AlmLedDarkOnProtection,
    Defect::ForcedRechargeNever,
    Defect::Rs485TurnOffIgnored,
    Defect::Rs232WakeIgnored,
    Defect::CanHangsOnProtection,
    Defect::Flash3Period1s,
    Defect::UvpLedsAsProtection,
];

/// Relay and input channels (0-based) of the built-in bench.
const SHORT_CIRCUIT: u16 = 2;
const REVERSE_POLARITY: u16 = 3;
const NTC_OPEN: u16 = 4;
const RUN_LED: usize = 2;
const ALM_LED: usize = 3;

const SCP: usize = 0;
const REVERSED: usize = 1;
const SENSOR: usize = 2;

fn start(pack: PackParams, defects: &[Defect]) -> SimBench {
    SimBench::start(SimConfig {
        pack,
        defects: defects.to_vec(),
        faults: Vec::new(),
        installation: Default::default(),
        source: Default::default(),
    })
}

/// The inputs read at `t` seconds after the bench started.
async fn inputs_at(bench: &SimBench, io: &mut Io, t: f64) -> Vec<bool> {
    let now = bench.snapshot().elapsed.as_secs_f64();
    after(bench, t - now).await;
    inputs(io).await
}

async fn inputs(io: &mut Io) -> Vec<bool> {
    io.call("read inputs", async |c| c.read_discrete_inputs(0, 8).await)
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn the_rigs_driver_decouples_every_channel_before_any_time_passes() {
    let bench = bench(&[]);
    let (_board, _) = RelayBoard::open(
        bench.open("io").unwrap(),
        1,
        Arc::from("io"),
        ANSWER_TIMEOUT,
        None,
    )
    .await
    .unwrap();
    let s = bench.snapshot();
    assert_eq!(s.elapsed, Duration::ZERO);
    assert_eq!(s.relays.linkage, [false; 8]);
    assert_eq!(s.relays.closed, [false; 8]);
    let s = after(&bench, 600.0).await;
    assert_eq!(s.relays.closed, [false; 8]);
    assert_eq!(s.bms.failures, [false; 3], "no contactor acted");
    assert!(s.bms.charge_mosfet_on && s.bms.discharge_mosfet_on);
}

#[tokio::test(start_paused = true)]
async fn a_contactor_channel_put_back_into_linkage_lets_the_run_led_short_the_pack() {
    // The built-in board is commissioned: the LEDs light inputs 3-8 but switch nothing.
    let bench = bench(&[]);
    let s = after(&bench, 10.0).await;
    assert_eq!(
        s.relays.linkage,
        [true, true, false, false, false, false, false, false]
    );
    assert!(s.relays.closed[2..].iter().all(|c| !c));
    assert_eq!(s.bms.failures, [false; 3]);
    // Channel 3 back in the factory linkage mode (FC06 0x1002 = 1): the RUN LED's next
    // FLASH1 closes the short-circuit contactor and SCP latches.
    let mut io = Io::open(&bench);
    io.call("link channel 3", async |c| {
        c.write_single_register(0x1002, 1).await
    })
    .await
    .unwrap();
    let s = after(&bench, 4.0).await;
    assert!(s.relays.linkage[2]);
    assert_eq!(s.bms.failures, [true, false, false]);
    assert!(!s.bms.discharge_mosfet_on);
}

/// What a short across the terminals does.
#[derive(Debug, PartialEq)]
struct ScpStory {
    tripped_within_the_delay: bool,
    both_mosfets_off: bool,
    discharge_overcurrent_on_can: bool,
    held_a_minute_after_the_short: bool,
    released_by_charging: bool,
    released_by_reset: bool,
}

async fn scp_story(defects: &[Defect]) -> ScpStory {
    let bench = ready(defects).await;
    let mut io = Io::open(&bench);
    let mut source = Scpi::open(&bench);
    io.relay(SHORT_CIRCUIT, true).await;
    // Not at the instant the contactor closes (0.3 ms delay), but within a millisecond
    // (tokio's timer resolution).
    let before = bench.snapshot().bms.failures[SCP];
    let s = after(&bench, 0.001).await;
    let tripped_within_the_delay = !before && s.bms.failures[SCP];
    let both_mosfets_off = !s.bms.charge_mosfet_on && !s.bms.discharge_mosfet_on;
    let mut can = Can::attach(&bench);
    let discharge_overcurrent_on_can = can
        .next(0x359)
        .await
        .get("protection_discharge_overcurrent")
        == 1.0;
    io.relay(SHORT_CIRCUIT, false).await;
    let held_a_minute_after_the_short = after(&bench, 60.0).await.bms.failures[SCP];
    source.charge_at(10.0).await;
    let s = after(&bench, 1.0).await;
    let released_by_charging =
        !s.bms.failures[SCP] && (s.source.measured_current_a - 10.0).abs() < 0.01;
    source.set("OUTP OFF").await;
    io.relay(SHORT_CIRCUIT, true).await;
    after(&bench, 0.01).await;
    io.relay(SHORT_CIRCUIT, false).await;
    let second = after(&bench, 0.01).await.bms.failures[SCP];
    io.press_reset(8.0).await;
    let released_by_reset = second && !after(&bench, 0.1).await.bms.failures[SCP];
    ScpStory {
        tripped_within_the_delay,
        both_mosfets_off,
        discharge_overcurrent_on_can,
        held_a_minute_after_the_short,
        released_by_charging,
        released_by_reset,
    }
}

const SCP_PER_MANUAL: ScpStory = ScpStory {
    tripped_within_the_delay: true,
    both_mosfets_off: true,
    discharge_overcurrent_on_can: true,
    held_a_minute_after_the_short: true,
    released_by_charging: true,
    released_by_reset: true,
};

#[tokio::test(start_paused = true)]
async fn scp_trips_in_its_delay_holds_and_is_released_by_charge_or_reset() {
    assert_eq!(scp_story(&[]).await, SCP_PER_MANUAL);
}

#[tokio::test(start_paused = true)]
async fn scp_auto_release_lets_go_without_charge_or_reset() {
    assert_eq!(
        scp_story(&[Defect::ScpAutoRelease]).await,
        ScpStory {
            held_a_minute_after_the_short: false,
            ..SCP_PER_MANUAL
        }
    );
}

/// What swapped source leads do.
#[derive(Debug, PartialEq)]
struct ReverseStory {
    no_current_while_reversed: bool,
    fault_on_can: bool,
    held_a_minute_after_put_right: bool,
    released_by_charging: bool,
}

async fn reverse_story(defects: &[Defect]) -> ReverseStory {
    let bench = ready(defects).await;
    let mut io = Io::open(&bench);
    let mut source = Scpi::open(&bench);
    io.relay(REVERSE_POLARITY, true).await;
    source.charge_at(10.0).await;
    let s = after(&bench, 1.0).await;
    let no_current_while_reversed = s.source.measured_current_a.abs() < 0.01
        && s.bms.pack_current_a.abs() < 0.01
        && s.bms.failures[REVERSED];
    let mut can = Can::attach(&bench);
    let fault_on_can = can.next(0x359).await.get("protection_system_error") == 1.0;
    source.set("OUTP OFF").await;
    io.relay(REVERSE_POLARITY, false).await;
    let held_a_minute_after_put_right = after(&bench, 60.0).await.bms.failures[REVERSED];
    source.set("OUTP ON").await;
    let s = after(&bench, 1.0).await;
    let released_by_charging =
        !s.bms.failures[REVERSED] && (s.source.measured_current_a - 10.0).abs() < 0.01;
    ReverseStory {
        no_current_while_reversed,
        fault_on_can,
        held_a_minute_after_put_right,
        released_by_charging,
    }
}

#[tokio::test(start_paused = true)]
async fn reversed_polarity_blocks_current_holds_and_is_released_by_charging() {
    assert_eq!(
        reverse_story(&[]).await,
        ReverseStory {
            no_current_while_reversed: true,
            fault_on_can: true,
            held_a_minute_after_put_right: true,
            released_by_charging: true,
        }
    );
}

#[tokio::test(start_paused = true)]
async fn reverse_polarity_ignored_lets_the_reversed_source_discharge_the_pack() {
    let story = reverse_story(&[Defect::ReversePolarityIgnored]).await;
    assert!(!story.no_current_while_reversed && !story.fault_on_can);
}

/// What an open NTC lead does to a charging pack.
#[derive(Debug, PartialEq)]
struct SensorStory {
    failed_after_the_delay: bool,
    charging_stopped: bool,
    fault_on_can: bool,
    alm_on_run_off: bool,
    held_two_minutes_after_restore: bool,
    released_by_reset: bool,
}

async fn sensor_story(defects: &[Defect]) -> SensorStory {
    let bench = ready(defects).await;
    let mut io = Io::open(&bench);
    let mut source = Scpi::open(&bench);
    source.charge_at(10.0).await;
    io.relay(NTC_OPEN, true).await;
    let early = after(&bench, 1.9).await.bms.failures[SENSOR];
    let s = after(&bench, 0.2).await;
    let failed_after_the_delay = !early && s.bms.failures[SENSOR];
    let charging_stopped = s.source.measured_current_a.abs() < 0.01
        && !s.bms.charge_mosfet_on
        && !s.bms.discharge_mosfet_on;
    let mut can = Can::attach(&bench);
    let fault_on_can = can.next(0x359).await.get("protection_system_error") == 1.0;
    // Steady, not flashing: every read over 4 s (longer than any FLASH period).
    let mut alm_on_run_off = true;
    for _ in 0..16 {
        let lit = inputs(&mut io).await;
        alm_on_run_off &= lit[ALM_LED] && !lit[RUN_LED];
        after(&bench, 0.25).await;
    }
    io.relay(NTC_OPEN, false).await;
    let held_two_minutes_after_restore = after(&bench, 120.0).await.bms.failures[SENSOR];
    io.press_reset(8.0).await;
    let s = after(&bench, 0.5).await;
    let released_by_reset =
        !s.bms.failures[SENSOR] && (s.source.measured_current_a - 10.0).abs() < 0.01;
    SensorStory {
        failed_after_the_delay,
        charging_stopped,
        fault_on_can,
        alm_on_run_off,
        held_two_minutes_after_restore,
        released_by_reset,
    }
}

const SENSOR_PER_MANUAL: SensorStory = SensorStory {
    failed_after_the_delay: true,
    charging_stopped: true,
    fault_on_can: true,
    alm_on_run_off: true,
    held_two_minutes_after_restore: true,
    released_by_reset: true,
};

#[tokio::test(start_paused = true)]
async fn an_open_ntc_latches_the_failure_mode_until_a_reset() {
    assert_eq!(sensor_story(&[]).await, SENSOR_PER_MANUAL);
}

#[tokio::test(start_paused = true)]
async fn sensor_failure_not_latched_ends_with_the_sensor() {
    assert_eq!(
        sensor_story(&[Defect::SensorFailureNotLatched]).await,
        SensorStory {
            held_two_minutes_after_restore: false,
            // Nothing left to release: the story's last step sees charging again.
            ..SENSOR_PER_MANUAL
        }
    );
}

#[tokio::test(start_paused = true)]
async fn alm_led_dark_on_protection_hides_the_failure() {
    assert_eq!(
        sensor_story(&[Defect::AlmLedDarkOnProtection]).await,
        SensorStory {
            alm_on_run_off: false,
            ..SENSOR_PER_MANUAL
        }
    );
}

#[tokio::test(start_paused = true)]
async fn lesso_leds_flash_in_virtual_time_through_the_photo_sensors() {
    let bench = ready(&[]).await;
    let mut io = Io::open(&bench);
    // Standby at 50 %: RUN FLASH1 (0.25 s on from power-on, every 4 s), SOC LEDs 1-2.
    assert_eq!(
        inputs_at(&bench, &mut io, 0.1).await[2..],
        [true, false, true, true, false, false]
    );
    assert!(!inputs_at(&bench, &mut io, 0.3).await[RUN_LED]);
    assert!(!inputs_at(&bench, &mut io, 3.9).await[RUN_LED]);
    assert!(inputs_at(&bench, &mut io, 4.2).await[RUN_LED]);
    // Charging: RUN on, the highest SOC LED (2 at 50 %) FLASH2, 0.5 s on, 0.5 s off.
    let mut source = Scpi::open(&bench);
    source.charge_at(10.0).await;
    let lit = inputs_at(&bench, &mut io, 10.2).await;
    assert_eq!(lit[2..], [true, false, true, true, false, false]);
    let lit = inputs_at(&bench, &mut io, 10.7).await;
    assert_eq!(lit[2..], [true, false, true, false, false, false]);
}

/// Lesso 3.3.3.4: RUN FLASH3 while discharging, 0.5 s lit in every 2 s; with
/// `flash3_period_1s`, 0.5 s lit in every 1 s. Read every 0.25 s for 4 s.
#[tokio::test(start_paused = true)]
async fn flash3_period_1s_flashes_the_discharge_twice_as_often() {
    for (defects, lit_of_16) in [(&[][..], 4), (&[Defect::Flash3Period1s][..], 8)] {
        let bench = ready(defects).await;
        let mut io = Io::open(&bench);
        let mut source = Scpi::open(&bench);
        for command in ["SOUR:VOLT:PROT 62", "SOUR:CURR:PROT 130", "SOUR:VOLT 45.9"] {
            source.set(command).await;
        }
        source.set("SOUR:CURR:LIM:POS 1").await;
        source.set("SOUR:CURR:LIM:NEG -20").await;
        source.set("OUTP ON").await;
        let mut lit = 0;
        for k in 0..16 {
            let t = 10.1 + 0.25 * f64::from(k);
            lit += usize::from(inputs_at(&bench, &mut io, t).await[RUN_LED]);
        }
        assert_eq!(lit, lit_of_16, "{defects:?}");
    }
}

/// Lesso 3.3.3.4 row CUVP/PUVP: RUN OFF, ALM FLASH3 (0.5 s lit in every 2 s); with
/// `uvp_leds_as_protection` the DOCP row: ALM steadily on. Read every 0.25 s for 4 s,
/// inside the 30 s before the under-voltage sleep.
#[tokio::test(start_paused = true)]
async fn uvp_leds_as_protection_lights_alm_steadily_in_cuvp() {
    for (defects, alm_of_16) in [(&[][..], 4), (&[Defect::UvpLedsAsProtection][..], 16)] {
        let bench = ready(defects).await;
        let mut io = Io::open(&bench);
        let mut source = Scpi::open(&bench);
        for command in [
            "SOUR:VOLT:PROT 62",
            "SOUR:CURR:PROT 130",
            "SOUR:VOLT 45.9",
            "SOUR:CURR:LIM:POS 1",
            "SOUR:CURR:LIM:NEG -80",
            "OUTP ON",
        ] {
            source.set(command).await;
        }
        let mut tripped = false;
        for _ in 0..720 {
            if after(&bench, 10.0).await.bms.under_voltage_active {
                tripped = true;
                break;
            }
        }
        assert!(tripped, "no CUVP after two hours: {defects:?}");
        let t0 = bench.snapshot().elapsed.as_secs_f64();
        let (mut run, mut alm) = (0, 0);
        for k in 0..16 {
            let lit = inputs_at(&bench, &mut io, t0 + 0.1 + 0.25 * f64::from(k)).await;
            run += usize::from(lit[RUN_LED]);
            alm += usize::from(lit[ALM_LED]);
        }
        assert_eq!((run, alm), (0, alm_of_16), "{defects:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn losun_leds_follow_the_losun_table() {
    let pack = PackParams {
        led_table: LedTable::Losun,
        ..PackParams::lesso_lsrr51v100ah()
    };
    let bench = start(pack, &[]);
    Io::open(&bench).decouple().await;
    let mut io = Io::open(&bench);
    // LOSUN 2.5 standby: L8 (RUN) and L7 (ALM) off, level 34~50 %: L1-L3 lit.
    after(&bench, 0.1).await;
    assert_eq!(
        inputs(&mut io).await[2..],
        [false, false, true, true, true, false]
    );
    // Fault: RUN off, ALM lit, level dark.
    io.relay(NTC_OPEN, true).await;
    after(&bench, 3.0).await;
    assert_eq!(
        inputs(&mut io).await[2..],
        [false, true, false, false, false, false]
    );
}

/// After a short across the terminals (SCP): (CAN frames in the next 10 s, RS485 still
/// answers 0x42).
async fn can_after_protection_story(defects: &[Defect]) -> (usize, bool) {
    let bench = ready(defects).await;
    let mut io = Io::open(&bench);
    let mut can = Can::attach(&bench);
    io.relay(SHORT_CIRCUIT, true).await;
    let frames = can.collect(Duration::from_secs(10)).await.len();
    let analog = Frame {
        ver: 0x20,
        adr: 0x02,
        cid1: 0x46,
        cid2: 0x42,
        info: vec![0x02],
    };
    let answered = rs485_exchange(&bench, &analog)
        .await
        .is_some_and(|a| a.cid2 == 0x00);
    (frames, answered)
}

#[tokio::test(start_paused = true)]
async fn the_can_node_reports_a_protection_and_goes_on_sending() {
    let (frames, answered) = can_after_protection_story(&[]).await;
    assert!(
        frames >= 9 * 6,
        "{frames} frames in 10 s: the six of the 0x35x set every second"
    );
    assert!(answered);
}

#[tokio::test(start_paused = true)]
async fn can_hangs_on_protection_silences_can_while_rs485_answers() {
    let (frames, answered) = can_after_protection_story(&[Defect::CanHangsOnProtection]).await;
    assert_eq!(frames, 0, "the CAN node hung at the protection");
    assert!(answered, "the rest of the firmware goes on");
}

/// Writes one frame to the RS485 port and reads the answer.
async fn rs485_exchange(bench: &SimBench, frame: &Frame) -> Option<Frame> {
    let mut stream = bench.open("rs485").unwrap();
    let answer = try_ask(&mut stream, &encode_frame(frame), b"\r", ANSWER_TIMEOUT).await?;
    decode_frame(&answer[1..answer.len() - 1]).ok()
}

/// (answered normally, asleep afterwards).
async fn turn_off_story(defects: &[Defect]) -> (bool, bool) {
    let bench = ready(defects).await;
    let answer = rs485_exchange(
        &bench,
        &Frame {
            ver: 0x20,
            adr: 0x02,
            cid1: 0x46,
            cid2: 0x95,
            info: vec![0x02],
        },
    )
    .await;
    let answered = answer.is_some_and(|a| a.cid2 == 0x00 && a.info.is_empty());
    let s = after(&bench, 1.0).await;
    (answered, s.bms.asleep && !s.bms.discharge_mosfet_on)
}

#[tokio::test(start_paused = true)]
async fn rs485_turn_off_module_answers_then_sleeps() {
    assert_eq!(turn_off_story(&[]).await, (true, true));
    assert_eq!(
        turn_off_story(&[Defect::Rs485TurnOffIgnored]).await,
        (true, false)
    );
}

/// Asleep after a 4 s press, then bytes on RS232: awake afterwards?
async fn rs232_story(rs232_wake: bool, defects: &[Defect]) -> bool {
    let pack = PackParams {
        rs232_wake,
        ..PackParams::lesso_lsrr51v100ah()
    };
    let bench = start(pack, defects);
    Io::open(&bench).decouple().await;
    Io::open(&bench).press_reset(4.0).await;
    assert!(bench.snapshot().bms.asleep);
    let mut port = bench.open("rs232").unwrap();
    port.write_all(b"\r\n").await.unwrap();
    // Nothing ever comes back.
    let mut byte = [0u8; 1];
    assert!(
        timeout(Duration::from_secs(5), port.read(&mut byte))
            .await
            .is_err()
    );
    !bench.snapshot().bms.asleep
}

#[tokio::test(start_paused = true)]
async fn rs232_bytes_wake_a_pack_that_wakes_on_rs232() {
    assert!(rs232_story(true, &[]).await, "LOSUN 2.3-3 wake-up 3)");
    assert!(
        !rs232_story(false, &[]).await,
        "the Lesso pack has no RS232 wake"
    );
    assert!(!rs232_story(true, &[Defect::Rs232WakeIgnored]).await);
}

/// A nearly full pack floated at 5 A to charge complete, then left alone: (charging held
/// off when complete, asleep a minute before 2 days, forced recharge 2 days after
/// complete with the 0x35C request).
async fn forced_recharge_story(defects: &[Defect]) -> (bool, bool, bool) {
    let pack = PackParams {
        initial_soc: 0.99,
        forced_recharge: Some(ForcedRechargeParams {
            standby_s: 2.0 * 86_400.0,
            recovery_voltage_v: 53.6,
        }),
        ..PackParams::lesso_lsrr51v100ah()
    };
    let bench = start(pack, defects);
    Io::open(&bench).decouple().await;
    let mut source = Scpi::open(&bench);
    // Float at 56.4 V, 5 A: below COVP (3.55 V/cell), above the calibration voltage.
    for command in [
        "SOUR:VOLT:PROT 62",
        "SOUR:CURR:PROT 110",
        "SOUR:VOLT 56.4",
        "SOUR:CURR:LIM:POS 5",
        "SOUR:CURR:LIM:NEG -1",
        "OUTP ON",
    ] {
        source.set(command).await;
    }
    // Calibration after 30 min on float (the profile's hold): wait for it.
    let mut complete_at = None;
    for _ in 0..120 {
        let s = after(&bench, 60.0).await;
        if !s.bms.charge_mosfet_on {
            complete_at = Some(s.elapsed);
            break;
        }
    }
    let complete_at = complete_at.expect("never complete").as_secs_f64();
    let held = {
        let mut can = Can::attach(&bench);
        let request = can.next(0x35C).await;
        let limits = can.next(0x351).await;
        request.get("charge_enable") == 0.0 && limits.get("charge_current_limit") == 0.0
    };
    source.set("OUTP OFF").await;
    let until = |t: f64| t - bench.snapshot().elapsed.as_secs_f64();
    let s = after(&bench, until(complete_at + 2.0 * 86_400.0 - 120.0)).await;
    let asleep_before = s.bms.asleep;
    let s = after(&bench, until(complete_at + 2.0 * 86_400.0 + 60.0)).await;
    let forced = !s.bms.asleep && s.bms.charge_mosfet_on && {
        let mut can = Can::attach(&bench);
        let request = can.next(0x35C).await;
        request.get("request_full_charge") == 1.0 && request.get("charge_enable") == 1.0
    };
    (held, asleep_before, forced)
}

#[tokio::test(start_paused = true)]
async fn charge_complete_holds_charging_and_is_forced_again_after_two_days() {
    assert_eq!(forced_recharge_story(&[]).await, (true, true, true));
    assert_eq!(
        forced_recharge_story(&[Defect::ForcedRechargeNever]).await,
        (true, true, false)
    );
}
