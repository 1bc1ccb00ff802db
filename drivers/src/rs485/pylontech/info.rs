//! INFO of each response of §2.7, parsed into typed data. Pure functions over bytes:
//! a short or inconsistent INFO is an [`InfoError`] naming the field, never a panic.
//!
//! Units are converted to the rig's: volts, amps, °C, Ah. Current is positive when
//! charging (§2.7 "charge positive"). Temperatures use the Pylontech offset 2731
//! (§2.8); PACE packs use 2730, a 0.1 °C difference the rig accepts.

mod identity;
mod system;

pub use identity::{FirmwareVersion, SerialNumber};

/// §2.8: °C = (value − 2731) / 10.
const KELVIN_OFFSET_TENTHS: i32 = 2731;

/// INFO did not have the shape the command's response needs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InfoError {
    #[error("INFO ends before `{field}` (needs {needed} bytes, has {len})")]
    Truncated {
        field: &'static str,
        needed: usize,
        len: usize,
    },
    #[error("{extra} unexpected bytes after the last field")]
    TrailingBytes { extra: usize },
    /// A text field holds a byte that is not printable ASCII (padding excepted).
    #[error("`{field}` has byte {byte:#04X} at INFO offset {position}, not printable ASCII")]
    NotText {
        field: &'static str,
        position: usize,
        byte: u8,
    },
    /// A module block of a whole-system answer (command value 0xFF) is malformed;
    /// `module` counts from 1 in the answer's order.
    #[error("module {module} of {count} in the whole-system answer")]
    Module {
        module: usize,
        count: u8,
        #[source]
        error: Box<InfoError>,
    },
}

/// A cursor over INFO that names the field it failed on.
struct Reader<'a> {
    info: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(info: &'a [u8]) -> Self {
        Self { info, at: 0 }
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], InfoError> {
        let bytes = self
            .info
            .get(self.at..self.at + n)
            .ok_or(InfoError::Truncated {
                field,
                needed: self.at + n,
                len: self.info.len(),
            })?;
        self.at += n;
        Ok(bytes)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, InfoError> {
        Ok(self.take(1, field)?.first().copied().unwrap_or_default())
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, InfoError> {
        let b = self.take(2, field)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn i16(&mut self, field: &'static str) -> Result<i16, InfoError> {
        Ok(self.u16(field)? as i16)
    }

    fn u24(&mut self, field: &'static str) -> Result<u32, InfoError> {
        let b = self.take(3, field)?;
        Ok(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }

    fn ascii(&mut self, n: usize, field: &'static str) -> Result<String, InfoError> {
        let bytes = self.take(n, field)?;
        let text: String = bytes
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    char::from(b)
                } else {
                    ' '
                }
            })
            .collect();
        Ok(text.trim().to_owned())
    }

    fn finish(&self) -> Result<(), InfoError> {
        match self.info.len() - self.at.min(self.info.len()) {
            0 => Ok(()),
            extra => Err(InfoError::TrailingBytes { extra }),
        }
    }
}

fn celsius(tenths_kelvin: u16) -> f64 {
    f64::from(i32::from(tenths_kelvin) - KELVIN_OFFSET_TENTHS) / 10.0
}

/// 0x42: analog values of one module (§2.8).
#[derive(Clone, Debug, PartialEq)]
pub struct AnalogData {
    pub info_flag: u8,
    /// The command value echoed: the module's ADR; [`WHOLE_SYSTEM`](super::frame::WHOLE_SYSTEM)
    /// (0xFF) for a module of a whole-system answer, whose blocks name no module.
    pub command_value: u8,
    /// Cell voltages, V.
    pub cell_voltages: Vec<f64>,
    /// Temperatures, °C (BMS board first, then cell groups).
    pub temperatures: Vec<f64>,
    /// Module current, A, positive = charging.
    pub current: f64,
    /// Module voltage, V.
    pub voltage: f64,
    /// Remaining capacity, Ah (the 3-byte field when the pack reports one).
    pub remaining_capacity: f64,
    /// Total capacity, Ah.
    pub total_capacity: f64,
    pub cycles: u16,
}

impl AnalogData {
    /// The answer to one module's 0x42 (command value = its ADR).
    pub fn parse(info: &[u8]) -> Result<Self, InfoError> {
        let mut r = Reader::new(info);
        let info_flag = r.u8("INFOFLAG")?;
        let command_value = r.u8("command value")?;
        let data = Self::read_block(&mut r, info_flag, command_value)?;
        r.finish()?;
        Ok(data)
    }

