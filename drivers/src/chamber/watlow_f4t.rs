//! Watlow F4T over Modbus (TCP port 502, or RTU): IEEE-754 float32 in two registers,
//! loop N at a stride of 160 registers (protocols.md §5.2, ESPEC's library \[S14\]).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::modbus::ModbusLink;
use tokio_modbus::{Address, Request, Response};

use super::{Chamber, ChamberError, ChamberErrorKind, RunEvent};
use crate::modbus::ModbusErrorKind;
use crate::modbus::exchange::{call, unexpected};

/// §5.2: "Loop N uses a stride of 160 registers".
const LOOP_STRIDE: Address = 160;
/// §5.2: set point (constant), loop 1.
const SET_POINT: Address = 2782;
/// §5.2: process value, loop 1.
const PROCESS_VALUE: Address = 2820;
/// §5.2: set-point range low / high, loop 1.
const RANGE_LOW: Address = 2774;
const RANGE_HIGH: Address = 2776;
/// §5.2: event outputs 1-8.
const EVENT_OUTPUTS: [Address; 8] = [16594, 16596, 16598, 16600, 16822, 16824, 16826, 16828];
/// §5.2: "63 = on, 62 = off" (Watlow value codes).
const EVENT_ON: u16 = 63;
const EVENT_OFF: u16 = 62;

/// How a float is split over two registers. §5.2: "low word first (library default
/// `low_word_first=True`; the F4T word order is configurable on the controller)".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WordOrder {
    #[default]
    LowWordFirst,
    HighWordFirst,
}

impl WordOrder {
    pub fn encode(self, value: f32) -> [u16; 2] {
        let bits = value.to_bits();
        let (high, low) = ((bits >> 16) as u16, bits as u16);
        match self {
            WordOrder::LowWordFirst => [low, high],
            WordOrder::HighWordFirst => [high, low],
        }
    }

    pub fn decode(self, words: [u16; 2]) -> f32 {
        let (high, low) = match self {
            WordOrder::LowWordFirst => (words[1], words[0]),
            WordOrder::HighWordFirst => (words[0], words[1]),
        };
        f32::from_bits((u32::from(high) << 16) | u32::from(low))
    }
}

/// An opened F4T.
pub struct WatlowF4t {
    context: ModbusLink,
    instrument: Arc<str>,
    loop_offset: Address,
    word_order: WordOrder,
    run_event: RunEvent,
    range: (f64, f64),
    timeout: Duration,
}

impl fmt::Debug for WatlowF4t {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatlowF4t")
            .field("instrument", &self.instrument)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl WatlowF4t {
    /// Reads the loop's set-point range (which also proves the controller answers).
    /// `control_loop` is 1-based.
    pub async fn open(
        context: ModbusLink,
        instrument: Arc<str>,
        control_loop: u8,
        word_order: WordOrder,
        run_event: RunEvent,
        timeout: Duration,
    ) -> Result<Self, ChamberError> {
        let mut chamber = Self {
            context,
            instrument,
            loop_offset: LOOP_STRIDE * Address::from(control_loop.max(1) - 1),
            word_order,
            run_event,
            range: (f64::NEG_INFINITY, f64::INFINITY),
            timeout,
        };
        if !(1..=8).contains(&run_event.output) {
            return Err(chamber.error(
                "open",
                ChamberErrorKind::InvalidEvent {
                    output: run_event.output,
                },
            ));
        }
        let low = chamber
            .read_float(RANGE_LOW, "read the set-point range")
            .await?;
        let high = chamber
            .read_float(RANGE_HIGH, "read the set-point range")
            .await?;
        chamber.range = (low.min(high), low.max(high));
        Ok(chamber)
    }

    /// The set-point range read at open, °C.
    pub fn range(&self) -> (f64, f64) {
        self.range
    }

    async fn read_float(
        &mut self,
        base: Address,
        operation: &'static str,
    ) -> Result<f64, ChamberError> {
        let address = base + self.loop_offset;
        let response = self
            .call(operation, Request::ReadHoldingRegisters(address, 2))
            .await?;
        if let Response::ReadHoldingRegisters(words) = &response
            && let [a, b] = words[..]
        {
            let value = f64::from(self.word_order.decode([a, b]));
            if value.is_finite() {
                return Ok(value);
            }
        }
        Err(self.error(operation, unexpected(&response).into()))
    }

    async fn call(
        &mut self,
        operation: &'static str,
        request: Request<'static>,
    ) -> Result<Response, ChamberError> {
        call(&mut self.context, request, self.timeout)
            .await
            .map_err(|kind| self.error(operation, kind.into()))
    }

    fn error(&self, operation: &'static str, kind: ChamberErrorKind) -> ChamberError {
        ChamberError {
            instrument: Arc::clone(&self.instrument),
            operation,
            kind,
        }
    }
}

impl From<ModbusErrorKind> for ChamberErrorKind {
    fn from(kind: ModbusErrorKind) -> Self {
        ChamberErrorKind::Modbus(kind)
    }
}

impl Chamber for WatlowF4t {
    /// FC16 with two registers; the echo must name the same address and count.
    async fn set_point(&mut self, celsius: f64) -> Result<(), ChamberError> {
        const OP: &str = "write the set point";
        let (low, high) = self.range;
        if !celsius.is_finite() || celsius < low || celsius > high {
            return Err(self.error(
                OP,
                ChamberErrorKind::OutOfRange {
                    value: celsius,
                    low,
                    high,
                },
            ));
        }
        let address = SET_POINT + self.loop_offset;
        let words = self.word_order.encode(celsius as f32).to_vec();
        let response = self
            .call(OP, Request::WriteMultipleRegisters(address, words.into()))
            .await?;
        match response {
            Response::WriteMultipleRegisters(a, 2) if a == address => Ok(()),
            other => Err(self.error(OP, unexpected(&other).into())),
        }
    }

