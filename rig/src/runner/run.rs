//! One plan's run, start to end: the log's header, connecting, the samplers and the
//! executor under the plan's timeout and the signals, the teardown into the safe state
//! on every way out, and the verdict at the end of the log.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use futures::FutureExt;
use rig_reports::event::LOG_FORMAT_VERSION;
use rig_reports::{Clock, EventKind, Verdict};
use tokio::sync::mpsc;

use super::executor::{Executor, Outcome};
use super::failure::panic_message;
use super::instruments::{ConnectEnd, Connector, Instruments};
use super::log::EventLog;
use super::prepare::Prepared;
use super::{samplers, skip, store, traffic};
use crate::bench::{Bench, Channels};
use crate::clock::{self, RunClock};
use crate::plan::Plan;
use crate::quantity::format_duration;
use crate::stop::StopReason;

/// The result of one plan.
#[derive(Clone, Debug)]
pub struct PlanOutcome {
    pub plan_id: String,
    pub verdict: Verdict,
    /// For fail: the failed expectation; for error: what broke.
    pub message: Option<String>,
    pub log_path: PathBuf,
    /// On the virtual bench: the simulated instruments' own state after the teardown,
    /// so tests can check the safe state from the instruments' side too.
    pub sim_final: Option<rig_sim::SimSnapshot>,
}

/// Where a plan's event log goes in a run folder. A trial `PLAN::PROFILE` (`--dut`)
/// writes `PLAN.PROFILE.events.jsonl`: ids have no dots, and `:` is no file name's.
pub fn log_path(out_dir: &Path, plan_id: &str) -> PathBuf {
    out_dir.join(format!("{}.events.jsonl", plan_id.replace("::", ".")))
}

thread_local! {
    /// Set while this thread runs a plan, for the panic hook: a plan guards itself.
    static ON_PLAN_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread is running a plan (whose own guards handle a panic).
pub fn on_plan_thread() -> bool {
    ON_PLAN_THREAD.with(std::cell::Cell::get)
}

/// Marks the thread as running a plan until dropped.
struct PlanThread;

impl PlanThread {
    fn enter() -> PlanThread {
        ON_PLAN_THREAD.with(|c| c.set(true));
        PlanThread
    }
}

impl Drop for PlanThread {
    fn drop(&mut self) {
        ON_PLAN_THREAD.with(|c| c.set(false));
    }
}

/// Run one plan to its end on its own runtime. A plan asked to stop before it starts
/// (a signal between plans) does not start: its log says why, with verdict error.
pub fn run_plan(plan: &Plan, bench: &Bench, prepared: &Prepared, out_dir: &Path) -> PlanOutcome {
    let _thread = PlanThread::enter();
    let log_path = log_path(out_dir, &plan.id);
    let error = |message: String| PlanOutcome {
        plan_id: plan.id.clone(),
        verdict: Verdict::Error,
        message: Some(message),
        log_path: log_path.clone(),
        sim_final: None,
    };
    let runtime = match clock::runtime(prepared.sim.is_some()) {
        Ok(r) => r,
        Err(e) => return error(format!("cannot start the runtime: {e}")),
    };
    // Diagnostics and the progress display follow the plan by this span; entered on
    // the thread, it holds every task of the plan's runtime (one thread).
    let span = tracing::info_span!(
        "plan",
        id = %plan.id,
        steps = plan.steps.len(),
        real_time = prepared.sim.is_none()
    );
    let _in_plan = span.enter();
    // The last guard: `run` guards every phase itself, so only the runtime's own
    // failures come here.
    let ran = std::panic::catch_unwind(AssertUnwindSafe(|| {
        runtime.block_on(run(plan, bench, prepared, log_path.clone()))
    }));
    ran.unwrap_or_else(|panic| error(format!("the rig panicked: {}", panic_message(&panic))))
}

async fn run(plan: &Plan, bench: &Bench, prepared: &Prepared, log_path: PathBuf) -> PlanOutcome {
    // A real bench served faster than the wall clock (`clock: { scale }`) scales the
    // run's clock with it; the virtual bench runs in its own (paused) time.
    let clock = match prepared.sim {
        None => RunClock::scaled(bench.clock_scale),
        Some(_) => RunClock::start(),
    };
    let outcome = |verdict, message, sim_final| PlanOutcome {
        plan_id: plan.id.clone(),
        verdict,
        message,
        log_path: log_path.clone(),
        sim_final,
    };
    let log = match EventLog::create(&log_path, clock) {
        Ok(l) => l,
        Err(e) => {
            let message = format!("cannot write the event log {}: {e}", log_path.display());
            return outcome(Verdict::Error, Some(message), None);
        }
    };
    if let Some(feed) = &prepared.feed {
        log.tee(feed.clone(), &plan.id);
    }
    if let (Some(_), Some(factor)) = (&prepared.sim, prepared.pace) {
        // Ends with the runtime, after the plan.
        drop(tokio::spawn(clock::pace(clock, factor)));
    }
    let run = PlanRun {
        plan,
        bench,
        prepared,
        log,
        clock,
    };
    tracing::info!(log = %log_path.display(), "plan started");
    let body = AssertUnwindSafe(run.body()).catch_unwind().await;
    let (verdict, message, sim_final) = body.unwrap_or_else(|panic| {
        let (verdict, message) = run.panicked(&panic);
        (verdict, message, None)
    });
    tracing::info!(%verdict, ?message, "plan finished");
    run.log.emit(EventKind::RunFinished {
        verdict,
        message: message.clone(),
    });
    if let Some(e) = run.log.failure() {
        let message = format!("writing the event log failed: {e}");
        return outcome(Verdict::Error, Some(message), sim_final);
    }
    outcome(verdict, message, sim_final)
}

/// A verdict, its message, and the twin's own state after the teardown.
type Ended = (Verdict, Option<String>, Option<rig_sim::SimSnapshot>);

/// What every part of one plan's run shares.
struct PlanRun<'a> {
    plan: &'a Plan,
    bench: &'a Bench,
    prepared: &'a Prepared,
    log: EventLog,
    clock: RunClock,
}

