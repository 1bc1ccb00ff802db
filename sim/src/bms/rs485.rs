//! The BMS's RS485 port: the Pylontech ASCII protocol (protocols.md §2) as the pack at
//! its DIP address answers it (by default 2: §2.5 "first battery = 0x02"; LOSUN 2.6-1
//! "the address setting range is 2~15", LOSUN 2.4 DIP #1-#4).
//!
//! Pure: [`PylonBms::answer`] turns one request frame and the firmware's state at that
//! instant ([`PylonStatus`]) into the response frame, or `None` where a bus slave keeps
//! quiet. Framing and checksums are the drivers' codec (`rig_drivers::rs485::pylontech`);
//! the INFO layouts are the ones its client parses.
//!
//! Choices where the protocol leaves room (protocols.md §2.6, §2.7):
//! * A frame for another address gets no answer, whatever it holds.
//! * VER is checked before anything else except for 0x4F, which the pack answers
//!   whatever VER the request has ("battery ignores VER in the request"); other
//!   commands with a VER other than `20` get RTN 0x01.
//! * CID1 other than `46` gets RTN 0x05 (command format error; §2.6 has no CID1 code).
//! * A command value (INFO) that is not the pack's address gets RTN 0x90 (ADR error);
//!   0xFF (whole system, 0x42 and 0x44 only, at the master's address) answers the
//!   module count, then each answering module's block, as python-pylontech's
//!   multi-module parser reads it [U]; a slave has no system data and answers 0xFF
//!   with RTN 0x90. One pack alone: count 1 and its own block.
//!   A missing or longer INFO where a command value is due gets RTN 0x05.
//! * A frame for this address that fails its CHKSUM gets RTN 0x02, its LCHKSUM RTN 0x03,
//!   a LENID that does not fit its INFO RTN 0x05; anything less readable is garbage.
//!
//! The numbers are what the BMS announces on CAN at the same instant (current after the
//! reporting dead band, SOC held at 99 % until calibrated, limits zeroed by a
//! protection), so RS485 and CAN never disagree; injected reporting defects show on both.
//! 0x42 carries each cell's own voltage; in 0x44 a cell voltage warning or the cell
//! level of a protection marks the cells at or beyond the warning level (at least the
//! extreme cell), the pack level of a protection the module (module-voltage state,
//! status 1 bits 0 and 7; the cell level of CUVP is status 1 bit 1), and the cell
//! voltage errors of status 4/5 are per cell. The Pylontech 0x44 has no balancing
//! or imbalance field (protocols.md §2.9), so neither is sent.
//! Not modelled: separate board/MOSFET temperatures
//! (all five equal the cell temperature), the cycle counter (always 0), the "charge
//! immediately" bits of 0x92. Its "full charge request" bit carries the forced
//! recharge (LOSUN 2.3-3), as 0x35C does. 0x95 "Turn off module" is answered, and the
//! port then puts the pack to sleep (LOSUN 2.3-3 sleep 5).
//! 0x93 (serial number) and 0x96 (firmware version) answer each pack's own identity,
//! derived from the profile as `rs485/identity.rs` describes; like 0x92 they take the pack's
//! address as command value and refuse 0xFF.

mod identity;

use rig_drivers::rs485::pylontech::{BadFrame, CID1_BATTERY, Frame};

use super::can_frames::CanReport;
use super::voltage::Levels;
use crate::config::PackParams;

/// The VER this BMS speaks and answers 0x4F with (§2.10: the V3.3 examples use `20`).
pub(crate) const VERSION: u8 = 0x20;

/// §2.6 return codes the pack sends.
const RTN_NORMAL: u8 = 0x00;
const RTN_VER: u8 = 0x01;
const RTN_CHKSUM: u8 = 0x02;
const RTN_LCHKSUM: u8 = 0x03;
const RTN_CID2: u8 = 0x04;
const RTN_FORMAT: u8 = 0x05;
const RTN_ADR: u8 = 0x90;

