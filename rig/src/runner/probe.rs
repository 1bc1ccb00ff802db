//! `rig probe`: the wiring check a lab runs before a night's run. Connect every
//! instrument of a bench, read every channel for a while, report identities and
//! values. A probe only reads: instruments are opened read-only (identities asked,
//! nothing written: an output left on stays on, a relay closed by hand stays closed,
//! limits stay as they were) and left as found. Putting them into their safe state
//! afterwards is asked for (`--make-safe`), and then logged as a run logs it.

use std::path::Path;

use rig_reports::EventKind;
use tokio::sync::mpsc;

use super::instruments::{Connector, Instruments, Opening};
use super::log::EventLog;
use super::samplers::{Feed, Inbox, SourceGuard};
use super::store::Store;
use crate::bench::{Bench, Channels};
use crate::clock::{self, RunClock};
use crate::expr::Value;

#[derive(Clone, Debug, serde::Serialize)]
pub struct ProbedInstrument {
    pub name: String,
    pub driver: String,
    pub resource: String,
    pub identity: Option<String>,
    /// Why it failed: did not answer, answered garbage, ...
    pub error: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ProbedChannel {
    pub name: String,
    /// A number in `unit`, or true/false; `None` when nothing was read.
    pub value: Option<serde_json::Value>,
    pub unit: String,
    /// Seconds into the probe of the last reading.
    pub at_s: Option<f64>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ProbeReport {
    pub bench: String,
    pub instruments: Vec<ProbedInstrument>,
    pub channels: Vec<ProbedChannel>,
}

impl ProbeReport {
    pub fn failed(&self) -> Vec<&ProbedInstrument> {
        self.instruments
            .iter()
            .filter(|i| i.error.is_some())
            .collect()
    }
}

/// What a probe does beyond reading.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProbeOptions {
    /// How long to read, seconds.
    pub seconds: f64,
    /// Afterwards, put every instrument into its safe state (and log it).
    pub make_safe: bool,
}

/// Probe for `options.seconds`; `tick` sees the table once a second (for a live
/// display). A stop request (SIGINT, SIGTERM) ends the reading early.
pub fn probe(
    bench: &Bench,
    options: ProbeOptions,
    log_path: &Path,
    tick: &mut dyn FnMut(&ProbeReport),
) -> std::io::Result<ProbeReport> {
    let runtime = clock::runtime(bench.is_virtual())?;
    runtime.block_on(run(bench, options, log_path, tick))
}

async fn run(
    bench: &Bench,
    options: ProbeOptions,
    log_path: &Path,
    tick: &mut dyn FnMut(&ProbeReport),
) -> std::io::Result<ProbeReport> {
    let seconds = options.seconds;
    let clock = RunClock::start();
    let log = EventLog::create(log_path, clock)?;
    // The virtual bench needs a pack: the Lesso 100 Ah twin with no defects.
    let sim = bench.is_virtual().then(|| {
        rig_sim::SimBench::start(rig_sim::SimConfig {
            pack: rig_sim::PackParams::lesso_lsrr51v100ah(),
            defects: Vec::new(),
            faults: bench.faults.clone(),
            installation: Default::default(),
            source: Default::default(),
        })
    });
    let connector = Connector { sim: sim.as_ref() };
    let (traffic_tx, mut traffic_rx) = mpsc::unbounded_channel();
    // The probe keeps the wire traffic out of its table; drain it.
    let drain = tokio::spawn(async move { while traffic_rx.recv().await.is_some() {} });
    let (mut connected, failures) =
        Instruments::connect_all(bench, &connector, &log, &traffic_tx, Opening::ReadOnly).await;
    // The packs the bench declares: a probe checks the wiring as installed.
    let channels = Channels::of(bench, bench.packs.unwrap_or(1));
    let mut readings = Readings {
        bench,
        store: Store::new(&channels),
        channels,
        errors: failures
            .into_iter()
            .map(|f| (f.instrument, f.cause.to_string()))
            .collect(),
        log_path,
    };
    let (tasks, feed) = super::samplers::start(
        &mut connected,
        SourceGuard::default(),
        &Default::default(),
        bench,
        &readings.channels,
        &log,
    );
    readings.watch(feed, clock, seconds, tick).await;
    super::run::stop_samplers(tasks, &connected).await;
    if options.make_safe {
        let unsafe_left = connected
            .make_safe(&log, &connector, &traffic_tx, crate::stop::requests())
            .await;
        for name in unsafe_left {
            if !readings.errors.iter().any(|(i, _)| *i == name) {
                let error = "could not be put into its safe state".to_string();
                readings.errors.push((name, error));
            }
        }
    }
    drop(connected);
    drop(traffic_tx);
    let _ = clock::within(2.0, drain).await;
    log.emit(EventKind::RunFinished {
        verdict: if readings.errors.is_empty() {
            rig_reports::Verdict::Pass
        } else {
            rig_reports::Verdict::Error
        },
        message: None,
    });
    Ok(readings.report())
}

/// What the probe has read so far.
struct Readings<'a> {
    bench: &'a Bench,
    channels: Channels,
    store: Store,
    /// Instrument and what failed, the first failure of each.
    errors: Vec<(String, String)>,
    log_path: &'a Path,
}

