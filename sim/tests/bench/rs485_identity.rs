//! What third-party tools probe on the RS485 bus of a 3-pack group (protocols.md §2.5,
//! §2.7, §2.8): each pack's serial number (0x93) and firmware version (0x96) at its own
//! address, and the master's whole-system 0x42/0x44 answers, read through the rig's
//! own client and parsed per module.

use std::sync::Arc;
use std::time::Duration;

use rig_drivers::rs485::pylontech::{AnalogData, PylonErrorKind, PylontechClient};
use rig_sim::{Installation, PackParams, SimBench, SimConfig};
use tokio::io::DuplexStream;

use crate::support::{Io, Scpi, after};

/// §2.5: master at 2, slaves at 3 and 4.
const ADDRESSES: [u8; 3] = [2, 3, 4];

/// Three Lesso packs in parallel, the relay board decoupled.
async fn three_packs() -> SimBench {
    let bench = SimBench::start(SimConfig {
        pack: PackParams::lesso_lsrr51v100ah(),
        defects: Vec::new(),
        faults: Vec::new(),
        installation: Installation {
            packs: 3,
            ..Default::default()
        },
        source: Default::default(),
    });
    Io::open(&bench).decouple().await;
    bench
}

fn client(bench: &SimBench) -> PylontechClient<DuplexStream> {
    let stream = bench.open("rs485").expect("rs485 endpoint");
    PylontechClient::new(stream, Arc::from("bms_rs485"), Duration::from_secs(1), None)
}

#[tokio::test(start_paused = true)]
async fn each_pack_names_its_own_serial_and_the_profile_s_firmware() {
    let bench = three_packs().await;
    let mut c = client(&bench);
    let mut serials = Vec::new();
    for adr in ADDRESSES {
        serials.push(c.serial_number(adr).await.unwrap());
        let v = c.firmware_version(adr).await.unwrap();
        assert_eq!(v.command_value, adr);
        // The profile's firmware "sim-1.0".
        assert_eq!(v.to_string(), "1.0 / 1.0.0");
    }
    // The profile's "SIM-LSRR51V100AH-0001" keeps its last 16 characters; slaves
    // carry their index in the last ones.
    assert_eq!(
        serials,
        ["SRR51V100AH-0001", "SRR51V100AH-00-1", "SRR51V100AH-00-2"]
    );
    let err = c.serial_number(5).await.unwrap_err();
    assert!(
        matches!(err.kind, PylonErrorKind::Timeout { .. }),
        "{err:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_pack_turned_off_no_longer_names_itself() {
    let bench = three_packs().await;
    let mut c = client(&bench);
    c.turn_off(4).await.unwrap();
    after(&bench, 1.0).await;
    let err = c.firmware_version(4).await.unwrap_err();
    assert!(
        matches!(err.kind, PylonErrorKind::Timeout { .. }),
        "{err:?}"
    );
    assert_eq!(c.serial_number(3).await.unwrap(), "SRR51V100AH-00-1");
    assert_eq!(c.analog_whole_system(2).await.unwrap().len(), 2);
}

/// Each module of the whole-system answer is that pack's own 0x42 answer but for the
/// command value (0xFF: a block names no module).
async fn assert_whole_system_matches_each_pack(c: &mut PylontechClient<DuplexStream>) {
    let modules = c.analog_whole_system(2).await.unwrap();
    assert_eq!(modules.len(), 3);
    for (module, adr) in modules.into_iter().zip(ADDRESSES) {
        assert_eq!(module.command_value, 0xFF);
        let own = c.analog(adr).await.unwrap();
        assert_eq!(
            AnalogData {
                command_value: adr,
                ..module
            },
            own,
            "pack at {adr}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_whole_system_analog_is_each_pack_s_own_answer() {
    let bench = three_packs().await;
    let mut c = client(&bench);
    assert_whole_system_matches_each_pack(&mut c).await;
    let alarms = c.alarms_whole_system(2).await.unwrap();
    assert_eq!(alarms.len(), 3);
    for (module, adr) in alarms.into_iter().zip(ADDRESSES) {
        let own = c.alarms(adr).await.unwrap();
        assert_eq!(module.cells, own.cells, "pack at {adr}");
        assert_eq!(module.status, own.status, "pack at {adr}");
    }
}

#[tokio::test(start_paused = true)]
async fn the_whole_system_analog_while_charging_shows_three_packs_sharing() {
    let bench = three_packs().await;
    Scpi::open(&bench).charge_at(60.0).await;
    after(&bench, 60.0).await;
    let mut c = client(&bench);
    let modules = c.analog_whole_system(2).await.unwrap();
    let total: f64 = modules.iter().map(|m| m.current).sum();
    assert!((total - 60.0).abs() < 1.5, "{total}");
    for (module, adr) in modules.iter().zip(ADDRESSES) {
        let own = c.analog(adr).await.unwrap();
        // A few frames later: the same pack, its current within the reporting step.
        assert_eq!(module.cell_voltages.len(), own.cell_voltages.len());
        assert!((module.current - own.current).abs() <= 0.2, "pack at {adr}");
    }
}
