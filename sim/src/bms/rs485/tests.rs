//! The RS485 answers, decoded by the drivers' client parsers.

use rig_drivers::rs485::pylontech::{
    AlarmInfo, AnalogData, ChargeManagement, FirmwareVersion, ManufacturerInfo, SerialNumber,
    SystemParameters, decode_frame, encode_frame,
};

use super::*;

fn bms() -> PylonBms {
    PylonBms::new(&PackParams::lesso_lsrr51v100ah(), 2)
}

pub(crate) fn status() -> PylonStatus {
    PylonStatus {
        report: CanReport {
            charge_current_limit_a: 70.0,
            soc_percent: 50.0,
            pack_voltage_v: 52.8,
            pack_current_a: -4.0,
            temperature_c: 25.5,
            ..CanReport::example()
        },
        charge_mosfet_on: true,
        discharge_mosfet_on: true,
        charge_over_temperature: false,
        discharge_over_temperature: false,
        over_voltage: Levels::default(),
        under_voltage: Levels::default(),
        cell_voltages: vec![3.3; 16],
    }
}

/// The request as it arrives on the wire, decoded by the drivers' codec.
fn request(wire: &str) -> Frame {
    decode_frame(&wire.as_bytes()[1..wire.len() - 1]).unwrap()
}

fn answer(wire: &str, s: &PylonStatus) -> Frame {
    let frame = bms().answer(&request(wire), s).expect("an answer");
    // Every answer survives the drivers' codec.
    let bytes = encode_frame(&frame);
    assert_eq!(decode_frame(&bytes[1..bytes.len() - 1]), Ok(frame.clone()));
    assert_eq!((frame.ver, frame.adr, frame.cid1), (0x20, 0x02, 0x46));
    frame
}

#[test]
fn analog_values_of_a_100_ah_pack_use_the_3_byte_capacities() {
    let frame = answer("~20024642E00202FD33\r", &status());
    assert_eq!(frame.cid2, RTN_NORMAL);
    let a = AnalogData::parse(&frame.info).unwrap();
    assert_eq!(a.command_value, 2);
    assert_eq!(a.cell_voltages, vec![3.3; 16]);
    assert_eq!(a.temperatures, vec![25.5; 5]);
    assert_eq!((a.current, a.voltage), (-4.0, 52.8));
    assert_eq!((a.remaining_capacity, a.total_capacity), (50.0, 100.0));
    assert_eq!(a.cycles, 0);
    assert_eq!(&frame.info[frame.info.len() - 13..][..2], &[0xFF, 0xFF]);
}

#[test]
fn a_small_pack_uses_the_2_byte_capacities() {
    let mut p = PackParams::lesso_lsrr51v100ah();
    p.capacity_ah = 50.0;
    let frame = PylonBms::new(&p, 2)
        .answer(&request("~20024642E00202FD33\r"), &status())
        .unwrap();
    let a = AnalogData::parse(&frame.info).unwrap();
    assert_eq!((a.remaining_capacity, a.total_capacity), (25.0, 50.0));
}

#[test]
fn alarms_show_protections_and_mosfets() {
    let mut s = status();
    s.report.charge_overcurrent = true;
    s.report.alarm_cell_high_voltage = true;
    s.report.pack_current_a = 0.0;
    s.charge_mosfet_on = false;
    let frame = answer("~20024644E00202FD31\r", &s);
    let a = AlarmInfo::parse(&frame.info).unwrap();
    assert!(a.charge_over_current() && !a.discharge_over_current());
    assert!(!a.charge_mosfet_on() && a.discharge_mosfet_on());
    assert_eq!(a.cells.len(), 16);
    assert!(a.cells.iter().all(|c| *c == 0x02.into()));
    assert_eq!(a.charge_current, 0x02.into());
    assert_eq!(a.status[2], 0, "no effective current");
    assert_eq!(a.cell_voltage_errors(), [false; 16]);
}

