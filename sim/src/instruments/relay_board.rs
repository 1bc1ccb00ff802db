//! The Waveshare "Modbus RTU Relay (D)": eight relays, eight opto-isolated inputs, at
//! unit 1 (protocols.md 6.1), as a `tokio_modbus::server::Service`.
//!
//! Coils 0-7 are relays 1-8 and discrete inputs 0-7 are inputs 1-8. FC05 takes 0xFF00
//! (close), 0x0000 (open) and 0x5500 (toggle); coil 0x00FF addresses all relays. Holding
//! registers: 0x1000-0x1007 control mode per channel, 0x4000 device address, 0x8000
//! firmware version. Every channel leaves the factory in "linkage" mode (1), where the
//! relay follows its input; writing 0 makes the relay follow its coil. The board's
//! other control mode (2, toggle) is not modelled and is refused (protocols.md 6.1
//! marks the linkage behaviour itself as uncertain).

use std::future::{Ready, ready};
use std::sync::{Arc, Mutex};

use tokio_modbus::server::Service;
use tokio_modbus::{Address, ExceptionCode, Quantity, Request, Response, SlaveRequest};

use crate::clock;
use crate::world::{World, lock};

const CHANNELS: usize = 8;
/// FC05 coil address that switches every relay.
const ALL_RELAYS: Address = 0x00FF;
/// FC05 value that toggles (Waveshare extension).
const TOGGLE: [u8; 2] = [0x55, 0x00];
const CONTROL_MODE_FIRST: Address = 0x1000;
const ADDRESS_REGISTER: Address = 0x4000;
const FIRMWARE_REGISTER: Address = 0x8000;
/// What the simulated board reports as its firmware version (V1.00).
const FIRMWARE_VERSION: u16 = 0x0100;
const MODE_NORMAL: u16 = 0;
const MODE_LINKAGE: u16 = 1;
/// Factory device address (protocols.md 6.1 "slave address 1").
const FACTORY_ADDRESS: u8 = 1;
const BROADCAST: u8 = 0;
/// Modbus application protocol 6.1/6.3: largest quantities per read.
const MAX_READ_BITS: Quantity = 2000;
const MAX_READ_REGISTERS: Quantity = 125;

/// The board's state.
#[derive(Clone, Debug)]
pub(crate) struct RelayBoard {
    coils: [bool; CHANNELS],
    inputs: [bool; CHANNELS],
    modes: [u16; CHANNELS],
    address: u8,
}

/// The channels `first..first + quantity`, or the exception a real device returns.
fn channels(
    first: Address,
    quantity: usize,
    max: Quantity,
) -> Result<std::ops::Range<usize>, ExceptionCode> {
    if quantity == 0 || quantity > usize::from(max) {
        return Err(ExceptionCode::IllegalDataValue);
    }
    let first = usize::from(first);
    if first + quantity > CHANNELS {
        return Err(ExceptionCode::IllegalDataAddress);
    }
    Ok(first..first + quantity)
}

impl RelayBoard {
    /// As delivered: all relays open, every channel in linkage mode, address 1.
    pub(crate) fn factory() -> Self {
        Self {
            coils: [false; CHANNELS],
            inputs: [false; CHANNELS],
            modes: [MODE_LINKAGE; CHANNELS],
            address: FACTORY_ADDRESS,
        }
    }

    /// As the built-in bench has it: as delivered, except `decoupled` (0-based), taken
    /// out of linkage once when the fault-injection contactors and the LED photo
    /// sensors were wired, so that a lit LED can never close a contactor, whoever
    /// connects (or does not) to the board. The control mode is assumed to survive a
    /// power cycle (protocols.md 6.1 marks the whole linkage behaviour uncertain).
    pub(crate) fn commissioned(decoupled: std::ops::Range<usize>) -> Self {
        let mut board = Self::factory();
        for ch in decoupled {
            if let Some(mode) = board.modes.get_mut(ch) {
                *mode = MODE_NORMAL;
            }
        }
        board
    }

