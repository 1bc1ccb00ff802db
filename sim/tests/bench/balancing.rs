//! The `balancing_never` defect: the balancer never bleeds a cell, and nothing else
//! changes. A pack with the defect behaves exactly like one whose profile has no
//! balancing (LOSUN 2.1 "the BMS facilitates cell balancing during charging").

use rig_sim::{CellParams, Defect, PackParams, SimBench, SimConfig, SimSnapshot};

use crate::support::{Io, Scpi, after};

/// The defects whose story is told here (counted by defects.rs).
pub const DEFECTS_COVERED: &[Defect] = &[Defect::BalancingNever];

const HOUR: f64 = 3600.0;

/// The Lesso pack with a 2 % spread of initial SOC: enough to balance.
fn spread_pack() -> PackParams {
    PackParams {
        cells: CellParams {
            capacity_spread: 0.003,
            soc_spread: 0.02,
            seed: 7,
        },
        ..PackParams::lesso_lsrr51v100ah()
    }
}

async fn start(pack: PackParams, defects: &[Defect]) -> SimBench {
    let bench = SimBench::start(SimConfig {
        pack,
        defects: defects.to_vec(),
        faults: Vec::new(),
        installation: Default::default(),
        source: Default::default(),
    });
    Io::open(&bench).decouple().await;
    bench
}

/// Charge and float at 55.2 V (3.45 V/cell, where the balancer works) for 12 h, then
/// discharge at 20 A for an hour and rest: snapshots along the way.
async fn float_then_discharge(bench: &SimBench) -> Vec<SimSnapshot> {
    let mut source = Scpi::open(bench);
    source.hold(55.2, 50.0, 1.0).await;
    let mut out = Vec::new();
    for _ in 0..6 {
        out.push(after(bench, 2.0 * HOUR).await);
    }
    source.set("SOUR:VOLT 40").await;
    source.set("SOUR:CURR:LIM:NEG -20").await;
    out.push(after(bench, HOUR).await);
    source.set("OUTP OFF").await;
    out.push(after(bench, HOUR).await);
    out
}

fn spread(values: &[f64]) -> f64 {
    let high = values.iter().copied().fold(f64::MIN, f64::max);
    let low = values.iter().copied().fold(f64::MAX, f64::min);
    high - low
}

#[tokio::test(start_paused = true)]
async fn with_balancing_never_no_cell_bleeds_and_the_spread_stays() {
    let good = float_then_discharge(&start(spread_pack(), &[]).await).await;
    let never = float_then_discharge(&start(spread_pack(), &[Defect::BalancingNever]).await).await;
    // The good pack bleeds and narrows its spread of SOC over the float.
    assert!(good.iter().any(|s| s.bms.balancing.iter().any(|b| *b)));
    let (first, last) = (&good[0].bms.cell_socs, &good[5].bms.cell_socs);
    assert!(
        spread(last) < spread(first) - 0.005,
        "balanced from {} to {}",
        spread(first),
        spread(last)
    );
    // The defective one never bleeds, and its spread stays.
    assert!(never.iter().all(|s| s.bms.balancing.iter().all(|b| !b)));
    let (first, last) = (&never[0].bms.cell_socs, &never[5].bms.cell_socs);
    assert!(
        (spread(last) - spread(first)).abs() < 0.002,
        "without bleeding {} stays {}",
        spread(first),
        spread(last)
    );
}

/// Nothing else changes: the defect is exactly a profile without balancing.
#[tokio::test(start_paused = true)]
async fn balancing_never_is_exactly_a_pack_without_balancing() {
    let never = float_then_discharge(&start(spread_pack(), &[Defect::BalancingNever]).await).await;
    let unbalanced = PackParams {
        balancing: None,
        ..spread_pack()
    };
    let without = float_then_discharge(&start(unbalanced, &[]).await).await;
    assert_eq!(never, without);
}

/// On matched cells, where there is nothing to bleed, the defect changes nothing at
/// all: protections, CAN, SOC and the dry contacts run exactly as without it.
#[tokio::test(start_paused = true)]
async fn on_matched_cells_balancing_never_changes_nothing() {
    let matched = || PackParams {
        cells: CellParams::IDENTICAL,
        ..PackParams::lesso_lsrr51v100ah()
    };
    let good = float_then_discharge(&start(matched(), &[]).await).await;
    let never = float_then_discharge(&start(matched(), &[Defect::BalancingNever]).await).await;
    assert_eq!(good, never);
}