impl Readings<'_> {
    /// Take readings and failures for `seconds` (or until a stop is requested),
    /// showing the table to `tick` once a second and at the end. With no sampler left
    /// (none connected, or all failed) the feed is closed and only the clock is waited
    /// for.
    async fn watch(
        &mut self,
        mut feed: Inbox,
        clock: RunClock,
        seconds: f64,
        tick: &mut dyn FnMut(&ProbeReport),
    ) {
        let mut next_tick = 1.0_f64.min(seconds);
        let mut feeding = true;
        loop {
            let deadline = next_tick.min(seconds);
            let item = tokio::select! {
                biased;
                _ = crate::stop::wait() => {
                    tick(&self.report());
                    return;
                }
                f = feed.recv(), if feeding => match f {
                    Some(f) => Some(f),
                    None => {
                        feeding = false;
                        continue;
                    }
                },
                () = clock.sleep_until(clock::secs(deadline)) => None,
            };
            match item {
                Some(Feed::Sample { id, value, t }) => {
                    self.store.update(id, value, t);
                }
                // The inbox hands a batch out a sample at a time; taken whole, the same.
                Some(Feed::Samples { t, values }) => {
                    for (id, value) in values {
                        self.store.update(id, value, t);
                    }
                }
                Some(Feed::Failed(f) | Feed::Violation(f)) => {
                    if !self.errors.iter().any(|(i, _)| *i == f.instrument) {
                        self.errors.push((f.instrument, f.cause.to_string()));
                    }
                }
                None => {
                    tick(&self.report());
                    if clock.now_s() >= seconds {
                        break;
                    }
                    next_tick += 1.0;
                }
            }
        }
    }

    fn report(&self) -> ProbeReport {
        report(
            self.bench,
            &self.channels,
            &self.store,
            &self.errors,
            &log_identities(self.log_path),
        )
    }
}

/// Identities as the connect step logged them.
fn log_identities(log_path: &Path) -> Vec<(String, String)> {
    rig_reports::log::open_compact(log_path)
        .map(|events| {
            events
                .filter_map(|e| match e.kind {
                    EventKind::InstrumentConnected {
                        instrument,
                        identity,
                        ..
                    } => Some((instrument, identity)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn report(
    bench: &Bench,
    channels: &Channels,
    store: &Store,
    errors: &[(String, String)],
    identities: &[(String, String)],
) -> ProbeReport {
    let instruments = bench
        .instruments
        .values()
        .map(|spec| ProbedInstrument {
            name: spec.name.clone(),
            driver: spec.driver.name().to_string(),
            resource: spec.resource.to_string(),
            identity: identities
                .iter()
                .find(|(n, _)| *n == spec.name)
                .map(|(_, i)| i.clone()),
            error: errors
                .iter()
                .find(|(n, _)| *n == spec.name)
                .map(|(_, e)| e.clone()),
        })
        .collect();
    let channels = channels
        .iter()
        .map(|(id, spec)| {
            let reading = store.get(id);
            ProbedChannel {
                name: spec.name.clone(),
                value: reading.map(|r| match r.value {
                    Value::Bool(b) => serde_json::Value::Bool(b),
                    Value::Num(q) => serde_json::json!((q.value * 1e6).round() / 1e6),
                }),
                unit: spec.unit.to_string(),
                at_s: reading.map(|r| (r.at.as_secs_f64() * 1e3).round() / 1e3),
            }
        })
        .collect();
    ProbeReport {
        bench: bench.name.clone(),
        instruments,
        channels,
    }
}
