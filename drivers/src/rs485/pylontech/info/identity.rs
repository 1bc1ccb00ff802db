//! 0x93 and 0x96: which module answers, and which firmware it runs (protocols.md
//! §2.7). Both answers start with the command value (the module's ADR), as the
//! per-battery commands do; neither has an INFOFLAG (python-pylontech and its
//! pshirshov fork read the command value first, then 16 or 5 bytes).

use std::fmt;

use super::{InfoError, Reader};

/// §2.7 0x93: "command value + 16 ASCII SN".
const SERIAL_LEN: usize = 16;

/// 0x93: the module's serial number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialNumber {
    pub command_value: u8,
    /// The 16 characters without their padding (trailing spaces and NULs).
    pub serial: String,
}

impl SerialNumber {
    /// A byte that is neither printable ASCII nor trailing padding is an error: a
    /// serial read wrong would name the wrong module in a report.
    pub fn parse(info: &[u8]) -> Result<Self, InfoError> {
        let mut r = Reader::new(info);
        let command_value = r.u8("command value")?;
        let start = r.at;
        let field = r.take(SERIAL_LEN, "serial number")?;
        r.finish()?;
        let text_len = field
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |last| last + 1);
        let text = field.get(..text_len).unwrap_or_default();
        if let Some(i) = text
            .iter()
            .position(|&b| !(b.is_ascii_graphic() || b == b' '))
        {
            return Err(InfoError::NotText {
                field: "serial number",
                position: start + i,
                byte: text.get(i).copied().unwrap_or_default(),
            });
        }
        Ok(Self {
            command_value,
            serial: text.iter().map(|&b| char::from(b)).collect(),
        })
    }
}

/// 0x96: "manufacturer version (2 bytes) + main-line version (3 bytes)".
///
/// Each byte is read as one number of the version, as OpenDTU-OnBattery's Pylontech
/// receiver (skippermeister fork) prints them ("x.y" and "x.y.z"); python-pylontech's
/// fork keeps the five bytes raw. No vendor document says whether a pack could send
/// ASCII digits instead **[U]**; [`Self::raw`] keeps the bytes for that case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FirmwareVersion {
    pub command_value: u8,
    pub manufacturer: [u8; 2],
    pub main_line: [u8; 3],
}

impl FirmwareVersion {
    pub fn parse(info: &[u8]) -> Result<Self, InfoError> {
        let mut r = Reader::new(info);
        let command_value = r.u8("command value")?;
        let manufacturer = r.u8("manufacturer version")?;
        let minor = r.u8("manufacturer version")?;
        let main_line = [
            r.u8("main-line version")?,
            r.u8("main-line version")?,
            r.u8("main-line version")?,
        ];
        r.finish()?;
        Ok(Self {
            command_value,
            manufacturer: [manufacturer, minor],
            main_line,
        })
    }

    /// The five version bytes as sent.
    pub fn raw(&self) -> [u8; 5] {
        let [a, b] = self.manufacturer;
        let [c, d, e] = self.main_line;
        [a, b, c, d, e]
    }
}

/// `1.2 / 3.4.5`: manufacturer version, then main-line version.
impl fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b] = self.manufacturer;
        let [c, d, e] = self.main_line;
        write!(f, "{a}.{b} / {c}.{d}.{e}")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn serial_info(text: &[u8]) -> Vec<u8> {
        let mut info = vec![0x02];
        info.extend_from_slice(text);
        info
    }

    #[test]
    fn a_serial_loses_its_padding_only() {
        let s = SerialNumber::parse(&serial_info(b"PPTAP0123456789 ")).unwrap();
        assert_eq!((s.command_value, s.serial.as_str()), (2, "PPTAP0123456789"));
        let s = SerialNumber::parse(&serial_info(b"AB CD\0\0\0\0\0\0\0\0\0 \0")).unwrap();
        assert_eq!(
            s.serial, "AB CD",
            "inner spaces stay, trailing NULs and spaces go"
        );
        let s = SerialNumber::parse(&serial_info(&[0; 16])).unwrap();
        assert_eq!(s.serial, "", "a blank serial is data, not an error");
        let s = SerialNumber::parse(&serial_info(b" LEADING-SPACE  ")).unwrap();
        assert_eq!(s.serial, " LEADING-SPACE");
    }

    #[test]
    fn a_short_long_or_garbled_serial_is_an_error() {
        assert_eq!(
            SerialNumber::parse(&serial_info(b"SHORT")),
            Err(InfoError::Truncated {
                field: "serial number",
                needed: 17,
                len: 6
            })
        );
        assert_eq!(
            SerialNumber::parse(&[]),
            Err(InfoError::Truncated {
                field: "command value",
                needed: 1,
                len: 0
            })
        );
        assert_eq!(
            SerialNumber::parse(&serial_info(b"0123456789ABCDEF!")),
            Err(InfoError::TrailingBytes { extra: 1 })
        );
        assert_eq!(
            SerialNumber::parse(&serial_info(b"0123\xFF56789ABCDEF")),
            Err(InfoError::NotText {
                field: "serial number",
                position: 5,
                byte: 0xFF
            })
        );
        assert!(
            SerialNumber::parse(&serial_info(b"01\x0023456789ABCDE")).is_err(),
            "a NUL inside the serial is not padding"
        );
    }

    #[test]
    fn firmware_bytes_and_display() {
        let v = FirmwareVersion::parse(&[0x02, 1, 2, 3, 4, 5]).unwrap();
        assert_eq!(v.command_value, 2);
        assert_eq!((v.manufacturer, v.main_line), ([1, 2], [3, 4, 5]));
        assert_eq!(v.to_string(), "1.2 / 3.4.5");
        assert_eq!(v.raw(), [1, 2, 3, 4, 5]);
        assert_eq!(
            FirmwareVersion::parse(&[0x02, 0xFF, 0, 10, 0, 255])
                .unwrap()
                .to_string(),
            "255.0 / 10.0.255"
        );
    }

    #[test]
    fn short_or_long_firmware_info_is_an_error() {
        assert_eq!(
            FirmwareVersion::parse(&[0x02, 1, 2, 3, 4]),
            Err(InfoError::Truncated {
                field: "main-line version",
                needed: 6,
                len: 5
            })
        );
        assert_eq!(
            FirmwareVersion::parse(&[0x02, 1]),
            Err(InfoError::Truncated {
                field: "manufacturer version",
                needed: 3,
                len: 2
            })
        );
        assert_eq!(
            FirmwareVersion::parse(&[0x02, 1, 2, 3, 4, 5, 6]),
            Err(InfoError::TrailingBytes { extra: 1 })
        );
    }

    proptest! {
        #[test]
        fn identity_parsers_never_panic(info in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = SerialNumber::parse(&info);
            let _ = FirmwareVersion::parse(&info);
        }

        #[test]
        fn any_printable_serial_round_trips(serial in "[!-~][ -~]{0,14}[!-~]") {
            let mut field = serial.clone().into_bytes();
            field.resize(16, b' ');
            let parsed = SerialNumber::parse(&serial_info(&field)).unwrap();
            prop_assert_eq!(parsed.serial, serial);
        }
    }
}
