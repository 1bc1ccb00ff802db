//! Running one resolved plan on a bench: connect, program protection, sample, execute
//! the steps, and put every instrument into its safe state on every way out, writing
//! everything to the event log as it happens.
//!
//! The main entry point is [`run_plan`]. One plan runs on its own current-thread tokio
//! runtime, paused and auto-advancing on the virtual bench, so a run is deterministic.

mod executor;
mod instruments;
mod log;
mod probe;
mod roles;
pub(crate) mod rs232;
mod samplers;
mod signals;
mod skip;
mod store;
mod twin;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};

use futures::FutureExt;
use rig_drivers::traffic::{Direction, Traffic, Wire};
use rig_reports::event::LOG_FORMAT_VERSION;
use rig_reports::{Clock, EventKind, Verdict};
use tokio::sync::mpsc;

use crate::bench::{Bench, Channels};
use crate::clock::{self, RunClock};
use crate::diag::{Problem, Problems};
use crate::plan::Plan;
use crate::quantity::format_duration;

pub use executor::Outcome;
pub use instruments::InstrumentFailure;
pub use probe::{ProbeReport, ProbedChannel, ProbedInstrument, probe};
pub use signals::interrupted;
pub use skip::{packs_for, reason as skip_reason};
pub use twin::pack_params;

/// What a run needs beyond the plan and the bench, checked before anything connects.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The twin of the virtual bench, from the DUT profile and the injected defects.
    pub sim: Option<rig_sim::SimConfig>,
    pub defects: Vec<String>,
    /// Test hook: panic at the start of this step, to prove a panic still ends in the
    /// safe state. Nothing a user writes sets it.
    pub inject_panic_at_step: Option<usize>,
}