/// §2.7 CID2 0x95 "Turn off module" [V].
const TURN_OFF: u8 = 0x95;
/// §2.7 CID2 0x93 "Get module serial number" and 0x96 "Get firmware version" [V].
const SERIAL_NUMBER: u8 = 0x93;
const FIRMWARE_VERSION: u8 = 0x96;

/// §2.5: command value asking for whole-system data.
const WHOLE_SYSTEM: u8 = 0xFF;
/// §2.8: INFOFLAG/DATAFLAG as in the spec example (0x11).
const DATA_FLAG: u8 = 0x11;
/// §2.8: "N = 5 typical: BMS board, cells 1–4, 5–8, 9–12, 13–15/16".
const TEMPERATURES: u8 = 5;
/// §2.8: °C = (value − 2731) / 10.
const KELVIN_OFFSET_TENTHS: f64 = 2731.0;
/// §2.8: 0xFFFF and the 3-byte fields "when capacity > 65 Ah".
const TWO_BYTE_CAPACITY_MAH: u32 = 65_000;
/// §2.9 status 4/5: "cell > 4.2 V → charge MOS off, or < 1 V → battery shuts down".
const CELL_ERROR_HIGH_V: f64 = 4.2;
const CELL_ERROR_LOW_V: f64 = 1.0;
/// §2.9 status 3 bits 7/6: "effective" current beyond 0.1 A.
const EFFECTIVE_CURRENT_A: f64 = 0.1;

/// §2.9 state bytes.
const NORMAL: u8 = 0x00;
const BELOW: u8 = 0x01;
const ABOVE: u8 = 0x02;

/// What a command value asks for (§2.5).
enum Target {
    /// This pack; the value to echo.
    Own(u8),
    /// The whole system (0xFF).
    System,
}

/// §2.8 whole-system INFO as python-pylontech's multi-module parser reads it [U]:
/// INFOFLAG, the number of modules, then each module's block from its cell count on
/// (the one-module INFO without its INFOFLAG and command value).
fn whole_system(system: &[&PylonStatus], block: impl Fn(&PylonStatus) -> Vec<u8>) -> Vec<u8> {
    let mut info = vec![DATA_FLAG, u8::try_from(system.len()).unwrap_or(u8::MAX)];
    for s in system {
        info.extend(block(s).into_iter().skip(2));
    }
    info
}

/// The firmware's state at one instant, as far as the RS485 answers show it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PylonStatus {
    /// What the BMS announces on CAN at the same instant.
    pub(crate) report: CanReport,
    pub(crate) charge_mosfet_on: bool,
    pub(crate) discharge_mosfet_on: bool,
    /// CHTP (0x44 status 1 bit 6).
    pub(crate) charge_over_temperature: bool,
    /// DHTP (0x44 status 1 bit 5).
    pub(crate) discharge_over_temperature: bool,
    /// COVP/POVP by level: the cell level marks the cells (0x44 cell states), the pack
    /// level the module (module-voltage state, status 1 bit 0).
    pub(crate) over_voltage: Levels,
    /// CUVP/PUVP by level: the cell level marks the cells (cell states, status 1 bit
    /// 1), the pack level the module (module-voltage state, status 1 bit 7).
    pub(crate) under_voltage: Levels,
    /// Each cell's voltage, cell 1 first.
    pub(crate) cell_voltages: Vec<f64>,
}

/// The pack on the bus: its address and the answers the DUT profile fixes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct PylonBms {
    adr: u8,
    cells: u8,
    total_mah: u32,
    /// Cell voltage warning levels (0x44 cell states), V.
    cell_high_v: f64,
    cell_low_v: f64,
    /// 0x51 INFO.
    manufacturer_info: Vec<u8>,
    /// 0x47 INFO.
    system_parameters: Vec<u8>,
    /// The profile's serial, from which each pack of the chain derives its own.
    profile_serial: String,
    /// 0x93 INFO after the command value: this pack's serial.
    serial: [u8; identity::SERIAL_LEN],
    /// 0x96 INFO after the command value.
    firmware: [u8; 5],
}

