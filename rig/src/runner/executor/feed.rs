//! The executor's side of the samplers' feed: readings go into the store and the log,
//! an instrument's failure ends the run, and the BMS's temperature is held to the
//! envelope. The executor waits on the feed only up to a deadline of the run clock.

use std::time::Duration;

use rig_reports::{EventKind, SampleValue};

use super::Executor;
use super::watchdog::Woke;
use crate::bench::ChannelKind;
use crate::expr::{ChannelId, Value};
use crate::quantity::Dim;
use crate::runner::envelope;
use crate::runner::failure::{Cause, InstrumentFailure, OutputAfter};
use crate::runner::samplers::Feed;

/// How long the runner waits for a first value of every channel the plan reads.
const WARM_UP: Duration = Duration::from_secs(10);

/// How many times a deadline yields to producers waking at the same instant.
const SAME_INSTANT_YIELDS: usize = 8;

/// The channel and time of a reading the executor took from the feed; `None` when the
/// clock reached the deadline first.
type Taken = Option<(ChannelId, Duration)>;

fn sample_value(v: Value) -> (SampleValue, String) {
    match v {
        Value::Bool(b) => (SampleValue::Bool(b), String::new()),
        Value::Num(q) => (SampleValue::Number(q.value), q.dim.base_unit().to_string()),
    }
}

impl Executor<'_> {
    /// Record a feed item; `Err` when an instrument failed.
    pub(super) fn take(&mut self, feed: Feed) -> Result<Taken, InstrumentFailure> {
        match feed {
            Feed::Sample { id, value, t } => {
                self.supervise(id, value)?;
                let first = self.store.get(id).is_none();
                if self.store.update(id, value, t) {
                    let (value, mut unit) = sample_value(value);
                    // A channel's unit holds for the whole run: it goes with the first
                    // sample only (a tenth of the suite's samples was `"unit":"V"`).
                    if !first {
                        unit.clear();
                    }
                    self.log.emit_at(
                        t,
                        EventKind::Sample {
                            channel: self.channels.get(id).name.clone(),
                            value,
                            unit,
                        },
                    );
                }
                Ok(Some((id, t)))
            }
            // The inbox hands a batch out a sample at a time; taken whole, it is
            // taken as its samples one after another.
            Feed::Samples { t, values } => {
                let mut taken = None;
                for (id, value) in values {
                    taken = self.take(Feed::Sample { id, value, t })?;
                }
                Ok(taken)
            }
            Feed::Failed(f) | Feed::Violation(f) => Err(f),
        }
    }

    /// The pack temperature the BMS reports must stay inside the envelope.
    fn supervise(&self, id: ChannelId, value: Value) -> Result<(), InstrumentFailure> {
        let spec = self.channels.get(id);
        let (ChannelKind::CanSignal { .. }, Value::Num(q)) = (&spec.kind, value) else {
            return Ok(());
        };
        if q.dim != Dim::Temperature {
            return Ok(());
        }
        match envelope::temperature(&spec.name, q, &self.plan.envelope) {
            Some(violation) => Err(InstrumentFailure::new(
                spec.name.split('.').next().unwrap_or("bms"),
                Cause::Envelope {
                    violation,
                    output: OutputAfter::Untouched,
                },
            )),
            None => Ok(()),
        }
    }

    /// The next feed item, or `None` once the run clock reaches `deadline`. Every wait
    /// of the executor passes here, under the watchdog's eye.
    pub(super) async fn next(&mut self, deadline: Duration) -> Result<Taken, InstrumentFailure> {
        let clock = self.clock;
        let taken = tokio::select! {
            biased;
            feed = self.feed.recv() => match feed {
                Some(f) => self.take(f),
                None => Err(InstrumentFailure::new("rig", Cause::SamplersStopped)),
            },
            () = clock.sleep_until(deadline) => Ok(None),
        }?;
        let woke = match taken {
            Some(_) => Woke::Reading,
            None => Woke::Deadline,
        };
        self.watchdog
            .observe(clock.now(), woke)
            .map_err(|stuck| InstrumentFailure::new("rig", stuck))?;
        Ok(taken)
    }

    /// A reading that producers waking at this same instant send, if any.
    pub(super) async fn same_instant(&mut self) -> Result<Taken, InstrumentFailure> {
        for _ in 0..SAME_INSTANT_YIELDS {
            if let Ok(f) = self.feed.try_recv() {
                return self.take(f);
            }
            tokio::task::yield_now().await;
        }
        Ok(None)
    }

    /// Take every reading already waiting, without advancing time.
    pub(super) fn drain(&mut self) -> Result<(), InstrumentFailure> {
        while let Ok(f) = self.feed.try_recv() {
            self.take(f)?;
        }
        Ok(())
    }

    /// Keep the store current while waiting `length` (a relay pulse).
    pub(super) async fn pass_time(&mut self, length: Duration) -> Result<(), InstrumentFailure> {
        let until = self.clock.now() + length;
        while self.next(until).await?.is_some() {}
        Ok(())
    }

    /// Wait for a first value of every channel the plan reads, for at most `WARM_UP`.
    pub(super) async fn warm_up(&mut self) -> Result<(), InstrumentFailure> {
        let needed = self.plan.channels_read();
        let until = self.clock.now() + WARM_UP;
        loop {
            let missing: Vec<&str> = needed
                .iter()
                .filter(|(id, _)| self.store.get(*id).is_none() && !self.silent_as_expected(*id))
                // A set point has a value once the plan writes one.
                .filter(|(id, _)| {
                    !matches!(self.channels.get(*id).kind, ChannelKind::SourceSetpoint(_))
                })
                .map(|(_, n)| n.as_str())
                .collect();
            if missing.is_empty() {
                // Whatever else is already queued (a violation behind the last reading)
                // must be seen before step 1 touches anything.
                self.drain()?;
                return Ok(());
            }
            if self.next(until).await?.is_none() {
                let instrument = missing[0].split('.').next().unwrap_or("rig");
                let cause = Cause::NoFirstReading {
                    channels: missing.iter().map(|n| n.to_string()).collect(),
                    within_s: WARM_UP.as_secs_f64(),
                };
                return Err(InstrumentFailure::new(instrument, cause));
            }
        }
    }

    /// An RS485 value of a pack that did not answer, in a plan that reads that pack's
    /// `online`: the plan expects the pack may be silent (a slave that does not answer
    /// is then the DUT's behaviour, for the expectations to judge), so the warm-up does
    /// not wait for a value that cannot come.
    fn silent_as_expected(&self, id: ChannelId) -> bool {
        let spec = self.channels.get(id);
        let ChannelKind::Rs485 { pack, .. } = spec.kind else {
            return false;
        };
        let link = spec.name.split('.').next().unwrap_or_default();
        let online = format!("{}.online", crate::bench::rs485_prefix(link, pack));
        let Some((online, _)) = self.channels.find(&online) else {
            return false;
        };
        self.store.value(online) == Some(Value::Bool(false))
            && self.plan.channels_read().iter().any(|(c, _)| *c == online)
    }
}