/// The cell and the pack level of a voltage protection answer apart (protocols.md
/// 2.9): a pack level acting alone (PUVP with the cell level of CUVP below its share,
/// `cuvp_at_2v50`) is the module's under-voltage, not a cell's; a cell level alone
/// marks its cell, not the module.
#[test]
fn alarms_show_the_cell_and_the_pack_level_apart() {
    let alarms = |s: &PylonStatus| {
        AlarmInfo::parse(&answer("~20024644E00202FD31\r", s).info).expect("0x44 parses")
    };
    let (cell, pack) = (
        Levels {
            cell: true,
            pack: false,
        },
        Levels {
            cell: false,
            pack: true,
        },
    );
    let mut s = status();
    s.under_voltage = pack;
    let a = alarms(&s);
    assert!(a.module_under_voltage() && !a.cell_under_voltage());
    assert_eq!(a.module_voltage, 0x01.into());
    assert!(
        a.cells.iter().all(|c| *c == 0x00.into()),
        "no cell is under"
    );

    let mut s = status();
    s.under_voltage = cell;
    s.cell_voltages[4] = 2.85;
    let a = alarms(&s);
    assert!(a.cell_under_voltage() && !a.module_under_voltage());
    assert_eq!(a.module_voltage, 0x00.into());
    assert_eq!(a.cells[4], 0x01.into());
    assert_eq!(a.cells.iter().filter(|c| **c != 0x00.into()).count(), 1);

    let mut s = status();
    s.over_voltage = cell;
    s.cell_voltages[7] = 3.56;
    let a = alarms(&s);
    assert!(
        !a.module_over_voltage(),
        "COVP alone: the module is not over"
    );
    assert_eq!((a.cells[7], a.module_voltage), (0x02.into(), 0x00.into()));
    s.over_voltage = pack;
    let a = alarms(&s);
    assert!(a.module_over_voltage());
    assert_eq!((a.cells[7], a.module_voltage), (0x00.into(), 0x02.into()));
}

#[test]
fn system_parameters_and_manufacturer_come_from_the_profile() {
    let frame = answer("~200246470000FDA7\r", &status());
    let p = SystemParameters::parse(&frame.info).unwrap();
    assert_eq!(p.cell_high_voltage_limit, 3.55);
    assert_eq!(p.cell_low_voltage_limit, 3.0);
    assert_eq!(p.cell_under_voltage_limit, 2.9);
    assert_eq!(p.charge_high_temperature_limit, 50.0);
    assert_eq!(p.charge_low_temperature_limit, -5.0);
    assert_eq!(p.charge_current_limit, 70.0);
    assert_eq!(p.module_high_voltage_limit, 56.8);
    assert_eq!(p.module_low_voltage_limit, 48.0);
    assert_eq!(p.module_under_voltage_limit, 46.4);
    assert_eq!(p.discharge_low_temperature_limit, -10.0);
    assert_eq!(p.discharge_current_limit, -100.0);

    let frame = answer("~200246510000FDAC\r", &status());
    let m = ManufacturerInfo::parse(&frame.info).unwrap();
    assert_eq!(m.device_name, "LSRR51V100");
    assert_eq!(m.manufacturer, "LESSO");
    assert_eq!(m.software_version, [1, 0]);

    let mut profile = PackParams::lesso_lsrr51v100ah();
    profile.model = "LOSUN LS-BTN0-P0548100".into();
    profile.firmware = "twin".into();
    let info = manufacturer_info(&profile);
    let m = ManufacturerInfo::parse(&info).unwrap();
    assert_eq!(
        (m.device_name.as_str(), m.manufacturer.as_str()),
        ("LS-BTN0-P0", "LOSUN")
    );
    assert_eq!(m.software_version, [0, 0]);
}

#[test]
fn serial_number_and_firmware_echo_the_address() {
    // protocols.md 2.7 computed requests.
    let frame = answer("~20024693E00202FD2D\r", &status());
    assert_eq!(frame.cid2, RTN_NORMAL);
    assert_eq!(frame.info.len(), 17);
    let s = SerialNumber::parse(&frame.info).unwrap();
    assert_eq!(
        (s.command_value, s.serial.as_str()),
        (2, "SRR51V100AH-0001")
    );

    let frame = answer("~20024696E00202FD2A\r", &status());
    let v = FirmwareVersion::parse(&frame.info).unwrap();
    assert_eq!(v.command_value, 2);
    assert_eq!(v.to_string(), "1.0 / 1.0.0", "profile firmware `sim-1.0`");

    let request = |cid2, info| Frame {
        ver: 0x20,
        adr: 2,
        cid1: CID1_BATTERY,
        cid2,
        info,
    };
    for cid2 in [SERIAL_NUMBER, FIRMWARE_VERSION] {
        let rtn = |info| bms().answer(&request(cid2, info), &status()).unwrap().cid2;
        assert_eq!(rtn(vec![3]), RTN_ADR, "{cid2:#04X}: another pack's value");
        assert_eq!(rtn(vec![0xFF]), RTN_ADR, "{cid2:#04X}: no whole system");
        assert_eq!(rtn(vec![]), RTN_FORMAT, "{cid2:#04X}: no command value");
    }
}