    /// Contact state of relay `channel` (0-based); in linkage mode it follows its input.
    pub(crate) fn relay_closed(&self, channel: usize) -> bool {
        if self.in_linkage(channel) {
            self.input(channel)
        } else {
            self.coils.get(channel).copied().unwrap_or(false)
        }
    }

    pub(crate) fn input(&self, channel: usize) -> bool {
        self.inputs.get(channel).copied().unwrap_or(false)
    }

    pub(crate) fn in_linkage(&self, channel: usize) -> bool {
        self.modes.get(channel) == Some(&MODE_LINKAGE)
    }

    pub(crate) fn set_input(&mut self, channel: usize, closed: bool) {
        if let Some(input) = self.inputs.get_mut(channel) {
            *input = closed;
        }
    }

    /// Execute one request addressed to this board.
    pub(crate) fn handle(&mut self, request: &Request<'_>) -> Result<Response, ExceptionCode> {
        match request {
            Request::ReadCoils(first, quantity) => {
                let range = channels(*first, usize::from(*quantity), MAX_READ_BITS)?;
                Ok(Response::ReadCoils(
                    range.map(|ch| self.relay_closed(ch)).collect(),
                ))
            }
            Request::ReadDiscreteInputs(first, quantity) => {
                let range = channels(*first, usize::from(*quantity), MAX_READ_BITS)?;
                Ok(Response::ReadDiscreteInputs(
                    range.map(|ch| self.input(ch)).collect(),
                ))
            }
            Request::WriteSingleCoil(address, on) => {
                for ch in self.coil_targets(*address)? {
                    self.coils[ch] = *on;
                }
                Ok(Response::WriteSingleCoil(*address, *on))
            }
            Request::WriteMultipleCoils(first, values) => {
                let range = channels(*first, values.len(), MAX_READ_BITS)?;
                let quantity = values.len() as Quantity;
                for (ch, on) in range.zip(values.iter()) {
                    self.coils[ch] = *on;
                }
                Ok(Response::WriteMultipleCoils(*first, quantity))
            }
            Request::ReadHoldingRegisters(first, quantity) => {
                if *quantity == 0 || *quantity > MAX_READ_REGISTERS {
                    return Err(ExceptionCode::IllegalDataValue);
                }
                (0..*quantity)
                    .map(|i| self.read_register(first.checked_add(i)))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Response::ReadHoldingRegisters)
            }
            Request::WriteSingleRegister(address, value) => {
                self.check_register_write(Some(*address), *value)?;
                self.write_register(*address, *value);
                Ok(Response::WriteSingleRegister(*address, *value))
            }
            Request::WriteMultipleRegisters(first, values) => {
                for (i, value) in values.iter().enumerate() {
                    let address = u16::try_from(i).ok().and_then(|i| first.checked_add(i));
                    self.check_register_write(address, *value)?;
                }
                for (address, value) in (*first..).zip(values.iter()) {
                    self.write_register(address, *value);
                }
                Ok(Response::WriteMultipleRegisters(
                    *first,
                    values.len() as Quantity,
                ))
            }
            Request::Custom(0x05, data) => self.toggle(data),
            // Well-formed codes whose frames did not decode (see modbus_rtu::pdu).
            Request::Custom(0x01..=0x06 | 0x0F | 0x10, _) => Err(ExceptionCode::IllegalDataValue),
            _ => Err(ExceptionCode::IllegalFunction),
        }
    }

    fn coil_targets(&self, address: Address) -> Result<std::ops::Range<usize>, ExceptionCode> {
        if address == ALL_RELAYS {
            Ok(0..CHANNELS)
        } else {
            channels(address, 1, 1)
        }
    }

    /// FC05 with the Waveshare toggle value 0x5500; the reply echoes the request.
    fn toggle(&mut self, data: &[u8]) -> Result<Response, ExceptionCode> {
        let [high, low, value @ ..] = data else {
            return Err(ExceptionCode::IllegalDataValue);
        };
        if value != TOGGLE {
            return Err(ExceptionCode::IllegalDataValue);
        }
        for ch in self.coil_targets(u16::from_be_bytes([*high, *low]))? {
            self.coils[ch] = !self.coils[ch];
        }
        Ok(Response::Custom(0x05, data.to_vec().into()))
    }

    fn control_mode_channel(address: Address) -> Option<usize> {
        let channel = usize::from(address.checked_sub(CONTROL_MODE_FIRST)?);
        (channel < CHANNELS).then_some(channel)
    }

    fn read_register(&self, address: Option<Address>) -> Result<u16, ExceptionCode> {
        let address = address.ok_or(ExceptionCode::IllegalDataAddress)?;
        if let Some(ch) = Self::control_mode_channel(address) {
            return Ok(self.modes[ch]);
        }
        match address {
            ADDRESS_REGISTER => Ok(u16::from(self.address)),
            FIRMWARE_REGISTER => Ok(FIRMWARE_VERSION),
            _ => Err(ExceptionCode::IllegalDataAddress),
        }
    }

    fn check_register_write(
        &self,
        address: Option<Address>,
        value: u16,
    ) -> Result<(), ExceptionCode> {
        let address = address.ok_or(ExceptionCode::IllegalDataAddress)?;
        let valid = if Self::control_mode_channel(address).is_some() {
            matches!(value, MODE_NORMAL | MODE_LINKAGE)
        } else if address == ADDRESS_REGISTER {
            (1..=247).contains(&value)
        } else {
            return Err(ExceptionCode::IllegalDataAddress);
        };
        if valid {
            Ok(())
        } else {
            Err(ExceptionCode::IllegalDataValue)
        }
    }

    /// Only after [`Self::check_register_write`] accepted the write.
    fn write_register(&mut self, address: Address, value: u16) {
        if let Some(ch) = Self::control_mode_channel(address) {
            self.modes[ch] = value;
        } else if address == ADDRESS_REGISTER {
            self.address = u8::try_from(value).unwrap_or(self.address);
        }
    }

    fn address(&self) -> u8 {
        self.address
    }
}

