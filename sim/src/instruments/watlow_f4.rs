//! A simulated Watlow F4 chamber controller on Modbus RTU (protocols.md 5.1), over the
//! same chamber air as the F4T (`watlow_f4t::air`): one chamber, two controller
//! front ends.
//!
//! Register map (PDU addresses, 16-bit signed integers with an implied decimal point
//! set by register 606, "divide by 10^decimals"):
//!
//! | Register | Item | Access |
//! | --- | --- | --- |
//! | 100 | process value, input 1 | read |
//! | 103 / 107 | output 1A (heat) / 1B (cool) power, % × 100 | read |
//! | 200 | profile status: 1 = constant (profiles are not modelled) | read |
//! | 300 | static set point, loop 1 | read, FC06/FC10 |
//! | 602 / 603 | range low / high, input 1 | read |
//! | 606 | decimal places of input 1 (0-2) | read, write |
//! | 901 | units: 1 = °C | read |
//! | 1217 | terminate profile: write 1 (no profile runs: nothing to stop) | write |
//! | 2000 + 10·(N−1) | event output N (1-8): 1 on, 0 off | read, write |
//! | 4122 | current (working) set point, loop 1 | read |
//!
//! Event output 1 is the chamber's "run" (conditioning enable), active high, as the
//! drivers' `RunEvent::default()` and the F4T twin. Anything off the map, loop 2,
//! input 2 and the profile engine answer Modbus exception 02 (illegal data address);
//! values out of range answer 03. The controller is at address 1 (the F4 factory
//! address); requests for other addresses get no answer, broadcasts are executed
//! silently.

use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};

use tokio_modbus::server::Service;
use tokio_modbus::{Address, ExceptionCode, Request, Response, SlaveRequest};

use super::watlow_f4t::{ChamberAir, RANGE_C};
use crate::clock;
use crate::world::{World, lock};

const PROCESS_VALUE: Address = 100;
const HEAT_POWER: Address = 103;
const COOL_POWER: Address = 107;
const PROFILE_STATUS: Address = 200;
/// 5.1 "Profile status 200: 0/1 constant".
const PROFILE_CONSTANT: u16 = 1;
const SET_POINT: Address = 300;
const RANGE_LOW: Address = 602;
const RANGE_HIGH: Address = 603;
const DECIMALS: Address = 606;
/// Decimal places accepted in register 606. Assumption: the F4's input decimal setting
/// offers 0, 0.0 and 0.00; three would overflow an `i16` for 150 °C.
const MAX_DECIMALS: u16 = 2;
/// Decimals out of the box. Assumption: one, as on the chambers the ESPEC library
/// targets (5.1 notes its scaling is only right for 0 or 1).
const FACTORY_DECIMALS: u16 = 1;
const UNITS: Address = 901;
const UNITS_CELSIUS: u16 = 1;
const TERMINATE_PROFILE: Address = 1217;
const EVENT_OUTPUT_FIRST: Address = 2000;
const EVENT_OUTPUT_STRIDE: Address = 10;
const EVENT_OUTPUTS: usize = 8;
/// Event output 1 (index 0) runs the chamber.
const RUN_EVENT: usize = 0;
const WORKING_SET_POINT: Address = 4122;
/// 100 % output power in register units (5.1: "%, /100").
const FULL_POWER: u16 = 10_000;
/// Application protocol 6.3: a read is 1..=125 registers.
const MAX_READ: u16 = 125;
/// The F4's factory Modbus address.
const ADDRESS: u8 = 1;
const BROADCAST: u8 = 0;

/// The F4's own settings; the air it drives lives in the world.
#[derive(Clone, Debug)]
pub(crate) struct F4State {
    decimals: u16,
    events: [bool; EVENT_OUTPUTS],
}

impl Default for F4State {
    fn default() -> Self {
        Self {
            decimals: FACTORY_DECIMALS,
            events: [false; EVENT_OUTPUTS],
        }
    }
}

/// Event output number (0-based) of a register, if it is one.
fn event_output(address: Address) -> Option<usize> {
    let offset = address.checked_sub(EVENT_OUTPUT_FIRST)?;
    let index = usize::from(offset / EVENT_OUTPUT_STRIDE);
    (offset % EVENT_OUTPUT_STRIDE == 0 && index < EVENT_OUTPUTS).then_some(index)
}

impl F4State {
    fn scale(&self) -> f64 {
        10f64.powi(i32::from(self.decimals))
    }

