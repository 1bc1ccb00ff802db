//! Watlow F4 over Modbus RTU: 16-bit signed integers with an implied decimal point
//! (protocols.md §5.1). The decimal setting of input 1 (register 606) is read at open
//! and applied as 10^decimals; §5.1 notes ESPEC's library divides by 10·reg606, which
//! is only right for 0 or 1 decimal.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::modbus::ModbusLink;
use tokio_modbus::{Address, Request, Response};

use super::{Chamber, ChamberError, ChamberErrorKind, RunEvent};
use crate::modbus::exchange::{call, unexpected};

/// §5.1: process value, input 1.
const PROCESS_VALUE: Address = 100;
/// §5.1: static set point, loop 1 (written with FC06).
const SET_POINT: Address = 300;
/// §5.1: decimal places of input 1.
const DECIMALS: Address = 606;
/// §5.1: range low / high of input 1.
const RANGE_LOW: Address = 602;
const RANGE_HIGH: Address = 603;
/// §5.1: event output N at 2000 + 10·(N − 1); 1 on, 0 off.
const EVENT_OUTPUT_BASE: Address = 2000;

/// An opened F4.
pub struct WatlowF4 {
    context: ModbusLink,
    instrument: Arc<str>,
    decimals: u32,
    range: (f64, f64),
    run_event: RunEvent,
    timeout: Duration,
}

impl fmt::Debug for WatlowF4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatlowF4")
            .field("instrument", &self.instrument)
            .field("decimals", &self.decimals)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl WatlowF4 {
    /// Reads the decimal setting and the input range.
    pub async fn open(
        context: ModbusLink,
        instrument: Arc<str>,
        run_event: RunEvent,
        timeout: Duration,
    ) -> Result<Self, ChamberError> {
        let mut chamber = Self {
            context,
            instrument,
            decimals: 0,
            range: (f64::NEG_INFINITY, f64::INFINITY),
            run_event,
            timeout,
        };
        if !(1..=8).contains(&run_event.output) {
            let kind = ChamberErrorKind::InvalidEvent {
                output: run_event.output,
            };
            return Err(chamber.error("open", kind));
        }
        let decimals = chamber.read(DECIMALS, "read the decimal setting").await?;
        if decimals > 3 {
            let kind = ChamberErrorKind::Malformed {
                reply: format!("decimal setting {decimals}"),
            };
            return Err(chamber.error("read the decimal setting", kind));
        }
        chamber.decimals = u32::from(decimals as u16);
        let low = chamber
            .read_scaled(RANGE_LOW, "read the input range")
            .await?;
        let high = chamber
            .read_scaled(RANGE_HIGH, "read the input range")
            .await?;
        chamber.range = (low.min(high), low.max(high));
        Ok(chamber)
    }

    pub fn decimals(&self) -> u32 {
        self.decimals
    }

    pub fn range(&self) -> (f64, f64) {
        self.range
    }

    fn scale(&self) -> f64 {
        f64::from(10u32.pow(self.decimals))
    }

    async fn read(
        &mut self,
        address: Address,
        operation: &'static str,
    ) -> Result<i16, ChamberError> {
        let response = call(
            &mut self.context,
            Request::ReadHoldingRegisters(address, 1),
            self.timeout,
        )
        .await
        .map_err(|kind| self.error(operation, kind.into()))?;
        if let Response::ReadHoldingRegisters(words) = &response
            && let [word] = words[..]
        {
            return Ok(word as i16);
        }
        Err(self.error(operation, unexpected(&response).into()))
    }

    async fn read_scaled(
        &mut self,
        address: Address,
        operation: &'static str,
    ) -> Result<f64, ChamberError> {
        Ok(f64::from(self.read(address, operation).await?) / self.scale())
    }

    async fn write(
        &mut self,
        address: Address,
        value: u16,
        operation: &'static str,
    ) -> Result<(), ChamberError> {
        let response = call(
            &mut self.context,
            Request::WriteSingleRegister(address, value),
            self.timeout,
        )
        .await
        .map_err(|kind| self.error(operation, kind.into()))?;
        match response {
            Response::WriteSingleRegister(a, v) if a == address && v == value => Ok(()),
            other => Err(self.error(operation, unexpected(&other).into())),
        }
    }

    fn error(&self, operation: &'static str, kind: ChamberErrorKind) -> ChamberError {
        ChamberError {
            instrument: Arc::clone(&self.instrument),
            operation,
            kind,
        }
    }
}

impl Chamber for WatlowF4 {
    async fn set_point(&mut self, celsius: f64) -> Result<(), ChamberError> {
        const OP: &str = "write the set point";
        let (low, high) = self.range;
        let raw = (celsius * self.scale()).round();
        let fits = raw >= f64::from(i16::MIN) && raw <= f64::from(i16::MAX);
        if !celsius.is_finite() || celsius < low || celsius > high || !fits {
            return Err(self.error(
                OP,
                ChamberErrorKind::OutOfRange {
                    value: celsius,
                    low,
                    high,
                },
            ));
        }
        self.write(SET_POINT, (raw as i16) as u16, OP).await
    }

    async fn read_set_point(&mut self) -> Result<f64, ChamberError> {
        self.read_scaled(SET_POINT, "read the set point").await
    }

    async fn process_value(&mut self) -> Result<f64, ChamberError> {
        self.read_scaled(PROCESS_VALUE, "read the process value")
            .await
    }

    async fn set_running(&mut self, run: bool) -> Result<(), ChamberError> {
        let event = self.run_event;
        let address = EVENT_OUTPUT_BASE + 10 * Address::from(event.output.saturating_sub(1));
        let value = u16::from(run == event.active_high);
        self.write(address, value, "switch the run event output")
            .await
    }

    /// The run event output read back: 1 on, 0 off (§5.1).
    async fn running(&mut self) -> Result<bool, ChamberError> {
        const OP: &str = "read the run event output";
        let event = self.run_event;
        let address = EVENT_OUTPUT_BASE + 10 * Address::from(event.output.saturating_sub(1));
        let on = match self.read(address, OP).await? {
            0 => false,
            1 => true,
            other => {
                let kind = ChamberErrorKind::Malformed {
                    reply: format!("event output {other}"),
                };
                return Err(self.error(OP, kind));
            }
        };
        Ok(on == event.active_high)
    }
}
