//! The silence of a BMS link: `<link>.online` turned false (CAN: no frame for the
//! link's `silence`; RS485: a poll the pack did not answer).
//!
//! A plan that reads `<link>.online` anywhere expects the BMS may sleep: silence is then
//! the DUT's behaviour, its last readings are dropped so nothing passes on stale data,
//! and `for` windows over its signals fail. In any other plan a silent link is the
//! DUT's failure where the bench can tell it from a broken cable (the same controller
//! still answers on its other link: RS485 for CAN, CAN for the master's RS485), and
//! otherwise ends the run in error, if a pending expectation reads it.

use std::time::Duration;

use super::Executor;
use super::evidence::{Awaiting, Evidence, Settled};
use super::expectation::ExpectationState;
use crate::bench::{ChannelKind, Channels};
use crate::expr::{ChannelId, Value};
use crate::plan::{Expectation, Step};
use crate::runner::failure::{Cause, InstrumentFailure, Medium};
use crate::runner::store::Store;

/// A link whose `online` channel reads false.
#[derive(Debug, PartialEq)]
pub struct SilentLink {
    pub medium: Medium,
    /// The channel prefix of the link: `bms`, `rs485`, `rs485.pack2`.
    pub link: String,
    /// The pack on RS485: one of several packs falling silent says nothing about the
    /// others' readings.
    pack: Option<u8>,
}

impl SilentLink {
    /// The link whose `online` channel `id` is, if it reads false now.
    pub fn of(channels: &Channels, store: &Store, id: ChannelId) -> Option<SilentLink> {
        let spec = channels.get(id);
        let (medium, pack) = match spec.kind {
            ChannelKind::CanOnline => (Medium::Can, None),
            ChannelKind::Rs485Online { pack } => (Medium::Rs485, Some(pack)),
            _ => return None,
        };
        if store.value(id) != Some(Value::Bool(false)) {
            return None;
        }
        let link = spec.name.strip_suffix(".online").unwrap_or(&spec.name);
        Some(SilentLink {
            medium,
            link: link.to_string(),
            pack,
        })
    }

    /// The pack of an RS485 link (1: the master); `None` on CAN.
    pub fn pack(&self) -> Option<u8> {
        self.pack
    }

    /// Whether the channel `c`, named `name`, is a signal of the link: a CAN signal, or
    /// a value of the link's pack on RS485.
    pub fn carries(&self, channels: &Channels, c: ChannelId, name: &str) -> bool {
        name.strip_prefix(self.link.as_str())
            .is_some_and(|rest| rest.starts_with('.'))
            && match channels.get(c).kind {
                ChannelKind::CanSignal { .. } => self.pack.is_none(),
                ChannelKind::Rs485 { pack, .. } => self.pack == Some(pack),
                _ => false,
            }
    }

    /// In a plan that never reads the link's `online`: the failure, if a pending
    /// expectation reads one of its signals.
    pub fn unexpected(
        &self,
        channels: &Channels,
        expectations: &[Expectation],
        states: &[ExpectationState],
    ) -> Option<Cause> {
        let reads: Vec<String> = expectations
            .iter()
            .zip(states)
            .filter(|(_, s)| s.is_pending())
            .flat_map(|(e, _)| e.predicate.channels())
            .filter(|(c, name)| self.carries(channels, *c, name))
            .map(|(_, name)| name)
            .collect();
        (!reads.is_empty()).then(|| Cause::UnexpectedSilence {
            medium: self.medium,
            link: self.link.clone(),
            reads,
        })
    }

    /// In a plan that never reads the link's `online`, with the controller up on its
    /// other link, at `t`: the link's values are gone, and every pending expectation
    /// that reads them fails as the DUT's.
    pub fn blame_dut(
        &self,
        channels: &Channels,
        store: &mut Store,
        expectations: &[Expectation],
        states: &mut [ExpectationState],
        (t, alive): (Duration, &str),
    ) {
        let signals = self.forget(channels, store);
        for (e, state) in expectations.iter().zip(states.iter_mut()) {
            if e.predicate
                .channels()
                .iter()
                .any(|(c, _)| signals.contains(c))
            {
                state.on_silence_while_alive(self.medium, &self.link, t, alive);
            }
        }
    }

    /// The channels the link carries.
    fn signals(&self, channels: &Channels) -> Vec<ChannelId> {
        channels
            .iter()
            .filter(|(c, spec)| self.carries(channels, *c, &spec.name))
            .map(|(c, _)| c)
            .collect()
    }

