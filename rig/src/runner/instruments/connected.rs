//! What a run holds of each instrument once connected.

use std::collections::BTreeMap;
use std::sync::Arc;

use rig_drivers::can::{CanDatabase, CanPort};
use rig_drivers::rs485::pylontech::PylontechClient;
use rig_drivers::transport::BoxStream;
use tokio::sync::Mutex;

use crate::bench::InstrumentSpec;
use crate::runner::roles::{BoardRole, ChamberRole, SourceRole};
use crate::runner::rs232::Rs232Console;
use crate::runner::samplers::Rs485Request;

pub type SharedSource = Arc<Mutex<SourceRole>>;
pub type SharedBoard = Arc<Mutex<BoardRole>>;
pub type SharedChamber = Arc<Mutex<ChamberRole>>;

/// The BMS CAN link: a port on a bus plus the database that decodes it.
pub struct CanLink {
    pub name: String,
    pub port: CanPort,
    pub db: CanDatabase,
}

/// The pack's RS485 link: a client and the pack's address.
pub struct Rs485Link {
    pub name: String,
    pub client: PylontechClient<BoxStream>,
    pub address: u8,
}

/// How instruments are opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Opening {
    /// For a run: a source's output switched off, a board's inputs decoupled from its
    /// relays, errors cleared.
    #[default]
    ForRun,
    /// For a probe: identities are asked, nothing is written; the instruments stay as
    /// they were found.
    ReadOnly,
}

/// Every connected instrument of a run.
#[derive(Default)]
pub struct Instruments {
    /// How they were opened; a reconnect for the safe state opens the same way.
    pub opening: Opening,
    pub source: Option<(InstrumentSpec, SharedSource)>,
    pub boards: BTreeMap<String, (InstrumentSpec, SharedBoard)>,
    pub can: Option<(InstrumentSpec, CanLink)>,
    /// Sends on the BMS's bus after the CAN sampler took the link (the keep-alive).
    pub can_sender: Option<(String, rig_drivers::can::CanSender)>,
    pub chamber: Option<(InstrumentSpec, SharedChamber)>,
    pub rs485: Option<(InstrumentSpec, Rs485Link)>,
    /// The pack's RS232 console, written to by plans; it holds no energy, so it has no
    /// safe state (`SafeState::Nothing`).
    pub rs232: Option<(InstrumentSpec, Mutex<Rs232Console>)>,
    /// Commands for the pack over RS485, sent by its sampler, which owns the link.
    pub rs485_commands: Option<(String, tokio::sync::mpsc::Sender<Rs485Request>)>,
    /// Names in connection order; safe states are applied in reverse.
    pub order: Vec<String>,
    /// Instruments whose connecting failed halfway: made safe over a fresh connection.
    pub unconnected: Vec<InstrumentSpec>,
}
