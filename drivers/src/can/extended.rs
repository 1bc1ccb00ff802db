//! The frames of the Pylontech V1.3 / SMA / Victron set beyond `pylon_lv.dbc`, and
//! helpers to read the fields a DBC cannot express (ASCII strings, 2-bit states).
//!
//! The DBC text is [`PYLON_LV_EXTENDED_DBC`] (file `drivers/src/can/pylon_lv_extended.dbc`);
//! it lives in the drivers crate rather than `testplans/dbc/` so the engine keeps
//! using `pylon_lv.dbc` unchanged. [`CanDatabase::pylon_lv_extended`] loads both; the
//! sim's pack twin encodes its 0x35E name frame with it.

use super::PYLON_LV_DBC;
use super::dbc::{CanDatabase, DbcError};
use super::frame::{CanFrame, CanId};

/// 0x35E, 0x35A and 0x35F; see the module doc.
pub const PYLON_LV_EXTENDED_DBC: &str = include_str!("pylon_lv_extended.dbc");

/// §1.2: 0x35E manufacturer name.
pub const MANUFACTURER_ID: CanId = CanId::Standard(0x35E);
/// §1.6: 0x35A alarms and warnings.
pub const ALARMS_WARNINGS_ID: CanId = CanId::Standard(0x35A);
/// §1.8: 0x35F battery info.
pub const INFO_ID: CanId = CanId::Standard(0x35F);

impl CanDatabase {
    /// `pylon_lv.dbc` and [`PYLON_LV_EXTENDED_DBC`] in one database.
    pub fn pylon_lv_extended() -> Result<Self, DbcError> {
        Self::parse_all(&[PYLON_LV_DBC, PYLON_LV_EXTENDED_DBC])
    }
}

/// One 2-bit field of 0x35A (§1.6: "0b01 = alarm active, 0b10 = OK/inactive, 0b00 or
/// 0b11 = not supported").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TwoBitState {
    Active,
    Inactive,
    NotSupported,
}

impl TwoBitState {
    pub fn from_raw(bits: u8) -> Self {
        match bits & 0b11 {
            0b01 => TwoBitState::Active,
            0b10 => TwoBitState::Inactive,
            _ => TwoBitState::NotSupported,
        }
    }

    /// As a decoded DBC value (`sma_alarm_*` and `sma_warn_*` signals).
    pub fn from_value(value: f64) -> Self {
        if value == 1.0 {
            TwoBitState::Active
        } else if value == 2.0 {
            TwoBitState::Inactive
        } else {
            TwoBitState::NotSupported
        }
    }
}

/// The ASCII text of 0x35E (or any string frame), whatever its DLC: trailing spaces
/// and NULs trimmed, non-printable bytes shown as `?`.
pub fn frame_ascii(frame: &CanFrame) -> String {
    frame
        .data()
        .iter()
        .map(|&b| match b {
            0x20..=0x7E => char::from(b),
            0 => ' ',
            _ => '?',
        })
        .collect::<String>()
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::can::DecodedFrame;

    fn value(d: &DecodedFrame, name: &str) -> f64 {
        d.signals
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("{name}: {d:?}"))
            .value
    }

    #[test]
    fn the_extended_database_knows_both_files() {
        let db = CanDatabase::pylon_lv_extended().unwrap();
        for id in [
            0x351, 0x355, 0x356, 0x359, 0x35C, 0x305, 0x35E, 0x35A, 0x35F,
        ] {
            assert!(db.knows(CanId::Standard(id)), "{id:#x}");
        }
        let names: Vec<String> = db.signals().into_iter().map(|s| s.name).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "signal names are unique");
        // dbc-rs drops signals with names over 32 characters without an error; every
        // SG_ line of both files must have made it.
        let lines = [PYLON_LV_DBC, PYLON_LV_EXTENDED_DBC]
            .iter()
            .flat_map(|t| t.lines())
            .filter(|l| l.trim_start().starts_with("SG_ "))
            .count();
        assert_eq!(names.len(), lines);
    }

    #[test]
    fn manufacturer_0x35e_of_section_1_9_and_short_dlcs() {
        let db = CanDatabase::pylon_lv_extended().unwrap();
        let f = CanFrame::standard(0x35E, b"PYLON   ").unwrap();
        assert_eq!(frame_ascii(&f), "PYLON");
        let d = db.decode(&f).unwrap();
        assert_eq!(value(&d, "mfr_char_0"), f64::from(b'P'));
        // Pytes sends 5 bytes (§1.10).
        let f = CanFrame::standard(0x35E, b"PYTES").unwrap();
        assert_eq!(frame_ascii(&f), "PYTES");
        let d = db.decode(&f).unwrap();
        assert_eq!(d.signals.len(), 5);
        assert_eq!(d.missing.len(), 3);
    }

    #[test]
    fn alarms_0x35a_two_bit_fields() {
        let db = CanDatabase::pylon_lv_extended().unwrap();
        // Byte 0: general OK (10), high voltage ACTIVE (01), low voltage OK, high temp OK.
        // Byte 2: charge high current active (bits 0-1 = 01). Byte 4: warnings all OK.
        let f = CanFrame::standard(
            0x35A,
            &[0b1010_0110, 0xAA, 0b1010_1001, 0x02, 0xAA, 0xAA, 0xAA, 0x02],
        )
        .unwrap();
        let d = db.decode(&f).unwrap();
        let state = |n| TwoBitState::from_value(value(&d, n));
        assert_eq!(state("sma_alarm_general"), TwoBitState::Inactive);
        assert_eq!(state("sma_alarm_high_voltage"), TwoBitState::Active);
        assert_eq!(state("sma_alarm_low_voltage"), TwoBitState::Inactive);
        assert_eq!(state("sma_alarm_chg_high_current"), TwoBitState::Active);
        assert_eq!(state("sma_warn_high_voltage"), TwoBitState::Inactive);
        assert_eq!(TwoBitState::from_raw(0b00), TwoBitState::NotSupported);
        assert_eq!(TwoBitState::from_raw(0b11), TwoBitState::NotSupported);
    }

    #[test]
    fn info_0x35f_capture_of_section_1_8() {
        let db = CanDatabase::pylon_lv_extended().unwrap();
        let f =
            CanFrame::standard(0x35F, &[0x4C, 0x49, 0x01, 0x03, 0x3C, 0x02, 0xAA, 0x00]).unwrap();
        let d = db.decode(&f).unwrap();
        assert_eq!(value(&d, "info_type_char_0"), f64::from(b'L'));
        assert_eq!(value(&d, "info_version_1"), 3.0);
        assert_eq!(value(&d, "info_capacity"), 572.0);
        let short = CanFrame::standard(0x35F, &[0x4C, 0x49, 0x01, 0x03, 0x3C, 0x02]).unwrap();
        let d = db.decode(&short).unwrap();
        assert_eq!(value(&d, "info_capacity"), 572.0);
        assert_eq!(d.missing, vec!["info_manufacturer_id".to_string()]);
    }

    proptest! {
        #[test]
        fn any_payload_of_any_known_id_decodes_without_panicking(
            id in prop::sample::select(vec![0x351u16, 0x355, 0x356, 0x359, 0x35C, 0x35E, 0x35A, 0x35F, 0x305]),
            data in proptest::collection::vec(any::<u8>(), 0..=8),
        ) {
            let db = CanDatabase::pylon_lv_extended().unwrap();
            let f = CanFrame::standard(id, &data).unwrap();
            let d = db.decode(&f).unwrap();
            prop_assert!(d.signals.len() + d.missing.len() > 0);
            let _ = frame_ascii(&f);
        }
    }
}