    /// One module's data from its cell count on: the part a whole-system answer
    /// repeats per module (see [`Self::parse_system`]).
    fn read_block(r: &mut Reader, info_flag: u8, command_value: u8) -> Result<Self, InfoError> {
        let cells = r.u8("number of cells")?;
        let cell_voltages = (0..cells)
            .map(|_| r.i16("cell voltage").map(|mv| f64::from(mv) / 1000.0))
            .collect::<Result<_, _>>()?;
        let temps = r.u8("number of temperatures")?;
        let temperatures = (0..temps)
            .map(|_| r.u16("temperature").map(celsius))
            .collect::<Result<_, _>>()?;
        let current = f64::from(r.i16("current")?) / 10.0;
        let voltage = f64::from(r.u16("module voltage")?) / 1000.0;
        let remaining_1 = r.u16("remaining capacity 1")?;
        let user_items = r.u8("user-defined item count")?;
        let total_1 = r.u16("total capacity 1")?;
        let cycles = r.u16("cycle number")?;
        let (remaining, total) = if user_items >= 4 {
            (r.u24("remaining capacity 2")?, r.u24("total capacity 2")?)
        } else {
            (u32::from(remaining_1), u32::from(total_1))
        };
        Ok(Self {
            info_flag,
            command_value,
            cell_voltages,
            temperatures,
            current,
            voltage,
            remaining_capacity: f64::from(remaining) / 1000.0,
            total_capacity: f64::from(total) / 1000.0,
            cycles,
        })
    }
}

/// One state byte of 0x44 (§2.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlarmState {
    Normal,
    BelowLowerLimit,
    AboveUpperLimit,
    OtherError,
    /// 0x80-0xEF user defined (PACE) and anything else.
    Other(u8),
}

impl From<u8> for AlarmState {
    fn from(b: u8) -> Self {
        match b {
            0x00 => AlarmState::Normal,
            0x01 => AlarmState::BelowLowerLimit,
            0x02 => AlarmState::AboveUpperLimit,
            0xF0 => AlarmState::OtherError,
            other => AlarmState::Other(other),
        }
    }
}

/// 0x44: alarm info of one module (§2.9). Status bytes are kept raw and decoded by
/// the named accessors, so bits the table leaves blank are not lost.
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmInfo {
    pub data_flag: u8,
    /// The module's ADR; 0xFF for a module of a whole-system answer.
    pub command_value: u8,
    pub cells: Vec<AlarmState>,
    pub temperatures: Vec<AlarmState>,
    pub charge_current: AlarmState,
    pub module_voltage: AlarmState,
    pub discharge_current: AlarmState,
    /// Status 1 to 5.
    pub status: [u8; 5],
}

impl AlarmInfo {
    /// The answer to one module's 0x44 (command value = its ADR).
    pub fn parse(info: &[u8]) -> Result<Self, InfoError> {
        let mut r = Reader::new(info);
        let data_flag = r.u8("DATAFLAG")?;
        let command_value = r.u8("command value")?;
        let alarms = Self::read_block(&mut r, data_flag, command_value)?;
        r.finish()?;
        Ok(alarms)
    }

    /// One module's states from its cell count on (see [`Self::parse_system`]).
    fn read_block(r: &mut Reader, data_flag: u8, command_value: u8) -> Result<Self, InfoError> {
        let m = r.u8("number of cells")?;
        let cells = (0..m)
            .map(|_| r.u8("cell state").map(AlarmState::from))
            .collect::<Result<_, _>>()?;
        let n = r.u8("number of temperatures")?;
        let temperatures = (0..n)
            .map(|_| r.u8("temperature state").map(AlarmState::from))
            .collect::<Result<_, _>>()?;
        let charge_current = r.u8("charge-current state")?.into();
        let module_voltage = r.u8("module-voltage state")?.into();
        let discharge_current = r.u8("discharge-current state")?.into();
        let mut status = [0u8; 5];
        for (slot, name) in status
            .iter_mut()
            .zip(["status 1", "status 2", "status 3", "status 4", "status 5"])
        {
            *slot = r.u8(name)?;
        }
        Ok(Self {
            data_flag,
            command_value,
            cells,
            temperatures,
            charge_current,
            module_voltage,
            discharge_current,
            status,
        })
    }

