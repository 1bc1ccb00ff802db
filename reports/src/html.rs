//! `report.html`: one self-contained file (inline CSS, inline SVG plots, no scripts, no
//! external assets) that opens offline. maud checks the markup at compile time and
//! escapes every string from the log.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::clauses::Grounds;
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
th,td{border:1px solid #d8dee4;padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f0f3f6}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.exp td{background:#fbfcfd;font-size:12px}tr.exp td:first-child{border-left:3px solid #d0d7de}
tr.folded td{background:#f6f8fa;font-style:italic}
.v{display:inline-block;padding:0 7px;border-radius:10px;font-weight:600;font-size:12px;color:#fff;white-space:nowrap}
.v.pass{background:#1a7f37}.v.fail{background:#cf222e}.v.error{background:#bc4c00}.v.skipped{background:#8c959f}
.v.recorded{background:#0969da}.v.unmeasurable{background:#cf222e}
.banner{border-radius:6px;padding:8px 12px;margin:10px 0;font-weight:600}
.banner.incomplete{background:#fff8c5;border:1px solid #d4a72c}
.banner.fail{background:#ffebe9;border:1px solid #ff8182}
.expired{color:#cf222e}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13px;margin:6px 0}
dl.kv dt{color:#57606a}dl.kv dd{margin:0}
code{font-size:12px;background:#eff1f3;padding:0 3px;border-radius:3px}
.muted{color:#57606a}.plot{background:#fff;border:1px solid #d8dee4;margin:8px 0}
.plot svg{display:block;max-width:100%;height:auto}
.v.not-reached{background:#fff;color:#57606a;border:1px solid #8c959f}
.failure{border-left:4px solid #cf222e;background:#fff5f5;padding:6px 10px;margin:6px 0;font-size:13px}
.failure pre{white-space:pre-wrap;margin:4px 0;font-size:12px}
nav.index ul{display:flex;flex-wrap:wrap;gap:2px 14px;list-style:none;padding:0;margin:8px 0}
nav.index li{min-width:0;overflow-wrap:anywhere}
table.dut th{width:16em}
table.clauses td.grounds{font-size:12px;max-width:34em}
@media print{
@page{margin:15mm}
body,main,section.plan,table,th,td,.plot,.failure,.banner{background:#fff !important;color:#000 !important}
main{max-width:none;padding:0}
nav.index{display:none}
a{color:#000;text-decoration:none}
section.plan{border:none;border-radius:0;padding:0;margin:0;break-before:page;page-break-before:always}
h2,h3{break-after:avoid;page-break-after:avoid}
tr,.failure{break-inside:avoid;page-break-inside:avoid}
.plot{border:none;break-inside:avoid;page-break-inside:avoid}
.plot svg{width:100%;max-width:100%;height:auto}
.v{color:#000 !important;background:#fff !important;border:1px solid #000}
.muted{color:#000}
table.clauses{font-size:9px;table-layout:fixed}table.clauses td.grounds,table.clauses code{font-size:8px}
table.clauses td.num{white-space:normal}
table.clauses tr:first-child th:nth-child(1){width:9%}table.clauses tr:first-child th:nth-child(2){width:29%}
table.clauses tr:first-child th:nth-child(3),table.clauses tr:first-child th:nth-child(4){width:14%}
table.clauses tr:first-child th:nth-child(n+5){width:8.5%}
}
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
                (calibration_banner(run))
                (dut_header(run))
                nav class="index" { ul { @for p in &run.plans { li { a href={"#plan-" (p.summary.plan_id)} { (p.summary.plan_id) } } } } }
                (matrix_table(run))
                (summary_table(run))
                (clause_table(run))
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

pub(crate) fn badge(v: Verdict) -> Markup {
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

/// Per manual clause, the measurements whose limits rest on it: value, limits, margin
/// and verdict (see [`crate::clauses`]).
fn clause_table(run: &RunData) -> Markup {
    let rows = crate::clauses::rows(run);
    html! {
        @if !rows.is_empty() {
            h2 id="clauses" { "Manual clauses checked" }
            p class="muted" {
                "Each measured limit under the clause of the DUT's manual it rests on, as the DUT profile cites it: "
                "the manual's words, or the profile's assumption where the manual gives no figure. "
                "A measurement whose limits read two profile values is under both; limits written in the plan alone come last."
            }
            table class="clauses" {
                tr { th { "clause" } th { "profile value and grounds" } th { "plan" } th { "measurement" } th { "value" } th { "limits" } th { "margin" } th { "verdict" } }
                @for (i, r) in rows.iter().enumerate() {
                    @let m = r.measurement;
                    @let outcome = m.outcome();
                    @if i == 0 || rows[i - 1].dut != r.dut {
                        tr class="dut" { th colspan="8" { "DUT profile " (r.dut) } }
                    }
                    tr class={"clause " (outcome.word())} {
                        td { @match &r.clause { Some(c) => strong { (c) }, None => span class="muted" { "–" } } }
                        td class="grounds" {
                            @if let Some(b) = r.basis { code { (b.value) } br; }
                            @match r.grounds() {
                                Grounds::Manual(q) => (format::units_in_text(q)),
                                Grounds::Assumption(a) => span class="muted" { "assumption: " (format::units_in_text(a)) },
                                Grounds::Plan => span class="muted" { "limits written in the plan" },
                            }
                        }
                        td { a href={"#plan-" (r.plan)} { (r.plan) } }
                        td { (m.name) br; span class="muted" { "step " (m.step) } }
                        td class="num" { (m.value_text()) }
                        td class="num" { (m.limits_text()) }
                        td class="num" { (m.margin_text()) }
                        td { span class={"v " (outcome.word())} { (outcome.word()) } }
                    }
                }
            }
        }
    }
}

/// Every instrument a plan used past its calibration date, once, at the top.
fn calibration_banner(run: &RunData) -> Markup {
    let mut expired: Vec<String> = Vec::new();
    for p in &run.plans {
        for i in &p.detail.instruments {
            if let Some(c) = i.calibration.as_ref().filter(|c| c.expired) {
                let line = format!(
                    "{} (due {}{})",
                    i.instrument,
                    c.due,
                    if c.overridden {
                        ", used on --allow-expired-calibration"
                    } else {
                        ""
                    }
                );
                if !expired.contains(&line) {
                    expired.push(line);
                }
            }
        }
    }
    html! {
        @if !expired.is_empty() {
            div class="banner fail" id="calibration" {
                "Instruments past their calibration date: " (expired.join("; ")) ". "
                "Their readings are not traceable; plans tagged cert-precheck refuse them unless overridden."
            }
        }
    }
}

/// An instrument's calibration due date as the bench file gives it, flagged when the
/// run used it past that date (and whether the command line allowed that).
fn calibration(i: &crate::detail::Instrument) -> Markup {
    match &i.calibration {
        None => html! { span class="muted" { "not declared" } },
        Some(c) if !c.expired => html! { (c.due) },
        Some(c) => html! {
            (c.due) " " strong class="expired" { "EXPIRED" }
            @if c.overridden { " (used on --allow-expired-calibration)" }
        },
    }
}

/// The plans x profiles matrix of a run over several profiles: each cell the trial's
/// verdict, linked to its section, with a skip's reason as its tooltip.
fn matrix_table(run: &RunData) -> Markup {
    let Some(m) = crate::matrix::Matrix::of(run) else {
        return html! {};
    };
    html! {
        h2 id="matrix" { "Plans × DUT profiles" }
        table class="matrix" {
            tr { th { "plan" } @for d in &m.duts { th { (d) } } }
            @for plan in &m.plans {
                tr {
                    td { (plan) }
                    @for d in &m.duts {
                        @match m.cell(plan, d) {
                            Some(c) => td title=[c.message.as_deref()] {
                                a href={"#plan-" (plan) "::" (d)} { (badge(c.verdict)) }
                            },
                            None => td class="muted" { "–" },
                        }
                    }
                }
            }
        }
    }
}

/// What the log does not carry is said to be missing, never made up.
fn or_missing(v: Option<&str>) -> Markup {
    match v {
        Some(v) if !v.is_empty() => html! { (v) },
        _ => html! { span class="muted not-recorded" { "not recorded" } },
    }
}

/// The devices under test at the head of the report: each DUT profile of the run with
/// the model, serial and firmware as far as the logs carry them.
fn dut_header(run: &RunData) -> Markup {
    let mut ids: Vec<&str> = run
        .plans
        .iter()
        .map(|p| p.summary.dut_id.as_str())
        .collect();
    ids.dedup();
    ids.sort_unstable();
    ids.dedup();
    html! {
        h2 id="dut" { "Device under test" }
        @for id in &ids {
            @let plans: Vec<&PlanData> = run.plans.iter().filter(|p| p.summary.dut_id == *id).collect();
            // The first plan whose log carries a field gives it.
            @let field = |f: fn(&PlanData) -> Option<&str>| plans.iter().find_map(|p| f(p).filter(|v| !v.is_empty()));
            table class="dut" {
                tr { th { "DUT profile" } td { (or_missing(Some(id))) } }
                tr { th { "model" } td { (or_missing(field(|p| Some(p.summary.dut_model.as_str())))) } }
                tr { th { "model as the pack reports it" } td { (or_missing(field(|p| p.detail.dut.reported_model.as_deref()))) } }
                tr { th { "serial number" } td { (or_missing(field(|p| p.detail.dut.serial.as_deref()))) } }
                tr { th { "firmware" } td { (or_missing(field(|p| p.detail.dut.firmware.as_deref()))) } }
            }
        }
        p class="muted" { "From the event logs; \"not recorded\": no log of the run carries it." }
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
            (crate::html_steps::steps_table(p))
            (measurements(p))
            (crate::html_steps::reaction_times(p))
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
            tr { th { "instrument" } th { "driver" } th { "resource" } th { "identity" } th { "calibration due" } }
            @for i in &d.instruments { tr { td { (i.instrument) } td { (i.driver) } td { code { (i.resource) } } td { (format::units_in_text(&i.identity)) } td { (calibration(i)) } } }
        }
        @for pr in &d.protections {
            p class="muted" { (pr.instrument) ": OVP " (format::number(pr.ovp_v)) " V, OCP " (format::number(pr.ocp_a)) " A programmed and read back before any output was on." }
        }
    }
}

/// Failed expectations with what was expected, failed measurements, and the rig's errors.
fn failures(p: &PlanData) -> Markup {
    let (s, d) = (&p.summary, &p.detail);
    let failures: Vec<_> = d
        .expectations
        .iter()
        .filter(|e| e.verdict == Verdict::Fail)
        .collect();
    let failed: Vec<_> = d
        .measurements
        .iter()
        .filter(|m| m.verdict == Verdict::Fail)
        .collect();
    html! {
        @if !failures.is_empty() || !failed.is_empty() || !s.errors.is_empty() {
            h3 id={"failures-" (s.plan_id)} { "Failures" }
            @for e in &failures {
                div class="failure" {
                    strong { "step " (e.step) ": " (format::units_in_text(&e.name)) } " " span class="muted" { "(" (e.location) ")" }
                    div { "expected: " code { (format::units_in_text(&e.condition)) } " " (e.window) ", decided at " (format::duration(e.decided_s)) }
                    pre { (format::units_in_text(e.message.as_deref().unwrap_or("failed (the log gives no detail)"))) }
                }
            }
            @for m in &failed {
                div class="failure" {
                    strong { "step " (m.step) ": measurement " (m.name) } " " span class="muted" { "(" (m.location) ")" }
                    div { (m.value_text()) ", limits " (m.limits_text()) ", decided at " (format::duration(m.t)) }
                    @if let Some(msg) = &m.message { pre { (format::units_in_text(msg)) } }
                }
            }
            @for err in &s.errors { div class="failure" { strong { "rig error: " } (format::units_in_text(err)) } }
        }
    }
}

/// The plan's `measure:` values: value, limits, margin, verdict and the plan line.
fn measurements(p: &PlanData) -> Markup {
    let s = &p.summary;
    let ms = &p.detail.measurements;
    html! {
        h3 id={"measurements-" (s.plan_id)} { "Measurements" }
        @if ms.is_empty() { p class="muted" { "No measurements in this log." } } @else {
            table {
                tr { th { "step" } th { "measurement" } th { "value" } th { "limits" } th { "margin" } th { "verdict" } th { "where" } }
                @for m in ms {
                    @let outcome = m.outcome();
                    tr class={"measurement " (outcome.word())} {
                        td class="num" { (m.step) }
                        td { (m.name) " " span class="muted" { "(" (m.kind) ")" }
                            @if let Some(msg) = &m.message { br; span class="muted" { (format::units_in_text(msg)) } } }
                        td class="num" { (m.value_text()) }
                        td class="num" { (m.limits_text()) }
                        td class="num" { (m.margin_text()) }
                        td { span class={"v " (outcome.word())} { (outcome.word()) } }
                        td { code { (m.location) } }
                    }
                }
            }
            p class="muted" { "Margin: distance to the nearest limit, negative outside; with both limits also as % of the band width. Recorded: measured without limits. On the plot: a purple dashed line at each decision." }
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
                @for ss in &d.safe_states { tr { td { (ss.instrument) } td { (format::units_in_text(&ss.action)) } td { @if ss.ok { "ok" } @else { strong { "FAILED " } (ss.error.as_deref().unwrap_or("")) } } } }
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
