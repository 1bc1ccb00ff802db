//! The IEEE 488.2 common commands and the SCPI error queue: the same text on every
//! instrument of protocols.md §4.2, so they live outside the dialects.

/// `*IDN?`: manufacturer, model, serial, firmware.
pub const IDENTIFY: &str = "*IDN?";
/// `*CLS`: clears the status registers and the error queue.
pub const CLEAR_STATUS: &str = "*CLS";
/// `*RST`: factory state. Whether it opens the output is model dependent (§8.4), so
/// the drivers never send it on their own.
pub const RESET: &str = "*RST";
/// `*OPC?`: answers `1` once every pending operation has finished.
pub const OPERATION_COMPLETE: &str = "*OPC?";
/// `SYST:ERR?`: the oldest error-queue entry, `0,"No error"` when empty.
pub const NEXT_ERROR: &str = "SYST:ERR?";