    fn bit(&self, status: usize, bit: u8) -> bool {
        self.status
            .get(status - 1)
            .is_some_and(|byte| byte & (1 << bit) != 0)
    }

    /// Status 1 bit 7: module under-voltage.
    pub fn module_under_voltage(&self) -> bool {
        self.bit(1, 7)
    }
    /// Status 1 bit 6.
    pub fn charge_over_temperature(&self) -> bool {
        self.bit(1, 6)
    }
    /// Status 1 bit 5.
    pub fn discharge_over_temperature(&self) -> bool {
        self.bit(1, 5)
    }
    /// Status 1 bit 4 (DOC).
    pub fn discharge_over_current(&self) -> bool {
        self.bit(1, 4)
    }
    /// Status 1 bit 2 (COC).
    pub fn charge_over_current(&self) -> bool {
        self.bit(1, 2)
    }
    /// Status 1 bit 1.
    pub fn cell_under_voltage(&self) -> bool {
        self.bit(1, 1)
    }
    /// Status 1 bit 0 (OV).
    pub fn module_over_voltage(&self) -> bool {
        self.bit(1, 0)
    }
    /// Status 2 bit 2.
    pub fn discharge_mosfet_on(&self) -> bool {
        self.bit(2, 2)
    }
    /// Status 2 bit 1.
    pub fn charge_mosfet_on(&self) -> bool {
        self.bit(2, 1)
    }
    /// Status 3 bit 3: SOC 100 %.
    pub fn fully_charged(&self) -> bool {
        self.bit(3, 3)
    }
    /// Status 4 and 5: cells 1-16 with a voltage error, cell 1 = status 4 bit 0.
    pub fn cell_voltage_errors(&self) -> [bool; 16] {
        std::array::from_fn(|i| {
            let (status, bit) = if i < 8 { (4, i) } else { (5, i - 8) };
            self.bit(status, bit as u8)
        })
    }
}

/// 0x47: system parameters (§2.9), in V, °C and A.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemParameters {
    pub info_flag: u8,
    pub cell_high_voltage_limit: f64,
    pub cell_low_voltage_limit: f64,
    pub cell_under_voltage_limit: f64,
    pub charge_high_temperature_limit: f64,
    pub charge_low_temperature_limit: f64,
    pub charge_current_limit: f64,
    pub module_high_voltage_limit: f64,
    pub module_low_voltage_limit: f64,
    pub module_under_voltage_limit: f64,
    pub discharge_high_temperature_limit: f64,
    pub discharge_low_temperature_limit: f64,
    pub discharge_current_limit: f64,
}

impl SystemParameters {
    pub fn parse(info: &[u8]) -> Result<Self, InfoError> {
        let mut r = Reader::new(info);
        let info_flag = r.u8("INFOFLAG")?;
        // Voltages as unsigned: a 16S module limit (58 400 mV) does not fit in i16.
        let mv = |r: &mut Reader, f| r.u16(f).map(|v| f64::from(v) / 1000.0);
        let temp = |r: &mut Reader, f| r.u16(f).map(celsius);
        let amps = |r: &mut Reader, f| r.i16(f).map(|v| f64::from(v) / 10.0);
        let p = Self {
            info_flag,
            cell_high_voltage_limit: mv(&mut r, "cell high-voltage limit")?,
            cell_low_voltage_limit: mv(&mut r, "cell low-voltage limit")?,
            cell_under_voltage_limit: mv(&mut r, "cell under-voltage limit")?,
            charge_high_temperature_limit: temp(&mut r, "charge high-temperature limit")?,
            charge_low_temperature_limit: temp(&mut r, "charge low-temperature limit")?,
            charge_current_limit: amps(&mut r, "charge current limit")?,
            module_high_voltage_limit: mv(&mut r, "module high-voltage limit")?,
            module_low_voltage_limit: mv(&mut r, "module low-voltage limit")?,
            module_under_voltage_limit: mv(&mut r, "module under-voltage limit")?,
            discharge_high_temperature_limit: temp(&mut r, "discharge high-temperature limit")?,
            discharge_low_temperature_limit: temp(&mut r, "discharge low-temperature limit")?,
            discharge_current_limit: amps(&mut r, "discharge current limit")?,
        };
        r.finish()?;
        Ok(p)
    }
}

