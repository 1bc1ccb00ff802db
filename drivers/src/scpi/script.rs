//! Scripted instrument conversations for the SCPI tests, one line per step.

use std::time::Duration;

use tokio_test::io::{Builder, Mock};

/// The exchange timeout of the tests (paused clock: costs nothing).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Default)]
pub(crate) struct Script(Builder);

impl Script {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Expects the rig to send `command` (the terminator is added).
    pub(crate) fn send(&mut self, command: &str) -> &mut Self {
        self.0.write(format!("{command}\n").as_bytes());
        self
    }

    /// The instrument sends `line` (the terminator is added).
    pub(crate) fn answer(&mut self, line: &str) -> &mut Self {
        self.0.read(format!("{line}\n").as_bytes());
        self
    }

    pub(crate) fn ask(&mut self, query: &str, answer: &str) -> &mut Self {
        self.send(query).answer(answer)
    }

    /// An empty error queue, as Keysight spells it.
    pub(crate) fn no_error(&mut self) -> &mut Self {
        self.ask("SYST:ERR?", "+0,\"No error\"")
    }

    pub(crate) fn wait(&mut self, duration: Duration) -> &mut Self {
        self.0.wait(duration);
        self
    }

    pub(crate) fn build(&mut self) -> Mock {
        self.0.build()
    }
}
