//! Whole-system answers: 0x42 and 0x44 asked with command value 0xFF at the master's
//! address (protocols.md §2.5).
//!
//! Layout, as python-pylontech's multi-module parser reads 0x42 (protocols.md §2.8
//! marks it [U]: one parser, not the specification; this parser reads that parser's
//! captures from real US2000/US3000 stacks the same way, mixed 2- and 3-byte
//! capacities included): INFOFLAG, the number of
//! modules, then each module's block from its cell count on, i.e. the one-module INFO
//! without INFOFLAG and command value. Each block describes its own length (cell and
//! temperature counts, user-defined item count), so packs of different sizes mix.
//! For 0x44 no public parser was found: the same shape is assumed (DATAFLAG, count,
//! blocks) **[U]**; it is what the rig's twin sends.
//!
//! A block carries no address, so each module's `command_value` is set to 0xFF; the
//! order is the answer's (the master's first, in the twin).

use super::super::frame::WHOLE_SYSTEM;
use super::{AlarmInfo, AnalogData, InfoError, Reader};

/// Reads `flag`, the module count, then `count` blocks with `block`, then expects the
/// end. An error inside a block names the module.
fn parse_modules<T>(
    info: &[u8],
    flag_name: &'static str,
    block: impl Fn(&mut Reader, u8) -> Result<T, InfoError>,
) -> Result<Vec<T>, InfoError> {
    let mut r = Reader::new(info);
    let flag = r.u8(flag_name)?;
    let count = r.u8("number of modules")?;
    let mut modules = Vec::with_capacity(usize::from(count));
    for index in 0..usize::from(count) {
        let module = block(&mut r, flag).map_err(|error| InfoError::Module {
            module: index + 1,
            count,
            error: Box::new(error),
        })?;
        modules.push(module);
    }
    r.finish()?;
    Ok(modules)
}

impl AnalogData {
    /// A 0x42 whole-system answer: one [`AnalogData`] per module, in the answer's
    /// order, each with the answer's INFOFLAG and command value 0xFF.
    pub fn parse_system(info: &[u8]) -> Result<Vec<Self>, InfoError> {
        parse_modules(info, "INFOFLAG", |r, flag| {
            Self::read_block(r, flag, WHOLE_SYSTEM)
        })
    }
}

