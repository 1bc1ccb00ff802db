//! What 0x93 (serial number) and 0x96 (firmware version) answer for each pack of the
//! chain, derived from the DUT profile's `serial` and `firmware` strings (protocols.md
//! §2.7: "command value + 16 ASCII SN"; "command value + manufacturer version (2
//! bytes) + main-line version (3 bytes)").
//!
//! Serials, as the pack's 16-character field (printable ASCII, non-ASCII as `?`,
//! padded with spaces, which the rig's driver trims):
//! * The master sends the profile's serial, trimmed. One longer than 16 characters
//!   keeps its last 16, where serials carry the unit counter
//!   ("SIM-LSRR51V100AH-0001" → "SRR51V100AH-0001").
//! * Slave k (k = 1, 2, …) sends the master's serial with `-k` appended, or, when
//!   that would pass 16 characters, with its last characters replaced by `-k`
//!   ("SRR51V100AH-0001" → "SRR51V100AH-00-1"). Should the master's serial itself end
//!   in `-k` with no room left, that slave uses `+k`, so no two packs share a serial.
//!
//! Firmware: the numbers in the profile's firmware string, in order ("sim-1.0" → 1,
//! 0; "V2.13.4" → 2, 13, 4); a missing number is 0, one above 255 is 255. The
//! manufacturer version is the first two (the same two 0x51 sends as its software
//! version), the main-line version the first three ("sim-1.0" → 1.0 / 1.0.0).

/// §2.7 0x93: 16 ASCII characters.
pub(super) const SERIAL_LEN: usize = 16;

/// The first `N` numbers of `firmware`, missing ones 0, each capped at 255.
pub(super) fn version_numbers<const N: usize>(firmware: &str) -> [u8; N] {
    let mut numbers = firmware
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u8>().unwrap_or(u8::MAX));
    std::array::from_fn(|_| numbers.next().unwrap_or(0))
}

/// 0x96 INFO after the command value: manufacturer (2) + main-line (3) versions.
pub(super) fn firmware_bytes(firmware: &str) -> [u8; 5] {
    let [a, b] = version_numbers::<2>(firmware);
    let [c, d, e] = version_numbers::<3>(firmware);
    [a, b, c, d, e]
}

/// The master's serial: printable ASCII, at most the last 16 characters.
fn master_serial(profile_serial: &str) -> Vec<u8> {
    let text: Vec<u8> = profile_serial
        .trim()
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c as u8
            } else {
                b'?'
            }
        })
        .collect();
    let skip = text.len().saturating_sub(SERIAL_LEN);
    text.get(skip..).unwrap_or_default().to_vec()
}

/// Pack `k`'s serial (0 = the master), unpadded; see the module comment.
pub(super) fn pack_serial(profile_serial: &str, k: usize) -> Vec<u8> {
    let master = master_serial(profile_serial);
    if k == 0 {
        return master;
    }
    let with = |separator: char| {
        let suffix = format!("{separator}{k}").into_bytes();
        let keep = master.len().min(SERIAL_LEN.saturating_sub(suffix.len()));
        let mut serial = master.get(..keep).unwrap_or_default().to_vec();
        serial.extend_from_slice(&suffix);
        // A k with more digits than the field holds cannot happen (k < 255).
        serial.truncate(SERIAL_LEN);
        serial
    };
    let serial = with('-');
    if serial == master { with('+') } else { serial }
}

/// 0x93 INFO after the command value: pack `k`'s serial padded with spaces to 16.
pub(super) fn serial_field(profile_serial: &str, k: usize) -> [u8; SERIAL_LEN] {
    let serial = pack_serial(profile_serial, k);
    std::array::from_fn(|i| serial.get(i).copied().unwrap_or(b' '))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn text(k: usize, serial: &str) -> String {
        String::from_utf8(pack_serial(serial, k)).unwrap()
    }

    #[test]
    fn the_default_profile_s_serials() {
        let p = "SIM-LSRR51V100AH-0001";
        assert_eq!(text(0, p), "SRR51V100AH-0001");
        assert_eq!(text(1, p), "SRR51V100AH-00-1");
        assert_eq!(text(2, p), "SRR51V100AH-00-2");
        assert_eq!(text(12, p), "SRR51V100AH-0-12");
        assert_eq!(&serial_field(p, 0), b"SRR51V100AH-0001");
    }

    #[test]
    fn short_serials_get_the_index_appended_and_padding() {
        assert_eq!(text(0, " PACK7 "), "PACK7");
        assert_eq!(text(3, "PACK7"), "PACK7-3");
        assert_eq!(&serial_field("PACK7", 3), b"PACK7-3         ");
        assert_eq!(text(1, ""), "-1");
        assert_eq!(text(0, "é€"), "??");
    }

    #[test]
    fn a_master_already_ending_in_the_suffix_does_not_collide() {
        let p = "ABCDEFGHIJKLMN-1";
        assert_eq!(text(1, p), "ABCDEFGHIJKLMN+1");
        assert_eq!(text(2, p), "ABCDEFGHIJKLMN-2");
    }

    #[test]
    fn firmware_numbers() {
        assert_eq!(firmware_bytes("sim-1.0"), [1, 0, 1, 0, 0]);
        assert_eq!(firmware_bytes("V2.13.4"), [2, 13, 2, 13, 4]);
        assert_eq!(firmware_bytes("twin"), [0; 5]);
        assert_eq!(firmware_bytes("v1.300.2"), [1, 255, 1, 255, 2]);
        assert_eq!(version_numbers::<2>("sim-1.0"), [1, 0]);
    }

    proptest! {
        #[test]
        fn every_pack_of_a_chain_has_its_own_printable_serial(
            serial in "\\PC{0,24}", packs in 1usize..=32,
        ) {
            let mut seen = HashSet::new();
            for k in 0..packs {
                let field = serial_field(&serial, k);
                prop_assert!(field.iter().all(|&b| b == b' ' || b.is_ascii_graphic()));
                let trimmed = pack_serial(&serial, k);
                prop_assert!(trimmed.len() <= SERIAL_LEN);
                prop_assert!(seen.insert(trimmed), "pack {} repeats a serial", k);
            }
        }
    }
}