impl PlanRun<'_> {
    /// The log's header.
    fn started(&self) -> EventKind {
        let (plan, prepared) = (self.plan, self.prepared);
        EventKind::RunStarted {
            format_version: LOG_FORMAT_VERSION,
            rig_version: env!("CARGO_PKG_VERSION").into(),
            clock: if prepared.sim.is_some() {
                Clock::Virtual
            } else {
                Clock::Real
            },
            plan_id: plan.id.clone(),
            plan_title: plan.title.clone(),
            plan_file: plan.file.path.display().to_string(),
            plan_hash: plan.content_hash.clone(),
            tags: plan.tags.clone(),
            dut_id: plan.dut.id.clone(),
            dut_model: plan.dut.model.clone(),
            bench: self.bench.name.clone(),
            defects: prepared.defects.clone(),
            steps: plan.steps.len(),
        }
    }

    /// The header, then the plan: not started if a stop came first, skipped if the
    /// bench cannot run it (decided before anything connects: a skipped plan
    /// energises nothing), else run on the bench.
    async fn body(&self) -> Ended {
        self.log.emit(self.started());
        if let Some(reason) = crate::stop::requested() {
            let message = format!("not started: {reason} stopped the run before this plan");
            self.log.emit(EventKind::Error {
                instrument: None,
                message: message.clone(),
            });
            return (Verdict::Error, Some(message), None);
        }
        if let Some(reason) = skip::reason(self.plan, self.bench) {
            return (Verdict::Skipped, Some(reason), None);
        }
        let sim = self.prepared.sim.clone().map(rig_sim::SimBench::start);
        self.on_bench(sim.as_ref()).await
    }

    /// A panic that ended a phase: logged, verdict error.
    fn panicked(&self, panic: &Box<dyn std::any::Any + Send>) -> (Verdict, Option<String>) {
        let message = format!("the rig panicked: {}", panic_message(panic));
        self.log.emit(EventKind::Error {
            instrument: None,
            message: message.clone(),
        });
        (Verdict::Error, Some(message))
    }

    /// Connect, execute the steps, and put everything into its safe state: the verdict
    /// with its message, and the twin's own state after the teardown. Whatever was
    /// connected lives outside the guarded phases, so a panic in connecting or in the
    /// steps still ends in the teardown.
    async fn on_bench(&self, sim: Option<&rig_sim::SimBench>) -> Ended {
        let log = &self.log;
        let connector = Connector { sim };
        let (traffic_tx, traffic_rx) = mpsc::unbounded_channel();
        let forwarder = tokio::spawn(traffic::forward(traffic_rx, log.clone()));
        let mut instruments = Instruments::default();
        let phase =
            AssertUnwindSafe(self.connect_and_execute(&mut instruments, &connector, &traffic_tx))
                .catch_unwind()
                .await;
        let (verdict, message) = phase.unwrap_or_else(|panic| self.panicked(&panic));
        let unsafe_left = teardown(&instruments, log, &connector, &traffic_tx).await;
        drop(instruments);
        let sim_final = sim.map(rig_sim::SimBench::snapshot);
        drop(traffic_tx);
        let _ = clock::within(5.0, forwarder).await;
        let (verdict, message) = with_teardown(verdict, message, &unsafe_left);
        (verdict, message, sim_final)
    }

    /// Connect the bench into `instruments`, then run the steps unless a stop came.
    async fn connect_and_execute(
        &self,
        instruments: &mut Instruments,
        connector: &Connector<'_>,
        traffic: &rig_drivers::traffic::TrafficSink,
    ) -> (Verdict, Option<String>) {
        let protection = protection_limits(self.plan, self.bench);
        let connected = instruments
            .connect(self.bench, connector, &self.log, traffic, protection)
            .await;
        match connected {
            Err(ConnectEnd::Failed(f)) => return (Verdict::Error, Some(f.to_string())),
            Err(ConnectEnd::Stopped(reason)) => {
                return interrupted(&self.log, reason, " while connecting");
            }
            Ok(()) => {}
        }
        if let Some(reason) = crate::stop::requested() {
            return interrupted(&self.log, reason, " before the first step");
        }
        self.execute_on(instruments).await
    }

    /// Start the samplers and run the steps on the connected instruments.
    async fn execute_on(&self, connected: &mut Instruments) -> (Verdict, Option<String>) {
        let channels = Channels::of(self.bench, self.plan.packs);
        let (tasks, feed) = samplers::start(
            connected,
            samplers::SourceGuard::of(&self.plan.envelope),
            &self.plan.poll,
            self.bench,
            &channels,
            &self.log,
        );
        let samplers = Samplers(tasks);
        let executor = Executor {
            plan: self.plan,
            bench: self.bench,
            channels: &channels,
            instruments: connected,
            log: self.log.clone(),
            feed,
            store: store::Store::new(&channels),
            clock: self.clock,
            panic_at_step: self.prepared.inject_panic_at_step,
            stuck_at_step: self.prepared.inject_stuck_at_step,
            watchdog: Default::default(),
            keepalive: None,
        };
        let (verdict, message) = execute(executor, self.plan, &self.log).await;
        samplers.stop(connected).await;
        (verdict, message)
    }
}