impl PylonBms {
    /// The pack answering at `address` (its DIP setting).
    pub(crate) fn new(p: &PackParams, address: u8) -> Self {
        Self {
            adr: address,
            cells: u8::try_from(p.cells_in_series.max(1)).unwrap_or(u8::MAX),
            // The full-charge capacity: rated x SOH (Lesso glossary, SOH).
            total_mah: (p.capacity_ah * p.soh_percent / 100.0 * 1000.0)
                .round()
                .clamp(0.0, f64::from(0xFF_FFFF)) as u32,
            cell_high_v: p.alarms.cell_high_v,
            cell_low_v: p.alarms.cell_low_v,
            manufacturer_info: manufacturer_info(p),
            system_parameters: system_parameters(p),
            profile_serial: p.serial.clone(),
            serial: identity::serial_field(&p.serial, 0),
            firmware: identity::firmware_bytes(&p.firmware),
        }
    }

    /// The address it answers at.
    pub(crate) fn address(&self) -> u8 {
        self.adr
    }

    /// Pack `k` of the group (0 = the master) at `address` (§2.5): the same profile,
    /// its own serial.
    pub(crate) fn in_chain(&self, k: usize, address: u8) -> Self {
        Self {
            adr: address,
            serial: identity::serial_field(&self.profile_serial, k),
            ..self.clone()
        }
    }

    /// The answer of a pack alone (the whole system is this pack).
    #[cfg(test)]
    pub(crate) fn answer(&self, request: &Frame, status: &PylonStatus) -> Option<Frame> {
        self.answer_in(request, status, &[status])
    }

    /// The answer to a frame that decoded, or `None` when the pack stays silent.
    /// `system`: every pack of the group that answers its master, the master first, for
    /// 0x42/0x44 with command value 0xFF; empty for a slave (it has no system data).
    pub(crate) fn answer_in(
        &self,
        request: &Frame,
        status: &PylonStatus,
        system: &[&PylonStatus],
    ) -> Option<Frame> {
        if request.adr != self.adr {
            return None;
        }
        let info = self.info(request, status, system);
        Some(match info {
            Ok(info) => self.response(RTN_NORMAL, info),
            Err(rtn) => self.response(rtn, Vec::new()),
        })
    }

    /// Whether `answer` accepted a 0x95 "Turn off module" request: the pack then goes to
    /// low-power mode once the answer is out (LOSUN 2.3-3 sleep 5), "Forced shutdown
    /// through upper computer software").
    pub(crate) fn turns_off(request: &Frame, answer: &Frame) -> bool {
        request.cid2 == TURN_OFF && answer.cid2 == RTN_NORMAL
    }

    /// The answer to the characters between SOI and EOI of a frame that failed the
    /// codec's checks: a return code if the header is readable and addressed to this
    /// pack, otherwise nothing.
    pub(crate) fn answer_bad(&self, body: &[u8], bad: &BadFrame) -> Option<Frame> {
        let adr = body.get(2..4).and_then(hex_byte)?;
        let rtn = match bad {
            BadFrame::Checksum { .. } => RTN_CHKSUM,
            BadFrame::LengthChecksum { .. } => RTN_LCHKSUM,
            BadFrame::LengthMismatch { .. } | BadFrame::OddLength { .. } => RTN_FORMAT,
            BadFrame::TooShort { .. } | BadFrame::TooLong { .. } | BadFrame::NotHex { .. } => {
                return None;
            }
        };
        (adr == self.adr).then(|| self.response(rtn, Vec::new()))
    }

    fn response(&self, rtn: u8, info: Vec<u8>) -> Frame {
        Frame {
            ver: VERSION,
            adr: self.adr,
            cid1: CID1_BATTERY,
            cid2: rtn,
            info,
        }
    }