impl AlarmInfo {
    /// A 0x44 whole-system answer, shaped like 0x42's **[U]**.
    pub fn parse_system(info: &[u8]) -> Result<Vec<Self>, InfoError> {
        parse_modules(info, "DATAFLAG", |r, flag| {
            Self::read_block(r, flag, WHOLE_SYSTEM)
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::rs485::pylontech::codec::decode_frame;
    use crate::rs485::pylontech::info::AlarmState;

    /// A whole-system 0x42 answer from ADR 2, written out by hand: INFOFLAG 0x11,
    /// 3 modules, each with 2 cells, 1 temperature and the 2-byte capacities
    /// (user-defined item count 2).
    ///
    /// | Module | Cells (mV) | Temp (0.1 K) | Current | Voltage | Remaining | Total | Cycles |
    /// | --- | --- | --- | --- | --- | --- | --- | --- |
    /// | 1 | 0CE4 0CE5 (3300, 3301) | 0BA9 (2985 → 25.4 °C) | FFEC (−2.0 A) | 19C9 (6601 mV) | 7530 (30.000 Ah) | C350 (50.000 Ah) | 000C (12) |
    /// | 2 | 0CE6 0CE7 (3302, 3303) | 0BAA (25.5 °C) | 0000 | 19CD (6605 mV) | 61A8 (25.000 Ah) | C350 | 0001 |
    /// | 3 | 0D48 0D49 (3400, 3401) | 0A8C (2700 → −3.1 °C) | 0032 (5.0 A) | 1A91 (6801 mV) | C350 (50.000 Ah) | C350 | FFFF (65535) |
    ///
    /// INFO is 2 + 3 × 19 bytes = 59 bytes = 118 characters: LENID 0x076, nibble sum
    /// 0 + 7 + 6 = 13, LCHKSUM 16 − 13 = 3, LENGTH `3076`. CHKSUM: the ASCII codes of
    /// the 130 characters between `~` and the checksum sum to 0x1BE8, so the checksum
    /// is 0x10000 − 0x1BE8 = 0xE418 (`decode_frame` checks both).
    const GOLDEN: &str = concat!(
        "~200246003076",
        "1103",
        "02",
        "0CE4",
        "0CE5",
        "01",
        "0BA9",
        "FFEC",
        "19C9",
        "7530",
        "02",
        "C350",
        "000C",
        "02",
        "0CE6",
        "0CE7",
        "01",
        "0BAA",
        "0000",
        "19CD",
        "61A8",
        "02",
        "C350",
        "0001",
        "02",
        "0D48",
        "0D49",
        "01",
        "0A8C",
        "0032",
        "1A91",
        "C350",
        "02",
        "C350",
        "FFFF",
        "E418\r",
    );

    fn golden_info() -> Vec<u8> {
        let body = &GOLDEN.as_bytes()[1..GOLDEN.len() - 1];
        let frame = decode_frame(body).expect("the golden frame's checks hold");
        assert_eq!((frame.adr, frame.cid2), (0x02, 0x00));
        frame.info
    }

    #[test]
    fn the_golden_three_module_answer() {
        let modules = AnalogData::parse_system(&golden_info()).unwrap();
        assert_eq!(modules.len(), 3);
        let [a, b, c] = &modules[..] else {
            unreachable!()
        };
        assert_eq!((a.info_flag, a.command_value), (0x11, 0xFF));
        assert_eq!(a.cell_voltages, vec![3.3, 3.301]);
        assert_eq!(a.temperatures, vec![25.4]);
        assert_eq!((a.current, a.voltage), (-2.0, 6.601));
        assert_eq!((a.remaining_capacity, a.total_capacity), (30.0, 50.0));
        assert_eq!(a.cycles, 12);
        assert_eq!(b.cell_voltages, vec![3.302, 3.303]);
        assert_eq!((b.current, b.remaining_capacity, b.cycles), (0.0, 25.0, 1));
        assert_eq!(c.cell_voltages, vec![3.4, 3.401]);
        assert_eq!(c.temperatures, vec![-3.1]);
        assert_eq!((c.current, c.voltage, c.cycles), (5.0, 6.801, 65535));
    }

    /// `analog_info()` of the parent's tests without INFOFLAG and command value.
    fn big_block() -> Vec<u8> {
        super::super::tests::analog_info()[2..].to_vec()
    }

    #[test]
    fn modules_of_different_sizes_mix() {
        // A 16-cell 100 Ah block (3-byte capacities) after a 2-cell 50 Ah one.
        let golden = golden_info();
        let mut info = vec![0x11, 2];
        info.extend_from_slice(&golden[2..21]);
        info.extend(big_block());
        let modules = AnalogData::parse_system(&info).unwrap();
        assert_eq!(modules[0].cell_voltages.len(), 2);
        assert_eq!(modules[1].cell_voltages.len(), 16);
        assert_eq!(modules[1].total_capacity, 100.0);
    }

    #[test]
    fn a_short_module_is_named_and_extra_bytes_are_refused() {
        let info = golden_info();
        let err = AnalogData::parse_system(&info[..info.len() - 1]).unwrap_err();
        assert_eq!(
            err,
            InfoError::Module {
                module: 3,
                count: 3,
                error: Box::new(InfoError::Truncated {
                    field: "cycle number",
                    needed: 59,
                    len: 58
                })
            }
        );
        assert_eq!(err.to_string(), "module 3 of 3 in the whole-system answer");
        let mut long = info.clone();
        long.push(0);
        assert_eq!(
            AnalogData::parse_system(&long),
            Err(InfoError::TrailingBytes { extra: 1 })
        );
        // A count larger than the blocks sent.
        let mut more = info.clone();
        more[1] = 4;
        assert!(matches!(
            AnalogData::parse_system(&more),
            Err(InfoError::Module { module: 4, .. })
        ));
        assert_eq!(AnalogData::parse_system(&[0x11, 0]), Ok(vec![]));
        assert!(AnalogData::parse_system(&[]).is_err());
    }

    #[test]
    fn alarms_of_two_modules() {
        // DATAFLAG, 2 modules; module 1: 2 cells normal/high, 1 temperature low,
        // charge-current high, then status 1..5; module 2: 1 cell, no temperatures.
        let info = [
            0x11, 2, //
            2, 0x00, 0x02, 1, 0x01, 0x02, 0x00, 0x00, 0x04, 0x06, 0x00, 0x01, 0x00, //
            1, 0x00, 0, 0x00, 0x00, 0x00, 0x80, 0x00, 0x08, 0x00, 0x00,
        ];
        let modules = AlarmInfo::parse_system(&info).unwrap();
        assert_eq!(modules.len(), 2);
        assert_eq!(modules[0].command_value, 0xFF);
        assert_eq!(
            modules[0].cells,
            vec![AlarmState::Normal, AlarmState::AboveUpperLimit]
        );
        assert!(modules[0].charge_over_current() && modules[0].charge_mosfet_on());
        assert!(modules[0].cell_voltage_errors()[0]);
        assert!(modules[1].module_under_voltage() && modules[1].fully_charged());
        assert!(matches!(
            AlarmInfo::parse_system(&info[..info.len() - 1]),
            Err(InfoError::Module { module: 2, .. })
        ));
    }

    proptest! {
        #[test]
        fn system_parsers_never_panic(info in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = AnalogData::parse_system(&info);
            let _ = AlarmInfo::parse_system(&info);
        }

        #[test]
        fn n_copies_of_a_block_parse_to_n_modules(n in 0u8..8) {
            let mut info = vec![0x11, n];
            for _ in 0..n {
                info.extend(big_block());
            }
            let modules = AnalogData::parse_system(&info).unwrap();
            prop_assert_eq!(modules.len(), usize::from(n));
        }
    }
}
