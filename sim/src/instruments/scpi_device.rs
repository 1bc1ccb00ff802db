//! What every simulated SCPI instrument shares, built on the `scpi` parser and the
//! `scpi-contrib` IEEE 488.2 / SCPI-99 status model: the status registers and error
//! queue ([`ScpiStatus`]), the device one program message runs against ([`Session`]),
//! the connection loop ([`serve_instrument`]) and the root of every command tree
//! ([`scpi_root!`]). The command handlers they share are in `scpi_commands`.
//!
//! The `scpi` crate calls command handlers with `&mut Device` synchronously, so the
//! world is locked for one program message: the instrument's state is lent out of the
//! world into a [`Session`], the command tree runs, and the state is given back.
//! A session dereferences to the instrument's own state, so handlers write
//! `dev.settings` rather than `dev.instrument.settings`.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use scpi::error::{Error, ErrorCode, ErrorQueue};
use scpi::tree::Node;
use scpi::{Context, Device};
use scpi_contrib::ieee488::IEEE4882;
use scpi_contrib::scpi1999::ScpiDevice;
use scpi_contrib::scpi1999::prelude::{EventRegister, GetEventRegister, Operation, Questionable};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::lines::{Line, LineReader};
use crate::world::{World, lock};

/// Error/event queue length; a full queue replaces its last entry with -350 "Queue
/// overflow" (SCPI-99 21.8.2).
const ERROR_QUEUE_CAPACITY: usize = 16;

/// IEEE 488.2 and SCPI status of one instrument, shared by all its connections.
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

    /// The questionable condition register as the instrument's state sets it now.
    pub(crate) fn set_questionable_condition(&mut self, mask: u16) {
        self.questionable.set_condition(mask);
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

/// What the shared SCPI machinery asks of an instrument's own state.
pub(crate) trait Instrument {
    /// `*RST`: the instrument's own state to its power-on values.
    fn reset(&mut self);

    /// A setting was accepted, even one that leaves its value as it was (a load takes
    /// the circuit over then).
    fn accepted_setting(&mut self) {}
}

/// The device one program message runs against: the instrument's state `I` and its
/// status, lent out of the world for the duration of one line.
pub(crate) struct Session<I> {
    instrument: I,
    status: ScpiStatus,
}

impl<I> Session<I> {
    pub(crate) fn new(instrument: I, status: ScpiStatus) -> Self {
        Self { instrument, status }
    }

    /// The state and status, to be given back to the world.
    pub(crate) fn into_parts(self) -> (I, ScpiStatus) {
        (self.instrument, self.status)
    }
}

impl<I> Deref for Session<I> {
    type Target = I;

    fn deref(&self) -> &I {
        &self.instrument
    }
}

impl<I> DerefMut for Session<I> {
    fn deref_mut(&mut self) -> &mut I {
        &mut self.instrument
    }
}

impl<I: Instrument> Session<I> {
    /// Run one program message against `tree`; the response (with its `\n`), or
    /// nothing when the message failed (the error is in the queue for `SYST:ERR?`).
    pub(crate) fn run(&mut self, tree: &Node<Self>, message: &[u8]) -> Vec<u8> {
        let mut response = Vec::new();
        let result = tree.run(message, self, &mut Context::default(), &mut response);
        if result.is_ok() { response } else { Vec::new() }
    }
}

impl<I: Instrument> Device for Session<I> {
    fn handle_error(&mut self, err: Error) {
        self.push_error(err);
    }
}

impl<I> ErrorQueue for Session<I> {
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

impl<I> GetEventRegister<Operation> for Session<I> {
    fn register(&self) -> &EventRegister {
        &self.status.operation
    }

    fn register_mut(&mut self) -> &mut EventRegister {
        &mut self.status.operation
    }
}

impl<I> GetEventRegister<Questionable> for Session<I> {
    fn register(&self) -> &EventRegister {
        &self.status.questionable
    }

    fn register_mut(&mut self) -> &mut EventRegister {
        &mut self.status.questionable
    }
}

impl<I: Instrument> IEEE4882 for Session<I> {
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

    fn rst(&mut self) -> scpi::error::Result<()> {
        self.instrument.reset();
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

impl<I: Instrument> ScpiDevice for Session<I> {}

/// Serve one instrument's connection until the peer closes it: each program message
/// runs through `execute` with the world locked, and an over-long line queues -363
/// "Input buffer overrun" in the instrument's `status`.
pub(crate) async fn serve_instrument<T>(
    world: Arc<Mutex<World>>,
    stream: T,
    execute: impl Fn(&mut World, &[u8]) -> Vec<u8>,
    status: impl Fn(&mut World) -> &mut ScpiStatus,
) where
    T: AsyncRead + AsyncWrite + Unpin,
{
    serve_program_messages(stream, |line| {
        let mut world = lock(&world);
        match line {
            Line::Text(message) => execute(&mut world, &message),
            Line::Overlong => {
                status(&mut world).push(ErrorCode::InputBufferOverrun);
                Vec::new()
            }
        }
    })
    .await;
}

/// Serve one connection until the peer closes it: each newline-terminated program
/// message goes to `respond`, and whatever it returns is written back.
async fn serve_program_messages<T>(stream: T, mut respond: impl FnMut(Line) -> Vec<u8>)
where
    T: AsyncRead + AsyncWrite + Unpin,
{
    let (reader, mut writer) = tokio::io::split(stream);
    let mut lines = LineReader::new(reader);
    while let Ok(Some(line)) = lines.next_line().await {
        let response = respond(line);
        if !response.is_empty() && writer.write_all(&response).await.is_err() {
            return;
        }
    }
}

/// The root of an instrument's command tree: the IEEE 488.2 common commands (`*IDN?`
/// answering the given manufacturer, model, serial and firmware), SCPI-99 `STATus`,
/// then the instrument's `SYSTem` branch and its own nodes.
macro_rules! scpi_root {
    (($manufacturer:expr, $model:expr, $serial:expr, $firmware:expr), $($node:expr),+ $(,)?) => {
        ::scpi::Root![
            ::scpi_contrib::ieee488_cls!(),
            ::scpi_contrib::ieee488_ese!(),
            ::scpi_contrib::ieee488_esr!(),
            ::scpi_contrib::ieee488_idn!($manufacturer, $model, $serial, $firmware),
            ::scpi_contrib::ieee488_opc!(),
            ::scpi_contrib::ieee488_rst!(),
            ::scpi_contrib::ieee488_sre!(),
            ::scpi_contrib::ieee488_stb!(),
            ::scpi_contrib::ieee488_tst!(),
            ::scpi_contrib::ieee488_wai!(),
            ::scpi_contrib::scpi_status!(),
            $($node),+
        ]
    };
}

pub(crate) use scpi_root;