    /// INFO of a normal answer, or the return code refusing the request.
    fn info(
        &self,
        request: &Frame,
        status: &PylonStatus,
        system: &[&PylonStatus],
    ) -> Result<Vec<u8>, u8> {
        if request.cid1 != CID1_BATTERY {
            return Err(RTN_FORMAT);
        }
        if request.cid2 == 0x4F {
            return Ok(Vec::new());
        }
        if request.ver != VERSION {
            return Err(RTN_VER);
        }
        match request.cid2 {
            0x42 => Ok(match self.command_value(request, !system.is_empty())? {
                Target::Own(value) => self.analog(value, status),
                Target::System => whole_system(system, |s| self.analog(0, s)),
            }),
            0x44 => Ok(match self.command_value(request, !system.is_empty())? {
                Target::Own(value) => self.alarms(value, status),
                Target::System => whole_system(system, |s| self.alarms(0, s)),
            }),
            0x47 => Ok(self.system_parameters.clone()),
            0x51 => Ok(self.manufacturer_info.clone()),
            0x92 => match self.command_value(request, false)? {
                Target::Own(value) => Ok(self.charge_management(value, status)),
                Target::System => Err(RTN_ADR),
            },
            // §2.7 "Turn off module": command value, empty answer; see `turns_off`.
            TURN_OFF => self.command_value(request, false).map(|_| Vec::new()),
            // §2.7: the command value echoed, then the 16 or 5 bytes.
            SERIAL_NUMBER => self.echoed(request, &self.serial),
            FIRMWARE_VERSION => self.echoed(request, &self.firmware),
            _ => Err(RTN_CID2),
        }
    }

    /// §2.5: the command value must be the address (or 0xFF where whole-system data
    /// exists); returns what the request asks for.
    fn command_value(&self, request: &Frame, whole_system: bool) -> Result<Target, u8> {
        match request.info[..] {
            [value] if value == self.adr => Ok(Target::Own(value)),
            [WHOLE_SYSTEM] if whole_system => Ok(Target::System),
            [_] => Err(RTN_ADR),
            _ => Err(RTN_FORMAT),
        }
    }

    /// A per-battery answer that is the command value followed by fixed `data`.
    fn echoed(&self, request: &Frame, data: &[u8]) -> Result<Vec<u8>, u8> {
        match self.command_value(request, false)? {
            Target::Own(value) => Ok([&[value][..], data].concat()),
            Target::System => Err(RTN_ADR),
        }
    }

    /// 0x42, §2.8.
    fn analog(&self, command_value: u8, s: &PylonStatus) -> Vec<u8> {
        let r = &s.report;
        let mut info = vec![DATA_FLAG, command_value, self.cells];
        for cell_v in self.cell_voltages(s) {
            info.extend_from_slice(&(millis(cell_v) as i16).to_be_bytes());
        }
        info.push(TEMPERATURES);
        let temperature = tenths_kelvin(r.temperature_c);
        for _ in 0..TEMPERATURES {
            info.extend_from_slice(&temperature.to_be_bytes());
        }
        info.extend_from_slice(&deci_amps(r.pack_current_a).to_be_bytes());
        info.extend_from_slice(&(millis(r.pack_voltage_v) as u16).to_be_bytes());
        let remaining =
            (f64::from(self.total_mah) * r.soc_percent.clamp(0.0, 100.0) / 100.0).round() as u32;
        // Cycles: the twin keeps no cycle counter.
        let cycles = 0u16;
        if self.total_mah > TWO_BYTE_CAPACITY_MAH {
            info.extend_from_slice(&u16::MAX.to_be_bytes());
            info.push(4);
            info.extend_from_slice(&u16::MAX.to_be_bytes());
            info.extend_from_slice(&cycles.to_be_bytes());
            info.extend_from_slice(&remaining.to_be_bytes()[1..]);
            info.extend_from_slice(&self.total_mah.to_be_bytes()[1..]);
        } else {
            info.extend_from_slice(&(remaining as u16).to_be_bytes());
            info.push(2);
            info.extend_from_slice(&(self.total_mah as u16).to_be_bytes());
            info.extend_from_slice(&cycles.to_be_bytes());
        }
        info
    }

