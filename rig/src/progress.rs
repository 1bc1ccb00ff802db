//! The terminal's progress display while plans run: a bar per running plan with its
//! step k/n, the simulated time, the wall time and what is left by the plan's waits and
//! windows. It is fed by the engine's `plan` and `step` spans (see [`crate::trace`]),
//! so the engine knows nothing of terminals, and it changes neither the event log nor
//! any output: it draws on stderr only, and only for a person at a terminal.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::LookupSpan;

use crate::plan::Step;
use crate::quantity::format_duration;

/// The target of the engine's spans that the display follows.
const TARGET: &str = "rig::runner";

/// Whether to draw the display: only for a person at a terminal, so never in CI
/// (`CI` set to anything but `false` or `0`, as CI services do), never when stdout or
/// stderr goes to a file or a pipe, and never with machine-read output (`--format
/// json`) or `--quiet`.
pub fn shown(ci: Option<&str>, stdout_tty: bool, stderr_tty: bool, machine_read: bool) -> bool {
    let in_ci = ci.is_some_and(|v| !matches!(v.trim(), "" | "false" | "0"));
    !in_ci && stdout_tty && stderr_tty && !machine_read
}

/// The most simulated time `steps` still take: each lasts its wait, or its longest
/// expectation or measurement window if that is longer (a `within:` window may close
/// early, so this is an upper bound; a step's timeout is not counted).
pub fn left(steps: &[Step]) -> Duration {
    steps
        .iter()
        .map(|s| {
            let windows = s.expectations.iter().map(|e| e.window.length());
            let measures = s.measurements.iter().map(|m| m.window.length());
            windows.chain(measures).fold(s.wait, Duration::max)
        })
        .sum()
}

/// The display as a `tracing` layer; see the module doc.
pub struct Progress {
    bars: MultiProgress,
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            bars: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        }
    }

    /// Only the engine's `plan` and `step` spans reach the layer, whatever `RUST_LOG`.
    pub fn layer<S>(self) -> impl Layer<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        self.with_filter(EngineSpans)
    }

    fn plan_bar(&self, fields: &Fields) -> PlanBar {
        let now = Arc::new(Mutex::new(Now {
            steps: fields.steps,
            real_time: fields.real_time,
            step: None,
        }));
        let shown = Arc::clone(&now);
        let style = ProgressStyle::with_template("{prefix:24!} [{bar:20}] {now} · wall {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key(
                "now",
                move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    if let Ok(now) = shown.lock() {
                        let _ = w.write_str(&now.text());
                    }
                },
            )
            .progress_chars("=> ");
        let bar = self
            .bars
            .add(ProgressBar::new(fields.steps.max(1)).with_style(style));
        bar.set_prefix(fields.id.clone());
        bar.enable_steady_tick(Duration::from_millis(500));
        PlanBar { bar, now }
    }
}

/// A plan's bar and what it shows, kept in the plan span's extensions.
struct PlanBar {
    bar: ProgressBar,
    now: Arc<Mutex<Now>>,
}

/// The running step of a plan, redrawn at every tick.
struct Now {
    steps: u64,
    /// A real bench: the run's time is the wall clock's, so the step's time and what
    /// is left move with it between steps. On the virtual bench they are as of the
    /// step's start (its time runs far faster than any redraw).
    real_time: bool,
    /// The step's span fields and the wall-clock moment it began.
    step: Option<(Fields, Instant)>,
}

impl Now {
    fn text(&self) -> String {
        match &self.step {
            None => "connecting".into(),
            Some((f, began)) => {
                let moved = if self.real_time {
                    began.elapsed().as_secs_f64()
                } else {
                    0.0
                };
                step_text(f, self.steps, moved)
            }
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

/// The engine's spans, nothing else.
struct EngineSpans;

impl<S> Filter<S> for EngineSpans {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        meta.is_span() && meta.target().starts_with(TARGET)
    }
}

/// What the layer reads from a span's fields.
#[derive(Default)]
struct Fields {
    id: String,
    steps: u64,
    step: u64,
    name: String,
    t_s: f64,
    left_s: f64,
    real_time: bool,
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "steps" => self.steps = value,
            "step" => self.step = value,
            _ => {}
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        match field.name() {
            "t_s" => self.t_s = value,
            "left_s" => self.left_s = value,
            _ => {}
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == "real_time" {
            self.real_time = value;
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "id" => self.id = format!("{value:?}"),
            "name" => self.name = format!("{value:?}"),
            _ => {}
        }
    }
}

/// What a bar says while step `f.step` of `steps` runs, `moved` seconds of the run's
/// time after the step began.
fn step_text(f: &Fields, steps: u64, moved: f64) -> String {
    format!(
        "step {}/{steps} · sim {} · at most {} to go · {}",
        f.step,
        format_duration((f.t_s + moved).round()),
        format_duration((f.left_s - moved).max(0.0).round()),
        f.name
    )
}

impl<S> Layer<S> for Progress
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let Some(span) = ctx.span(id) else { return };
        match attrs.metadata().name() {
            "plan" => {
                let bar = self.plan_bar(&fields);
                span.extensions_mut().insert(bar);
            }
            "step" => {
                let plan = span.scope().skip(1).find(|s| s.name() == "plan");
                if let Some(plan) = plan
                    && let Some(plan_bar) = plan.extensions().get::<PlanBar>()
                {
                    plan_bar.bar.set_position(fields.step.saturating_sub(1));
                    if let Ok(mut now) = plan_bar.now.lock() {
                        now.step = Some((fields, Instant::now()));
                    }
                }
            }
            _ => {}
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && span.name() == "plan"
            && let Some(plan_bar) = span.extensions().get::<PlanBar>()
        {
            plan_bar.bar.finish_and_clear();
            self.bars.remove(&plan_bar.bar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Fields, shown, step_text};

    #[test]
    fn a_step_says_where_the_plan_is_and_what_is_left() {
        let f = Fields {
            step: 3,
            name: "charge".into(),
            t_s: 600.0,
            left_s: 3600.0,
            ..Fields::default()
        };
        assert_eq!(
            step_text(&f, 7, 0.0),
            "step 3/7 · sim 10 min · at most 1 h to go · charge"
        );
        // 30 min into the step on a real bench; what is left never goes below zero.
        assert_eq!(
            step_text(&f, 7, 1800.0),
            "step 3/7 · sim 40 min · at most 30 min to go · charge"
        );
        assert!(step_text(&f, 7, 7200.0).contains("at most 0 s to go"));
    }

    #[test]
    fn shown_only_to_a_person_at_a_terminal() {
        assert!(shown(None, true, true, false));
        assert!(shown(Some("false"), true, true, false));
        assert!(shown(Some("0"), true, true, false));
        assert!(!shown(Some("true"), true, true, false), "CI=true");
        assert!(!shown(Some("1"), true, true, false), "CI=1");
        assert!(!shown(None, false, true, false), "stdout piped");
        assert!(!shown(None, true, false, false), "stderr piped");
        assert!(!shown(None, true, true, true), "--format json");
    }
}
