//! The executor and its step loop: apply a step's actions, then watch its expectations
//! and measurements over the readings as they arrive, in time order, until each is
//! decided and the step's wait is over.

use std::time::Duration;

use rig_reports::{EventKind, Verdict};
use tracing::Instrument;

use super::expectation::{ExpectationState, Judgement};
use super::measuring::Measures;
use super::messages;
use super::ramp::RampRun;
use super::watchdog::Watchdog;
use super::window::StepWindows;
use crate::bench::{Bench, Channels};
use crate::clock::RunClock;
use crate::expr::ChannelId;
use crate::plan::{Action, Expectation, Plan, Step};
use crate::runner::failure::{Cause, InstrumentFailure};
use crate::runner::instruments::Instruments;
use crate::runner::log::EventLog;
use crate::runner::samplers::Inbox;
use crate::runner::store::Store;

/// How a plan's execution ended.
#[derive(Debug)]
pub enum Outcome {
    Pass,
    /// An expectation failed, or a measurement was outside its limits or never came: the
    /// DUT misbehaved. The message says what was expected, what was observed, and which
    /// plan line asked.
    Fail(String),
    /// The rig or an instrument failed.
    Error(InstrumentFailure),
}

pub struct Executor<'a> {
    pub plan: &'a Plan,
    pub bench: &'a Bench,
    pub channels: &'a Channels,
    pub instruments: &'a Instruments,
    pub log: EventLog,
    pub feed: Inbox,
    pub store: Store,
    pub clock: RunClock,
    /// Test hook, see [`crate::runner::Prepared::inject_panic_at_step`].
    pub panic_at_step: Option<usize>,
    /// Test hook, see [`crate::runner::Prepared::inject_stuck_at_step`].
    pub stuck_at_step: Option<usize>,
    /// Detects an engine that cannot advance; see `watchdog.rs`.
    pub watchdog: Watchdog,
    /// The inverter keep-alive while a plan has it on; dropping it stops it.
    pub keepalive: Option<rig_drivers::can::KeepAlive>,
}

