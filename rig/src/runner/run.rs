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
use super::instruments::{Connector, Instruments};
use super::log::EventLog;
use super::prepare::Prepared;
use super::{samplers, signals, skip, store, traffic};
use crate::bench::{Bench, Channels};
use crate::clock::{self, RunClock};
use crate::plan::Plan;
use crate::quantity::format_duration;

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

/// Where a plan's event log goes in a run folder.
pub fn log_path(out_dir: &Path, plan_id: &str) -> PathBuf {
    out_dir.join(format!("{plan_id}.events.jsonl"))
}

/// Run one plan to its end on its own runtime.
pub fn run_plan(plan: &Plan, bench: &Bench, prepared: &Prepared, out_dir: &Path) -> PlanOutcome {
    let log_path = log_path(out_dir, &plan.id);
    let error = |message: String| PlanOutcome {
        plan_id: plan.id.clone(),
        verdict: Verdict::Error,
        message: Some(message),
        log_path: log_path.clone(),
        sim_final: None,
    };
    if signals::interrupted() {
        return error("not started: the run was interrupted".into());
    }
    let runtime = match clock::runtime(prepared.sim.is_some()) {
        Ok(r) => r,
        Err(e) => return error(format!("cannot start the runtime: {e}")),
    };
    runtime.block_on(run(plan, bench, prepared, log_path.clone()))
}

async fn run(plan: &Plan, bench: &Bench, prepared: &Prepared, log_path: PathBuf) -> PlanOutcome {
    let clock = RunClock::start();
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
    let run = PlanRun {
        plan,
        bench,
        prepared,
        log,
        clock,
    };
    run.log.emit(run.started());
    // Decided before anything connects: a skipped plan energises nothing.
    let skipped = skip::reason(plan, bench);
    let sim = match skipped {
        Some(_) => None,
        None => prepared.sim.clone().map(rig_sim::SimBench::start),
    };
    let (verdict, message, sim_final) = match skipped {
        Some(reason) => (Verdict::Skipped, Some(reason), None),
        None => run.on_bench(sim.as_ref()).await,
    };
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

    /// Connect, execute the steps, and put everything into its safe state: the verdict
    /// with its message, and the twin's own state after the teardown.
    async fn on_bench(
        &self,
        sim: Option<&rig_sim::SimBench>,
    ) -> (Verdict, Option<String>, Option<rig_sim::SimSnapshot>) {
        let log = &self.log;
        let connector = Connector { sim };
        let (traffic_tx, traffic_rx) = mpsc::unbounded_channel();
        let forwarder = tokio::spawn(traffic::forward(traffic_rx, log.clone()));
        let protection = protection_limits(self.plan, self.bench);
        let connected =
            Instruments::connect(self.bench, &connector, log, &traffic_tx, protection).await;
        let (verdict, message, instruments) = match connected {
            Err((partial, f)) => (Verdict::Error, Some(f.to_string()), partial),
            Ok(mut connected) => {
                let (verdict, message) = self.execute_on(&mut connected).await;
                (verdict, message, connected)
            }
        };
        let unsafe_left = teardown(&instruments, log, &connector, &traffic_tx).await;
        drop(instruments);
        let sim_final = sim.map(rig_sim::SimBench::snapshot);
        drop(traffic_tx);
        let _ = clock::within(5.0, forwarder).await;
        let (verdict, message) = with_teardown(verdict, message, &unsafe_left);
        (verdict, message, sim_final)
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
        for t in &tasks {
            t.abort();
        }
        (verdict, message)
    }
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

/// Run the steps under the plan's timeout, a signal, or a panic, whichever ends first.
async fn execute(
    mut executor: Executor<'_>,
    plan: &Plan,
    log: &EventLog,
) -> (Verdict, Option<String>) {
    let run = AssertUnwindSafe(executor.run()).catch_unwind();
    let result = tokio::select! {
        biased;
        signal = signals::stop_requested() => Err(Some(signal)),
        r = clock::timeout(plan.timeout, run) => r.map_err(|()| None),
    };
    let error = |msg: String| {
        log.emit(EventKind::Error {
            instrument: None,
            message: msg.clone(),
        });
        (Verdict::Error, Some(msg))
    };
    match result {
        Err(Some(signal)) => error(format!(
            "interrupted by {signal}; instruments put into their safe state"
        )),
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

/// Every instrument to its safe state. A signal during the teardown escalates to a hard
/// stop that still switches the source's output off first.
async fn teardown(
    instruments: &Instruments,
    log: &EventLog,
    connector: &Connector<'_>,
    traffic: &rig_drivers::traffic::TrafficSink,
) -> Vec<String> {
    tokio::select! {
        biased;
        left = instruments.make_safe(log, connector, traffic) => left,
        signal = signals::stop_requested() => {
            log.emit(EventKind::Error { instrument: None, message: format!("{signal} during the teardown: hard stop") });
            // Everything with a safe state of its own that the hard stop skips (listeners
            // have none: nothing of theirs is left unsafe).
            let mut left: Vec<String> = instruments
                .order
                .iter()
                .filter(|n| instruments.boards.contains_key(n.as_str()) || instruments.chamber.as_ref().is_some_and(|(c, _)| &c.name == *n))
                .cloned()
                .collect();
            if !instruments.emergency_output_off(log).await {
                left.extend(instruments.source.as_ref().map(|(s, _)| s.name.clone()));
            }
            left
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
