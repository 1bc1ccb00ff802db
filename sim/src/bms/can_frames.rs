//! The BMS's 0x35x frame set (Pylontech LV, protocols.md section 1), encoded from the
//! shipped DBCs rather than by hand: `pylon_lv.dbc` and, for the 0x35E name, its
//! extension `pylon_lv_extended.dbc` ([`CanDatabase::pylon_lv_extended`]).

use rig_drivers::can::{CanDatabase, CanFrame, CanId, DbcError};

/// What one round of frames says, in physical units.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CanReport {
    pub(crate) charge_voltage_limit_v: f64,
    pub(crate) charge_current_limit_a: f64,
    pub(crate) discharge_current_limit_a: f64,
    pub(crate) discharge_voltage_limit_v: f64,
    /// Whole percent.
    pub(crate) soc_percent: f64,
    pub(crate) soh_percent: f64,
    pub(crate) pack_voltage_v: f64,
    /// Positive = charging, after the dead band.
    pub(crate) pack_current_a: f64,
    pub(crate) temperature_c: f64,
    pub(crate) charge_overcurrent: bool,
    pub(crate) discharge_overcurrent: bool,
    pub(crate) cell_overvoltage: bool,
    pub(crate) cell_undervoltage: bool,
    /// CHTP or DHTP (0x359 byte 0 bit 3).
    pub(crate) over_temperature: bool,
    /// CLTP or DLTP (0x359 byte 0 bit 4).
    pub(crate) under_temperature: bool,
    /// BMS internal fault (0x359 byte 1 bit 3): reversed polarity, sensor failure.
    pub(crate) system_error: bool,
    pub(crate) alarm_high_temperature: bool,
    pub(crate) alarm_low_temperature: bool,
    pub(crate) alarm_cell_high_voltage: bool,
    pub(crate) alarm_cell_low_voltage: bool,
    pub(crate) alarm_charge_high_current: bool,
    pub(crate) alarm_discharge_high_current: bool,
    pub(crate) charge_enable: bool,
    pub(crate) discharge_enable: bool,
    /// 0x35C byte 0 bit 3: a forced recharge is under way (LOSUN 2.3-3).
    pub(crate) request_full_charge: bool,
    /// 0x359 byte 4: packs in parallel that answer the master (1: single mode).
    pub(crate) module_count: u8,
    /// 0x359 byte 3 bit 3: a slave does not answer on the internal link.
    pub(crate) internal_comm_failure: bool,
    /// 0x35E: the manufacturer name, ASCII, space padded to 8 bytes.
    pub(crate) manufacturer_name: [u8; 8],
}

/// The name a Pylontech-protocol pack sends in 0x35E (protocols.md 1.2 and the capture
/// of 1.9: "PYLON" and three spaces). Neither the Lesso manual (3.3.3.3 names only the
/// inverter brands of each protocol ID) nor the LOSUN manual (2.6-1: "CAN
/// communication, baud rate 500K") gives the string their packs send (protocols.md
/// 8.1). Assumption: the Pylontech name, which inverters in Pylon mode look for.
pub(crate) const PYLON_NAME: [u8; 8] = *b"PYLON   ";

impl CanReport {
    /// Whether any protection bit of 0x359 bytes 0-1 is set.
    pub(crate) fn any_protection(&self) -> bool {
        self.charge_overcurrent
            || self.discharge_overcurrent
            || self.cell_overvoltage
            || self.cell_undervoltage
            || self.over_temperature
            || self.under_temperature
            || self.system_error
    }
}

const LIMITS: CanId = CanId::Standard(0x351);
const STATE_OF_CHARGE: CanId = CanId::Standard(0x355);
const MEASUREMENTS: CanId = CanId::Standard(0x356);
const PROTECTION_ALARM: CanId = CanId::Standard(0x359);
const REQUEST: CanId = CanId::Standard(0x35C);
const MANUFACTURER: CanId = CanId::Standard(0x35E);
const NAME_SIGNALS: [&str; 8] = [
    "mfr_char_0",
    "mfr_char_1",
    "mfr_char_2",
    "mfr_char_3",
    "mfr_char_4",
    "mfr_char_5",
    "mfr_char_6",
    "mfr_char_7",
];

/// Limits of the DBC's 16-bit signals at their scales, so that no physical value can
/// make the encoder fail.
const DECI_RANGE: f64 = 3276.7;
const CENTI_RANGE: f64 = 327.67;

fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

fn clamp(value: f64, low: f64, high: f64) -> f64 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(low, high)
    }
}