/// Check what a run needs on this bench: twin parameters, defect names.
pub fn prepare(plan: &Plan, bench: &Bench, extra_defects: &[String]) -> Result<Prepared, Problems> {
    let mut defects = bench.defects.clone();
    for d in extra_defects {
        if !defects.contains(d) {
            defects.push(d.clone());
        }
    }
    if !bench.is_virtual() {
        if !extra_defects.is_empty() {
            return Err(Problem::without_source(format!(
                "--defect needs the virtual bench; the bench `{}` has real instruments",
                bench.name
            ))
            .into());
        }
        return Ok(Prepared {
            sim: None,
            defects,
            inject_panic_at_step: None,
        });
    }
    let mut parsed = Vec::new();
    let mut problems = Problems::default();
    for d in &defects {
        match d.parse::<rig_sim::Defect>() {
            Ok(x) => parsed.push(x),
            Err(_) => {
                let known: Vec<String> =
                    rig_sim::Defect::ALL.iter().map(|d| d.to_string()).collect();
                let close = crate::diag::near_misses(d, known.iter().map(String::as_str));
                problems.push(
                    Problem::without_source(format!("unknown defect `{d}`")).help(
                        if close.is_empty() {
                            format!("`rig sim defects` lists them: {}", known.join(", "))
                        } else {
                            format!("did you mean {}?", close.join(" or "))
                        },
                    ),
                );
            }
        }
    }
    let pack = match twin::pack_params(&plan.dut) {
        Ok(p) => Some(p),
        Err(p) => {
            problems.extend(p);
            None
        }
    };
    let sim = pack.map(|pack| rig_sim::SimConfig {
        pack,
        defects: parsed,
        faults: bench.faults.clone(),
        installation: rig_sim::Installation {
            dip: bench.twin_dip.unwrap_or_default(),
            packs: skip::packs_for(plan, bench),
        },
    });
    // The twin builds at most rig_sim::MAX_PACKS packs: a plan that needs more (a
    // profile may allow more) is refused, not run on fewer packs than it asserts.
    if let Some(Err(invalid)) = sim.as_ref().map(|c| c.installation.validate()) {
        problems.push(Problem::without_source(format!(
            "the virtual bench cannot build the twin plan `{}` needs: {invalid}",
            plan.id
        )));
    }
    problems.into_result(Prepared {
        sim,
        defects,
        inject_panic_at_step: None,
    })
}

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
    if signals::interrupted() {
        return PlanOutcome {
            plan_id: plan.id.clone(),
            verdict: Verdict::Error,
            message: Some("not started: the run was interrupted".into()),
            log_path,
            sim_final: None,
        };
    }
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
    runtime.block_on(run(plan, bench, prepared, log_path.clone()))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn forward_traffic(mut rx: mpsc::UnboundedReceiver<Traffic>, log: log::EventLog) {
    while let Some(t) = rx.recv().await {
        let instrument = t.instrument.to_string();
        let (text, hex) = match t.wire {
            Wire::Text(s) => (Some(s), None),
            Wire::Bytes(b) => (None, Some(hex(&b))),
        };
        log.emit(match t.direction {
            Direction::Sent => EventKind::Sent {
                instrument,
                text,
                hex,
            },
            Direction::Received => EventKind::Received {
                instrument,
                text,
                hex,
            },
        });
    }
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
    let log = match log::EventLog::create(&log_path, clock) {
        Ok(l) => l,
        Err(e) => {
            return outcome(
                Verdict::Error,
                Some(format!(
                    "cannot write the event log {}: {e}",
                    log_path.display()
                )),
                None,
            );
        }
    };
    log.emit(EventKind::RunStarted {
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
        bench: bench.name.clone(),
        defects: prepared.defects.clone(),
        steps: plan.steps.len(),
    });
    // Decided before anything connects: a skipped plan energises nothing.
    if let Some(reason) = skip::reason(plan, bench) {
        log.emit(EventKind::RunFinished {
            verdict: Verdict::Skipped,
            message: Some(reason.clone()),
        });
        if let Some(e) = log.failure() {
            return outcome(
                Verdict::Error,
                Some(format!("writing the event log failed: {e}")),
                None,
            );
        }
        return outcome(Verdict::Skipped, Some(reason), None);
    }
    let sim = prepared.sim.clone().map(rig_sim::SimBench::start);
    let connector = instruments::Connector { sim: sim.as_ref() };
    let (traffic_tx, traffic_rx) = mpsc::unbounded_channel();
    let forwarder = tokio::spawn(forward_traffic(traffic_rx, log.clone()));
    let protection = protection_limits(plan, bench);
    let channels = Channels::of(bench, plan.packs);

    let (verdict, message, instruments) =
        match instruments::Instruments::connect(bench, &connector, &log, &traffic_tx, protection)
            .await
        {
            Err((partial, f)) => (Verdict::Error, Some(f.to_string()), partial),
            Ok(mut connected) => {
                let (tasks, feed_rx) = start_samplers(
                    &mut connected,
                    samplers::SourceGuard::of(&plan.envelope),
                    &plan.poll_s,
                    bench,
                    &channels,
                    &log,
                );
                let executor = executor::Executor {
                    plan,
                    bench,
                    channels: &channels,
                    instruments: &connected,
                    log: log.clone(),
                    feed: feed_rx,
                    store: store::Store::new(&channels),
                    clock,
                    panic_at_step: prepared.inject_panic_at_step,
                    keepalive: None,
                };
                let (verdict, message) = execute(executor, plan, &log).await;
                for t in &tasks {
                    t.abort();
                }
                (verdict, message, connected)
            }
        };
    let unsafe_left = teardown(&instruments, &log, &connector, &traffic_tx).await;
    drop(instruments);
    let sim_final = sim.as_ref().map(rig_sim::SimBench::snapshot);
    drop(traffic_tx);
    let _ = clock::within(5.0, forwarder).await;
    // A teardown failure is an error of its own, but never turns the DUT's fail into a
    // pass, and is always said, even after another error.
    let (verdict, message) = if unsafe_left.is_empty() {
        (verdict, message)
    } else {
        let msg = format!(
            "could not put {} into the safe state",
            unsafe_left.join(", ")
        );
        (
            Verdict::Error,
            Some(match message {
                Some(m) => format!("{m}\n{msg}"),
                None => msg,
            }),
        )
    };
    log.emit(EventKind::RunFinished {
        verdict,
        message: message.clone(),
    });
    if let Some(e) = log.failure() {
        return outcome(
            Verdict::Error,
            Some(format!("writing the event log failed: {e}")),
            sim_final,
        );
    }
    outcome(verdict, message, sim_final)
}

