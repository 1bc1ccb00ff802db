//! The step executor: applies each step's actions, then watches its expectations over
//! the samples as they arrive, in time order. It stops at the first failed expectation
//! (the safe choice for a battery: a plan that has seen the pack misbehave does not go
//! on driving it).

use rig_reports::{EventKind, SampleValue, Verdict};
use tokio::sync::mpsc::UnboundedReceiver;

use super::instruments::{InstrumentFailure, Instruments, failure};
use super::log::EventLog;
use super::samplers::Feed;
use super::store::Store;
use crate::bench::{Bench, ChannelKind, Channels};
use crate::clock::RunClock;
use crate::expr::{ChannelId, Value};
use crate::plan::{Action, Expectation, Plan, RelayOp, SourceSettings, Step, Window};
use crate::quantity::{Dim, Quantity, format_duration, trim_float};
use rig_drivers::chamber::Chamber;

/// How long the runner waits for a first value of every channel the plan reads.
const WARM_UP_S: f64 = 10.0;

/// How a plan's execution ended.
#[derive(Debug)]
pub enum Outcome {
    Pass,
    /// An expectation failed: the DUT misbehaved. The message says what was expected,
    /// what was observed, and which plan line asked.
    Fail(String),
    /// The rig or an instrument failed.
    Error(InstrumentFailure),
}

enum State {
    /// Not decided. `judged` once the condition was evaluated on readings taken inside
    /// the window (a `for` window with no such reading cannot pass).
    Pending {
        judged: bool,
    },
    Passed {
        reaction_s: Option<f64>,
    },
    Failed(String),
}

pub struct Executor<'a> {
    pub plan: &'a Plan,
    pub bench: &'a Bench,
    pub channels: &'a Channels,
    pub instruments: &'a Instruments,
    pub log: EventLog,
    pub feed: UnboundedReceiver<Feed>,
    pub store: Store,
    pub clock: RunClock,
    /// Test hook, see [`super::Prepared::inject_panic_at_step`].
    pub panic_at_step: Option<usize>,
    /// The inverter keep-alive while a plan has it on; dropping it stops it.
    pub keepalive: Option<rig_drivers::can::KeepAlive>,
}

fn fmt_t(t: f64) -> String {
    format!("t={} s", trim_float((t * 1000.0).round() / 1000.0))
}

fn sample_value(v: Value) -> (SampleValue, String) {
    match v {
        Value::Bool(b) => (SampleValue::Bool(b), String::new()),
        Value::Num(q) => (SampleValue::Number(q.value), q.dim.base_unit().to_string()),
    }
}

