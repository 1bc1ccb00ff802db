//! The source/sink's own state as one program message sees it: its settings and the
//! pack at its terminals at this instant (the SCPI machinery is in `scpi_device`).

use scpi_contrib::scpi1999::BitFlags;
use scpi_contrib::scpi1999::status::questionable::QuestionableBits;

use super::power_on_settings_for;
use crate::bus::BusTerminal;
use crate::circuit::{OperatingPoint, SourceSettings};
use crate::config::SourceRating;
use crate::instruments::scpi_commands::Measuring;
use crate::instruments::scpi_device::{Instrument, Session};
use crate::snapshot::SourceProtection;
use crate::world::World;

pub(crate) struct SourceState {
    pub(super) settings: SourceSettings,
    /// The pack as seen at this instant.
    terminal: BusTerminal,
    /// What the unit can deliver (`SimConfig::source`).
    pub(super) rating: SourceRating,
}

pub(crate) type SourceSession = Session<SourceState>;

/// Lend the instrument's state out of the world (already advanced to now).
pub(super) fn open(world: &mut World) -> SourceSession {
    let mut status = std::mem::take(&mut world.source_status);
    let condition = match world.source.tripped {
        Some(SourceProtection::OverVoltage) => QuestionableBits::SummaryVoltage.get_mask(),
        Some(SourceProtection::OverCurrent) => QuestionableBits::SummaryCurrent.get_mask(),
        None => 0,
    };
    status.set_questionable_condition(condition);
    let state = SourceState {
        settings: world.source.clone(),
        terminal: world.terminal(),
        rating: world.source_rating,
    };
    Session::new(state, status)
}

/// Give the state back to the world.
pub(super) fn close(session: SourceSession, world: &mut World) {
    let (state, status) = session.into_parts();
    world.source = state.settings;
    world.source_status = status;
}

impl Measuring for SourceState {
    /// What the source measures now, after its protections have acted.
    fn measure(&mut self) -> OperatingPoint {
        self.terminal.settle(&mut self.settings)
    }
}

impl Instrument for SourceState {
    /// `*RST`: output off, set points and protections to their power-on values.
    fn reset(&mut self) {
        self.settings = power_on_settings_for(self.rating);
    }
}