/// The frames in the order the BMS sends them: 0x351, 0x355, 0x356, 0x359, 0x35C,
/// 0x35E, each once a round. The name comes last, as in the US5000 capture of
/// protocols.md 1.8 (the V1.2 set: "0x351, 0x355, 0x356, 0x359, 0x35C, 0x35E"), and at
/// the same period as the rest (1.1: "every frame once per 1000 ms"). `db` must know
/// 0x35E: [`CanDatabase::pylon_lv_extended`].
pub(crate) fn encode_frames(db: &CanDatabase, r: &CanReport) -> Result<Vec<CanFrame>, DbcError> {
    let unsigned = |v: f64| clamp(v, 0.0, 2.0 * DECI_RANGE);
    let signed = |v: f64| clamp(v, -DECI_RANGE, DECI_RANGE);
    Ok(vec![
        db.encode(
            LIMITS,
            &[
                ("charge_voltage_limit", unsigned(r.charge_voltage_limit_v)),
                ("charge_current_limit", signed(r.charge_current_limit_a)),
                (
                    "discharge_current_limit",
                    signed(r.discharge_current_limit_a),
                ),
                (
                    "discharge_voltage_limit",
                    unsigned(r.discharge_voltage_limit_v),
                ),
            ],
        )?,
        db.encode(
            STATE_OF_CHARGE,
            &[
                ("soc", clamp(r.soc_percent, 0.0, 100.0)),
                ("soh", clamp(r.soh_percent, 0.0, 100.0)),
            ],
        )?,
        db.encode(
            MEASUREMENTS,
            &[
                (
                    "pack_voltage",
                    clamp(r.pack_voltage_v, -CENTI_RANGE, CENTI_RANGE),
                ),
                ("pack_current", signed(r.pack_current_a)),
                ("pack_temperature", signed(r.temperature_c)),
            ],
        )?,
        db.encode(
            PROTECTION_ALARM,
            &[
                ("protection_cell_overvoltage", flag(r.cell_overvoltage)),
                ("protection_cell_undervoltage", flag(r.cell_undervoltage)),
                ("protection_over_temperature", flag(r.over_temperature)),
                ("protection_under_temperature", flag(r.under_temperature)),
                ("alarm_high_temperature", flag(r.alarm_high_temperature)),
                ("alarm_low_temperature", flag(r.alarm_low_temperature)),
                (
                    "protection_discharge_overcurrent",
                    flag(r.discharge_overcurrent),
                ),
                ("protection_charge_overcurrent", flag(r.charge_overcurrent)),
                ("protection_system_error", flag(r.system_error)),
                ("alarm_cell_high_voltage", flag(r.alarm_cell_high_voltage)),
                ("alarm_cell_low_voltage", flag(r.alarm_cell_low_voltage)),
                (
                    "alarm_discharge_high_current",
                    flag(r.alarm_discharge_high_current),
                ),
                (
                    "alarm_charge_high_current",
                    flag(r.alarm_charge_high_current),
                ),
                ("alarm_internal_comm_fail", flag(r.internal_comm_failure)),
                ("module_count", f64::from(r.module_count)),
                ("product_code_0", f64::from(b'P')),
                ("product_code_1", f64::from(b'N')),
            ],
        )?,
        db.encode(
            REQUEST,
            &[
                ("charge_enable", flag(r.charge_enable)),
                ("discharge_enable", flag(r.discharge_enable)),
                ("request_full_charge", flag(r.request_full_charge)),
            ],
        )?,
        encode_name(db, &r.manufacturer_name)?,
    ])
}

/// 0x35E: one DBC signal per character.
fn encode_name(db: &CanDatabase, name: &[u8; 8]) -> Result<CanFrame, DbcError> {
    let values: Vec<(&str, f64)> = NAME_SIGNALS
        .iter()
        .zip(name)
        .map(|(signal, &c)| (*signal, f64::from(c)))
        .collect();
    db.encode(MANUFACTURER, &values)
}

