//! The frame of protocols.md §2.2 as plain data, with INFO already turned from
//! hex-ASCII into bytes.

use std::fmt;

/// §2.2: CID1 `46` = battery data (LFP).
pub const CID1_BATTERY: u8 = 0x46;

/// The VER the V3.3 examples use (`20`); the rig makes it configurable (§2.10).
pub const DEFAULT_VER: u8 = 0x20;

/// The first battery of a single group (§2.5).
pub const FIRST_BATTERY_ADR: u8 = 0x02;

/// Command value asking for whole-system data, only for 0x42 and 0x44 (§2.5).
pub const WHOLE_SYSTEM: u8 = 0xFF;

/// One frame between SOI (`~`) and EOI (CR).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// VER: protocol version (`20` = V2.0).
    pub ver: u8,
    /// ADR: device address; 0 and 255 reserved, first battery 0x02.
    pub adr: u8,
    /// CID1: `46` for battery data.
    pub cid1: u8,
    /// CID2: the command in a request, the return code (RTN) in a response.
    pub cid2: u8,
    /// INFO as bytes (on the wire each byte is two hex characters).
    pub info: Vec<u8>,
}

impl Frame {
    /// A request to battery `adr` with the rig's VER.
    pub fn request(ver: u8, adr: u8, command: Cid2, info: Vec<u8>) -> Self {
        Self {
            ver,
            adr,
            cid1: CID1_BATTERY,
            cid2: command.code(),
            info,
        }
    }
}

/// The commands of §2.7 the rig sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cid2 {
    /// 0x42 get analog values.
    AnalogValues,
    /// 0x44 get alarm info.
    AlarmInfo,
    /// 0x47 get system parameters.
    SystemParameters,
    /// 0x4F get protocol version.
    ProtocolVersion,
    /// 0x51 get manufacturer info.
    ManufacturerInfo,
    /// 0x92 get charge/discharge management info.
    ChargeManagement,
    /// 0x93 get module serial number.
    SerialNumber,
    /// 0x95 turn off module (the pack goes to sleep; upper-computer shutdown).
    TurnOff,
    /// 0x96 get firmware version.
    FirmwareVersion,
}

impl Cid2 {
    pub fn code(self) -> u8 {
        match self {
            Cid2::AnalogValues => 0x42,
            Cid2::AlarmInfo => 0x44,
            Cid2::SystemParameters => 0x47,
            Cid2::ProtocolVersion => 0x4F,
            Cid2::ManufacturerInfo => 0x51,
            Cid2::ChargeManagement => 0x92,
            Cid2::SerialNumber => 0x93,
            Cid2::TurnOff => 0x95,
            Cid2::FirmwareVersion => 0x96,
        }
    }
}

impl fmt::Display for Cid2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Cid2::AnalogValues => "get analog values",
            Cid2::AlarmInfo => "get alarm info",
            Cid2::SystemParameters => "get system parameters",
            Cid2::ProtocolVersion => "get protocol version",
            Cid2::ManufacturerInfo => "get manufacturer info",
            Cid2::ChargeManagement => "get charge/discharge management info",
            Cid2::SerialNumber => "get module serial number",
            Cid2::TurnOff => "turn off module",
            Cid2::FirmwareVersion => "get firmware version",
        };
        write!(f, "{:#04X} ({name})", self.code())
    }
}

/// RTN, the CID2 of a response (§2.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReturnCode {
    Normal,
    VerError,
    ChksumError,
    LchksumError,
    Cid2Invalid,
    CommandFormatError,
    InvalidData,
    AdrError,
    InternalCommunicationError,
    /// A code §2.6 does not list.
    Other(u8),
}

impl From<u8> for ReturnCode {
    fn from(code: u8) -> Self {
        match code {
            0x00 => ReturnCode::Normal,
            0x01 => ReturnCode::VerError,
            0x02 => ReturnCode::ChksumError,
            0x03 => ReturnCode::LchksumError,
            0x04 => ReturnCode::Cid2Invalid,
            0x05 => ReturnCode::CommandFormatError,
            0x06 => ReturnCode::InvalidData,
            0x90 => ReturnCode::AdrError,
            0x91 => ReturnCode::InternalCommunicationError,
            other => ReturnCode::Other(other),
        }
    }
}

impl fmt::Display for ReturnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReturnCode::Normal => f.write_str("normal"),
            ReturnCode::VerError => f.write_str("VER error"),
            ReturnCode::ChksumError => f.write_str("CHKSUM error"),
            ReturnCode::LchksumError => f.write_str("LCHKSUM error"),
            ReturnCode::Cid2Invalid => f.write_str("CID2 invalid"),
            ReturnCode::CommandFormatError => f.write_str("command format error"),
            ReturnCode::InvalidData => f.write_str("invalid data"),
            ReturnCode::AdrError => f.write_str("ADR error"),
            ReturnCode::InternalCommunicationError => f.write_str("internal communication error"),
            ReturnCode::Other(code) => write!(f, "unknown return code {code:#04X}"),
        }
    }
}
