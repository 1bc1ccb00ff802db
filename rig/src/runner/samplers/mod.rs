//! Samplers: tasks that read instruments continuously, independent of the steps, and
//! feed readings (or the failure of an instrument) to the executor.

mod board;
mod can;
mod chamber;
mod guard;
mod inbox;
mod rs485;
mod source;
mod start;

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::failure::{Cause, InstrumentFailure};
use crate::clock::RunClock;
use crate::expr::{ChannelId, Value};

pub use board::board;
pub(crate) use can::FrameIngest;
pub use can::can;
pub use chamber::chamber;
pub use guard::SourceGuard;
pub use inbox::Inbox;
pub use rs485::{Rs485Command, Rs485Request, rs485};
pub use source::source;
pub use start::start;

/// What samplers send to the executor.
#[derive(Debug)]
pub enum Feed {
    Sample {
        id: ChannelId,
        value: Value,
        /// The moment of the run it was read.
        t: Duration,
    },
    /// Readings taken at the same moment, in order (a CAN frame's signals): one message
    /// rather than one per reading. The [`Inbox`] hands them out one at a time.
    Samples {
        t: Duration,
        values: Vec<(ChannelId, Value)>,
    },
    Failed(InstrumentFailure),
    /// A measurement left the envelope; the source's output is already off.
    Violation(InstrumentFailure),
}

/// How one reading of a polled instrument ended badly.
pub(super) enum Stop {
    Failed(Cause),
    /// An envelope violation ([`Cause::Envelope`]).
    Violation(Cause),
}

/// Read an instrument every `period` until the run ends. Each reading yields values
/// for channels (`None` ids are channels the bench does not map); a failure ends the
/// sampler and names the instrument.
pub(super) async fn poll<F, Fut>(
    name: &str,
    period: Duration,
    clock: RunClock,
    tx: &UnboundedSender<Feed>,
    mut read: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Vec<(Option<ChannelId>, Value)>, Stop>>,
{
    let mut next = clock.now();
    loop {
        let reading = read().await;
        let t = clock.now();
        match reading {
            Ok(values) => {
                for (id, value) in values {
                    if let Some(id) = id
                        && tx.send(Feed::Sample { id, value, t }).is_err()
                    {
                        return;
                    }
                }
            }
            Err(Stop::Failed(cause)) => {
                let _ = tx.send(Feed::Failed(InstrumentFailure::new(name, cause)));
                return;
            }
            Err(Stop::Violation(cause)) => {
                let _ = tx.send(Feed::Violation(InstrumentFailure::new(name, cause)));
                return;
            }
        }
        next += period;
        clock.sleep_until(next.max(clock.now())).await;
    }
}

/// The channel of `kind` that belongs to the instrument `name`.
pub(super) fn channel_of(
    channels: &crate::bench::Channels,
    name: &str,
    kind: crate::bench::ChannelKind,
) -> Option<ChannelId> {
    channels
        .iter()
        .find(|(_, s)| s.kind == kind && s.name.starts_with(&format!("{name}.")))
        .map(|(id, _)| id)
}
