//! The step table and the reaction-time table of a plan's section in report.html,
//! with a long run of passing repeats folded into one row each (`step_fold`).

use std::collections::HashMap;

use maud::{Markup, html};

use crate::detail::{ExpectationRecord, ReactionTime, WindowKind};
use crate::event::Verdict;
use crate::format;
use crate::html::badge;
use crate::run::PlanData;
use crate::step_fold::{self, Fold, StepRow};
use crate::summary::StepSummary;

/// Every step, each followed by its expectations; a long run of passing repeats is
/// folded into one row (`step_fold`).
pub(crate) fn steps_table(p: &PlanData) -> Markup {
    let (s, d) = (&p.summary, &p.detail);
    let mut by_step: HashMap<usize, Vec<&ExpectationRecord>> = HashMap::new();
    for e in &d.expectations {
        by_step.entry(e.step).or_default().push(e);
    }
    html! {
        h3 id={"steps-" (s.plan_id)} { "Steps and expectations" }
        table {
            tr { th { "#" } th { "step / expectation" } th { "verdict" } th { "start" } th { "duration / window" } th { "reaction" } th { "margin" } th { "where" } }
            @for row in step_fold::rows(&s.steps) {
                @match row {
                    StepRow::Step(st) => {
                        (step_row(st))
                        @for e in by_step.get(&st.number).into_iter().flatten() { (expectation_row(e)) }
                    }
                    StepRow::Folded(fold) => (folded_row(&fold, &by_step)),
                }
            }
        }
    }
}

fn step_row(st: &StepSummary) -> Markup {
    html! {
        @if !st.reached {
            tr class="not-reached" {
                td class="num" { (st.number) }
                td { strong { (format::units_in_text(&st.name)) } }
                td { span class="v not-reached" { "not reached" } }
                td {} td {} td {} td {}
                td { code { (st.location) } }
            }
        } @else {
            tr {
                td class="num" { (st.number) }
                td { strong { (format::units_in_text(&st.name)) } }
                td { (badge(st.verdict)) }
                td class="num" { (format::duration(st.started_s)) }
                td class="num" { (format::duration(st.duration_s)) }
                td {} td {}
                td { code { (st.location) } }
            }
        }
    }
}

fn expectation_row(e: &ExpectationRecord) -> Markup {
    html! {
        tr class="exp" {
            td {}
            td { (format::units_in_text(&e.name)) br; code { (format::units_in_text(&e.condition)) } @if let Some(m) = &e.message { br; span class="muted" { (format::units_in_text(m)) } } }
            td { (badge(e.verdict)) }
            td class="num" { (format::duration(e.start_s)) }
            td class="num" { (e.window) }
            td class="num" { @if let Some(r) = e.reaction_s { (format::duration(r)) } }
            td class="num" { @if let (Some(r), Some(w), WindowKind::Within) = (e.reaction_s, e.window_s, e.window_kind) { (format::duration(w - r)) } }
            td { code { (e.location) } }
        }
    }
}

/// One row for a folded run: how many steps and expectations, all passed.
fn folded_row(fold: &Fold<'_>, by_step: &HashMap<usize, Vec<&ExpectationRecord>>) -> Markup {
    let expectations: usize = fold
        .steps
        .iter()
        .map(|st| by_step.get(&st.number).map_or(0, Vec::len))
        .sum();
    html! {
        tr class="folded" {
            td class="num" { (fold.first_number()) "–" (fold.last_number()) }
            td {
                strong { (fold.steps.len()) " more passes of the repeated steps" }
                br; span class="muted" { "with their " (expectations) " expectations, all passed; every step is in summary.json and junit.xml" }
            }
            td { (badge(Verdict::Pass)) }
            td class="num" { (format::duration(fold.started_s())) }
            td class="num" { (format::duration(fold.duration_s())) }
            td {} td {}
            td { @for (i, l) in fold.locations().into_iter().enumerate() { @if i > 0 { br; } code { (l) } } }
        }
    }
}

/// Reaction times of `within` expectations against their windows; those of a folded
/// run of steps are one row with their range and least margin.
pub(crate) fn reaction_times(p: &PlanData) -> Markup {
    let s = &p.summary;
    let reactions = p.detail.reaction_times();
    let fold_of = step_fold::fold_of(&step_fold::rows(&s.steps));
    let spans = fold_spans(&reactions, &fold_of);
    let mut shown = vec![false; spans.len()];
    html! {
        h3 id={"reactions-" (s.plan_id)} { "Reaction times" }
        @if reactions.is_empty() { p class="muted" { "No reaction times in this log." } } @else {
            table {
                tr { th { "step" } th { "expectation" } th { "reaction" } th { "limit" } th { "margin" } th { "verdict" } }
                @for m in &reactions {
                    @if let Some(&k) = fold_of.get(&m.step) {
                        @if !std::mem::replace(&mut shown[k], true) { (span_row(&spans[k])) }
                    } @else {
                        tr {
                            td class="num" { (m.step) } td { (format::units_in_text(&m.name)) }
                            td class="num" { (format::number(m.value_s)) " s" }
                            td class="num" { "≤ " (format::number(m.limit_s)) " s" }
                            td class="num" { (format::number(m.margin_s)) " s" }
                            td { (badge(m.verdict)) }
                        }
                    }
                }
            }
        }
    }
}

/// The reactions of one folded run of steps.
struct ReactionSpan {
    first_step: usize,
    last_step: usize,
    count: usize,
    least: f64,
    most: f64,
    least_margin: f64,
}

fn fold_spans(reactions: &[ReactionTime], fold_of: &HashMap<usize, usize>) -> Vec<ReactionSpan> {
    let mut spans: Vec<ReactionSpan> = Vec::new();
    for m in reactions {
        let Some(&k) = fold_of.get(&m.step) else {
            continue;
        };
        if spans.len() <= k {
            spans.resize_with(k + 1, || ReactionSpan {
                first_step: m.step,
                last_step: m.step,
                count: 0,
                least: f64::INFINITY,
                most: f64::NEG_INFINITY,
                least_margin: f64::INFINITY,
            });
        }
        let span = &mut spans[k];
        span.first_step = span.first_step.min(m.step);
        span.last_step = span.last_step.max(m.step);
        span.count += 1;
        span.least = span.least.min(m.value_s);
        span.most = span.most.max(m.value_s);
        span.least_margin = span.least_margin.min(m.margin_s);
    }
    spans
}

fn span_row(span: &ReactionSpan) -> Markup {
    html! {
        tr class="folded" {
            td class="num" { (span.first_step) "–" (span.last_step) }
            td { (span.count) " reactions of the folded steps" }
            td class="num" { (format::number(span.least)) " – " (format::number(span.most)) " s" }
            td {}
            td class="num" { "least " (format::number(span.least_margin)) " s" }
            td { (badge(Verdict::Pass)) }
        }
    }
}