/// 0x51: manufacturer info (§2.7).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManufacturerInfo {
    /// Device name, 10 ASCII characters, trimmed.
    pub device_name: String,
    /// Software version, 2 bytes.
    pub software_version: [u8; 2],
    /// Manufacturer name, 20 ASCII characters, trimmed.
    pub manufacturer: String,
}

impl ManufacturerInfo {
    pub fn parse(info: &[u8]) -> Result<Self, InfoError> {
        let mut r = Reader::new(info);
        let device_name = r.ascii(10, "device name")?;
        let v = r.take(2, "software version")?;
        let software_version = [v[0], v[1]];
        let manufacturer = r.ascii(20, "manufacturer name")?;
        r.finish()?;
        Ok(Self {
            device_name,
            software_version,
            manufacturer,
        })
    }
}

/// 0x92: charge/discharge management info (§2.10).
#[derive(Clone, Debug, PartialEq)]
pub struct ChargeManagement {
    pub command_value: u8,
    /// Charge voltage limit, V.
    pub charge_voltage_limit: f64,
    /// Discharge voltage limit, V.
    pub discharge_voltage_limit: f64,
    /// Charge current limit, A.
    pub charge_current_limit: f64,
    /// Discharge current limit, A.
    pub discharge_current_limit: f64,
    /// The status byte; decoded by the accessors.
    pub status: u8,
}

impl ChargeManagement {
    pub fn parse(info: &[u8]) -> Result<Self, InfoError> {
        let mut r = Reader::new(info);
        let m = Self {
            command_value: r.u8("command value")?,
            charge_voltage_limit: f64::from(r.u16("charge voltage limit")?) / 1000.0,
            discharge_voltage_limit: f64::from(r.u16("discharge voltage limit")?) / 1000.0,
            charge_current_limit: f64::from(r.i16("charge current limit")?) / 10.0,
            discharge_current_limit: f64::from(r.i16("discharge current limit")?) / 10.0,
            status: r.u8("status")?,
        };
        r.finish()?;
        Ok(m)
    }