/// The channels whose relay a request switches (coil writes, toggles, control-mode
/// writes): the board drives those relay lines again (`relay_lines`: last write wins).
fn switched_channels(request: &Request<'_>) -> std::ops::Range<usize> {
    let coil = |address: Address| match usize::from(address) {
        _ if address == ALL_RELAYS => 0..CHANNELS,
        ch if ch < CHANNELS => ch..ch + 1,
        _ => 0..0,
    };
    let registers = |first: Address, count: usize| {
        let first = usize::from(first.saturating_sub(CONTROL_MODE_FIRST));
        if first >= CHANNELS || count == 0 {
            0..0
        } else {
            first..(first + count).min(CHANNELS)
        }
    };
    match request {
        Request::WriteSingleCoil(address, _) => coil(*address),
        Request::WriteMultipleCoils(first, values) => {
            let first = usize::from(*first).min(CHANNELS);
            first..(first + values.len()).min(CHANNELS)
        }
        Request::Custom(0x05, data) => match data.as_ref() {
            [high, low, ..] => coil(u16::from_be_bytes([*high, *low])),
            _ => 0..0,
        },
        Request::WriteSingleRegister(address, _) if *address >= CONTROL_MODE_FIRST => {
            registers(*address, 1)
        }
        Request::WriteMultipleRegisters(first, values) if *first >= CONTROL_MODE_FIRST => {
            registers(*first, values.len())
        }
        _ => 0..0,
    }
}

/// The board on the bench: requests act on the shared world.
#[derive(Clone, Debug)]
pub(crate) struct RelayBoardService {
    world: Arc<Mutex<World>>,
}

impl RelayBoardService {
    pub(crate) fn new(world: Arc<Mutex<World>>) -> Self {
        Self { world }
    }
}

impl Service for RelayBoardService {
    type Request = SlaveRequest<'static>;
    type Response = Option<Response>;
    type Exception = ExceptionCode;
    type Future = Ready<Result<Option<Response>, ExceptionCode>>;