    /// A temperature as the signed scaled integer on the wire, saturating.
    fn scaled(&self, celsius: f64) -> u16 {
        let raw = (celsius * self.scale()).round();
        (raw.clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16) as u16
    }

    fn celsius(&self, word: u16) -> f64 {
        f64::from(word as i16) / self.scale()
    }

    fn read(&self, air: &ChamberAir, address: Address) -> Option<u16> {
        if let Some(n) = event_output(address) {
            return Some(u16::from(self.events[n]));
        }
        let heading = air.set_point_c() - air.air_c();
        let power = |on: bool| if air.running() && on { FULL_POWER } else { 0 };
        Some(match address {
            PROCESS_VALUE => self.scaled(air.air_c()),
            HEAT_POWER => power(heading > 0.0),
            COOL_POWER => power(heading < 0.0),
            PROFILE_STATUS => PROFILE_CONSTANT,
            SET_POINT | WORKING_SET_POINT => self.scaled(air.set_point_c()),
            RANGE_LOW => self.scaled(RANGE_C.0),
            RANGE_HIGH => self.scaled(RANGE_C.1),
            DECIMALS => self.decimals,
            UNITS => UNITS_CELSIUS,
            _ => return None,
        })
    }

    /// Whether `value` may be written to `address`, checked before anything changes.
    fn check_write(&self, address: Address, value: u16) -> Result<(), ExceptionCode> {
        let valid = match address {
            SET_POINT => {
                let celsius = self.celsius(value);
                (RANGE_C.0..=RANGE_C.1).contains(&celsius)
            }
            DECIMALS => value <= MAX_DECIMALS,
            TERMINATE_PROFILE => value == 1,
            a if event_output(a).is_some() => value <= 1,
            _ => return Err(ExceptionCode::IllegalDataAddress),
        };
        if valid {
            Ok(())
        } else {
            Err(ExceptionCode::IllegalDataValue)
        }
    }

    /// Only after [`Self::check_write`] accepted the write.
    fn write(&mut self, air: &mut ChamberAir, address: Address, value: u16) {
        match address {
            SET_POINT => {
                air.set_set_point(self.celsius(value));
            }
            DECIMALS => self.decimals = value,
            a => {
                if let Some(n) = event_output(a) {
                    self.events[n] = value == 1;
                    if n == RUN_EVENT {
                        air.set_running(value == 1);
                    }
                }
            }
        }
    }

    /// One request; a Modbus exception for anything the map does not hold.
    pub(crate) fn handle(
        &mut self,
        air: &mut ChamberAir,
        request: &Request<'_>,
    ) -> Result<Response, ExceptionCode> {
        match request {
            Request::ReadHoldingRegisters(first, quantity) => {
                if !(1..=MAX_READ).contains(quantity) {
                    return Err(ExceptionCode::IllegalDataValue);
                }
                (0..*quantity)
                    .map(|i| {
                        first
                            .checked_add(i)
                            .and_then(|a| self.read(air, a))
                            .ok_or(ExceptionCode::IllegalDataAddress)
                    })
                    .collect::<Result<Vec<u16>, _>>()
                    .map(Response::ReadHoldingRegisters)
            }
            Request::WriteSingleRegister(address, value) => {
                self.check_write(*address, *value)?;
                self.write(air, *address, *value);
                Ok(Response::WriteSingleRegister(*address, *value))
            }
            Request::WriteMultipleRegisters(first, values) => {
                let addressed = |i: usize| {
                    u16::try_from(i)
                        .ok()
                        .and_then(|i| first.checked_add(i))
                        .ok_or(ExceptionCode::IllegalDataAddress)
                };
                for (i, value) in values.iter().enumerate() {
                    self.check_write(addressed(i)?, *value)?;
                }
                for (i, value) in values.iter().enumerate() {
                    self.write(air, addressed(i)?, *value);
                }
                Ok(Response::WriteMultipleRegisters(
                    *first,
                    values.len() as u16,
                ))
            }
            // Well-formed codes whose frames did not decode (see modbus_rtu::pdu).
            Request::Custom(0x03 | 0x06 | 0x10, _) => Err(ExceptionCode::IllegalDataValue),
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }
}

/// The F4 on the bench: requests act on the shared world.
#[derive(Clone, Debug)]
pub(crate) struct F4Service {
    world: Arc<Mutex<World>>,
}

impl F4Service {
    pub(crate) fn new(world: Arc<Mutex<World>>) -> Self {
        Self { world }
    }
}

impl Service for F4Service {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Option<Response>, ExceptionCode>>;