    /// 0x44, §2.9.
    fn alarms(&self, command_value: u8, s: &PylonStatus) -> Vec<u8> {
        let r = &s.report;
        let state = |above: bool, below: bool| {
            if above {
                ABOVE
            } else if below {
                BELOW
            } else {
                NORMAL
            }
        };
        let mut info = vec![DATA_FLAG, command_value, self.cells];
        let cells = self.cell_voltages(s);
        let (low, high) = super::balancing::extremes(&cells).unwrap_or((0.0, 0.0));
        let (over, under) = (s.over_voltage, s.under_voltage);
        let high_flag = over.cell || r.alarm_cell_high_voltage;
        let low_flag = under.cell || r.alarm_cell_low_voltage;
        for v in &cells {
            info.push(state(
                high_flag && (*v >= self.cell_high_v || *v >= high),
                low_flag && (*v <= self.cell_low_v || *v <= low),
            ));
        }
        info.push(TEMPERATURES);
        let temperature = state(
            r.over_temperature || r.alarm_high_temperature,
            r.under_temperature || r.alarm_low_temperature,
        );
        info.extend(std::iter::repeat_n(temperature, usize::from(TEMPERATURES)));
        info.push(state(
            r.charge_overcurrent || r.alarm_charge_high_current,
            false,
        ));
        info.push(state(over.pack, under.pack));
        info.push(state(
            r.discharge_overcurrent || r.alarm_discharge_high_current,
            false,
        ));
        let status_1 = bits(&[
            (7, under.pack),
            (6, s.charge_over_temperature),
            (5, s.discharge_over_temperature),
            (4, r.discharge_overcurrent),
            (2, r.charge_overcurrent),
            (1, under.cell),
            (0, over.pack),
        ]);
        // Bit 3 "using battery module power": awake, the BMS runs on the module.
        let status_2 = bits(&[
            (3, true),
            (2, s.discharge_mosfet_on),
            (1, s.charge_mosfet_on),
        ]);
        let status_3 = bits(&[
            (7, r.pack_current_a > EFFECTIVE_CURRENT_A),
            (6, r.pack_current_a < -EFFECTIVE_CURRENT_A),
            (3, r.soc_percent >= 100.0),
        ]);
        let errors = cells
            .iter()
            .take(16)
            .enumerate()
            .filter(|(_, v)| !(CELL_ERROR_LOW_V..=CELL_ERROR_HIGH_V).contains(*v))
            .fold(0u16, |e, (i, _)| e | (1 << i));
        let [status_5, status_4] = errors.to_be_bytes();
        info.extend_from_slice(&[status_1, status_2, status_3, status_4, status_5]);
        info
    }

    /// One voltage per cell of the answer; cells the status lacks read as the average.
    fn cell_voltages(&self, s: &PylonStatus) -> Vec<f64> {
        let average = s.report.pack_voltage_v / f64::from(self.cells.max(1));
        (0..usize::from(self.cells))
            .map(|i| s.cell_voltages.get(i).copied().unwrap_or(average))
            .collect()
    }

    /// 0x92, §2.10: the limits and enables of CAN 0x351 and 0x35C.
    fn charge_management(&self, command_value: u8, s: &PylonStatus) -> Vec<u8> {
        let r = &s.report;
        let mut info = vec![command_value];
        info.extend_from_slice(&(millis(r.charge_voltage_limit_v) as u16).to_be_bytes());
        info.extend_from_slice(&(millis(r.discharge_voltage_limit_v) as u16).to_be_bytes());
        info.extend_from_slice(&deci_amps(r.charge_current_limit_a).to_be_bytes());
        info.extend_from_slice(&deci_amps(r.discharge_current_limit_a).to_be_bytes());
        // Bit 3 "Full charge request" carries the forced recharge, as 0x35C does.
        info.push(bits(&[
            (7, r.charge_enable),
            (6, r.discharge_enable),
            (3, r.request_full_charge),
        ]));
        info
    }
}

