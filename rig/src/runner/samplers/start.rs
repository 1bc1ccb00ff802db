//! Starting a sampler for every connected instrument of a run.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::JoinHandle;

use super::{Feed, Inbox, SourceGuard};
use crate::bench::{Bench, Channels};
use crate::runner::failure::{Cause, InstrumentFailure, panic_message};
use crate::runner::instruments::Instruments;
use crate::runner::log::EventLog;

/// Start a sampler per instrument; returns their tasks and the feed they all send to.
/// The link samplers take their links out of `connected` (they own the connection),
/// and the RS485 one leaves a command channel in its place. `poll` overrides the bench's
/// periods by instrument name.
pub fn start(
    connected: &mut Instruments,
    guard: SourceGuard,
    poll: &BTreeMap<String, Duration>,
    bench: &Bench,
    channels: &Channels,
    log: &EventLog,
) -> (Vec<JoinHandle<()>>, Inbox) {
    let (feed, feed_rx) = mpsc::unbounded_channel();
    let mut spawner = Spawner {
        tasks: Vec::new(),
        feed,
    };
    // The bench's periods are seconds of its file; the plan's are checked durations.
    let period = |name: &str, bench_s: f64| {
        poll.get(name)
            .copied()
            .unwrap_or_else(|| crate::clock::secs(bench_s))
    };
    if let Some((spec, source)) = &connected.source {
        spawner.spawn(
            &spec.name,
            super::source(
                source.clone(),
                spec.name.clone(),
                channels.clone(),
                period(&spec.name, spec.poll_s),
                guard,
                log.clone(),
                spawner.feed.clone(),
            ),
        );
    }
    for (name, (spec, board)) in &connected.boards {
        spawner.spawn(
            name,
            super::board(
                board.clone(),
                name.clone(),
                bench.clone(),
                channels.clone(),
                period(name, spec.poll_s),
                log.clone(),
                spawner.feed.clone(),
            ),
        );
    }
    if let Some((spec, chamber)) = &connected.chamber {
        spawner.spawn(
            &spec.name,
            super::chamber(
                chamber.clone(),
                spec.name.clone(),
                channels.clone(),
                period(&spec.name, spec.poll_s),
                log.clone(),
                spawner.feed.clone(),
            ),
        );
    }
    spawner.start_links(connected, &period, channels, log);
    (spawner.tasks, Inbox::new(feed_rx))
}

struct Spawner {
    tasks: Vec<JoinHandle<()>>,
    feed: UnboundedSender<Feed>,
}

impl Spawner {
    /// Run a sampler as a task of its own. A panic in it becomes the failure of its
    /// instrument instead of a silent end of its readings.
    fn spawn(&mut self, name: &str, sampler: impl Future<Output = ()> + Send + 'static) {
        let tx = self.feed.clone();
        let name = name.to_string();
        self.tasks.push(tokio::spawn(async move {
            if let Err(panic) = AssertUnwindSafe(sampler).catch_unwind().await {
                let cause = Cause::SamplerPanicked {
                    message: panic_message(&panic),
                };
                let _ = tx.send(Feed::Failed(InstrumentFailure::new(&name, cause)));
            }
        }));
    }

    /// The link samplers own their connections; there is nothing to make safe on a
    /// listener.
    fn start_links(
        &mut self,
        connected: &mut Instruments,
        period: &dyn Fn(&str, f64) -> Duration,
        channels: &Channels,
        log: &EventLog,
    ) {
        if let Some((spec, link)) = connected.rs485.take() {
            let (commands_tx, commands_rx) = mpsc::channel(1);
            connected.rs485_commands = Some((spec.name.clone(), commands_tx));
            let sampler = super::rs485(
                link,
                commands_rx,
                channels.clone(),
                period(&spec.name, spec.poll_s),
                log.clone(),
                self.feed.clone(),
            );
            self.spawn(&spec.name, sampler);
        }
        if let Some((spec, link)) = connected.can.take() {
            let sampler = super::can(
                link,
                channels.clone(),
                crate::clock::secs(spec.silence_s),
                log.clone(),
                self.feed.clone(),
            );
            self.spawn(&spec.name, sampler);
        }
    }
}
