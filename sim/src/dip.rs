//! The pack's DIP switches as the installer set them, and what they select.
//!
//! Lesso 3.3.3.3 "DIP addressing": switch 1 is the RS485 baud rate ("ON: 115200 / OFF:
//! 9600"), switches 2-5 are "Reserved for multiple cluster parallel", switches 6-7 the
//! protocol ID (6 ON: ID1, 7 ON: ID2, both: reserved). LOSUN 2.4: switches #1-#4 are the
//! address 0-15, #1 the lowest bit. The Lesso pack finds its address itself ("Automatic
//! dynamic addressing function", 3.2): the master is the Pylontech single-group address
//! 2 (protocols.md §2.5).
//!
//! Protocol IDs (Lesso 3.3.3.3 table): ID0 is for "Victron/SMA/Studer Innotec/Sofar" on
//! CAN, ID1 for "Sol-Ark/Solis/Goodwe/Deye/Growatt/..."; protocols.md §1 names the
//! Pylon/SMA/Victron 0x35x frame set (Sol-Ark among its sources) and leaves open whether ID1
//! sends it (§1.11, [U]), so the twin sends that set for both. ID2
//! is "Schneider", whose native protocol (protocols.md §1.11, 29-bit IDs) the twin does
//! not speak, and "11" is reserved: with either the twin stays silent on CAN, which is
//! the manual's "communication fault between battery and inverter" as a Pylon/SMA
//! inverter sees it. Whether ID1 sends Growatt's native 0x31x set instead is [U] in
//! protocols.md; the twin takes the 0x35x reading.
//!
//! The in-memory pipes carry bytes, not bit times, so a rig polling at the wrong baud
//! rate cannot be garbled here; the baud rate sets how long each answer takes.

/// The RS485 baud rate (Lesso DIP 1; LOSUN 2.6-1 "default baud rate of 9600bps").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Baud {
    /// DIP 1 OFF.
    #[default]
    B9600,
    /// DIP 1 ON.
    B115200,
}

impl Baud {
    pub fn bits_per_second(self) -> u64 {
        match self {
            Baud::B9600 => 9600,
            Baud::B115200 => 115_200,
        }
    }
}

/// Lesso DIP 6-7.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProtocolId {
    /// "Victron/SMA/Studer Innotec/Sofar" (CAN), "Voltronic/RCT/MPP/..." (RS485).
    #[default]
    Id0,
    /// "Sol-Ark/Solis/Goodwe/Deye/Growatt/SAJ/LUXPOWER/..." (CAN).
    Id1,
    /// "Schneider".
    Id2,
    /// Both switches ON: "reserved".
    Reserved,
}

impl ProtocolId {
    /// Whether the twin sends the Pylon/SMA 0x35x frame set under this ID.
    pub fn speaks_pylon_can(self) -> bool {
        matches!(self, ProtocolId::Id0 | ProtocolId::Id1)
    }
}

/// The switches of one pack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DipSettings {
    pub rs485_baud: Baud,
    /// The address the pack answers at on RS485.
    pub rs485_address: u8,
    pub protocol: ProtocolId,
}

/// protocols.md §2.5: the first battery of a single group.
pub const MASTER_ADDRESS: u8 = 0x02;

impl Default for DipSettings {
    /// Lesso 3.3.3.3 "Keep default setting": 9600 Bd, protocol ID0; the master's
    /// address 2.
    fn default() -> Self {
        Self {
            rs485_baud: Baud::B9600,
            rs485_address: MASTER_ADDRESS,
            protocol: ProtocolId::Id0,
        }
    }
}

impl DipSettings {
    /// A Lesso pack's seven switches (index 0 is switch 1; `true` = ON). The address is
    /// the automatic one of the master.
    pub fn lesso(switches: [bool; 7]) -> Self {
        Self {
            rs485_baud: if switches[0] {
                Baud::B115200
            } else {
                Baud::B9600
            },
            rs485_address: MASTER_ADDRESS,
            protocol: match (switches[5], switches[6]) {
                (false, false) => ProtocolId::Id0,
                (true, false) => ProtocolId::Id1,
                (false, true) => ProtocolId::Id2,
                (true, true) => ProtocolId::Reserved,
            },
        }
    }

    /// A LOSUN pack's four address switches (index 0 is #1, the lowest bit). LOSUN
    /// 2.6-1 gives the default 9600 Bd and no protocol switches.
    pub fn losun(switches: [bool; 4]) -> Self {
        let address = switches
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .fold(0u8, |a, (bit, _)| a | (1 << bit));
        Self {
            rs485_address: address,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesso_switch_1_is_the_baud_rate_and_6_7_the_protocol() {
        let mut s = [false; 7];
        assert_eq!(DipSettings::lesso(s), DipSettings::default());
        s[0] = true;
        assert_eq!(DipSettings::lesso(s).rs485_baud, Baud::B115200);
        // The manual's "X000010" (ID1) and "X000001" (ID2).
        s[5] = true;
        assert_eq!(DipSettings::lesso(s).protocol, ProtocolId::Id1);
        s[5] = false;
        s[6] = true;
        assert_eq!(DipSettings::lesso(s).protocol, ProtocolId::Id2);
        s[5] = true;
        assert_eq!(DipSettings::lesso(s).protocol, ProtocolId::Reserved);
        assert_eq!(DipSettings::lesso(s).rs485_address, 2);
    }

    #[test]
    fn losun_switches_1_to_4_are_the_address_in_binary() {
        // LOSUN 2.4 table: 5 = #1 ON, #2 OFF, #3 ON, #4 OFF; 15 = all ON.
        assert_eq!(
            DipSettings::losun([true, false, true, false]).rs485_address,
            5
        );
        assert_eq!(DipSettings::losun([true; 4]).rs485_address, 15);
        assert_eq!(DipSettings::losun([false; 4]).rs485_address, 0);
        assert_eq!(
            DipSettings::losun([false, true, false, false]).rs485_address,
            2
        );
    }

    #[test]
    fn only_the_pylon_brands_hear_the_0x35x_set() {
        assert!(ProtocolId::Id0.speaks_pylon_can());
        assert!(ProtocolId::Id1.speaks_pylon_can());
        assert!(!ProtocolId::Id2.speaks_pylon_can());
        assert!(!ProtocolId::Reserved.speaks_pylon_can());
        assert_eq!(Baud::B115200.bits_per_second(), 115_200);
    }
}
