//! `report.html`: one self-contained file (inline CSS, inline SVG plots, no scripts, no
//! external assets) that opens offline. maud checks the markup at compile time and
//! escapes every string from the log.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::detail::WindowKind;
use crate::event::Verdict;
use crate::format;
use crate::run::{ExitCode, PlanData, ReportError, RunData};
use crate::series::MarkerKind;

const CSS: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1260px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0}h2{font-size:20px;margin:28px 0 6px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
section.plan{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:4px 16px 16px;margin:18px 0}
table{border-collapse:collapse;width:100%;font-size:13px;background:#fff}
th,td{border:1px solid #d8dee4;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f3f6}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.exp td{background:#fbfcfd;font-size:12px}tr.exp td:first-child{border-left:3px solid #d0d7de}
.v{display:inline-block;padding:0 7px;border-radius:10px;font-weight:600;font-size:12px;color:#fff}
.v.pass{background:#1a7f37}.v.fail{background:#cf222e}.v.error{background:#bc4c00}.v.skipped{background:#8c959f}
.banner{border-radius:6px;padding:8px 12px;margin:10px 0;font-weight:600}
.banner.incomplete{background:#fff8c5;border:1px solid #d4a72c}
.banner.fail{background:#ffebe9;border:1px solid #ff8182}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13px;margin:6px 0}
dl.kv dt{color:#57606a}dl.kv dd{margin:0}
code{font-size:12px;background:#eff1f3;padding:0 3px;border-radius:3px}
.muted{color:#57606a}.plot{overflow-x:auto;background:#fff;border:1px solid #d8dee4;margin:8px 0}
.plot svg{display:block}
.failure{border-left:4px solid #cf222e;background:#fff5f5;padding:6px 10px;margin:6px 0;font-size:13px}
.failure pre{white-space:pre-wrap;margin:4px 0;font-size:12px}
nav a{margin-right:12px}
"#;

/// The whole report. Fails only if a plot cannot be drawn.
pub fn render(run: &RunData, exit: ExitCode) -> Result<String, ReportError> {
    let mut plots = Vec::new();
    for p in &run.plans {
        let svg = crate::plot::svg(&p.detail).map_err(|source| ReportError::Plot {
            plan: p.summary.plan_id.clone(),
            source,
        })?;
        plots.push(strip_xml_declaration(svg));
    }
    let verdict = run.verdict();
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "rig report: " (verdict) " (" (run.dir.display()) ")" }
                style { (PreEscaped(CSS)) }
            }
            body { main {
                h1 { "rig run report " span class={"v " (verdict)} { (verdict) } }
                p class="muted" {
                    "Run folder " code { (run.dir.display()) } ", " (run.plans.len()) " plan(s). Exit code "
                    strong { (exit.code) }
                    @if !exit.observed { " (derived from the verdicts; re-rendered by rig report)" }
                    ". Rendered from the event logs alone."
                }
                @if run.incomplete() {
                    div class="banner incomplete" id="incomplete" {
                        "Incomplete run: at least one event log ends before run_finished (the run was killed or crashed). "
                        "Everything below is what the log recorded up to that point."
                    }
                }
                nav { @for p in &run.plans { a href={"#plan-" (p.summary.plan_id)} { (p.summary.plan_id) } } }
                (summary_table(run))
                @for (p, svg) in run.plans.iter().zip(&plots) { (plan_section(p, svg)) }
                p class="muted" { "rig-reports " (env!("CARGO_PKG_VERSION")) }
            } }
        }
    };
    Ok(page.into_string())
}

fn strip_xml_declaration(svg: String) -> String {
    match svg.find("<svg") {
        Some(i) => svg[i..].to_string(),
        None => svg,
    }
}

fn badge(v: Verdict) -> Markup {
    html! { span class={"v " (v)} { (v) } }
}

fn summary_table(run: &RunData) -> Markup {
    html! {
        h2 id="summary" { "Summary" }
        table {
            tr { th { "plan" } th { "title" } th { "DUT" } th { "verdict" } th { "steps passed" } th { "duration" } th { "clock" } th { "defects injected" } th { "event log" } }
            @for p in &run.plans {
                @let s = &p.summary;
                tr {
                    td { a href={"#plan-" (s.plan_id)} { (s.plan_id) } }
                    td { (s.title) }
                    td { (s.dut_id) br; span class="muted" { (s.dut_model) } }
                    td { (badge(s.verdict)) @if s.incomplete { " " strong { "incomplete" } } }
                    td class="num" { (s.steps.iter().filter(|st| st.verdict == Verdict::Pass).count()) " / " (s.steps.len()) }
                    td class="num" { (format::duration(s.duration_s)) }
                    td { @match p.detail.header.as_ref().map(|h| h.clock) {
                        Some(crate::event::Clock::Virtual) => "virtual",
                        Some(crate::event::Clock::Real) => "real",
                        None => "?",
                    } }
                    td { (s.defects.join(", ")) }
                    td { a href=(p.log_name) { (p.log_name) } }
                }
            }
        }
    }
}

fn or_missing(v: Option<&str>) -> Markup {
    match v {
        Some(v) if !v.is_empty() => html! { (v) },
        _ => html! { span class="muted" { "not reported in the log" } },
    }
}

fn plan_section(p: &PlanData, svg: &str) -> Markup {
    let s = &p.summary;
    html! {
        section class="plan" id={"plan-" (s.plan_id)} {
            h2 { (s.plan_id) " " (badge(s.verdict)) }
            p { (s.title) }
            @if let Some(m) = &s.message { p class="muted" { (m) } }
            (log_banner(p))
            (identity(p))
            (instruments(p))
            (failures(p))
            h3 id={"plot-" (s.plan_id)} { "Plot" }
            p class="muted" { "Shared time axis. Grey bands: alternate steps (numbered at the top). Red lines: protection trips; blue lines: wakes (bms.online rising). Red shading: a failed expectation's window, thick red line: the moment it failed. Every series is min/max-decimated per pixel column, so spikes keep their height." }
            div class="plot" { (PreEscaped(svg)) }
            (markers(p))
            (steps_table(p))
            (measurements(p))
            (safe_states(p))
        }
    }
}

/// What is wrong with the log itself: cut short, unreadable or missing lines.
fn log_banner(p: &PlanData) -> Markup {
    let (s, d) = (&p.summary, &p.detail);
    html! {
        @if s.incomplete {
            div class="banner incomplete" {
                "Incomplete: the log ends before run_finished (killed or crashed)"
                @if s.bad_lines > 0 { "; " (s.bad_lines) " unreadable line(s)" }
                @if d.seq_gaps > 0 { "; " (d.seq_gaps) " line(s) missing (gaps in seq)" }
                "."
            }
        } @else if s.bad_lines > 0 || d.seq_gaps > 0 {
            div class="banner incomplete" { (s.bad_lines) " unreadable line(s), " (d.seq_gaps) " missing line(s) in the log." }
        }
    }
}

/// The DUT as it identified itself, and the plan.
fn identity(p: &PlanData) -> Markup {
    let (s, d) = (&p.summary, &p.detail);
    html! {
        h3 id={"identity-" (s.plan_id)} { "DUT and plan" }
        dl class="kv" {
            dt { "DUT" } dd { (s.dut_id) " — " (s.dut_model) }
            dt { "serial" } dd { (or_missing(d.dut.serial.as_deref())) }
            dt { "BMS firmware" } dd { (or_missing(d.dut.firmware.as_deref())) }
            dt { "BMS link" } dd { (or_missing(d.dut.link.as_deref())) }
            dt { "plan file" } dd { code { (s.plan_file) } }
            dt { "plan content hash" } dd { code { (s.plan_hash) } }
            @if let Some(h) = &d.header {
                dt { "tags" } dd { (h.tags.join(", ")) }
                dt { "rig" } dd { (h.rig_version) " (log format " (h.format_version) ")" }
            }
            dt { "bench" } dd { (s.bench) }
            @if !s.defects.is_empty() { dt { "defects injected" } dd { strong { (s.defects.join(", ")) } } }
            dt { "event log" } dd { a href=(p.log_name) { (p.log_name) } " (" (d.event_count) " events)" }
        }
    }
}

/// The instruments and the protection programmed into them.
fn instruments(p: &PlanData) -> Markup {
    let (s, d) = (&p.summary, &p.detail);
    html! {
        h3 id={"bench-" (s.plan_id)} { "Bench and instruments" }
        table {
            tr { th { "instrument" } th { "driver" } th { "resource" } th { "identity" } }
            @for i in &d.instruments { tr { td { (i.instrument) } td { (i.driver) } td { code { (i.resource) } } td { (i.identity) } } }
        }
        @for pr in &d.protections {
            p class="muted" { (pr.instrument) ": OVP " (format::number(pr.ovp_v)) " V, OCP " (format::number(pr.ocp_a)) " A programmed and read back before any output was on." }
        }
    }
}

/// Failed expectations with what was expected, and the rig's errors.
fn failures(p: &PlanData) -> Markup {
    let (s, d) = (&p.summary, &p.detail);
    let failures: Vec<_> = d
        .expectations
        .iter()
        .filter(|e| e.verdict == Verdict::Fail)
        .collect();
    html! {
        @if !failures.is_empty() || !s.errors.is_empty() {
            h3 id={"failures-" (s.plan_id)} { "Failures" }
            @for e in &failures {
                div class="failure" {
                    strong { "step " (e.step) ": " (e.name) } " " span class="muted" { "(" (e.location) ")" }
                    div { "expected: " code { (e.condition) } " " (e.window) ", decided at " (format::duration(e.decided_s)) }
                    pre { (e.message.as_deref().unwrap_or("failed (the log gives no detail)")) }
                }
            }
            @for err in &s.errors { div class="failure" { strong { "rig error: " } (err) } }
        }
    }
}

/// Every step, each followed by its expectations.
fn steps_table(p: &PlanData) -> Markup {
    let (s, d) = (&p.summary, &p.detail);
    html! {
        h3 id={"steps-" (s.plan_id)} { "Steps and expectations" }
        table {
            tr { th { "#" } th { "step / expectation" } th { "verdict" } th { "start" } th { "duration / window" } th { "reaction" } th { "margin" } th { "where" } }
            @for st in &s.steps {
                tr {
                    td class="num" { (st.number) }
                    td { strong { (st.name) } }
                    td { (badge(st.verdict)) }
                    td class="num" { (format::duration(st.started_s)) }
                    td class="num" { (format::duration(st.duration_s)) }
                    td {} td {}
                    td { code { (st.location) } }
                }
                @for e in d.expectations.iter().filter(|e| e.step == st.number) {
                    tr class="exp" {
                        td {}
                        td { (e.name) br; code { (e.condition) } @if let Some(m) = &e.message { br; span class="muted" { (m) } } }
                        td { (badge(e.verdict)) }
                        td class="num" { (format::duration(e.start_s)) }
                        td class="num" { (e.window) }
                        td class="num" { @if let Some(r) = e.reaction_s { (format::duration(r)) } }
                        td class="num" { @if let (Some(r), Some(w), WindowKind::Within) = (e.reaction_s, e.window_s, e.window_kind) { (format::duration(w - r)) } }
                        td { code { (e.location) } }
                    }
                }
            }
        }
    }
}

/// Reaction times against their windows.
fn measurements(p: &PlanData) -> Markup {
    let s = &p.summary;
    let measurements = p.detail.measurements();
    html! {
        h3 id={"measurements-" (s.plan_id)} { "Measurements" }
        @if measurements.is_empty() { p class="muted" { "No reaction times in this log." } } @else {
            table {
                tr { th { "step" } th { "measurement (reaction time)" } th { "value" } th { "limit" } th { "margin" } th { "verdict" } }
                @for m in &measurements {
                    tr {
                        td class="num" { (m.step) } td { (m.name) }
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

/// How each instrument was left.
fn safe_states(p: &PlanData) -> Markup {
    let d = &p.detail;
    html! {
        @if !d.safe_states.is_empty() {
            h3 { "Safe state at the end" }
            table {
                tr { th { "instrument" } th { "action" } th { "result" } }
                @for ss in &d.safe_states { tr { td { (ss.instrument) } td { (ss.action) } td { @if ss.ok { "ok" } @else { strong { "FAILED " } (ss.error.as_deref().unwrap_or("")) } } } }
            }
        }
    }
}

fn markers(p: &PlanData) -> Markup {
    let d = &p.detail;
    let trips: Vec<_> = d
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Trip)
        .collect();
    let wakes: Vec<_> = d
        .markers
        .iter()
        .filter(|m| m.kind == MarkerKind::Wake)
        .collect();
    let list = |ms: &[&crate::series::Marker]| -> String {
        let shown: Vec<String> = ms
            .iter()
            .take(40)
            .map(|m| format!("{} at {}", m.label, format::duration(m.t)))
            .collect();
        let more = ms.len().saturating_sub(40);
        if more > 0 {
            format!("{} and {more} more", shown.join(", "))
        } else {
            shown.join(", ")
        }
    };
    html! {
        p id={"markers-" (p.summary.plan_id)} {
            strong { (trips.len()) " trip(s)" } @if !trips.is_empty() { ": " (list(&trips)) } ". "
            strong { (wakes.len()) " wake(s)" } @if !wakes.is_empty() { ": " (list(&wakes)) } "."
        }
    }
}
