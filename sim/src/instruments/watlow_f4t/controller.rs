//! The F4T's register map as the rig's driver uses it (protocols.md 5.2; drivers'
//! `chamber::WatlowF4t`): floats in two registers, low word first; loop 1 only.

use tokio_modbus::{Address, ExceptionCode, Request, Response};

use super::air::{ChamberAir, RANGE_C};

/// 5.2: set-point range low / high, loop 1.
const RANGE_LOW: Address = 2774;
const RANGE_HIGH: Address = 2776;
/// 5.2: set point (constant), loop 1, read/write.
const SET_POINT: Address = 2782;
/// 5.2: current (working) set point, read.
const WORKING_SET_POINT: Address = 2810;
/// 5.2: loop mode (read): 10 = auto.
const LOOP_MODE: Address = 2814;
const LOOP_MODE_AUTO: u16 = 10;
/// 5.2: process value, loop 1.
const PROCESS_VALUE: Address = 2820;
/// 5.2: event outputs 1-8.
const EVENT_OUTPUTS: [Address; 8] = [16594, 16596, 16598, 16600, 16822, 16824, 16826, 16828];
/// 5.2: "63 = on, 62 = off".
const EVENT_ON: u16 = 63;
const EVENT_OFF: u16 = 62;
/// Event output 1 is wired to the chamber's conditioning ("run"), active high, as
/// TestEquity and ESPEC wire it (5.5) and as the driver's `RunEvent::default()`.
const RUN_EVENT: usize = 0;
/// Application protocol 6.3: a read is 1..=125 registers.
const MAX_READ: u16 = 125;

/// 5.2: "Values are IEEE-754 float32 in two registers, low word first".
fn float_words(value: f64) -> [u16; 2] {
    let bits = (value as f32).to_bits();
    [bits as u16, (bits >> 16) as u16]
}

fn words_float(words: [u16; 2]) -> f64 {
    f64::from(f32::from_bits(
        (u32::from(words[1]) << 16) | u32::from(words[0]),
    ))
}

/// The controller: the chamber air it drives and its event outputs.
#[derive(Clone, Debug)]
pub(crate) struct F4tController {
    pub(crate) air: ChamberAir,
    events: [u16; 8],
}

impl F4tController {
    pub(crate) fn new(air_c: f64) -> Self {
        Self {
            air: ChamberAir::new(air_c),
            events: [EVENT_OFF; 8],
        }
    }

    /// One request; a Modbus exception for anything the map does not hold.
    pub(crate) fn handle(&mut self, request: &Request<'_>) -> Result<Response, ExceptionCode> {
        match request {
            Request::ReadHoldingRegisters(address, quantity) => {
                if !(1..=MAX_READ).contains(quantity) {
                    return Err(ExceptionCode::IllegalDataValue);
                }
                let words = (0..*quantity)
                    .map(|i| {
                        address
                            .checked_add(i)
                            .and_then(|a| self.read(a))
                            .ok_or(ExceptionCode::IllegalDataAddress)
                    })
                    .collect::<Result<Vec<u16>, _>>()?;
                Ok(Response::ReadHoldingRegisters(words))
            }
            Request::WriteSingleRegister(address, value) => {
                let output = EVENT_OUTPUTS
                    .iter()
                    .position(|a| a == address)
                    .ok_or(ExceptionCode::IllegalDataAddress)?;
                if *value != EVENT_ON && *value != EVENT_OFF {
                    return Err(ExceptionCode::IllegalDataValue);
                }
                self.events[output] = *value;
                if output == RUN_EVENT {
                    self.air.set_running(*value == EVENT_ON);
                }
                Ok(Response::WriteSingleRegister(*address, *value))
            }
            Request::WriteMultipleRegisters(address, words) => {
                if *address != SET_POINT || words.len() != 2 {
                    return Err(ExceptionCode::IllegalDataAddress);
                }
                if !self.air.set_set_point(words_float([words[0], words[1]])) {
                    return Err(ExceptionCode::IllegalDataValue);
                }
                Ok(Response::WriteMultipleRegisters(*address, 2))
            }
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }

    fn read(&self, address: Address) -> Option<u16> {
        let float = |base: Address, value: f64| {
            let offset = address.checked_sub(base)?;
            (offset < 2).then(|| float_words(value)[usize::from(offset)])
        };
        if let Some(i) = EVENT_OUTPUTS.iter().position(|a| *a == address) {
            return Some(self.events[i]);
        }
        if address == LOOP_MODE {
            return Some(LOOP_MODE_AUTO);
        }
        float(RANGE_LOW, RANGE_C.0)
            .or_else(|| float(RANGE_HIGH, RANGE_C.1))
            .or_else(|| float(SET_POINT, self.air.set_point_c()))
            .or_else(|| float(WORKING_SET_POINT, self.air.set_point_c()))
            .or_else(|| float(PROCESS_VALUE, self.air.air_c()))
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[test]
    fn twenty_five_degrees_reads_as_in_section_5_2() {
        let mut c = F4tController::new(25.0);
        assert_eq!(
            c.handle(&Request::ReadHoldingRegisters(PROCESS_VALUE, 2)),
            Ok(Response::ReadHoldingRegisters(vec![0x0000, 0x41C8]))
        );
    }

    #[test]
    fn writes_the_set_point_and_the_run_event() {
        let mut c = F4tController::new(25.0);
        let words = float_words(55.0).to_vec();
        assert_eq!(
            c.handle(&Request::WriteMultipleRegisters(
                SET_POINT,
                Cow::Owned(words)
            )),
            Ok(Response::WriteMultipleRegisters(SET_POINT, 2))
        );
        assert_eq!(c.air.set_point_c(), 55.0);
        assert_eq!(
            c.handle(&Request::WriteSingleRegister(16594, EVENT_ON)),
            Ok(Response::WriteSingleRegister(16594, EVENT_ON))
        );
        assert!(c.air.running());
        c.handle(&Request::WriteSingleRegister(16596, EVENT_ON))
            .unwrap();
        c.handle(&Request::WriteSingleRegister(16594, EVENT_OFF))
            .unwrap();
        assert!(!c.air.running(), "only event output 1 runs the chamber");
    }

    #[test]
    fn anything_off_the_map_is_an_exception() {
        let mut c = F4tController::new(25.0);
        let cases: [(Request<'_>, ExceptionCode); 7] = [
            (
                Request::ReadHoldingRegisters(0, 2),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::ReadHoldingRegisters(2820, 0),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::ReadHoldingRegisters(2820, 126),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::ReadHoldingRegisters(65535, 2),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::WriteSingleRegister(16594, 1),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::WriteMultipleRegisters(SET_POINT, Cow::Owned(float_words(500.0).to_vec())),
                ExceptionCode::IllegalDataValue,
            ),
            (Request::ReadCoils(0, 1), ExceptionCode::IllegalFunction),
        ];
        for (request, exception) in cases {
            assert_eq!(c.handle(&request), Err(exception), "{request:?}");
        }
        assert_eq!(c.air.set_point_c(), 25.0);
    }
}
