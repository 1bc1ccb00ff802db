//! A classic CAN 2.0 frame as it travels on the bus: identifier and 0-8 data bytes.

use std::fmt;

/// Largest payload of a classic CAN frame.
pub const MAX_DATA_LEN: usize = 8;

/// An 11-bit (CAN 2.0A) or 29-bit (CAN 2.0B) identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CanId {
    Standard(u16),
    Extended(u32),
}

impl CanId {
    /// The identifier without its format flag.
    pub fn raw(self) -> u32 {
        match self {
            CanId::Standard(id) => u32::from(id),
            CanId::Extended(id) => id,
        }
    }

    pub fn is_extended(self) -> bool {
        matches!(self, CanId::Extended(_))
    }
}

impl fmt::Display for CanId {
    /// candump spelling: three hex digits for standard, eight for extended.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CanId::Standard(id) => write!(f, "{id:03X}"),
            CanId::Extended(id) => write!(f, "{id:08X}"),
        }
    }
}

/// Why bytes could not become a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("standard CAN id {0:#x} does not fit in 11 bits")]
    StandardIdTooLarge(u32),
    #[error("extended CAN id {0:#x} does not fit in 29 bits")]
    ExtendedIdTooLarge(u32),
    #[error("CAN payload of {0} bytes exceeds the classic CAN maximum of 8")]
    PayloadTooLong(usize),
}

/// One classic CAN data frame. The payload length is the DLC.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CanFrame {
    id: CanId,
    len: u8,
    data: [u8; MAX_DATA_LEN],
}

impl CanFrame {
    pub fn new(id: CanId, payload: &[u8]) -> Result<Self, FrameError> {
        match id {
            CanId::Standard(raw) if raw > 0x7FF => {
                return Err(FrameError::StandardIdTooLarge(u32::from(raw)));
            }
            CanId::Extended(raw) if raw > 0x1FFF_FFFF => {
                return Err(FrameError::ExtendedIdTooLarge(raw));
            }
            _ => {}
        }
        if payload.len() > MAX_DATA_LEN {
            return Err(FrameError::PayloadTooLong(payload.len()));
        }
        let mut data = [0u8; MAX_DATA_LEN];
        data[..payload.len()].copy_from_slice(payload);
        Ok(Self {
            id,
            len: payload.len() as u8,
            data,
        })
    }

    /// A standard-id frame; the id is masked by the caller's constant, so only the
    /// payload length can be wrong.
    pub fn standard(id: u16, payload: &[u8]) -> Result<Self, FrameError> {
        Self::new(CanId::Standard(id), payload)
    }

    pub fn id(&self) -> CanId {
        self.id
    }

    pub fn dlc(&self) -> usize {
        usize::from(self.len)
    }

    pub fn data(&self) -> &[u8] {
        &self.data[..usize::from(self.len)]
    }

    /// Payload as upper-case hex without separators (`3002F401E803E001`).
    pub fn data_hex(&self) -> String {
        self.data_hex_in(&mut [0; 2 * MAX_DATA_LEN]).to_string()
    }

    /// [`CanFrame::data_hex`] written into `buf`: a busy bus logs every frame's data,
    /// and most of it repeats, so the text is compared before it is kept.
    pub fn data_hex_in<'b>(&self, buf: &'b mut [u8; 2 * MAX_DATA_LEN]) -> &'b str {
        // By table rather than `format!` per byte.
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        for (pair, b) in buf.chunks_exact_mut(2).zip(self.data()) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 0xF)];
        }
        let hex = &buf[..2 * self.data().len()];
        // Only ASCII digits were written: never the fallback.
        std::str::from_utf8(hex).unwrap_or_default()
    }
}

impl fmt::Debug for CanFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for CanFrame {
    /// candump spelling: `351#3002F401E803E001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.id, self.data_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_in_candump_spelling() {
        let f = CanFrame::standard(0x351, &[0x30, 0x02, 0xF4, 0x01]).unwrap();
        assert_eq!(f.to_string(), "351#3002F401");
        let all = CanFrame::standard(0x1, &[0x00, 0x9A, 0xBF, 0xFF]).unwrap();
        assert_eq!(all.data_hex(), "009ABFFF");
        let e = CanFrame::new(CanId::Extended(0x18FF50E5), &[1]).unwrap();
        assert_eq!(e.to_string(), "18FF50E5#01");
    }

    #[test]
    fn rejects_out_of_range_ids_and_long_payloads() {
        assert_eq!(
            CanFrame::standard(0x800, &[]),
            Err(FrameError::StandardIdTooLarge(0x800))
        );
        assert_eq!(
            CanFrame::new(CanId::Extended(0x2000_0000), &[]),
            Err(FrameError::ExtendedIdTooLarge(0x2000_0000))
        );
        assert_eq!(
            CanFrame::standard(0x1, &[0; 9]),
            Err(FrameError::PayloadTooLong(9))
        );
    }
}
