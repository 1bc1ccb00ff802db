//! CRC-16/MODBUS (protocols.md 6.4: init 0xFFFF, reflected polynomial 0xA001, sent low
//! byte first), for code that builds or checks RTU frames itself: the twin's RTU
//! server and the byte-exact frame tables of the tests. The drivers' own exchanges go
//! through tokio-modbus, which checks its frames with the same `crc` crate.

const CRC_16_MODBUS: ::crc::Crc<u16> = ::crc::Crc::<u16>::new(&::crc::CRC_16_MODBUS);

/// The CRC of an RTU frame's address, function code and data.
pub fn crc16(bytes: &[u8]) -> u16 {
    CRC_16_MODBUS.checksum(bytes)
}

/// `bytes` (address, function code, data) followed by their CRC, low byte first: a
/// whole RTU ADU.
pub fn with_crc(bytes: &[u8]) -> Vec<u8> {
    let mut adu = Vec::with_capacity(bytes.len() + 2);
    adu.extend_from_slice(bytes);
    adu.extend_from_slice(&crc16(bytes).to_le_bytes());
    adu
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_check_value() {
        // CRC-16/MODBUS of the ASCII digits "123456789" (the CRC catalogue's check).
        assert_eq!(crc16(b"123456789"), 0x4B37);
        assert_eq!(crc16(&[]), 0xFFFF);
    }

    /// The example frames of protocols.md, with the CRC they print: every hand-written
    /// ADU in the drivers' and the twin's tests rests on these.
    #[test]
    fn reference_frames_of_protocols_md() {
        let frames: [[u8; 8]; 11] = [
            // 6.1: relay 1 on, relay 1 off, toggle (FC05 coil 0: 0xFF00, 0x0000, 0x5500).
            [0x01, 0x05, 0x00, 0x00, 0xFF, 0x00, 0x8C, 0x3A],
            [0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0xCD, 0xCA],
            [0x01, 0x05, 0x00, 0x00, 0x55, 0x00, 0xF2, 0x9A],
            // 6.1: all on, all off (FC05 coil 0x00FF).
            [0x01, 0x05, 0x00, 0xFF, 0xFF, 0x00, 0xBC, 0x0A],
            [0x01, 0x05, 0x00, 0xFF, 0x00, 0x00, 0xFD, 0xFA],
            // 6.1: read 8 relays (FC01), read 8 inputs (FC02), read the address (FC03 0x4000).
            [0x01, 0x01, 0x00, 0x00, 0x00, 0x08, 0x3D, 0xCC],
            [0x01, 0x02, 0x00, 0x00, 0x00, 0x08, 0x79, 0xCC],
            [0x01, 0x03, 0x40, 0x00, 0x00, 0x01, 0x91, 0xCA],
            // 5.1: Watlow F4 read PV (FC03, register 100), set point 25.0 °C (FC06,
            // register 300, 250).
            [0x01, 0x03, 0x00, 0x64, 0x00, 0x01, 0xC5, 0xD5],
            [0x01, 0x06, 0x01, 0x2C, 0x00, 0xFA, 0xC9, 0xBC],
            // 5.2: Watlow F4T read loop-1 PV (FC03, a float at register 2820).
            [0x01, 0x03, 0x0B, 0x04, 0x00, 0x02, 0x87, 0xEE],
        ];
        for frame in frames {
            assert_eq!(with_crc(&frame[..6]), frame, "{frame:02X?}");
        }
    }
}