    /// Requests for other units get no answer; broadcasts are executed silently.
    fn call(&self, request: Self::Request) -> Self::Future {
        let mut world = lock(&self.world);
        world.advance_to(clock::now());
        let broadcast = request.slave == BROADCAST;
        if !broadcast && request.slave != world.board.address() {
            return ready(Ok(None));
        }
        let result = world.board.handle(&request.request);
        if result.is_ok() {
            for line in switched_channels(&request.request) {
                world.front_ends.lines.give_back(line);
            }
        }
        world.settle();
        ready(if broadcast {
            Ok(None)
        } else {
            result.map(Some)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn decoupled() -> RelayBoard {
        let mut board = RelayBoard::factory();
        board
            .handle(&Request::WriteMultipleRegisters(
                0x1000,
                Cow::Owned(vec![0; 8]),
            ))
            .unwrap();
        board
    }

    #[test]
    fn leaves_the_factory_in_linkage_mode() {
        let mut board = RelayBoard::factory();
        board.set_input(0, true);
        assert!(board.relay_closed(0));
        assert_eq!(
            board.handle(&Request::ReadHoldingRegisters(0x1000, 8)),
            Ok(Response::ReadHoldingRegisters(vec![1; 8]))
        );
        board
            .handle(&Request::WriteSingleRegister(0x1000, 0))
            .unwrap();
        assert!(!board.relay_closed(0));
    }

    #[test]
    fn single_all_and_toggle_writes() {
        let mut board = decoupled();
        board.handle(&Request::WriteSingleCoil(2, true)).unwrap();
        assert!(board.relay_closed(2));
        board
            .handle(&Request::WriteSingleCoil(ALL_RELAYS, true))
            .unwrap();
        assert!((0..8).all(|ch| board.relay_closed(ch)));
        let toggle_1 = Request::Custom(0x05, Cow::Owned(vec![0x00, 0x00, 0x55, 0x00]));
        board.handle(&toggle_1).unwrap();
        assert!(!board.relay_closed(0));
        assert_eq!(
            board.handle(&Request::ReadCoils(0, 8)),
            Ok(Response::ReadCoils(vec![
                false, true, true, true, true, true, true, true
            ]))
        );
    }

    #[test]
    fn out_of_range_requests_get_the_modbus_exceptions() {
        let mut board = decoupled();
        let cases = [
            (
                Request::WriteSingleCoil(8, true),
                ExceptionCode::IllegalDataAddress,
            ),
            (Request::ReadCoils(4, 5), ExceptionCode::IllegalDataAddress),
            (
                Request::ReadDiscreteInputs(0, 0),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::ReadHoldingRegisters(0x2000, 1),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::ReadHoldingRegisters(0xFFFF, 2),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::WriteSingleRegister(0x1000, 7),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::WriteSingleRegister(0x4000, 0),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::WriteSingleRegister(0x8000, 1),
                ExceptionCode::IllegalDataAddress,
            ),
            (
                Request::ReadInputRegisters(0, 1),
                ExceptionCode::IllegalFunction,
            ),
            (Request::ReportServerId, ExceptionCode::IllegalFunction),
            (
                Request::Custom(0x05, Cow::Owned(vec![0, 0, 0x12, 0x34])),
                ExceptionCode::IllegalDataValue,
            ),
            (
                Request::Custom(0x41, Cow::Owned(vec![])),
                ExceptionCode::IllegalFunction,
            ),
        ];
        for (request, exception) in cases {
            assert_eq!(board.handle(&request), Err(exception), "{request:?}");
        }
    }

    #[test]
    fn a_rejected_multiple_write_changes_nothing() {
        let mut board = decoupled();
        assert_eq!(
            board.handle(&Request::WriteMultipleRegisters(
                0x1006,
                Cow::Owned(vec![1, 1, 1])
            )),
            Err(ExceptionCode::IllegalDataAddress)
        );
        assert!(!board.in_linkage(6));
    }

    #[test]
    fn reports_firmware_and_takes_a_new_address() {
        let mut board = RelayBoard::factory();
        assert_eq!(
            board.handle(&Request::ReadHoldingRegisters(0x8000, 1)),
            Ok(Response::ReadHoldingRegisters(vec![FIRMWARE_VERSION]))
        );
        board
            .handle(&Request::WriteSingleRegister(0x4000, 5))
            .unwrap();
        assert_eq!(board.address(), 5);
    }
}
