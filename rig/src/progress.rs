//! The terminal's progress display while plans run: a bar per running plan with its
//! step k/n, the simulated time, the wall time and what is left by the plan's waits and
//! windows. It is fed by the engine's `plan` and `step` spans (see [`crate::trace`]),
//! so the engine knows nothing of terminals, and it changes neither the event log nor
//! any output: it draws on stderr only, and only for a person at a terminal.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
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

    fn plan_bar(&self, fields: &Fields) -> ProgressBar {
        let style = ProgressStyle::with_template("{prefix:24!} [{bar:20}] {msg} · wall {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = self
            .bars
            .add(ProgressBar::new(fields.steps.max(1)).with_style(style));
        bar.set_prefix(fields.id.clone());
        bar.set_message("connecting");
        bar.enable_steady_tick(Duration::from_millis(500));
        bar
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

/// The message of a bar while step `f.step` of `steps` runs.
fn step_message(f: &Fields, steps: u64) -> String {
    format!(
        "step {}/{steps} · sim {} · at most {} to go · {}",
        f.step,
        format_duration(f.t_s.round()),
        format_duration(f.left_s.round()),
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
                    && let Some(bar) = plan.extensions().get::<ProgressBar>()
                {
                    let steps = bar.length().unwrap_or(0);
                    bar.set_position(fields.step.saturating_sub(1));
                    bar.set_message(step_message(&fields, steps));
                }
            }
            _ => {}
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(&id)
            && span.name() == "plan"
            && let Some(bar) = span.extensions().get::<ProgressBar>()
        {
            bar.finish_and_clear();
            self.bars.remove(bar);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shown;

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