    async fn read_set_point(&mut self) -> Result<f64, ChamberError> {
        self.read_float(SET_POINT, "read the set point").await
    }

    async fn process_value(&mut self) -> Result<f64, ChamberError> {
        self.read_float(PROCESS_VALUE, "read the process value")
            .await
    }

    /// FC06 on the run event output: 63 on, 62 off (inverted when active low).
    async fn set_running(&mut self, run: bool) -> Result<(), ChamberError> {
        const OP: &str = "switch the run event output";
        let address = self.run_event_address(OP)?;
        let value = if run == self.run_event.active_high {
            EVENT_ON
        } else {
            EVENT_OFF
        };
        match self
            .call(OP, Request::WriteSingleRegister(address, value))
            .await?
        {
            Response::WriteSingleRegister(a, v) if a == address && v == value => Ok(()),
            other => Err(self.error(OP, unexpected(&other).into())),
        }
    }

    /// FC03 on the run event output: 63 on, 62 off; anything else is malformed.
    async fn running(&mut self) -> Result<bool, ChamberError> {
        const OP: &str = "read the run event output";
        let address = self.run_event_address(OP)?;
        let response = self
            .call(OP, Request::ReadHoldingRegisters(address, 1))
            .await?;
        let on = match &response {
            Response::ReadHoldingRegisters(words) if words[..] == [EVENT_ON] => true,
            Response::ReadHoldingRegisters(words) if words[..] == [EVENT_OFF] => false,
            other => return Err(self.error(OP, unexpected(other).into())),
        };
        Ok(on == self.run_event.active_high)
    }
}

impl WatlowF4t {
    /// The register of the event output that runs the conditioning (§5.2).
    fn run_event_address(&self, operation: &'static str) -> Result<Address, ChamberError> {
        let event = self.run_event;
        EVENT_OUTPUTS
            .get(usize::from(event.output.saturating_sub(1)))
            .copied()
            .ok_or_else(|| {
                self.error(
                    operation,
                    ChamberErrorKind::InvalidEvent {
                        output: event.output,
                    },
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn floats_split_low_word_first_as_section_5_2() {
        assert_eq!(WordOrder::LowWordFirst.encode(25.0), [0x0000, 0x41C8]);
        assert_eq!(WordOrder::HighWordFirst.encode(25.0), [0x41C8, 0x0000]);
        assert_eq!(WordOrder::LowWordFirst.decode([0x0000, 0x41C8]), 25.0);
        assert_eq!(WordOrder::LowWordFirst.decode([0x3333, 0xC1A3]), -20.4);
    }

    proptest! {
        #[test]
        fn any_register_pair_decodes_without_panicking(a in any::<u16>(), b in any::<u16>()) {
            for order in [WordOrder::LowWordFirst, WordOrder::HighWordFirst] {
                let v = order.decode([a, b]);
                if v.is_finite() {
                    prop_assert_eq!(order.encode(v), [a, b]);
                }
            }
        }
    }
}
