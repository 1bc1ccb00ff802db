//! The string of cells: a spread pack's extreme cells drive the cell protections, the
//! balancer narrows the spread during a long charge, and the imbalance warning.

use rig_sim::{CellParams, PackParams, SimBench, SimSnapshot};

use crate::support::{Scpi, after, ready_with};

const HOUR: f64 = 3600.0;

fn spread_pack(capacity_spread: f64, soc_spread: f64) -> PackParams {
    PackParams {
        cells: CellParams {
            capacity_spread,
            soc_spread,
            seed: 7,
        },
        ..PackParams::lesso_lsrr51v100ah()
    }
}

fn identical_pack() -> PackParams {
    PackParams {
        cells: CellParams::IDENTICAL,
        ..PackParams::lesso_lsrr51v100ah()
    }
}

fn cell_range(values: &[f64]) -> f64 {
    let high = values.iter().copied().fold(f64::MIN, f64::max);
    let low = values.iter().copied().fold(f64::MAX, f64::min);
    high - low
}

/// The charging current of [`charge_to_covp`], A.
const CHARGE_A: f64 = 20.0;

/// Charge at a constant 20 A (the source set far above the pack) until COVP: the
/// snapshot just before COVP (still charging), the hours it took, and whether the
/// imbalance warning showed on the way.
async fn charge_to_covp(bench: &SimBench) -> (SimSnapshot, f64, bool) {
    let mut source = Scpi::open(bench);
    source.hold(58.0, CHARGE_A, 1.0).await;
    let mut last = bench.snapshot();
    let mut warned = false;
    for step in 1..=4 * 3600 {
        let s = after(bench, 2.0).await;
        if s.bms.over_voltage_active {
            return (last, f64::from(step) * 2.0 / HOUR, warned);
        }
        warned |= s.bms.cell_imbalance_warning;
        last = s;
    }
    panic!("no COVP after 8 h at 20 A");
}

/// Lesso 3.4: "stop charging if any cell or PACK voltage reach the protection value".
#[tokio::test(start_paused = true)]
async fn a_spread_packs_top_cell_reaches_covp_before_the_pack_average_would() {
    let params = PackParams::lesso_lsrr51v100ah();
    let cell_trip = params.over_voltage.cell_trip_v;
    let pack_trip = params.over_voltage.pack_trip_v;

    let spread = ready_with(spread_pack(0.01, 0.02)).await;
    let (s, spread_hours, _) = charge_to_covp(&spread).await;
    // Two seconds before the trip delay ended: charging at 20 A, the top cell past the
    // protection value, the average and the pack well below theirs.
    assert!((s.bms.pack_current_a - CHARGE_A).abs() < 1e-9);
    let top = s
        .bms
        .cell_voltages_v
        .iter()
        .copied()
        .fold(f64::MIN, f64::max);
    let average = s.bms.cell_voltages_v.iter().sum::<f64>() / 16.0;
    assert!(top >= cell_trip, "top cell {top} V");
    assert!(average < cell_trip - 0.03, "average {average} V");
    assert!(s.bms.pack_voltage_v < pack_trip, "POVP is not what tripped");

    let identical = ready_with(identical_pack()).await;
    let (_, identical_hours, _) = charge_to_covp(&identical).await;
    assert!(
        spread_hours < identical_hours - 0.05,
        "spread pack {spread_hours} h, identical pack {identical_hours} h"
    );
}

/// Float at 55.2 V (3.45 V per cell, where the balancer works) for half a day.
async fn float_half_a_day(bench: &SimBench) -> (f64, f64) {
    let mut source = Scpi::open(bench);
    source.hold(55.2, 50.0, 1.0).await;
    let start = after(bench, 2.0 * HOUR).await;
    assert!(!start.bms.over_voltage_active);
    let end = after(bench, 12.0 * HOUR).await;
    assert!(!end.bms.over_voltage_active);
    (
        cell_range(&start.bms.cell_socs),
        cell_range(&end.bms.cell_socs),
    )
}

/// LOSUN 2.1: "the BMS facilitates cell balancing during charging".
#[tokio::test(start_paused = true)]
async fn balancing_narrows_the_spread_during_a_long_charge() {
    let balanced = ready_with(spread_pack(0.0, 0.02)).await;
    let (before, after_float) = float_half_a_day(&balanced).await;
    assert!(before > 0.03, "the spread to start from: {before}");
    // 0.1 A for 12 h is 1.2 % of 100 Ah on the fullest cells.
    assert!(
        after_float < before - 0.008,
        "balanced from {before} to {after_float}"
    );

    let unbalanced = ready_with(PackParams {
        balancing: None,
        ..spread_pack(0.0, 0.02)
    })
    .await;
    let (before, after_float) = float_half_a_day(&unbalanced).await;
    assert!(
        (after_float - before).abs() < 0.002,
        "without balancing {before} stays {after_float}"
    );
}

#[tokio::test(start_paused = true)]
async fn only_cells_well_above_the_lowest_bleed_and_only_while_charging() {
    let bench = ready_with(spread_pack(0.0, 0.02)).await;
    let idle = after(&bench, 10.0).await;
    assert!(idle.bms.balancing.iter().all(|b| !b), "idle: no balancing");
    let mut source = Scpi::open(&bench);
    source.set("SOUR:VOLT:PROT 62").await;
    source.set("SOUR:VOLT 55.2").await;
    source.set("SOUR:CURR:LIM:POS 50").await;
    source.set("OUTP ON").await;
    let s = after(&bench, 2.0 * HOUR).await;
    let low = s
        .bms
        .cell_voltages_v
        .iter()
        .copied()
        .fold(f64::MAX, f64::min);
    for (v, bleeding) in s.bms.cell_voltages_v.iter().zip(&s.bms.balancing) {
        assert_eq!(*bleeding, *v - low >= 0.02, "cell at {v} V, lowest {low} V");
    }
    assert!(s.bms.balancing.iter().any(|b| *b));
}

/// Lesso 3.3.3.4 note "'Warning' including items of cell imbalanced"; FAQ Q2 "'cell
/// unbalance' warning ... new batteries that are not balanced yet".
#[tokio::test(start_paused = true)]
async fn an_unbalanced_pack_warns_at_the_top_of_charge_a_matched_one_does_not() {
    let (_, _, unbalanced) = charge_to_covp(&ready_with(spread_pack(0.01, 0.02)).await).await;
    assert!(unbalanced);
    let (_, _, matched) = charge_to_covp(&ready_with(identical_pack()).await).await;
    assert!(!matched);
}