#[test]
fn charge_management_follows_the_can_limits() {
    let mut s = status();
    s.report.charge_enable = false;
    s.report.charge_current_limit_a = 0.0;
    let frame = answer("~20024692E00202FD2E\r", &s);
    let m = ChargeManagement::parse(&frame.info).unwrap();
    assert_eq!(
        (m.charge_voltage_limit, m.discharge_voltage_limit),
        (56.0, 48.0)
    );
    assert_eq!(
        (m.charge_current_limit, m.discharge_current_limit),
        (0.0, 100.0)
    );
    assert!(!m.charge_enable() && m.discharge_enable());
}

#[test]
fn turn_off_module_is_answered_empty_then_obeyed() {
    let turn_off = |info: Vec<u8>| Frame {
        ver: 0x20,
        adr: 0x02,
        cid1: CID1_BATTERY,
        cid2: 0x95,
        info,
    };
    // protocols.md 2.7: "0x95 Turn off module: command value; empty".
    let wire = encode_frame(&turn_off(vec![0x02]));
    assert_eq!(&wire[..15], b"~20024695E00202");
    let request = turn_off(vec![0x02]);
    let answer = bms().answer(&request, &status()).unwrap();
    assert_eq!((answer.cid2, answer.info.len()), (RTN_NORMAL, 0));
    assert!(PylonBms::turns_off(&request, &answer));
    // A command value for another pack is refused, and nothing turns off.
    let request = turn_off(vec![0x03]);
    let answer = bms().answer(&request, &status()).unwrap();
    assert_eq!(answer.cid2, RTN_ADR);
    assert!(!PylonBms::turns_off(&request, &answer));
    // Another command answered normally turns nothing off.
    let request = Frame {
        cid2: 0x92,
        ..turn_off(vec![0x02])
    };
    let answer = bms().answer(&request, &status()).unwrap();
    assert!(!PylonBms::turns_off(&request, &answer));
}

#[test]
fn return_codes() {
    let s = status();
    let rtn = |wire: &str| answer(wire, &s).cid2;
    // 0x4F answers whatever VER; others with another VER are refused.
    let v28 = |cid2, info: Vec<u8>| {
        encode_frame(&Frame {
            ver: 0x28,
            adr: 2,
            cid1: 0x46,
            cid2,
            info,
        })
    };
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    assert_eq!(rtn(&text(v28(0x4F, vec![]))), RTN_NORMAL);
    assert_eq!(rtn(&text(v28(0x42, vec![2]))), RTN_VER);
    assert_eq!(rtn("~2002464F0000FD98\r"), RTN_NORMAL);
    // Command value of another battery, or none.
    let wire = |cid2, info| {
        text(encode_frame(&Frame {
            ver: 0x20,
            adr: 2,
            cid1: 0x46,
            cid2,
            info,
        }))
    };
    assert_eq!(rtn(&wire(0x42, vec![3])), RTN_ADR);
    assert_eq!(rtn(&wire(0x42, vec![])), RTN_FORMAT);
    assert_eq!(rtn(&wire(0x92, vec![0xFF])), RTN_ADR);
    assert_eq!(rtn(&wire(0xE0, vec![])), RTN_CID2);
    let whole = answer("~20024642E002FFFD09\r", &s);
    assert_eq!(AnalogData::parse(&whole.info).unwrap().command_value, 1);
    // Another address: silence.
    let other = request("~20034642E00203FD31\r");
    assert_eq!(bms().answer(&other, &s), None);
}

#[test]
fn bad_frames_for_this_address_get_their_return_code() {
    let bms = bms();
    let check = |body: &[u8]| {
        let bad = decode_frame(body).unwrap_err();
        bms.answer_bad(body, &bad).map(|f| f.cid2)
    };
    assert_eq!(check(b"20024642E00202FD34"), Some(RTN_CHKSUM));
    assert_eq!(check(b"20024642F00202FD33"), Some(RTN_LCHKSUM));
    assert_eq!(check(b"20024642E0020202FD33"), Some(RTN_FORMAT));
    assert_eq!(check(b"20034642E00203FD32"), None, "another address");
    assert_eq!(check(b"2002464G0000FD98"), None, "not hex");
    assert_eq!(check(b"2002"), None, "too short");
}
