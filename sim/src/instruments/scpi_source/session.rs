//! The SCPI device one program message runs against: the source/sink's settings and
//! status registers, lent out of the world for the duration of one line.
//!
//! The `scpi` crate calls handlers with `&mut Device` synchronously, so the world is
//! locked for the line, the instrument's state is moved into a [`SourceSession`], the
//! command tree runs, and the state is moved back.

use std::collections::VecDeque;

use scpi::Device;
use scpi::error::{Error, ErrorCode, ErrorQueue};
use scpi_contrib::ieee488::IEEE4882;
use scpi_contrib::scpi1999::BitFlags;
use scpi_contrib::scpi1999::ScpiDevice;
use scpi_contrib::scpi1999::prelude::{EventRegister, GetEventRegister, Operation, Questionable};
use scpi_contrib::scpi1999::status::questionable::QuestionableBits;

use super::power_on_settings;
use crate::circuit::{OperatingPoint, PackTerminal, SourceSettings};
use crate::snapshot::SourceProtection;
use crate::world::World;

/// Error/event queue length; a full queue replaces its last entry with -350 "Queue
/// overflow" (SCPI-99 21.8.2).
const ERROR_QUEUE_CAPACITY: usize = 16;

/// IEEE 488.2 and SCPI status of the instrument, shared by all its connections.
#[derive(Clone, Debug, Default)]
pub(crate) struct ScpiStatus {
    esr: u8,
    ese: u8,
    sre: u8,
    operation: EventRegister,
    questionable: EventRegister,
    errors: VecDeque<Error>,
}

impl ScpiStatus {
    /// Queue an error that arose outside a command (an over-long line).
    pub(crate) fn push(&mut self, code: ErrorCode) {
        let err = Error::from(code);
        self.esr |= err.esr_mask();
        self.enqueue(err);
    }

    fn enqueue(&mut self, err: Error) {
        if self.errors.len() >= ERROR_QUEUE_CAPACITY {
            self.errors.pop_back();
            self.errors.push_back(ErrorCode::QueueOverflow.into());
        } else {
            self.errors.push_back(err);
        }
    }
}

pub(crate) struct SourceSession {
    pub(super) settings: SourceSettings,
    status: ScpiStatus,
    /// The pack as seen at this instant.
    terminal: PackTerminal,
}

impl SourceSession {
    /// Lend the instrument's state out of the world (already advanced to now).
    pub(super) fn open(world: &mut World) -> Self {
        let mut status = std::mem::take(&mut world.source_status);
        let condition = match world.source.tripped {
            Some(SourceProtection::OverVoltage) => QuestionableBits::SummaryVoltage.get_mask(),
            Some(SourceProtection::OverCurrent) => QuestionableBits::SummaryCurrent.get_mask(),
            None => 0,
        };
        status.questionable.set_condition(condition);
        Self {
            settings: world.source.clone(),
            status,
            terminal: world.terminal(),
        }
    }

    /// Give the state back to the world.
    pub(super) fn close(self, world: &mut World) {
        world.source = self.settings;
        world.source_status = self.status;
    }

    /// What the source measures now, after its protections have acted.
    pub(super) fn measure(&mut self) -> OperatingPoint {
        self.settings.settle(&self.terminal)
    }
}

impl Device for SourceSession {
    fn handle_error(&mut self, err: Error) {
        self.push_error(err);
    }
}

impl ErrorQueue for SourceSession {
    fn push_back_error(&mut self, err: Error) {
        self.status.enqueue(err);
    }

    fn pop_front_error(&mut self) -> Option<Error> {
        self.status.errors.pop_front()
    }

    fn num_errors(&self) -> usize {
        self.status.errors.len()
    }

    fn clear_errors(&mut self) {
        self.status.errors.clear();
    }
}

impl GetEventRegister<Operation> for SourceSession {
    fn register(&self) -> &EventRegister {
        &self.status.operation
    }

    fn register_mut(&mut self) -> &mut EventRegister {
        &mut self.status.operation
    }
}

impl GetEventRegister<Questionable> for SourceSession {
    fn register(&self) -> &EventRegister {
        &self.status.questionable
    }

    fn register_mut(&mut self) -> &mut EventRegister {
        &mut self.status.questionable
    }
}

impl IEEE4882 for SourceSession {
    fn stb(&self) -> u8 {
        self.scpi_stb()
    }

    fn sre(&self) -> u8 {
        self.status.sre
    }

    fn set_sre(&mut self, value: u8) {
        self.status.sre = value;
    }

    fn esr(&self) -> u8 {
        self.status.esr
    }

    fn set_esr(&mut self, value: u8) {
        self.status.esr = value;
    }

    fn ese(&self) -> u8 {
        self.status.ese
    }

    fn set_ese(&mut self, value: u8) {
        self.status.ese = value;
    }

    fn tst(&mut self) -> scpi::error::Result<()> {
        Ok(())
    }

    /// `*RST`: output off, set points and protections to their power-on values.
    fn rst(&mut self) -> scpi::error::Result<()> {
        self.settings = power_on_settings();
        Ok(())
    }

    /// `*CLS` also empties the error/event queue (SCPI-99 4.1.3.2).
    fn cls(&mut self) -> scpi::error::Result<()> {
        self.clear_errors();
        self.scpi_cls()
    }

    fn opc(&mut self) -> scpi::error::Result<()> {
        self.scpi_opc()
    }
}

impl ScpiDevice for SourceSession {}