/// 0x51, §2.7: device name (10 ASCII), software version (2 bytes), manufacturer (20
/// ASCII). DUT profiles name the model as "Vendor Model" ("Lesso LSRR51V100AH-LFP"):
/// the first word is the manufacturer. The built-in profile's bare "LSRR51V100AH-LFP"
/// is Lesso's rack series (seed manual 000).
fn manufacturer_info(p: &PackParams) -> Vec<u8> {
    let model = p.model.trim();
    let (manufacturer, device) = match model.split_once(' ') {
        Some((vendor, device)) => (vendor.to_ascii_uppercase(), device.trim()),
        None if model.starts_with("LSRR") => ("LESSO".to_string(), model),
        None => (String::new(), model),
    };
    let mut info = ascii_field(device, 10);
    // The first two numbers of the firmware string ("sim-1.0" → 1, 0).
    info.extend_from_slice(&identity::version_numbers::<2>(&p.firmware));
    info.extend(ascii_field(&manufacturer, 20));
    info
}

/// `text` cut or padded with spaces to `len` bytes, non-ASCII as `?`.
fn ascii_field(text: &str, len: usize) -> Vec<u8> {
    let mut field: Vec<u8> = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c as u8
            } else {
                b'?'
            }
        })
        .take(len)
        .collect();
    field.resize(len, b' ');
    field
}

/// 0x47, §2.9: the twelve limits of the DUT profile. Voltages are protection values
/// except the two "alarm" ones; temperatures are the trip points of CHTP/CLTP/DHTP/DLTP
/// (a profile without temperature protections sends the ends of the field); the
/// discharge current limit is negative, in the protocol's "charge positive" sense.
fn system_parameters(p: &PackParams) -> Vec<u8> {
    let cells = f64::from(p.cells_in_series.max(1));
    let t = p.temperature_protection.as_ref();
    let high = |c: Option<f64>| c.map_or(u16::MAX, tenths_kelvin);
    let low = |c: Option<f64>| c.map_or(0, tenths_kelvin);
    let values: [u16; 12] = [
        millis(p.over_voltage.cell_trip_v) as u16,
        millis(p.alarms.cell_low_v) as u16,
        millis(p.under_voltage.cell_trip_v) as u16,
        high(t.map(|t| t.charge_high.trip_c)),
        low(t.map(|t| t.charge_low.trip_c)),
        deci_amps(p.charge_current_limit_a) as u16,
        millis(p.over_voltage.pack_trip_v) as u16,
        millis(p.alarms.cell_low_v * cells) as u16,
        millis(p.under_voltage.pack_trip_v) as u16,
        high(t.map(|t| t.discharge_high.trip_c)),
        low(t.map(|t| t.discharge_low.trip_c)),
        deci_amps(-p.discharge_current_limit_a) as u16,
    ];
    let mut info = vec![DATA_FLAG];
    for v in values {
        info.extend_from_slice(&v.to_be_bytes());
    }
    info
}

/// Volts as mV, clamped to the unsigned 16-bit field (NaN → 0).
fn millis(volts: f64) -> u32 {
    (volts * 1000.0).round().clamp(0.0, f64::from(u16::MAX)) as u32
}

/// Amps in 100 mA units, clamped to the signed 16-bit field (NaN → 0).
fn deci_amps(amps: f64) -> i16 {
    (amps * 10.0)
        .round()
        .clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
}

/// °C as 0.1 K with the Pylontech offset 2731 (§2.8).
fn tenths_kelvin(celsius: f64) -> u16 {
    (celsius * 10.0 + KELVIN_OFFSET_TENTHS)
        .round()
        .clamp(0.0, f64::from(u16::MAX)) as u16
}

fn bits(set: &[(u8, bool)]) -> u8 {
    set.iter()
        .filter(|(_, on)| *on)
        .fold(0, |byte, (bit, _)| byte | (1 << bit))
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    std::str::from_utf8(pair)
        .ok()
        .and_then(|s| u8::from_str_radix(s, 16).ok())
}

#[cfg(test)]
pub(crate) mod tests;