    /// Bit 7.
    pub fn charge_enable(&self) -> bool {
        self.status & 0x80 != 0
    }
    /// Bit 6.
    pub fn discharge_enable(&self) -> bool {
        self.status & 0x40 != 0
    }
    /// Bit 5: charge immediately 1.
    pub fn charge_immediately_1(&self) -> bool {
        self.status & 0x20 != 0
    }
    /// Bit 4: charge immediately 2.
    pub fn charge_immediately_2(&self) -> bool {
        self.status & 0x10 != 0
    }
    /// Bit 3: full charge request.
    pub fn full_charge_request(&self) -> bool {
        self.status & 0x08 != 0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A 16-cell 100 Ah module: user-defined count 4, 3-byte capacities (§2.8).
    pub(crate) fn analog_info() -> Vec<u8> {
        let mut info = vec![0x11, 0x02, 16];
        for _ in 0..16 {
            info.extend_from_slice(&3300u16.to_be_bytes());
        }
        info.push(5);
        for t in [2986u16, 2981, 2981, 2981, 2607] {
            info.extend_from_slice(&t.to_be_bytes());
        }
        info.extend_from_slice(&(-40i16).to_be_bytes()); // -4.0 A, 0xFFD8
        info.extend_from_slice(&52_800u16.to_be_bytes());
        info.extend_from_slice(&0xFFFFu16.to_be_bytes());
        info.push(4);
        info.extend_from_slice(&0xFFFFu16.to_be_bytes());
        info.extend_from_slice(&12u16.to_be_bytes());
        info.extend_from_slice(&[0x00, 0xCA, 0x58]); // 51.800 Ah, spec example
        info.extend_from_slice(&[0x01, 0x86, 0xA0]); // 100.000 Ah
        info
    }

    #[test]
    fn analog_values_in_rig_units() {
        let a = AnalogData::parse(&analog_info()).unwrap();
        assert_eq!(a.cell_voltages.len(), 16);
        assert_eq!(a.cell_voltages[0], 3.3);
        assert_eq!(a.temperatures[0], 25.5, "2986 = 25.5 °C (§2.8)");
        assert_eq!(a.temperatures[4], -12.4, "2607 = -12.4 °C (§2.8)");
        assert_eq!(a.current, -4.0);
        assert_eq!(a.voltage, 52.8);
        assert_eq!(a.remaining_capacity, 51.8);
        assert_eq!(a.total_capacity, 100.0);
        assert_eq!(a.cycles, 12);
    }

    #[test]
    fn a_small_pack_uses_the_2_byte_capacities() {
        let mut info = vec![0x11, 0x02, 1, 0x0D, 0x45, 1, 0x0B, 0xC3, 0, 0, 0xC7, 0x25];
        info.extend_from_slice(&[0xCA, 0x58, 2, 0xFF, 0x00, 0x00, 0x01]);
        let a = AnalogData::parse(&info).unwrap();
        assert_eq!(a.cell_voltages, vec![3.397]);
        assert_eq!(a.temperatures, vec![28.0]);
        assert_eq!(a.voltage, 50.981);
        assert_eq!(a.remaining_capacity, 51.8);
        assert_eq!(a.total_capacity, 65.28);
    }

    #[test]
    fn truncated_and_trailing_info_name_the_field() {
        let info = analog_info();
        assert_eq!(
            AnalogData::parse(&info[..10]),
            Err(InfoError::Truncated {
                field: "cell voltage",
                needed: 11,
                len: 10
            })
        );
        let mut long = info.clone();
        long.push(0);
        assert_eq!(
            AnalogData::parse(&long),
            Err(InfoError::TrailingBytes { extra: 1 })
        );
        assert!(ChargeManagement::parse(&[]).is_err());
    }

    #[test]
    fn alarm_status_bits() {
        let mut info = vec![0x00, 0x02, 2, 0x00, 0x02, 1, 0x01, 0x00, 0x02, 0xF0];
        info.extend_from_slice(&[0b0001_0100, 0b0000_0110, 0b0000_1000, 0b0000_0001, 0x80]);
        let a = AlarmInfo::parse(&info).unwrap();
        assert_eq!(
            a.cells,
            vec![AlarmState::Normal, AlarmState::AboveUpperLimit]
        );
        assert_eq!(a.temperatures, vec![AlarmState::BelowLowerLimit]);
        assert_eq!(a.discharge_current, AlarmState::OtherError);
        assert!(a.discharge_over_current() && a.charge_over_current());
        assert!(!a.module_over_voltage());
        assert!(a.charge_mosfet_on() && a.discharge_mosfet_on());
        assert!(a.fully_charged());
        let errors = a.cell_voltage_errors();
        assert!(errors[0] && errors[15] && !errors[1]);
    }

    #[test]
    fn charge_management_of_section_2_10() {
        // CVL 56.0 V, DVL 48.0 V, CCL 50.0 A, DCL 100.0 A, charge + discharge enabled.
        let info = [0x02, 0xDA, 0xC0, 0xBB, 0x80, 0x01, 0xF4, 0x03, 0xE8, 0xC0];
        let m = ChargeManagement::parse(&info).unwrap();
        assert_eq!(m.charge_voltage_limit, 56.0);
        assert_eq!(m.discharge_voltage_limit, 48.0);
        assert_eq!(m.charge_current_limit, 50.0);
        assert_eq!(m.discharge_current_limit, 100.0);
        assert!(m.charge_enable() && m.discharge_enable() && !m.full_charge_request());
    }

    #[test]
    fn manufacturer_and_system_parameters() {
        let mut info = b"US5000    ".to_vec();
        info.extend_from_slice(&[0x01, 0x03]);
        info.extend_from_slice(b"PYLON               ");
        let m = ManufacturerInfo::parse(&info).unwrap();
        assert_eq!(m.device_name, "US5000");
        assert_eq!(m.manufacturer, "PYLON");
        assert_eq!(m.software_version, [1, 3]);

        let mut info = vec![0x11];
        for v in [
            3650u16,
            3000,
            2700,
            3331,
            2731,
            500,
            58_400,
            48_000,
            43_200,
            3331,
            2531,
            (-1000i16) as u16,
        ] {
            info.extend_from_slice(&v.to_be_bytes());
        }
        let p = SystemParameters::parse(&info).unwrap();
        assert_eq!(p.cell_high_voltage_limit, 3.65);
        assert_eq!(p.charge_high_temperature_limit, 60.0);
        assert_eq!(p.charge_current_limit, 50.0);
        assert_eq!(p.discharge_low_temperature_limit, -20.0);
        assert_eq!(p.discharge_current_limit, -100.0);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(info in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = AnalogData::parse(&info);
            let _ = AlarmInfo::parse(&info);
            let _ = SystemParameters::parse(&info);
            let _ = ManufacturerInfo::parse(&info);
            let _ = ChargeManagement::parse(&info);
        }
    }
}