/// Start a sampler per instrument. A panic in a sampler becomes the failure of its
/// instrument instead of a silent end of its readings.
pub(crate) fn start_samplers(
    connected: &mut instruments::Instruments,
    guard: samplers::SourceGuard,
    poll: &std::collections::BTreeMap<String, f64>,
    bench: &Bench,
    channels: &Channels,
    log: &log::EventLog,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    mpsc::UnboundedReceiver<samplers::Feed>,
) {
    let (feed_tx, feed_rx) = mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    let mut spawn =
        |name: &str, task: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>| {
            let tx = feed_tx.clone();
            let name = name.to_string();
            tasks.push(tokio::spawn(async move {
                if let Err(panic) = AssertUnwindSafe(task).catch_unwind().await {
                    let _ = tx.send(samplers::Feed::Failed(instruments::failure(
                        &name,
                        format!("its sampler panicked: {}", panic_text(&panic)),
                    )));
                }
            }));
        };
    if let Some((spec, source)) = &connected.source {
        spawn(
            &spec.name,
            Box::pin(samplers::source(
                source.clone(),
                spec.name.clone(),
                channels.clone(),
                poll.get(&spec.name).copied().unwrap_or(spec.poll_s),
                guard,
                log.clone(),
                feed_tx.clone(),
            )),
        );
    }
    for (name, (spec, board)) in &connected.boards {
        spawn(
            name,
            Box::pin(samplers::board(
                board.clone(),
                name.clone(),
                bench.clone(),
                channels.clone(),
                poll.get(name).copied().unwrap_or(spec.poll_s),
                log.clone(),
                feed_tx.clone(),
            )),
        );
    }
    if let Some((spec, chamber)) = &connected.chamber {
        spawn(
            &spec.name,
            Box::pin(samplers::chamber(
                chamber.clone(),
                spec.name.clone(),
                channels.clone(),
                poll.get(&spec.name).copied().unwrap_or(spec.poll_s),
                log.clone(),
                feed_tx.clone(),
            )),
        );
    }
    // The link samplers own their connections; there is nothing to make safe on a listener.
    if let Some((spec, link)) = connected.rs485.take() {
        let (commands_tx, commands_rx) = mpsc::channel(1);
        connected.rs485_commands = Some((spec.name.clone(), commands_tx));
        spawn(
            &spec.name,
            Box::pin(samplers::rs485(
                link,
                commands_rx,
                channels.clone(),
                poll.get(&spec.name).copied().unwrap_or(spec.poll_s),
                log.clone(),
                feed_tx.clone(),
            )),
        );
    }
    if let Some((spec, link)) = connected.can.take() {
        spawn(
            &spec.name,
            Box::pin(samplers::can(
                link,
                channels.clone(),
                spec.silence_s,
                log.clone(),
                feed_tx.clone(),
            )),
        );
    }
    (tasks, feed_rx)
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// Run the steps under the plan's timeout, a signal, or a panic, whichever ends first.
async fn execute(
    mut executor: executor::Executor<'_>,
    plan: &Plan,
    log: &log::EventLog,
) -> (Verdict, Option<String>) {
    let run = AssertUnwindSafe(executor.run()).catch_unwind();
    let result = tokio::select! {
        biased;
        signal = signals::stop_requested() => Err(Some(signal)),
        r = clock::within(plan.timeout_s, run) => r.map_err(|()| None),
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
            format_duration(plan.timeout_s)
        )),
        Ok(Err(panic)) => error(format!("the rig panicked: {}", panic_text(&panic))),
        Ok(Ok(Outcome::Pass)) => (Verdict::Pass, None),
        Ok(Ok(Outcome::Fail(m))) => (Verdict::Fail, Some(m)),
        Ok(Ok(Outcome::Error(f))) => (Verdict::Error, Some(f.to_string())),
    }
}

/// Every instrument to its safe state. A signal during the teardown escalates to a hard
/// stop that still switches the source's output off first.
async fn teardown(
    instruments: &instruments::Instruments,
    log: &log::EventLog,
    connector: &instruments::Connector<'_>,
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