impl Executor<'_> {
    pub async fn run(&mut self) -> Outcome {
        if let Err(f) = self.warm_up().await {
            self.log.emit(EventKind::Error {
                instrument: Some(f.instrument.clone()),
                message: f.message.clone(),
            });
            return Outcome::Error(f);
        }
        for step in &self.plan.steps {
            let outcome = match step.timeout_s {
                None => self.step(step).await,
                Some(limit) => match crate::clock::within(limit, self.step(step)).await {
                    Ok(o) => o,
                    Err(()) => {
                        let f = failure(
                            "rig",
                            format!(
                                "step {} \"{}\" did not finish within its timeout of {}",
                                step.number,
                                step.name,
                                format_duration(limit)
                            ),
                        );
                        return self.step_error(step, f);
                    }
                },
            };
            match outcome {
                Outcome::Pass => {}
                other => return other,
            }
        }
        Outcome::Pass
    }

    /// Record a feed item; `Err` when an instrument failed.
    fn take(&mut self, feed: Feed) -> Result<Option<(ChannelId, f64)>, InstrumentFailure> {
        match feed {
            Feed::Sample { id, value, t } => {
                self.supervise(id, value)?;
                if self.store.update(id, value, t) {
                    let (value, unit) = sample_value(value);
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
        let env = &self.plan.envelope;
        let violation = match (env.min_temperature_c, env.max_temperature_c) {
            (_, Some(max)) if q.value > max => Some(format!(
                "{} = {q} above the envelope's maximum {max} degC",
                spec.name
            )),
            (Some(min), _) if q.value < min => Some(format!(
                "{} = {q} below the envelope's minimum {min} degC",
                spec.name
            )),
            _ => None,
        };
        match violation {
            Some(v) => Err(failure(
                spec.name.split('.').next().unwrap_or("bms"),
                format!("envelope violation: {v}"),
            )),
            None => Ok(()),
        }
    }

    /// A CAN link fell silent (`<link>.online` turned false). A plan that reads
    /// `<link>.online` anywhere expects the BMS may sleep: silence is then the DUT's
    /// behaviour, its last readings are dropped so nothing passes on stale data, and
    /// `for` windows over its signals fail. In any other plan a silent link cannot be
    /// told from a broken cable, so the run ends in error.
    fn on_silence(
        &mut self,
        id: ChannelId,
        step: &Step,
        states: &mut [State],
        t: f64,
    ) -> Option<InstrumentFailure> {
        let spec = self.channels.get(id);
        // A pack of several on RS485 has its own `online`; its silence says nothing
        // about the others' readings.
        let (medium, pack) = match spec.kind {
            ChannelKind::CanOnline => ("CAN", None),
            ChannelKind::Rs485Online { pack } => ("RS485", Some(pack)),
            _ => return None,
        };
        if self.store.value(id) != Some(Value::Bool(false)) {
            return None;
        }
        let link = spec
            .name
            .strip_suffix(".online")
            .unwrap_or(&spec.name)
            .to_string();
        let prefix = format!("{link}.");
        let is_signal = |c: ChannelId, name: &str| {
            name.starts_with(&prefix)
                && match self.channels.get(c).kind {
                    ChannelKind::CanSignal { .. } => pack.is_none(),
                    ChannelKind::Rs485 { pack: p, .. } => pack == Some(p),
                    _ => false,
                }
        };
        let expected = self.plan.channels_read().iter().any(|(c, _)| *c == id);
        if !expected {
            let reads: Vec<String> = step
                .expectations
                .iter()
                .zip(states.iter())
                .filter(|(_, s)| matches!(s, State::Pending { .. }))
                .flat_map(|(e, _)| e.predicate.channels())
                .filter(|(c, name)| is_signal(*c, name))
                .map(|(_, name)| name)
                .collect();
            if reads.is_empty() {
                return None;
            }
            return Some(failure(
                &link,
                format!(
                    "no {} from the BMS for longer than the link allows while the plan reads {}; the plan never reads {link}.online, so it does not expect the BMS to fall silent",
                    if medium == "CAN" {
                        "CAN frame"
                    } else {
                        "RS485 answer"
                    },
                    reads.join(", ")
                ),
            ));
        }
        let signals: Vec<ChannelId> = self
            .channels
            .iter()
            .filter(|(c, sp)| is_signal(*c, &sp.name))
            .map(|(c, _)| c)
            .collect();
        for c in &signals {
            self.store.forget(*c);
        }
        for (e, state) in step.expectations.iter().zip(states.iter_mut()) {
            let reads_signal = e
                .predicate
                .channels()
                .iter()
                .any(|(c, _)| signals.contains(c));
            if let (Window::For(w), State::Pending { .. }, true) = (e.window, &*state, reads_signal)
            {
                *state = State::Failed(format!(
                    "expectation \"{}\" failed ({})\n  expected: {} for {}\n  observed: the BMS fell silent on {} at {} ({}.online turned false), so its signals have no value",
                    e.name,
                    e.location,
                    e.text,
                    format_duration(w),
                    medium,
                    fmt_t(t),
                    link
                ));
            }
        }
        None
    }

    /// The next feed item, or `None` once the run clock reaches `deadline_s`.
    async fn next(
        &mut self,
        deadline_s: f64,
    ) -> Result<Option<(ChannelId, f64)>, InstrumentFailure> {
        let clock = self.clock;
        tokio::select! {
            biased;
            feed = self.feed.recv() => match feed {
                Some(f) => self.take(f),
                None => Err(failure("rig", "every sampler stopped")),
            },
            () = clock.sleep_until_s(deadline_s) => Ok(None),
        }
    }

    /// A reading that producers waking at this same instant send, if any.
    async fn same_instant(&mut self) -> Result<Option<(ChannelId, f64)>, InstrumentFailure> {
        for _ in 0..8 {
            if let Ok(f) = self.feed.try_recv() {
                return self.take(f);
            }
            tokio::task::yield_now().await;
        }
        Ok(None)
    }

    /// Take every reading already waiting, without advancing time.
    fn drain(&mut self) -> Result<(), InstrumentFailure> {
        while let Ok(f) = self.feed.try_recv() {
            self.take(f)?;
        }
        Ok(())
    }

    /// Keep the store current while waiting `seconds` (a relay pulse).
    async fn pass_time(&mut self, seconds: f64) -> Result<(), InstrumentFailure> {
        let until = self.clock.now_s() + seconds;
        while self.next(until).await?.is_some() {}
        Ok(())
    }

    async fn warm_up(&mut self) -> Result<(), InstrumentFailure> {
        let needed = self.plan.channels_read();
        let until = self.clock.now_s() + WARM_UP_S;
        loop {
            let missing: Vec<&str> = needed
                .iter()
                .filter(|(id, _)| self.store.get(*id).is_none() && !self.silent_as_expected(*id))
                .map(|(_, n)| n.as_str())
                .collect();
            if missing.is_empty() {
                // Whatever else is already queued (a violation behind the last reading)
                // must be seen before step 1 touches anything.
                self.drain()?;
                return Ok(());
            }
            if self.next(until).await?.is_none() {
                let instrument = missing[0].split('.').next().unwrap_or("rig").to_string();
                let msg = format!(
                    "no reading of {} within {} of the start",
                    missing.join(", "),
                    format_duration(WARM_UP_S)
                );
                return Err(InstrumentFailure {
                    instrument,
                    message: msg,
                });
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

    async fn step(&mut self, step: &Step) -> Outcome {
        self.log.emit(EventKind::StepStarted {
            step: step.number,
            name: step.name.clone(),
            location: step.location.to_string(),
        });
        if self.panic_at_step == Some(step.number) {
            panic!("injected panic at step {}", step.number);
        }
        for action in &step.actions {
            if let Err(f) = self.apply(step.number, action).await {
                self.log.emit(EventKind::Error {
                    instrument: Some(f.instrument.clone()),
                    message: f.message.clone(),
                });
                self.log.emit(EventKind::StepFinished {
                    step: step.number,
                    verdict: Verdict::Error,
                });
                return Outcome::Error(f);
            }
        }
        if let Err(f) = self.drain() {
            return self.step_error(step, f);
        }
        let t0 = self.clock.now_s();
        let start = self.store.arrivals();
        let mut states: Vec<State> = step
            .expectations
            .iter()
            .map(|_| State::Pending { judged: false })
            .collect();
        for (e, s) in step.expectations.iter().zip(states.iter_mut()) {
            self.evaluate(e, s, t0, start, t0);
        }
        let step_end = t0 + step.wait_s;
        loop {
            if states.iter().any(|s| matches!(s, State::Failed(_))) {
                break;
            }
            let now = self.clock.now_s();
            let pending_deadlines = step
                .expectations
                .iter()
                .zip(&states)
                .filter(|(_, s)| matches!(s, State::Pending { .. }))
                .map(|(e, _)| t0 + e.window.seconds());
            let deadline = pending_deadlines
                .chain((now < step_end).then_some(step_end))
                .fold(f64::INFINITY, f64::min);
            if deadline.is_infinite() {
                break;
            }
            let next = match self.next(deadline).await {
                // A reading due at the deadline instant counts: let producers that wake
                // at the same instant run, and take what they sent, before deciding.
                Ok(None) => self.same_instant().await,
                other => other,
            };
            match next {
                Err(f) => return self.step_error(step, f),
                Ok(Some((id, t))) => {
                    for (e, s) in step.expectations.iter().zip(states.iter_mut()) {
                        let in_window = t <= t0 + e.window.seconds();
                        if matches!(s, State::Pending { .. })
                            && in_window
                            && e.predicate.channels().iter().any(|(c, _)| *c == id)
                        {
                            self.evaluate(e, s, t0, start, t);
                        }
                    }
                    if let Some(f) = self.on_silence(id, step, &mut states, t) {
                        return self.step_error(step, f);
                    }
                }
                Ok(None) => {
                    for (e, s) in step.expectations.iter().zip(states.iter_mut()) {
                        if matches!(s, State::Pending { .. }) && t0 + e.window.seconds() <= deadline
                        {
                            *s = match (e.window, &*s) {
                                (Window::For(_), State::Pending { judged: true }) => {
                                    State::Passed { reaction_s: None }
                                }
                                (Window::For(w), _) => State::Failed(self.unjudged(e, t0, w)),
                                (Window::Within(w), _) => State::Failed(self.never_true(e, t0, w)),
                            };
                        }
                    }
                }
            }
        }
        let mut first_failure = None;
        for (e, s) in step.expectations.iter().zip(&states) {
            let (verdict, reaction_s, message) = match s {
                State::Passed { reaction_s } => (Verdict::Pass, *reaction_s, None),
                State::Failed(m) => (Verdict::Fail, None, Some(m.clone())),
                // Not decided because another expectation of the step failed first.
                State::Pending { .. } => (Verdict::Skipped, None, None),
            };
            if first_failure.is_none() {
                first_failure = message.clone();
            }
            self.log.emit(EventKind::Expectation {
                step: step.number,
                name: e.name.clone(),
                condition: e.text.clone(),
                window: window_text(e.window),
                location: e.location.to_string(),
                verdict,
                reaction_s: reaction_s.map(|r| (r * 1e6).round() / 1e6),
                message,
            });
        }
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

    fn step_error(&mut self, step: &Step, f: InstrumentFailure) -> Outcome {
        self.log.emit(EventKind::Error {
            instrument: Some(f.instrument.clone()),
            message: f.message.clone(),
        });
        self.log.emit(EventKind::StepFinished {
            step: step.number,
            verdict: Verdict::Error,
        });
        Outcome::Error(f)
    }

    /// Judge an expectation at `t`, but only once every channel it reads has a reading
    /// that arrived after the window opened (arrival number above `start`): a reading
    /// from before the step's actions says nothing about their effect.
    fn evaluate(&self, e: &Expectation, state: &mut State, t0: f64, start: u64, t: f64) {
        let fresh = e
            .predicate
            .channels()
            .iter()
            .all(|(id, _)| self.store.get(*id).is_some_and(|r| r.order > start));
        if !fresh {
            return;
        }
        let value = e.predicate.eval(&|id| self.store.value(id));
        *state = match (e.window, value) {
            (Window::Within(_), Some(Value::Bool(true))) => State::Passed {
                reaction_s: Some(t - t0),
            },
            (Window::Within(_), _) => State::Pending { judged: true },
            (Window::For(_), Some(Value::Bool(true))) => State::Pending { judged: true },
            (Window::For(w), _) => State::Failed(self.broken(e, t0, w, t, value.is_none())),
        };
    }

    fn unjudged(&self, e: &Expectation, t0: f64, window: f64) -> String {
        format!(
            "expectation \"{}\" failed ({})\n  expected: {} for {}, from {} to {}\n  observed: no reading of every channel inside the window; last: {}",
            e.name,
            e.location,
            e.text,
            format_duration(window),
            fmt_t(t0),
            fmt_t(t0 + window),
            self.observed(e)
        )
    }

    /// The channels of an expectation with their current values.
    fn observed(&self, e: &Expectation) -> String {
        e.predicate
            .channels()
            .iter()
            .map(|(id, name)| match self.store.get(*id) {
                Some(r) => format!("{name} = {} (since {})", r.value, fmt_t(r.since)),
                None => format!("{name} has no reading"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn broken(&self, e: &Expectation, t0: f64, window: f64, t: f64, no_data: bool) -> String {
        format!(
            "expectation \"{}\" failed ({})\n  expected: {} for {}, from {} to {}\n  observed: {} at {} ({} into the window): {}",
            e.name,
            e.location,
            e.text,
            format_duration(window),
            fmt_t(t0),
            fmt_t(t0 + window),
            if no_data { "no data" } else { "false" },
            fmt_t(t),
            format_duration(((t - t0) * 1000.0).round() / 1000.0),
            self.observed(e)
        )
    }

    fn never_true(&self, e: &Expectation, t0: f64, window: f64) -> String {
        format!(
            "expectation \"{}\" failed ({})\n  expected: {} within {}, from {} to {}\n  observed: never true in the window; at its end {}",
            e.name,
            e.location,
            e.text,
            format_duration(window),
            fmt_t(t0),
            fmt_t(t0 + window),
            self.observed(e)
        )
    }

    async fn apply(&mut self, step: usize, action: &Action) -> Result<(), InstrumentFailure> {
        match action {
            Action::Source(settings) => {
                self.log.emit(EventKind::Action {
                    step,
                    description: describe_source(settings),
                });
                let (spec, source) = self
                    .instruments
                    .source
                    .as_ref()
                    .ok_or_else(|| failure("source", "not connected"))?;
                let mut s = source.lock().await;
                let name = spec.name.clone();
                let r = async {
                    // Limits before the voltage, the output last: a new voltage never
                    // meets the old, possibly larger, limits.
                    if let Some(a) = settings.current_limit {
                        s.set_current_limit(a).await?;
                    }
                    if let Some(a) = settings.sink_limit {
                        s.set_sink_limit(a).await?;
                    }
                    if let Some(v) = settings.voltage {
                        s.set_voltage(v).await?;
                    }
                    if let Some(o) = settings.output {
                        s.set_output(o).await?;
                    }
                    Ok::<(), super::roles::RoleError>(())
                }
                .await;
                r.map_err(|e| failure(&name, e))
            }
            Action::Chamber { setpoint_c, run } => {
                let mut parts = Vec::new();
                if let Some(t) = setpoint_c {
                    parts.push(format!("set point {}", Quantity::new(*t, Dim::Temperature)));
                }
                if let Some(r) = run {
                    parts.push(if *r {
                        "run".to_string()
                    } else {
                        "stop".to_string()
                    });
                }
                self.log.emit(EventKind::Action {
                    step,
                    description: format!("chamber: {}", parts.join(", ")),
                });
                let (spec, chamber) = self
                    .instruments
                    .chamber
                    .as_ref()
                    .ok_or_else(|| failure("chamber", "not connected"))?;
                let mut c = chamber.lock().await;
                let r = async {
                    if let Some(t) = setpoint_c {
                        c.set_point(*t).await?;
                    }
                    if let Some(r) = run {
                        c.set_running(*r).await?;
                    }
                    Ok::<(), rig_drivers::chamber::ChamberError>(())
                }
                .await;
                r.map_err(|e| failure(&spec.name, e))
            }
            Action::Rs485(command) => {
                let (name, commands) = self
                    .instruments
                    .rs485_commands
                    .as_ref()
                    .ok_or_else(|| failure("rs485", "not connected"))?;
                let (what, sampler_command) = match command {
                    crate::plan::Rs485Command::TurnOff => (
                        "0x95 turn off module",
                        super::samplers::Rs485Command::TurnOff,
                    ),
                };
                self.log.emit(EventKind::Action {
                    step,
                    description: format!("rs485: {what}"),
                });
                let (reply_tx, reply_rx) = tokio::sync::oneshot::channel();
                commands
                    .send((sampler_command, reply_tx))
                    .await
                    .map_err(|_| failure(name, "its link has ended"))?;
                match reply_rx.await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) => Err(failure(name, format!("{what}: {e}"))),
                    Err(_) => Err(failure(name, "its link has ended")),
                }
            }
            Action::Rs232 { line } => {
                let (spec, console) = self
                    .instruments
                    .rs232
                    .as_ref()
                    .ok_or_else(|| failure("rs232", "not connected"))?;
                self.log.emit(EventKind::Action {
                    step,
                    description: format!(
                        "rs232: send {line:?} + {}",
                        super::rs232::LINE_ENDING.escape_default()
                    ),
                });
                let name = spec.name.clone();
                console
                    .lock()
                    .await
                    .send_line(line)
                    .await
                    .map_err(|e| failure(&name, e))
            }
            Action::KeepAlive { on } => {
                let (bus, sender) = self
                    .instruments
                    .can_sender
                    .as_ref()
                    .ok_or_else(|| failure("bms", "not connected"))?;
                let description = match (*on, self.keepalive.take()) {
                    (true, Some(running)) => {
                        self.keepalive = Some(running);
                        "inverter keep-alive: on (already sending)".to_string()
                    }
                    (true, None) => {
                        self.keepalive =
                            Some(rig_drivers::can::KeepAlive::inverter(sender.clone()));
                        format!("inverter keep-alive: on, 0x305 every second on {bus}")
                    }
                    (false, Some(running)) => {
                        let report = running.stop().await;
                        if report.failed > 0 {
                            return Err(failure(
                                bus,
                                format!(
                                    "{} of {} keep-alive frames could not be sent",
                                    report.failed,
                                    report.sent + report.failed
                                ),
                            ));
                        }
                        format!("inverter keep-alive: off after {} frames", report.sent)
                    }
                    (false, None) => "inverter keep-alive: off (was not sending)".to_string(),
                };
                self.log.emit(EventKind::Action { step, description });
                Ok(())
            }
            Action::Relay { relay, op } => {
                let wire = self
                    .bench
                    .relays
                    .get(relay)
                    .ok_or_else(|| failure("rig", format!("relay {relay} is not wired")))?;
                let board_name = wire.board.clone();
                let number = wire.number;
                let (_, board) = self
                    .instruments
                    .boards
                    .get(&board_name)
                    .ok_or_else(|| failure(&board_name, "not connected"))?;
                let board = board.clone();
                let description = match op {
                    RelayOp::Close => format!("relay {relay}: close"),
                    RelayOp::Open => format!("relay {relay}: open"),
                    RelayOp::Pulse { seconds } => {
                        format!("relay {relay}: pulse for {}", format_duration(*seconds))
                    }
                };
                self.log.emit(EventKind::Action { step, description });
                let set = |closed: bool| {
                    let board = board.clone();
                    async move { board.lock().await.set_relay(number, closed).await }
                };
                match op {
                    RelayOp::Close => set(true).await.map_err(|e| failure(&board_name, e)),
                    RelayOp::Open => set(false).await.map_err(|e| failure(&board_name, e)),
                    RelayOp::Pulse { seconds } => {
                        set(true).await.map_err(|e| failure(&board_name, e))?;
                        let waited = self.pass_time(*seconds).await;
                        // Release even if a sampler failed meanwhile: a held button is not safe.
                        let released = set(false).await.map_err(|e| failure(&board_name, e));
                        waited?;
                        released
                    }
                }
            }
        }
    }
}

fn window_text(w: Window) -> String {
    match w {
        Window::Within(s) => format!("within {}", format_duration(s)),
        Window::For(s) => format!("for {}", format_duration(s)),
    }
}

fn describe_source(s: &SourceSettings) -> String {
    let mut parts = Vec::new();
    if let Some(a) = s.current_limit {
        parts.push(format!(
            "current limit {}",
            Quantity::new(a, crate::quantity::Dim::Current)
        ));
    }
    if let Some(a) = s.sink_limit {
        parts.push(format!(
            "sink limit {}",
            Quantity::new(a, crate::quantity::Dim::Current)
        ));
    }
    if let Some(v) = s.voltage {
        parts.push(format!(
            "voltage {}",
            Quantity::new(v, crate::quantity::Dim::Voltage)
        ));
    }
    if let Some(o) = s.output {
        parts.push(format!("output {}", if o { "on" } else { "off" }));
    }
    format!("source: {}", parts.join(", "))
}