/// Stop sampler tasks between two readings (see [`Samplers::stop`]).
pub(super) async fn stop_samplers(tasks: Vec<tokio::task::JoinHandle<()>>, on: &Instruments) {
    Samplers(tasks).stop(on).await;
}

/// The samplers' tasks: stopped between two readings at the end of the steps, cut
/// wherever they are if the run unwinds (the drivers resynchronise a cut exchange).
struct Samplers(Vec<tokio::task::JoinHandle<()>>);

impl Samplers {
    /// Hold every instrument the samplers share with the teardown before stopping
    /// them: a sampler holds its instrument for a whole reading, so none is halfway
    /// through an exchange when it is stopped, and the teardown's first command meets
    /// a quiet line.
    async fn stop(mut self, instruments: &Instruments) {
        let source = match &instruments.source {
            Some((_, s)) => Some(s.lock().await),
            None => None,
        };
        let chamber = match &instruments.chamber {
            Some((_, c)) => Some(c.lock().await),
            None => None,
        };
        let mut boards = Vec::new();
        for (_, board) in instruments.boards.values() {
            boards.push(board.lock().await);
        }
        for task in self.0.drain(..) {
            task.abort();
        }
        drop((source, chamber, boards));
    }
}

impl Drop for Samplers {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// A stop ended the run: logged, verdict error.
fn interrupted(log: &EventLog, reason: StopReason, when: &str) -> (Verdict, Option<String>) {
    let message = format!("interrupted by {reason}{when}; instruments put into their safe state");
    log.emit(EventKind::Error {
        instrument: None,
        message: message.clone(),
    });
    (Verdict::Error, Some(message))
}

/// A teardown failure is an error of its own, but never turns the DUT's fail into a
/// pass, and is always said, even after another error.
fn with_teardown(
    verdict: Verdict,
    message: Option<String>,
    unsafe_left: &[String],
) -> (Verdict, Option<String>) {
    if unsafe_left.is_empty() {
        return (verdict, message);
    }
    let msg = format!(
        "could not put {} into the safe state",
        unsafe_left.join(", ")
    );
    let message = match message {
        Some(m) => format!("{m}\n{msg}"),
        None => msg,
    };
    (Verdict::Error, Some(message))
}

/// Run the steps under the plan's timeout, a stop, or a panic, whichever ends first.
async fn execute(
    mut executor: Executor<'_>,
    plan: &Plan,
    log: &EventLog,
) -> (Verdict, Option<String>) {
    let clock = executor.clock;
    let run = AssertUnwindSafe(executor.run()).catch_unwind();
    let result = tokio::select! {
        biased;
        reason = crate::stop::wait() => Err(Some(reason)),
        r = clock.timeout(plan.timeout, run) => r.map_err(|()| None),
    };
    let error = |msg: String| {
        log.emit(EventKind::Error {
            instrument: None,
            message: msg.clone(),
        });
        (Verdict::Error, Some(msg))
    };
    match result {
        Err(Some(reason)) => interrupted(log, reason, ""),
        Err(None) => error(format!(
            "the plan did not finish within its timeout of {}",
            format_duration(plan.timeout.as_secs_f64())
        )),
        Ok(Err(panic)) => error(format!("the rig panicked: {}", panic_message(&panic))),
        Ok(Ok(Outcome::Pass)) => (Verdict::Pass, None),
        Ok(Ok(Outcome::Fail(m))) => (Verdict::Fail, Some(m)),
        Ok(Ok(Outcome::Error(f))) => (Verdict::Error, Some(f.to_string())),
    }
}

/// Every instrument to its safe state, whatever else happens. A further stop request
/// during it (a second Ctrl-C) is logged and hurries it: no more reconnects, but the
/// safe-state commands are never cut halfway or skipped.
async fn teardown(
    instruments: &Instruments,
    log: &EventLog,
    connector: &Connector<'_>,
    traffic: &rig_drivers::traffic::TrafficSink,
) -> Vec<String> {
    let seen = crate::stop::requests();
    let make_safe = instruments.make_safe(log, connector, traffic, seen);
    tokio::pin!(make_safe);
    tokio::select! {
        biased;
        left = &mut make_safe => left,
        reason = crate::stop::wait_beyond(seen) => {
            log.emit(EventKind::Error {
                instrument: None,
                message: format!("{reason} during the teardown: every safe state is still sent, without reconnects"),
            });
            make_safe.await
        }
    }
}

/// OVP and OCP for the source: the envelope's maximum voltage and largest current, so
/// the instrument itself cuts off if anything drives it past what the plan may apply.
fn protection_limits(plan: &Plan, bench: &Bench) -> (f64, f64) {
    let source = bench
        .instruments
        .values()
        .find(|i| i.driver.role() == crate::bench::Role::Source);
    let bench_v = source.and_then(|s| s.max_voltage).unwrap_or(f64::INFINITY);
    let bench_i = source.and_then(|s| s.max_current).unwrap_or(f64::INFINITY);
    let dut_v = plan
        .dut
        .number("limits.max_voltage")
        .unwrap_or(f64::INFINITY);
    let dut_i = plan
        .dut
        .number("limits.max_charge_current")
        .unwrap_or(f64::INFINITY)
        .max(
            plan.dut
                .number("limits.max_discharge_current")
                .unwrap_or(0.0),
        );
    (bench_v.min(dut_v), bench_i.min(dut_i))
}