    /// Drop the values of the link's channels (they are no longer known); returns them.
    pub fn forget(&self, channels: &Channels, store: &mut Store) -> Vec<ChannelId> {
        let signals = self.signals(channels);
        for c in &signals {
            store.forget(*c);
        }
        signals
    }

    /// In a plan that reads the link's `online`, at `t`: the link's values are no
    /// longer known, and pending `for` expectations over them fail.
    pub fn expected(
        &self,
        channels: &Channels,
        store: &mut Store,
        expectations: &[Expectation],
        states: &mut [ExpectationState],
        t: Duration,
    ) {
        let signals = self.forget(channels, store);
        for (e, state) in expectations.iter().zip(states.iter_mut()) {
            let reads_signal = e
                .predicate
                .channels()
                .iter()
                .any(|(c, _)| signals.contains(c));
            if reads_signal {
                state.on_silence(e.window, self.medium, &self.link, t);
            }
        }
    }
}

impl Executor<'_> {
    /// The reading of channel `id` at `t` may say a link fell silent, or settle the
    /// blame for one that did (`awaiting`); `Err` when that ends the run.
    pub(super) fn on_silence(
        &mut self,
        id: ChannelId,
        step: &Step,
        states: &mut [ExpectationState],
        (t, awaiting): (Duration, &mut Option<Awaiting>),
    ) -> Result<(), InstrumentFailure> {
        if let Some(waiting) = awaiting.take() {
            match waiting.settle(self.channels, &self.store, id) {
                Settled::Waiting => *awaiting = Some(waiting),
                Settled::LinkBack => {}
                Settled::Alive(alive) => waiting.silent.blame_dut(
                    self.channels,
                    &mut self.store,
                    &step.expectations,
                    states,
                    (waiting.at, &alive),
                ),
                Settled::BenchFault => return Err(waiting.into_failure()),
            }
            return Ok(());
        }
        let Some(silent) = SilentLink::of(self.channels, &self.store, id) else {
            return Ok(());
        };
        let expected = self.plan.channels_read().iter().any(|(c, _)| *c == id);
        if expected {
            silent.expected(
                self.channels,
                &mut self.store,
                &step.expectations,
                states,
                t,
            );
            return Ok(());
        }
        let Some(cause) = silent.unexpected(self.channels, &step.expectations, states) else {
            return Ok(());
        };
        let since = t.saturating_sub(self.detection_window(&silent) / 2);
        match Evidence::now(&silent, self.channels, &self.store, since) {
            Evidence::Alive(alive) => {
                silent.blame_dut(
                    self.channels,
                    &mut self.store,
                    &step.expectations,
                    states,
                    (t, &alive),
                );
                Ok(())
            }
            Evidence::Pending => {
                // Nothing may pass on the silent link's old values while we wait.
                silent.forget(self.channels, &mut self.store);
                *awaiting = Some(Awaiting::new(silent, since, t, cause));
                Ok(())
            }
            Evidence::None => Err(InstrumentFailure::new(&silent.link, cause)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Window;
    use crate::runner::executor::expectation::Failure;
    use crate::runner::executor::testing::{bench, id, is_true, percent, s, soc_above_90};

    #[test]
    fn only_an_online_channel_reading_false_is_a_silent_link() {
        let (channels, mut store) = bench();
        let online = id(&channels, "bms.online");
        assert_eq!(SilentLink::of(&channels, &store, online), None);
        store.update(online, Value::Bool(true), s(1.0));
        assert_eq!(SilentLink::of(&channels, &store, online), None);
        store.update(online, Value::Bool(false), s(2.0));
        let silent = SilentLink::of(&channels, &store, online).unwrap();
        assert_eq!((silent.medium, silent.link.as_str()), (Medium::Can, "bms"));
        let soc = id(&channels, "bms.soc");
        store.update(soc, Value::Bool(false), s(2.0));
        assert_eq!(SilentLink::of(&channels, &store, soc), None);
    }

    #[test]
    fn a_silent_rs485_pack_carries_its_own_values_only() {
        let (channels, mut store) = bench();
        let pack2 = id(&channels, "rs485.pack2.online");
        store.update(pack2, Value::Bool(false), s(1.0));
        let silent = SilentLink::of(&channels, &store, pack2).unwrap();
        assert_eq!(silent.link, "rs485.pack2");
        let carries = |name: &str| silent.carries(&channels, id(&channels, name), name);
        assert!(carries("rs485.pack2.soc"));
        assert!(!carries("rs485.soc"));
        assert!(!carries("rs485.pack3.soc"));
        assert!(!carries("bms.soc"));

        let master = id(&channels, "rs485.online");
        store.update(master, Value::Bool(false), s(1.0));
        let silent = SilentLink::of(&channels, &store, master).unwrap();
        let carries = |name: &str| silent.carries(&channels, id(&channels, name), name);
        assert!(carries("rs485.soc"));
        assert!(
            !carries("rs485.pack2.soc"),
            "a slave's value is not the master's"
        );
        assert!(!carries("rs485.online"));
    }

    #[test]
    fn unexpected_silence_fails_the_run_only_if_a_pending_expectation_reads_the_link() {
        let (channels, mut store) = bench();
        let online = id(&channels, "bms.online");
        store.update(online, Value::Bool(false), s(1.0));
        let silent = SilentLink::of(&channels, &store, online).unwrap();
        let soc = soc_above_90(id(&channels, "bms.soc"), Window::For(s(60.0)));
        let output = is_true(id(&channels, "source.output"), "source.output");
        let pending = [ExpectationState::OPEN, ExpectationState::OPEN];
        let cause = silent.unexpected(&channels, &[soc.clone(), output.clone()], &pending);
        assert!(
            matches!(&cause, Some(Cause::UnexpectedSilence { medium: Medium::Can, link, reads })
                if link == "bms" && reads == &["bms.soc".to_string()]),
            "{cause:?}"
        );
        let decided = [
            ExpectationState::Passed { reaction: None },
            ExpectationState::OPEN,
        ];
        assert!(
            silent
                .unexpected(&channels, &[soc, output], &decided)
                .is_none()
        );
    }

    #[test]
    fn blaming_the_dut_fails_every_pending_expectation_on_the_link_whatever_its_window() {
        let (channels, mut store) = bench();
        let soc = id(&channels, "bms.soc");
        let online = id(&channels, "bms.online");
        store.update(soc, percent(95.0), s(1.0));
        store.update(online, Value::Bool(false), s(2.0));
        let silent = SilentLink::of(&channels, &store, online).unwrap();
        let expectations = [
            soc_above_90(soc, Window::Within(s(60.0))),
            soc_above_90(soc, Window::For(s(60.0))),
            is_true(id(&channels, "source.output"), "source.output"),
        ];
        let mut states = [
            ExpectationState::OPEN,
            ExpectationState::OPEN,
            ExpectationState::OPEN,
        ];
        let alive = "it still answers RS485 polls (rs485.online true)";
        silent.blame_dut(
            &channels,
            &mut store,
            &expectations,
            &mut states,
            (s(2.0), alive),
        );
        assert!(store.get(soc).is_none(), "nothing passes on a stale value");
        for state in &states[..2] {
            assert_eq!(
                state.failure(),
                Some(&Failure::SilentWhileAlive {
                    medium: Medium::Can,
                    link: "bms".into(),
                    at: s(2.0),
                    alive: alive.into(),
                })
            );
        }
        assert_eq!(
            states[2],
            ExpectationState::OPEN,
            "the source is another link"
        );
    }

    #[test]
    fn expected_silence_forgets_the_links_values_and_fails_its_for_windows() {
        let (channels, mut store) = bench();
        let online = id(&channels, "bms.online");
        let soc_id = id(&channels, "bms.soc");
        let rs485_soc = id(&channels, "rs485.soc");
        store.update(soc_id, percent(95.0), s(1.0));
        store.update(rs485_soc, percent(95.0), s(1.0));
        store.update(online, Value::Bool(false), s(2.0));
        let silent = SilentLink::of(&channels, &store, online).unwrap();
        let expectations = [
            soc_above_90(soc_id, Window::For(s(60.0))),
            soc_above_90(soc_id, Window::Within(s(60.0))),
            soc_above_90(rs485_soc, Window::For(s(60.0))),
        ];
        let mut states = [
            ExpectationState::OPEN,
            ExpectationState::OPEN,
            ExpectationState::OPEN,
        ];
        silent.expected(&channels, &mut store, &expectations, &mut states, s(2.0));
        assert!(
            store.get(soc_id).is_none(),
            "the silent link's value is gone"
        );
        assert!(store.get(rs485_soc).is_some(), "another link's value stays");
        assert!(store.get(online).is_some(), "online itself says false");
        assert_eq!(
            states[0].failure(),
            Some(&Failure::FellSilent {
                medium: Medium::Can,
                link: "bms".into(),
                at: s(2.0)
            })
        );
        assert_eq!(states[1], ExpectationState::OPEN, "a within may still pass");
        assert_eq!(
            states[2],
            ExpectationState::OPEN,
            "RS485 did not fall silent"
        );
    }
}