/// A healthy pack discharging at 25 A, for tests to change field by field.
#[cfg(test)]
impl CanReport {
    pub(crate) fn example() -> CanReport {
        CanReport {
            charge_voltage_limit_v: 56.0,
            charge_current_limit_a: 50.0,
            discharge_current_limit_a: 100.0,
            discharge_voltage_limit_v: 48.0,
            soc_percent: 80.0,
            soh_percent: 100.0,
            pack_voltage_v: 52.0,
            pack_current_a: -25.0,
            temperature_c: 25.0,
            charge_overcurrent: false,
            discharge_overcurrent: false,
            cell_overvoltage: false,
            cell_undervoltage: false,
            over_temperature: false,
            under_temperature: false,
            system_error: false,
            alarm_high_temperature: false,
            alarm_low_temperature: false,
            alarm_cell_high_voltage: false,
            alarm_cell_low_voltage: false,
            alarm_charge_high_current: false,
            alarm_discharge_high_current: false,
            charge_enable: true,
            discharge_enable: true,
            request_full_charge: false,
            module_count: 1,
            internal_comm_failure: false,
            manufacturer_name: PYLON_NAME,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rig_drivers::can::frame_ascii;

    fn report() -> CanReport {
        CanReport::example()
    }

    fn encode(r: &CanReport) -> Vec<CanFrame> {
        let db = CanDatabase::pylon_lv_extended().unwrap();
        encode_frames(&db, r).unwrap()
    }

    #[test]
    fn encodes_the_worked_example_of_protocols_md_1_9() {
        let frames = encode(&report());
        let text: Vec<String> = frames.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "351#3002F401E803E001",
                "355#50006400",
                "356#501406FFFA00",
                "359#0000000001504E",
                "35C#C000",
                "35E#50594C4F4E202020",
            ]
        );
    }

    #[test]
    fn the_name_frame_reads_back_as_the_pylon_name_with_dlc_8() {
        let frames = encode(&report());
        let name = &frames[5];
        assert_eq!(name.id(), MANUFACTURER);
        assert_eq!(name.data().len(), 8);
        assert_eq!(frame_ascii(name), "PYLON");
        let other = encode(&CanReport {
            manufacturer_name: *b"LOSUN   ",
            ..report()
        });
        assert_eq!(frame_ascii(&other[5]), "LOSUN");
    }

    #[test]
    fn a_database_without_0x35e_is_an_error_not_a_short_round() {
        let db = CanDatabase::parse(rig_drivers::can::PYLON_LV_DBC).unwrap();
        assert!(encode_frames(&db, &report()).is_err());
    }

    #[test]
    fn protection_clears_enable_and_sets_the_cocp_bit() {
        let frames = encode(&CanReport {
            charge_overcurrent: true,
            charge_enable: false,
            charge_current_limit_a: 0.0,
            ..report()
        });
        assert_eq!(frames[0].data()[2..4], [0x00, 0x00]);
        assert_eq!(
            frames[3].data(),
            &[0x00, 0x01, 0x00, 0x00, 0x01, 0x50, 0x4E]
        );
        assert_eq!(frames[4].data(), &[0x40, 0x00]);
    }

    #[test]
    fn system_error_and_full_charge_request_land_on_their_dbc_bits() {
        let frames = encode(&CanReport {
            system_error: true,
            request_full_charge: true,
            ..report()
        });
        // protocols.md 1.4: 0x359 byte 1 bit 3; 1.5: 0x35C byte 0 bit 3.
        assert_eq!(frames[3].data()[..2], [0x00, 0x08]);
        assert_eq!(frames[4].data(), &[0xC8, 0x00]);
    }

    #[test]
    fn voltage_and_discharge_flags_land_on_their_dbc_bits() {
        let frames = encode(&CanReport {
            cell_overvoltage: true,
            cell_undervoltage: true,
            discharge_overcurrent: true,
            alarm_cell_high_voltage: true,
            alarm_cell_low_voltage: true,
            alarm_discharge_high_current: true,
            alarm_charge_high_current: true,
            ..report()
        });
        // protocols.md 1.4: byte 0 bits 1, 2, 7; byte 2 bits 1, 2, 7; byte 3 bit 0.
        assert_eq!(frames[3].data()[..4], [0x86, 0x00, 0x86, 0x01]);
    }

    #[test]
    fn temperature_flags_land_on_their_dbc_bits() {
        let frames = encode(&CanReport {
            over_temperature: true,
            under_temperature: true,
            alarm_high_temperature: true,
            alarm_low_temperature: true,
            ..report()
        });
        // protocols.md 1.4: byte 0 bits 3 and 4 protection; byte 2 bits 3 and 4 alarm.
        assert_eq!(frames[3].data()[..4], [0x18, 0x00, 0x18, 0x00]);
    }

    #[test]
    fn module_count_and_the_link_alarm_land_on_their_dbc_bytes() {
        let frames = encode(&CanReport {
            module_count: 3,
            internal_comm_failure: true,
            ..report()
        });
        // protocols.md 1.4: byte 3 bit 3, byte 4 the number of modules.
        assert_eq!(frames[3].data()[3..5], [0x08, 0x03]);
    }

    #[test]
    fn absurd_values_are_clamped_not_refused() {
        let frames = encode(&CanReport {
            pack_voltage_v: 1e9,
            pack_current_a: f64::NAN,
            soc_percent: 250.0,
            ..report()
        });
        assert_eq!(frames.len(), 6);
        assert_eq!(frames[1].data()[0], 100);
    }
}
