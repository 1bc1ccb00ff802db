//! The drivers a bench may name, and the role each plays for a plan.

/// Instrument drivers a bench may name. One `match` maps names to drivers, so the set
/// is checked when the code compiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    ScpiSource,
    ScpiLoad,
    WaveshareRelayD,
    Daq970a,
    NumatoRelay,
    BmsCan,
    WatlowF4t,
    WatlowF4,
    EspecP300,
    PylontechRs485,
    Rs232Console,
}

/// What an instrument is to a plan. Each role has one name plans address it by
/// (boards excepted: relays and inputs name their board).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// DC source/sink or electronic load: `source`.
    Source,
    /// Relays and digital inputs.
    Board,
    /// The BMS's CAN link: `bms`.
    Can,
    /// The BMS's RS485 link: `rs485`.
    Rs485,
    /// The pack's RS232 console port, written to only: `rs232`.
    Rs232,
    /// Thermal chamber: `chamber`.
    Chamber,
}

impl Role {
    /// The instrument name plans use, where the role has one.
    pub fn required_name(self) -> Option<&'static str> {
        match self {
            Role::Source => Some("source"),
            Role::Can => Some("bms"),
            Role::Rs485 => Some("rs485"),
            Role::Rs232 => Some("rs232"),
            Role::Chamber => Some("chamber"),
            Role::Board => None,
        }
    }
}

impl Driver {
    /// Every driver by its bench-file name.
    pub(super) const ALL: &[(&str, Driver)] = &[
        ("scpi-source", Driver::ScpiSource),
        ("scpi-load", Driver::ScpiLoad),
        ("waveshare-relay-d", Driver::WaveshareRelayD),
        ("keysight-daq970a", Driver::Daq970a),
        ("numato-relay", Driver::NumatoRelay),
        ("bms-can", Driver::BmsCan),
        ("watlow-f4t", Driver::WatlowF4t),
        ("watlow-f4", Driver::WatlowF4),
        ("espec-p300", Driver::EspecP300),
        ("pylontech-rs485", Driver::PylontechRs485),
        ("rs232-console", Driver::Rs232Console),
    ];

    pub fn role(self) -> Role {
        match self {
            Driver::ScpiSource | Driver::ScpiLoad => Role::Source,
            Driver::WaveshareRelayD | Driver::Daq970a | Driver::NumatoRelay => Role::Board,
            Driver::BmsCan => Role::Can,
            Driver::PylontechRs485 => Role::Rs485,
            Driver::Rs232Console => Role::Rs232,
            Driver::WatlowF4t | Driver::WatlowF4 | Driver::EspecP300 => Role::Chamber,
        }
    }

    pub(super) fn parse(name: &str) -> Option<Driver> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, d)| *d == self)
            .map_or("?", |(n, _)| n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_driver_name_reads_back_to_its_driver() {
        for (name, driver) in Driver::ALL {
            assert_eq!(Driver::parse(name), Some(*driver));
            assert_eq!(driver.name(), *name);
        }
        assert_eq!(Driver::parse("scpi"), None);
    }
}