impl Executor<'_> {
    pub async fn run(&mut self) -> Outcome {
        if let Err(f) = self.warm_up().await {
            self.log_error(&f);
            return Outcome::Error(f);
        }
        for (i, step) in self.plan.steps.iter().enumerate() {
            let span = self.span(i, step);
            let outcome = match step.timeout {
                None => self.step(step).instrument(span).await,
                Some(limit) => {
                    let clock = self.clock;
                    match clock.timeout(limit, self.step(step).instrument(span)).await {
                        Ok(o) => o,
                        Err(()) => {
                            let cause = Cause::StepTimeout {
                                step: step.number,
                                name: step.name.clone(),
                                limit_s: limit.as_secs_f64(),
                            };
                            return self.step_error(step, InstrumentFailure::new("rig", cause));
                        }
                    }
                }
            };
            match outcome {
                Outcome::Pass => {}
                other => return other,
            }
        }
        Outcome::Pass
    }

    /// The step's diagnostics span, which also feeds the progress display.
    fn span(&self, i: usize, step: &Step) -> tracing::Span {
        let left = crate::progress::left(&self.plan.steps[i..]);
        tracing::info_span!(
            "step",
            step = step.number,
            name = %step.name,
            t_s = self.clock.now().as_secs_f64(),
            left_s = left.as_secs_f64(),
        )
    }

    async fn step(&mut self, step: &Step) -> Outcome {
        tracing::info!("step started");
        self.log.emit(EventKind::StepStarted {
            step: step.number,
            name: step.name.clone(),
            location: step.location.to_string(),
        });
        if self.panic_at_step == Some(step.number) {
            panic!("injected panic at step {}", step.number);
        }
        self.watchdog.enter(step);
        for action in &step.actions {
            if let Err(f) = self.apply(step.number, action).await {
                return self.step_error(step, f);
            }
        }
        if let Err(f) = self.drain() {
            return self.step_error(step, f);
        }
        // The windows open once the ramp's first level is applied.
        let mut ramp = match self.begin_ramp(step).await {
            Ok(r) => r,
            Err(f) => return self.step_error(step, f),
        };
        let mut measures = Measures::open(step);
        match self.watch(step, &mut measures, &mut ramp).await {
            Ok((windows, states)) => self.finish(step, &windows, &states, &mut measures),
            Err(f) => self.step_error(step, f),
        }
    }

    /// The step's ramp with its first level applied, if it has one.
    async fn begin_ramp<'p>(
        &mut self,
        step: &'p Step,
    ) -> Result<Option<RampRun<'p>>, InstrumentFailure> {
        let Some(r) = &step.ramp else { return Ok(None) };
        if let Some(first) = r.levels.first() {
            self.apply(step.number, &Action::Source(first.clone()))
                .await?;
            self.drain()?;
        }
        Ok(Some(RampRun::begin(
            r,
            self.clock.now(),
            self.store.arrivals(),
        )))
    }

    /// The clock reached `now`: apply the ramp's next level if its hold is over. The
    /// readings of the set point channels it wrote, to be watched like any reading.
    async fn advance_ramp(
        &mut self,
        step: &Step,
        ramp: &mut Option<RampRun<'_>>,
        now: Duration,
    ) -> Result<Vec<(ChannelId, Duration)>, InstrumentFailure> {
        let Some(level) = ramp.as_mut().and_then(|r| r.step_at(now)) else {
            return Ok(Vec::new());
        };
        self.apply(step.number, &Action::Source(level.clone()))
            .await?;
        Ok(self.setpoint_channels(level))
    }

    /// Watch the step's expectations and measurements from now on until each is decided
    /// (or one failed), the ramp is over and the step's wait is over.
    async fn watch(
        &mut self,
        step: &Step,
        measures: &mut Measures<'_>,
        ramp: &mut Option<RampRun<'_>>,
    ) -> Result<(StepWindows, Vec<ExpectationState>), InstrumentFailure> {
        let windows = StepWindows::open(self.clock.now(), step.wait);
        let opened_at = self.store.arrivals();
        let mut states = vec![ExpectationState::OPEN; step.expectations.len()];
        measures.start(&self.store, windows.opened());
        for (e, s) in step.expectations.iter().zip(states.iter_mut()) {
            self.judge(e, s, &windows, opened_at, windows.opened())?;
        }
        // A silent link whose blame waits for its controller's other link.
        let mut awaiting = None;
        while !states.iter().any(ExpectationState::has_failed) && !measures.has_failed() {
            let ramp_due = ramp.as_ref().and_then(RampRun::due);
            let pending = step
                .expectations
                .iter()
                .zip(&states)
                .filter(|(_, s)| s.is_pending())
                .map(|(e, _)| e.window.length())
                .chain(measures.pending())
                .chain(ramp_due.map(|due| windows.elapsed(due)));
            let Some(deadline) = windows.next_deadline(self.clock.now(), pending) else {
                break;
            };
            let deadline = self.hooked_deadline(step, &windows, deadline);
            let next = match self.next(deadline).await? {
                // A reading due at the deadline instant counts: let producers that wake
                // at the same instant run, and take what they sent, before deciding.
                None => self.same_instant().await?,
                some => some,
            };
            match next {
                Some((id, t)) => {
                    self.on_reading(step, &windows, opened_at, &mut states, (id, t))?;
                    measures.on_reading((id, t), &self.store, opened_at, &windows, &self.log);
                    if let Some(r) = ramp.as_mut() {
                        r.on_reading(id, &self.store);
                    }
                    self.on_silence(id, step, &mut states, (t, &mut awaiting))?;
                }
                // No window closes on a link whose silence is not yet judged.
                None => match awaiting.take() {
                    Some(waiting) => return Err(waiting.into_failure()),
                    None => {
                        for (id, t) in self.advance_ramp(step, ramp, deadline).await? {
                            self.on_reading(step, &windows, opened_at, &mut states, (id, t))?;
                            measures.on_reading(
                                (id, t),
                                &self.store,
                                opened_at,
                                &windows,
                                &self.log,
                            );
                        }
                        self.close_windows(step, &windows, &mut states, deadline);
                        measures.at_deadline(deadline, &windows, &self.log);
                    }
                },
            }
        }
        Ok((windows, states))
    }

    /// A reading of channel `id` at `t`: judge the pending expectations that read it,
    /// if `t` is inside their windows.
    fn on_reading(
        &self,
        step: &Step,
        windows: &StepWindows,
        opened_at: u64,
        states: &mut [ExpectationState],
        (id, t): (ChannelId, Duration),
    ) -> Result<(), InstrumentFailure> {
        for (e, s) in step.expectations.iter().zip(states.iter_mut()) {
            if s.is_pending()
                && windows.contains(e.window, t)
                && e.predicate.channels().iter().any(|(c, _)| *c == id)
            {
                self.judge(e, s, windows, opened_at, t)?;
            }
        }
        Ok(())
    }

    /// Judge `e` at `t` on readings that arrived after the windows opened. Readings
    /// that give the condition no value end the run as the rig's error.
    fn judge(
        &self,
        e: &Expectation,
        state: &mut ExpectationState,
        windows: &StepWindows,
        opened_at: u64,
        t: Duration,
    ) -> Result<(), InstrumentFailure> {
        match Judgement::of(e, &self.store, opened_at) {
            Some(Judgement::Undefined) => Err(InstrumentFailure::new(
                "rig",
                Cause::Undefined {
                    expectation: e.name.clone(),
                    text: e.text.clone(),
                    observed: messages::observed(e, &self.store),
                },
            )),
            Some(judgement) => {
                state.on_reading(e.window, judgement, t, windows.elapsed(t), || {
                    messages::observed(e, &self.store)
                });
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The clock reached `deadline`: decide the pending expectations whose windows closed.
    fn close_windows(
        &self,
        step: &Step,
        windows: &StepWindows,
        states: &mut [ExpectationState],
        deadline: Duration,
    ) {
        for (e, s) in step.expectations.iter().zip(states.iter_mut()) {
            if s.is_pending() && windows.closed_by(e.window, deadline) {
                s.at_deadline(e.window, || messages::observed(e, &self.store));
            }
        }
    }

    /// Log each expectation's verdict and the step's; the step fails with its first
    /// failed expectation, else its first failed measurement (logged when decided).
    fn finish(
        &mut self,
        step: &Step,
        windows: &StepWindows,
        states: &[ExpectationState],
        measures: &mut Measures<'_>,
    ) -> Outcome {
        let mut first_failure = None;
        for (e, s) in step.expectations.iter().zip(states) {
            let (verdict, reaction) = s.verdict();
            let message = s.failure().map(|f| messages::failure(e, windows, f));
            if first_failure.is_none() {
                first_failure = message.clone();
            }
            self.log.emit(EventKind::Expectation {
                step: step.number,
                name: e.name.clone(),
                condition: e.text.clone(),
                window: messages::window_text(e.window),
                location: e.location.to_string(),
                verdict,
                reaction_s: reaction.map(|r| rig_reports::event::round_time(r.as_secs_f64())),
                message,
            });
        }
        let measured = measures.finish(&self.log);
        let first_failure = first_failure.or(measured);
        let verdict = if first_failure.is_some() {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        self.log.emit(EventKind::StepFinished {
            step: step.number,
            verdict,
        });
        match first_failure {
            Some(m) => Outcome::Fail(format!("step {} \"{}\": {m}", step.number, step.name)),
            None => Outcome::Pass,
        }
    }

    /// The deadline the step loop waits for: `deadline`, unless the test hook makes the
    /// step stuck on a moment already past (as f64 seconds once did, issue 13), which
    /// the watchdog must catch.
    fn hooked_deadline(&self, step: &Step, windows: &StepWindows, deadline: Duration) -> Duration {
        if self.stuck_at_step == Some(step.number) {
            windows.opened()
        } else {
            deadline
        }
    }

    fn step_error(&mut self, step: &Step, f: InstrumentFailure) -> Outcome {
        self.log_error(&f);
        self.log.emit(EventKind::StepFinished {
            step: step.number,
            verdict: Verdict::Error,
        });
        Outcome::Error(f)
    }

    fn log_error(&self, f: &InstrumentFailure) {
        self.log.emit(EventKind::Error {
            instrument: Some(f.instrument.clone()),
            message: f.cause.to_string(),
        });
    }
}