    fn call(&self, request: Self::Request) -> Self::Future {
        if request.slave != ADDRESS && request.slave != BROADCAST {
            return ready(Ok(None));
        }
        let mut guard = lock(&self.world);
        let world = &mut *guard;
        world.advance_to(clock::now());
        let result = world
            .front_ends
            .f4
            .handle(&mut world.chamber.air, &request.request);
        world.settle();
        ready(if request.slave == BROADCAST {
            Ok(None)
        } else {
            result.map(Some)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    fn handle(
        f4: &mut F4State,
        air: &mut ChamberAir,
        r: Request<'_>,
    ) -> Result<Response, ExceptionCode> {
        f4.handle(air, &r)
    }

    #[test]
    fn reads_scaled_integers_with_the_decimal_setting() {
        let (mut f4, mut air) = (F4State::default(), ChamberAir::new(23.4));
        assert_eq!(
            handle(&mut f4, &mut air, Request::ReadHoldingRegisters(100, 1)),
            Ok(Response::ReadHoldingRegisters(vec![234]))
        );
        assert_eq!(
            handle(&mut f4, &mut air, Request::ReadHoldingRegisters(602, 2)),
            Ok(Response::ReadHoldingRegisters(vec![(-400i16) as u16, 1500]))
        );
        handle(&mut f4, &mut air, Request::WriteSingleRegister(606, 2)).unwrap();
        assert_eq!(
            handle(&mut f4, &mut air, Request::ReadHoldingRegisters(100, 1)),
            Ok(Response::ReadHoldingRegisters(vec![2340]))
        );
        handle(&mut f4, &mut air, Request::WriteSingleRegister(606, 0)).unwrap();
        assert_eq!(
            handle(&mut f4, &mut air, Request::ReadHoldingRegisters(100, 1)),
            Ok(Response::ReadHoldingRegisters(vec![23]))
        );
    }

    #[test]
    fn the_set_point_of_protocols_md_5_1_and_the_run_event() {
        let (mut f4, mut air) = (F4State::default(), ChamberAir::new(25.0));
        // 5.1 example: set SP 25.0 °C with one decimal = 0x00FA.
        handle(&mut f4, &mut air, Request::WriteSingleRegister(300, 0x00FA)).unwrap();
        assert_eq!(air.set_point_c(), 25.0);
        let minus_ten = (-100i16) as u16;
        handle(
            &mut f4,
            &mut air,
            Request::WriteSingleRegister(300, minus_ten),
        )
        .unwrap();
        assert_eq!(air.set_point_c(), -10.0);
        assert_eq!(
            handle(&mut f4, &mut air, Request::ReadHoldingRegisters(4122, 1)),
            Ok(Response::ReadHoldingRegisters(vec![minus_ten]))
        );
        handle(&mut f4, &mut air, Request::WriteSingleRegister(2010, 1)).unwrap();
        assert!(!air.running(), "event output 2 is not the run event");
        handle(&mut f4, &mut air, Request::WriteSingleRegister(2000, 1)).unwrap();
        assert!(air.running());
        assert_eq!(
            handle(&mut f4, &mut air, Request::ReadHoldingRegisters(107, 1)),
            Ok(Response::ReadHoldingRegisters(vec![FULL_POWER])),
            "cooling towards -10 °C"
        );
    }

    #[test]
    fn anything_off_the_map_or_out_of_range_is_an_exception() {
        let (mut f4, mut air) = (F4State::default(), ChamberAir::new(25.0));
        let cases: [(Request<'_>, ExceptionCode); 9] = [
            (
                Request::ReadHoldingRegisters(104, 1),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::ReadHoldingRegisters(99, 2),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::ReadHoldingRegisters(100, 0),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::ReadHoldingRegisters(65535, 2),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::WriteSingleRegister(300, 1501),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::WriteSingleRegister(606, 3),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::WriteSingleRegister(2005, 1),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::WriteSingleRegister(100, 1),
                ExceptionCode::IllegalDataAddress,
            ),
            (Request::ReadCoils(0, 1), ExceptionCode::IllegalFunction),
        ];
        for (request, exception) in cases {
            assert_eq!(f4.handle(&mut air, &request), Err(exception), "{request:?}");
        }
        let half_bad = Request::WriteMultipleRegisters(300, Cow::Owned(vec![100, 7]));
        assert_eq!(
            f4.handle(&mut air, &half_bad),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert_eq!(air.set_point_c(), 25.0, "a refused write changes nothing");
    }
}
