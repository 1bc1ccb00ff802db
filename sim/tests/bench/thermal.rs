//! The chamber and the temperature protections end to end: the F4T driven over Modbus
//! TCP, the pack charged over SCPI, observed on CAN and the dry contacts (manual 3.4
//! CHTP/DHTP/CLTP/DLTP; 3.3.2 operation temperature "Charge: -5~50°C").

use rig_sim::{Defect, SimBench};
use tokio_modbus::Slave;
use tokio_modbus::client::{Context, Writer, tcp::attach_slave};

use crate::support::{Can, Io, Scpi, after, ready};

/// Defects told by the stories here.
pub const DEFECTS_COVERED: &[Defect] = &[
    Defect::ChtpNoHysteresis,
    Defect::CltpIgnored,
    Defect::TemperatureFlagMissing,
];

async fn chamber(bench: &SimBench, celsius: f32) -> Context {
    let mut ctx = attach_slave(bench.open("chamber").unwrap(), Slave(1));
    let bits = celsius.to_bits();
    ctx.write_multiple_registers(2782, &[bits as u16, (bits >> 16) as u16])
        .await
        .unwrap()
        .unwrap();
    ctx.write_single_register(16594, 63).await.unwrap().unwrap();
    ctx
}

async fn set_point(ctx: &mut Context, celsius: f32) {
    let bits = celsius.to_bits();
    ctx.write_multiple_registers(2782, &[bits as u16, (bits >> 16) as u16])
        .await
        .unwrap()
        .unwrap();
}

/// What a hot chamber does to a charging pack.
#[derive(Debug, PartialEq)]
struct HotStory {
    tripped_above_50: bool,
    flag_on_can: bool,
    ccl_zero: bool,
    dry_contact_1_open: bool,
    held_between_45_and_50: bool,
    released_below_45: bool,
}

async fn hot_story(defects: &[Defect]) -> HotStory {
    let bench = ready(defects).await;
    let mut source = Scpi::open(&bench);
    let mut io = Io::open(&bench);
    source.charge_at(5.0).await;
    let mut f4t = chamber(&bench, 60.0).await;
    let mut trip = None;
    for _ in 0..240 {
        let s = after(&bench, 60.0).await;
        if !s.bms.charge_mosfet_on {
            trip = Some(s);
            break;
        }
    }
    let trip = trip.expect("charging never stopped in a 60 °C chamber");
    let tripped_above_50 = trip.bms.temperature_c > 50.0 && trip.bms.temperature_c < 51.0;
    // Attached now, so the first frames are from after the trip.
    let mut can = Can::attach(&bench);
    let frame = can.next(0x359).await;
    let limits = can.next(0x351).await;
    let (charge_enable, _) = io.dry_contacts().await;
    set_point(&mut f4t, 25.0).await;
    let mut held = None;
    let mut released = false;
    for _ in 0..240 {
        let s = after(&bench, 60.0).await;
        let t = s.bms.temperature_c;
        if held.is_none() && t < 49.0 && t > 46.0 {
            held = Some(!s.bms.charge_mosfet_on);
        }
        if t < 44.5 {
            released = s.bms.charge_mosfet_on;
            break;
        }
    }
    HotStory {
        tripped_above_50,
        flag_on_can: frame.get("protection_over_temperature") == 1.0,
        ccl_zero: limits.get("charge_current_limit") == 0.0,
        dry_contact_1_open: !charge_enable,
        held_between_45_and_50: held.unwrap_or(false),
        released_below_45: released,
    }
}

#[tokio::test(start_paused = true)]
async fn chtp_stops_charging_above_50_and_recovers_below_45() {
    let healthy = HotStory {
        tripped_above_50: true,
        flag_on_can: true,
        ccl_zero: true,
        dry_contact_1_open: true,
        held_between_45_and_50: true,
        released_below_45: true,
    };
    assert_eq!(hot_story(&[]).await, healthy);
    assert_eq!(
        hot_story(&[Defect::ChtpNoHysteresis]).await,
        HotStory {
            held_between_45_and_50: false,
            ..healthy
        }
    );
    let missing = hot_story(&[Defect::TemperatureFlagMissing]).await;
    assert_eq!(
        missing,
        HotStory {
            flag_on_can: false,
            ..healthy
        }
    );
}

#[tokio::test(start_paused = true)]
async fn cltp_stops_charging_below_minus_5_unless_ignored() {
    for (defects, stops) in [(vec![], true), (vec![Defect::CltpIgnored], false)] {
        let bench = ready(&defects).await;
        let mut source = Scpi::open(&bench);
        source.charge_at(5.0).await;
        let _f4t = chamber(&bench, -10.0).await;
        let mut cold = None;
        for _ in 0..600 {
            let s = after(&bench, 60.0).await;
            if s.bms.temperature_c < -6.0 {
                cold = Some(s);
                break;
            }
        }
        let s = cold.expect("the pack never got below -6 °C");
        assert_eq!(!s.bms.charge_mosfet_on, stops, "{defects:?}");
        assert_eq!(s.bms.under_temperature_active, stops);
        assert!(
            s.bms.discharge_mosfet_on,
            "-6 °C is inside the discharge range"
        );
        let mut can = Can::attach(&bench);
        let frame = can.next(0x359).await;
        assert_eq!(frame.get("protection_under_temperature") == 1.0, stops);
        assert_eq!(frame.get("alarm_low_temperature"), 1.0);
    }
}
