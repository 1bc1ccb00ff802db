//! Whose silence is it: the BMS's or the bench's?
//!
//! A BMS link that falls silent while the plan does not expect it cannot, by itself,
//! be told from a pulled cable or a stalled gateway. The master's controller speaks on
//! two links, though (CAN to the inverter, RS485 to the monitor): if the other link
//! answered once this one was overdue, the controller is up and stopped reporting,
//! which is the DUT's failure (issue 13). If the other link fell silent too, or was
//! never heard, the run ends as the rig's error, as before. When the other link last
//! answered before the silence began, the verdict waits for its next answer.

use std::time::Duration;

use super::Executor;
use super::messages::fmt_t;
use super::silence::SilentLink;
use crate::bench::{ChannelKind, Channels};
use crate::expr::{ChannelId, Value};
use crate::runner::failure::{Cause, InstrumentFailure, Medium};
use crate::runner::store::Store;

/// What the other link says now.
#[derive(Debug, PartialEq)]
pub enum Evidence {
    /// It answered since the silent link was overdue: how, for the message.
    Alive(String),
    /// It is online, but its last answer is older: wait for the next one.
    Pending,
    /// There is no other link, or it is silent too.
    None,
}

impl Evidence {
    /// What the other link of `silent`'s controller says, counting answers from `since`.
    pub fn now(silent: &SilentLink, channels: &Channels, store: &Store, since: Duration) -> Self {
        let Some((id, how)) = other_link(silent, channels) else {
            return Evidence::None;
        };
        match store.get(id) {
            Some(r) if r.value == Value::Bool(true) && r.at >= since => {
                Evidence::Alive(alive_text(how, channels, id, r.at))
            }
            Some(r) if r.value == Value::Bool(true) => Evidence::Pending,
            _ => Evidence::None,
        }
    }
}

/// A silence whose blame waits for the other link's next answer.
#[derive(Debug)]
pub struct Awaiting {
    pub silent: SilentLink,
    /// Answers of the other link from here on count.
    since: Duration,
    /// When the silence was noticed.
    pub at: Duration,
    /// The rig's error, should the other link fall silent too.
    cause: Cause,
}

/// What a reading did to an [`Awaiting`] silence.
#[derive(Debug, PartialEq)]
pub enum Settled {
    /// Not a reading of either link's `online`.
    Waiting,
    /// The silent link is heard again: nothing to blame.
    LinkBack,
    /// The other link answered: the DUT's failure, with how.
    Alive(String),
    /// The other link fell silent too: the bench's.
    BenchFault,
}

impl Awaiting {
    pub fn new(silent: SilentLink, since: Duration, at: Duration, cause: Cause) -> Self {
        Awaiting {
            silent,
            since,
            at,
            cause,
        }
    }

    /// The reading of channel `id` (already in `store`) may settle the blame.
    pub fn settle(&self, channels: &Channels, store: &Store, id: ChannelId) -> Settled {
        if channels.get(id).name == format!("{}.online", self.silent.link) {
            return match store.value(id) {
                Some(Value::Bool(true)) => Settled::LinkBack,
                _ => Settled::Waiting,
            };
        }
        match other_link(&self.silent, channels) {
            Some((other, how)) if other == id => match store.get(id) {
                Some(r) if r.value == Value::Bool(true) && r.at >= self.since => {
                    Settled::Alive(alive_text(how, channels, id, r.at))
                }
                Some(r) if r.value == Value::Bool(true) => Settled::Waiting,
                _ => Settled::BenchFault,
            },
            _ => Settled::Waiting,
        }
    }

    pub fn into_failure(self) -> InstrumentFailure {
        InstrumentFailure::new(&self.silent.link, self.cause)
    }
}

/// The `online` channel of the other link of the same controller, and what its
/// answering proves. Only the master's links share a controller: a slave's RS485
/// says nothing of the master's CAN.
fn other_link(silent: &SilentLink, channels: &Channels) -> Option<(ChannelId, &'static str)> {
    let (kind, how) = match (silent.medium, silent.pack()) {
        (Medium::Can, _) => (
            ChannelKind::Rs485Online { pack: 1 },
            "it still answers RS485 polls",
        ),
        (Medium::Rs485, Some(1)) => (ChannelKind::CanOnline, "it still sends on CAN"),
        _ => return None,
    };
    channels
        .iter()
        .find(|(_, spec)| spec.kind == kind)
        .map(|(id, _)| (id, how))
}

fn alive_text(how: &str, channels: &Channels, id: ChannelId, at: Duration) -> String {
    format!("{how} ({} true at {})", channels.get(id).name, fmt_t(at))
}

