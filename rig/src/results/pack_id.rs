//! The pack's serial number and firmware version, from what the log shows of its RS485
//! exchanges (Pylontech 0x93 and 0x96, protocols.md §2.7: a `sent` request, then the next
//! `received` frame on the same instrument is its answer), else from identity lines
//! (`firmware X` or `serial X` in a BMS link's identity; `software X` of the RS485 0x51
//! manufacturer info). The first answer wins: the master pack's, which is polled first.

use rig_drivers::rs485::pylontech::{FirmwareVersion, SerialNumber, decode_frame};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Asked {
    Serial,
    Firmware,
}

#[derive(Debug, Default)]
pub struct PackIdentity {
    /// Instrument and the identity command it was last sent, awaiting the answer.
    pending: Vec<(String, Asked)>,
    serial: Option<String>,
    firmware: Option<String>,
    identity_serial: Option<String>,
    identity_firmware: Option<String>,
}

impl PackIdentity {
    pub fn connected(&mut self, driver: &str, identity: &str) {
        let firmware_key = if driver == "pylontech-rs485" {
            "software"
        } else {
            "firmware"
        };
        if driver.starts_with("bms") || driver == "pylontech-rs485" {
            if self.identity_firmware.is_none() {
                self.identity_firmware = field_of(identity, firmware_key);
            }
            if self.identity_serial.is_none() {
                self.identity_serial = field_of(identity, "serial");
            }
        }
    }

    pub fn sent(&mut self, instrument: &str, text: Option<String>) {
        self.pending.retain(|(i, _)| i != instrument);
        let asked = text.as_deref().and_then(frame).and_then(|f| match f.cid2 {
            0x93 => Some(Asked::Serial),
            0x96 => Some(Asked::Firmware),
            _ => None,
        });
        if let Some(asked) = asked {
            self.pending.push((instrument.to_string(), asked));
        }
    }

    pub fn received(&mut self, instrument: &str, text: Option<&str>) {
        let Some(at) = self.pending.iter().position(|(i, _)| i == instrument) else {
            return;
        };
        let (_, asked) = self.pending.remove(at);
        // CID2 of an answer is its return code; 0 is normal (§2.2).
        let Some(answer) = text.and_then(frame).filter(|f| f.cid2 == 0) else {
            return;
        };
        match asked {
            Asked::Serial if self.serial.is_none() => {
                self.serial = SerialNumber::parse(&answer.info).ok().map(|s| s.serial);
            }
            Asked::Firmware if self.firmware.is_none() => {
                self.firmware = FirmwareVersion::parse(&answer.info)
                    .ok()
                    .map(|v| v.to_string());
            }
            _ => {}
        }
    }

    /// Serial and firmware, the RS485 answers first.
    pub fn into_fields(self) -> (Option<String>, Option<String>) {
        (
            self.serial.or(self.identity_serial),
            self.firmware.or(self.identity_firmware),
        )
    }
}

/// A logged frame `~...` (its CR may be gone) decoded, or `None` if it is not one.
fn frame(text: &str) -> Option<rig_drivers::rs485::pylontech::Frame> {
    let body = text.trim_end_matches(['\r', '\n']).strip_prefix('~')?;
    decode_frame(body.as_bytes()).ok()
}

/// `serial SIM0001` or `serial: SIM0001` in an identity line.
fn field_of(identity: &str, key: &str) -> Option<String> {
    identity.split(',').find_map(|part| {
        let rest = part.trim().strip_prefix(key)?;
        let value = rest.trim_start_matches([':', '=', ' ']).trim();
        (!value.is_empty() && rest.starts_with([':', '=', ' '])).then(|| value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use rig_drivers::rs485::pylontech::{Frame, encode_frame};

    use super::*;

    fn text(frame: &Frame) -> String {
        String::from_utf8(encode_frame(frame)).unwrap()
    }

    fn answer(info: Vec<u8>) -> String {
        text(&Frame {
            ver: 0x20,
            adr: 2,
            cid1: 0x46,
            cid2: 0,
            info,
        })
    }

    fn request(cid2: u8) -> String {
        text(&Frame {
            ver: 0x20,
            adr: 2,
            cid1: 0x46,
            cid2,
            info: vec![2],
        })
    }

    #[test]
    fn serial_and_firmware_come_from_the_answers_to_0x93_and_0x96() {
        let mut id = PackIdentity::default();
        id.connected(
            "pylontech-rs485",
            "LESSO LSRR51V100, software 0.0, address 2, protocol VER 0x20",
        );
        id.sent("rs485", Some(request(0x93)));
        let mut serial = vec![2];
        serial.extend_from_slice(b"PPTBH0123456789 ");
        id.received("rs485", Some(&answer(serial)));
        id.sent("rs485", Some(request(0x96)));
        id.received("rs485", Some(&answer(vec![2, 1, 4, 1, 4, 2])));
        assert_eq!(
            id.into_fields(),
            (Some("PPTBH0123456789".into()), Some("1.4 / 1.4.2".into()))
        );
    }

    #[test]
    fn without_the_answers_the_identity_lines_are_used() {
        let mut id = PackIdentity::default();
        id.connected(
            "pylontech-rs485",
            "LESSO LSRR51V100, software 0.0, address 2",
        );
        id.sent("rs485", Some(request(0x96)));
        // An answer on another instrument, and a malformed answer, are not the firmware.
        id.received("source", Some(&answer(vec![2, 9, 9, 9, 9, 9])));
        id.received("rs485", Some(&answer(vec![])));
        assert_eq!(id.into_fields(), (None, Some("0.0".into())));
    }

    #[test]
    fn identity_fields_need_a_separator() {
        assert_eq!(
            field_of("RIG-SIM, serial SIM0001", "serial"),
            Some("SIM0001".into())
        );
        assert_eq!(field_of("serials: 3", "serial"), None);
        assert_eq!(field_of("firmware: 1.2", "firmware"), Some("1.2".into()));
    }
}
