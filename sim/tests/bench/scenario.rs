//! Longer stories in virtual time: they finish in moments and give the same bytes every
//! time.

use rig_drivers::can::CanFrame;
use rig_sim::SimSnapshot;

use crate::support::{Can, Io, Scpi, after, ready, secs};

/// Fifteen virtual minutes: charge, over-current trips and recovery, a reset, a sleep,
/// a discharge. Returns every CAN frame seen and the final state.
async fn fifteen_minutes() -> (Vec<CanFrame>, SimSnapshot) {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    let mut io = Io::open(&bench);
    let mut can = Can::attach(&bench);
    io.decouple().await;
    let mut frames = Vec::new();

    source.charge_at(50.0).await;
    frames.extend(can.collect(secs(180.0)).await);
    source.set("SOUR:CURR:LIM:POS 80").await;
    frames.extend(can.collect(secs(200.0)).await);
    source.set("OUTP OFF").await;
    io.press_reset(8.0).await;
    io.press_reset(4.0).await;
    frames.extend(can.collect(secs(60.0)).await);
    io.press_reset(4.0).await;
    // Awake again; the load goes on once the pack's pre-charge has passed (Lesso 3.2):
    // a sink holding the terminals at 48 V during it would fail the pre-charge.
    frames.extend(can.collect(secs(5.0)).await);
    source.set("SOUR:VOLT 48").await;
    source.set("SOUR:CURR:LIM:NEG -60").await;
    source.set("OUTP ON").await;
    frames.extend(
        can.collect(secs(900.0 - 180.0 - 200.0 - 8.0 - 4.0 - 60.0 - 4.0 - 5.0))
            .await,
    );
    (frames, after(&bench, 0.0).await)
}

#[tokio::test(start_paused = true)]
async fn a_fifteen_minute_scenario_completes() {
    let (frames, end) = fifteen_minutes().await;
    assert_eq!(end.elapsed, secs(900.0));
    assert_eq!(end.can.encode_errors, 0);
    // Six frames a second while awake (0x351 to 0x35C and the 0x35E name); silent for
    // the minute asleep.
    let sets = frames.len() / 6;
    assert!((830..=845).contains(&sets), "{sets} frame sets");
    assert!(!end.bms.asleep && !end.bms.cocp_active);
    assert_eq!(end.bms.pack_current_a, -60.0);
    // 50 A for 3 min, 80 A between trips, then 60 A out for ~7 min: below the start.
    assert!(end.bms.soc < 0.5, "soc {}", end.bms.soc);
}

#[tokio::test(start_paused = true)]
async fn the_same_story_gives_the_same_bytes() {
    let (first, first_end) = fifteen_minutes().await;
    let (second, second_end) = fifteen_minutes().await;
    assert_eq!(first, second);
    assert_eq!(first_end, second_end);
}

#[tokio::test(start_paused = true)]
async fn four_hours_of_charging_fill_the_pack() {
    let bench = ready(&[]).await;
    let mut source = Scpi::open(&bench);
    source.set("SOUR:VOLT 56").await;
    source.set("SOUR:CURR:LIM:POS 50").await;
    source.set("OUTP ON").await;
    let s = after(&bench, 4.0 * 3600.0).await;
    // CV at 56 V: 3.5 V per cell is reached near 99 % and the current tapers off.
    assert!(s.bms.soc > 0.98, "soc {}", s.bms.soc);
    assert!(
        s.bms.pack_current_a < 1.0,
        "current {}",
        s.bms.pack_current_a
    );
    assert_eq!(s.bms.cocp_trips, 0);
}

/// One round on the bus, as an inverter sees it: the Pylon set in the order of the
/// US5000 capture (docs/protocols.md 1.8), the 0x35E name last, each once a second.
#[tokio::test(start_paused = true)]
async fn each_round_ends_with_the_pylon_name_once_a_second() {
    let bench = ready(&[]).await;
    let mut can = Can::attach(&bench);
    let start = tokio::time::Instant::now();
    let mut frames = Vec::new();
    while frames.len() < 18 {
        let frame = can.next_frame().await.expect("a frame");
        frames.push((start.elapsed().as_secs_f64(), frame));
    }
    let ids: Vec<u32> = frames.iter().map(|(_, f)| f.id().raw()).collect();
    // A round goes out at one instant, so the first frame seen opens one.
    let round = [0x351, 0x355, 0x356, 0x359, 0x35C, 0x35E];
    assert_eq!(ids, round.repeat(3), "{frames:?}");
    let names: Vec<(f64, String)> = (frames.iter())
        .filter(|(_, f)| f.id().raw() == 0x35E)
        .map(|(t, f)| (*t, f.to_string()))
        .collect();
    for (k, (t, text)) in names.iter().enumerate() {
        assert_eq!(text, "35E#50594C4F4E202020", "\"PYLON   \", DLC 8");
        assert!((t - names[0].0 - k as f64).abs() < 1e-6, "{names:?}");
    }
}