impl Executor<'_> {
    /// How long a link stays unheard before it reads offline: a CAN link's `silence`,
    /// an RS485 link's reply `timeout`. Half of it after the silence began, the link
    /// was overdue.
    pub(super) fn detection_window(&self, silent: &SilentLink) -> Duration {
        let instrument = silent.link.split('.').next().unwrap_or_default();
        let seconds = self
            .bench
            .instruments
            .get(instrument)
            .map(|spec| match silent.medium {
                Medium::Can => spec.silence_s,
                _ => spec.timeout_s,
            });
        seconds
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .unwrap_or(Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::executor::testing::{bench, id, s};

    fn cause() -> Cause {
        Cause::UnexpectedSilence {
            medium: Medium::Can,
            link: "bms".into(),
            reads: vec!["bms.soc".into()],
        }
    }

    #[test]
    fn only_an_answer_of_the_other_link_since_the_silence_proves_the_controller_up() {
        let (channels, mut store) = bench();
        let can = id(&channels, "bms.online");
        let rs485 = id(&channels, "rs485.online");
        store.update(can, Value::Bool(false), s(5.0));
        let silent = SilentLink::of(&channels, &store, can).unwrap();
        let since = s(3.5);
        assert_eq!(
            Evidence::now(&silent, &channels, &store, since),
            Evidence::None
        );
        store.update(rs485, Value::Bool(true), s(3.0));
        assert_eq!(
            Evidence::now(&silent, &channels, &store, since),
            Evidence::Pending,
            "an answer from before CAN was overdue proves nothing: the pack may sleep since"
        );
        store.update(rs485, Value::Bool(true), s(4.5));
        assert_eq!(
            Evidence::now(&silent, &channels, &store, since),
            Evidence::Alive("it still answers RS485 polls (rs485.online true at t=4.5 s)".into())
        );
        store.update(rs485, Value::Bool(false), s(4.6));
        assert_eq!(
            Evidence::now(&silent, &channels, &store, since),
            Evidence::None
        );
    }

    #[test]
    fn a_slaves_rs485_has_no_other_link_but_the_masters_has_can() {
        let (channels, mut store) = bench();
        store.update(id(&channels, "bms.online"), Value::Bool(true), s(4.0));
        let master = id(&channels, "rs485.online");
        let slave = id(&channels, "rs485.pack2.online");
        store.update(master, Value::Bool(false), s(4.0));
        store.update(slave, Value::Bool(false), s(4.0));
        let silent = SilentLink::of(&channels, &store, master).unwrap();
        assert!(matches!(
            Evidence::now(&silent, &channels, &store, s(3.0)),
            Evidence::Alive(how) if how.starts_with("it still sends on CAN")
        ));
        let silent = SilentLink::of(&channels, &store, slave).unwrap();
        assert_eq!(
            Evidence::now(&silent, &channels, &store, s(3.0)),
            Evidence::None
        );
    }

    #[test]
    fn an_awaiting_silence_settles_on_the_next_answer_of_either_link() {
        let (channels, mut store) = bench();
        let can = id(&channels, "bms.online");
        let rs485 = id(&channels, "rs485.online");
        let soc = id(&channels, "bms.soc");
        store.update(rs485, Value::Bool(true), s(1.0));
        store.update(can, Value::Bool(false), s(5.0));
        let silent = || SilentLink::of(&channels, &store, can).unwrap();
        let waiting = Awaiting::new(silent(), s(3.5), s(5.0), cause());
        store.update(soc, Value::Bool(true), s(5.5));
        assert_eq!(waiting.settle(&channels, &store, soc), Settled::Waiting);
        let mut later = store_with(&channels, &[(rs485, true, 6.0), (can, false, 5.0)]);
        assert!(matches!(
            waiting.settle(&channels, &later, rs485),
            Settled::Alive(how) if how.contains("t=6 s")
        ));
        later.update(rs485, Value::Bool(false), s(7.0));
        assert_eq!(
            waiting.settle(&channels, &later, rs485),
            Settled::BenchFault
        );
        later.update(can, Value::Bool(true), s(7.5));
        assert_eq!(waiting.settle(&channels, &later, can), Settled::LinkBack);
        assert!(waiting.into_failure().to_string().contains("bms"));
    }

    fn store_with(channels: &Channels, readings: &[(ChannelId, bool, f64)]) -> Store {
        let mut store = Store::new(channels);
        for &(c, v, t) in readings {
            store.update(c, Value::Bool(v), s(t));
        }
        store
    }
}
