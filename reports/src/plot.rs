//! The plan's plot: stacked panels on one shared time axis, drawn with plotters into an
//! SVG string (embedded in the HTML report) or a PNG file (`rig report --png`).
//!
//! Panels, top to bottom: one per unit of the numeric channels (voltage, current,
//! temperature, SOC, then any other unit), the flags (protection flags, enables, dry
//! contacts, relays, `bms.online`) as lanes, and the expectation windows as bars
//! coloured by verdict. Every panel shades the steps as alternating bands, shades a
//! failed expectation's window red and draws a line at each trip and wake, and a
//! dashed one at each measurement (named in the top panel). Every
//! series is decimated to one min/max bucket per pixel column first.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::decimate;
use crate::detail::{ExpectationRecord, PlanDetail};
use crate::event::Verdict;
use crate::format;
use crate::series::{Marker, MarkerKind, Series, SeriesKind};

/// Width of a plot in pixels; the bucket count of the decimation follows from it.
pub const WIDTH: u32 = 1200;
const LABEL_AREA: u32 = 90;
const MARGIN: u32 = 10;
/// The column right of the data where the legends go, so no legend hides data.
const LEGEND_W: u32 = 270;
/// The data area's left and right edges in pixels, in every panel.
pub const PLOT_LEFT: u32 = MARGIN + LABEL_AREA;
pub const PLOT_RIGHT: u32 = WIDTH - LEGEND_W;
const NUMBER_PANEL: u32 = 200;
/// One legend line.
const LEGEND_LINE: u32 = 17;
const FLAG_LANE: u32 = 20;
const EXPECTATION_LANE: u32 = 12;
const X_AXIS: u32 = 30;
pub(crate) const FONT: &str = "sans-serif";
/// Font sizes as plotters takes them (the SVG says about 0.8 of these in px).
const CAPTION_SIZE: f64 = 18.0;
pub(crate) const TEXT_SIZE: f64 = 15.0;

static FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

#[derive(Debug, thiserror::Error)]
#[error("cannot draw the plot: {message}")]
pub struct PlotError {
    message: String,
}

impl PlotError {
    pub(crate) fn from<E: std::fmt::Display>(e: E) -> PlotError {
        PlotError {
            message: e.to_string(),
        }
    }
}

/// plotters with ab_glyph draws no text, not even in SVG, until a font is registered.
pub(crate) fn register_font() -> Result<(), PlotError> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::from(
            "the embedded DejaVu Sans font did not load",
        ))
    }
}

enum Panel<'a> {
    Numbers {
        title: String,
        series: Vec<&'a Series>,
    },
    Flags(Vec<&'a Series>),
    Expectations(Vec<Vec<&'a ExpectationRecord>>),
}

impl Panel<'_> {
    fn height(&self) -> u32 {
        X_AXIS
            + match self {
                Panel::Numbers { series, .. } => {
                    NUMBER_PANEL.max(40 + LEGEND_LINE * series.len() as u32)
                }
                Panel::Flags(f) => 24 + FLAG_LANE * f.len() as u32,
                Panel::Expectations(lanes) => 24 + EXPECTATION_LANE * lanes.len() as u32,
            }
    }
}

/// Which numbers panel a series goes to: its unit, and a group that keeps small
/// quantities off the pack's scale (cell voltages next to a 56 V pack would flatten
/// both). `None`: not plotted (a unitless constant; single cells, whose spread and
/// extremes are plotted instead).
fn panel_key(s: &Series) -> Option<(&str, &'static str)> {
    if s.unit.is_empty() && !s.changes() {
        return None;
    }
    let is_single_cell = s
        .channel
        .rsplit_once(".cell_")
        .is_some_and(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
    if is_single_cell {
        return None;
    }
    Some((
        s.unit.as_str(),
        if s.channel.contains(".cell_voltage") {
            "cell"
        } else {
            ""
        },
    ))
}

/// The panels a plan's plot has, with the channels each shows.
fn panels(d: &PlanDetail) -> Vec<Panel<'_>> {
    let mut out = Vec::new();
    let mut keys: Vec<(&str, &'static str)> = Vec::new();
    for s in d.series.iter().filter(|s| s.kind == SeriesKind::Number) {
        if let Some(key) = panel_key(s)
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    keys.sort_by_key(|(unit, group)| (unit_rank(unit), *group));
    for key in keys {
        let series: Vec<&Series> = d
            .series
            .iter()
            .filter(|s| s.kind == SeriesKind::Number && panel_key(s) == Some(key))
            .collect();
        let title = match key {
            ("V", "cell") => "cell voltages: spread and extremes [V]".to_string(),
            (unit, _) => unit_title(unit, &series),
        };
        out.push(Panel::Numbers { title, series });
    }
    let mut flags: Vec<&Series> = d
        .series
        .iter()
        .filter(|s| s.kind == SeriesKind::Flag && (s.changes() || flag_rank(&s.channel) >= 3))
        .collect();
    flags.sort_by_key(|s| std::cmp::Reverse(flag_rank(&s.channel)));
    if !flags.is_empty() {
        out.push(Panel::Flags(flags));
    }
    let lanes = pack_lanes(&d.expectations, d.end_s);
    if !lanes.is_empty() {
        out.push(Panel::Expectations(lanes));
    }
    out
}

/// Flags that the plot always shows rank 3 and above; higher ranks are drawn on top.
fn flag_rank(channel: &str) -> u8 {
    if channel.contains("protection") {
        6
    } else if channel == "bms.online" {
        5
    } else if channel.starts_with("dio.") {
        4
    } else if channel.starts_with("relays.") || channel == "source.output" {
        3
    } else {
        1
    }
}

fn unit_rank(unit: &str) -> u8 {
    match unit {
        "V" => 0,
        "A" => 1,
        "degC" => 2,
        "%" => 3,
        "" => 5,
        _ => 4,
    }
}

/// What a numbers panel shows, in words, with its unit.
fn unit_title(unit: &str, series: &[&Series]) -> String {
    let periods = series.iter().all(|s| s.channel.starts_with("bms.period."));
    match unit {
        "V" => "voltages: source and pack [V]".into(),
        "A" => "currents: source and pack [A]".into(),
        "degC" => "temperatures: chamber and pack [°C]".into(),
        "%" => "state of charge and health [%]".into(),
        "Ah" => "capacities [Ah]".into(),
        "s" if periods => "time between CAN frames, per message [s]".into(),
        "s" => "times [s]".into(),
        "" => "values without a unit".into(),
        u => format!("values in {}", format::unit(u)),
    }
}

/// Expectation windows packed into as few lanes as possible without overlap.
fn pack_lanes(exps: &[ExpectationRecord], end: f64) -> Vec<Vec<&ExpectationRecord>> {
    let gap = end.max(1.0) / f64::from(WIDTH) * 2.0;
    let mut sorted: Vec<&ExpectationRecord> = exps.iter().collect();
    sorted.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    let mut lanes: Vec<(f64, Vec<&ExpectationRecord>)> = Vec::new();
    for e in sorted {
        match lanes.iter_mut().find(|(free, _)| *free <= e.start_s) {
            Some(lane) => {
                lane.0 = e.end_s() + gap;
                lane.1.push(e);
            }
            None => lanes.push((e.end_s() + gap, vec![e])),
        }
    }
    lanes.into_iter().map(|(_, l)| l).collect()
}

const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];
const PASS: RGBColor = RGBColor(46, 160, 67);
const FAIL: RGBColor = RGBColor(207, 34, 46);
const SKIP: RGBColor = RGBColor(150, 150, 150);
const TRIP: RGBColor = RGBColor(207, 34, 46);
const WAKE: RGBColor = RGBColor(9, 105, 218);
const BAND: RGBColor = RGBColor(240, 240, 244);
/// The narrowest step band drawn, in pixels.
const MIN_BAND_PX: f64 = 2.0;
/// The step numbers' colour; tests find them by it.
pub const STEP_LABEL: RGBColor = RGBColor(90, 90, 90);

/// Size of the plot of a plan, in pixels.
pub fn size(d: &PlanDetail) -> (u32, u32) {
    let h: u32 = panels(d).iter().map(Panel::height).sum();
    (WIDTH, h.max(60))
}

/// The plot as an SVG document.
pub fn svg(d: &PlanDetail) -> Result<String, PlotError> {
    register_font()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size(d)).into_drawing_area();
        draw(&root, d)?;
        root.present().map_err(PlotError::from)?;
    }
    Ok(crate::svg_thin::thin(&buf))
}

/// The plot as a PNG file.
pub fn png(d: &PlanDetail, path: &std::path::Path) -> Result<(), PlotError> {
    register_font()?;
    let root = BitMapBackend::new(path, size(d)).into_drawing_area();
    draw(&root, d)?;
    root.present().map_err(PlotError::from)
}

/// The time axis's unit: hours for long runs, minutes for medium ones, so that the
/// ticks plotters picks are round numbers in the unit the engineer reads.
fn axis_unit(end_s: f64) -> (f64, &'static str) {
    if end_s > 4.0 * 3600.0 {
        (3600.0, "h")
    } else if end_s > 600.0 {
        (60.0, "min")
    } else {
        (1.0, "s")
    }
}

/// A copy of the plan with every time divided by `k`.
fn rescaled(d: &PlanDetail, k: f64) -> PlanDetail {
    let mut d = d.clone();
    d.end_s /= k;
    for s in &mut d.series {
        for p in &mut s.points {
            p.0 /= k;
        }
    }
    for m in &mut d.markers {
        m.t /= k;
    }
    for m in &mut d.measurements {
        m.t /= k;
    }
    for st in &mut d.steps {
        st.2 /= k;
        st.3 /= k;
    }
    for e in &mut d.expectations {
        e.start_s /= k;
        e.decided_s /= k;
        e.window_s = e.window_s.map(|w| w / k);
        e.reaction_s = e.reaction_s.map(|r| r / k);
    }
    d
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    d: &PlanDetail,
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(PlotError::from)?;
    let (k, unit) = axis_unit(d.end_s);
    let scaled;
    let d = if k == 1.0 {
        d
    } else {
        scaled = rescaled(d, k);
        &scaled
    };
    let panels = panels(d);
    if panels.is_empty() {
        root.draw(&Text::new(
            "no samples in the log",
            (20, 20),
            (FONT, 14).into_font(),
        ))
        .map_err(PlotError::from)?;
        return Ok(());
    }
    let mut breaks = Vec::new();
    let mut y = 0;
    for p in &panels[..panels.len() - 1] {
        y += p.height() as i32;
        breaks.push(y);
    }
    let areas = root.split_by_breakpoints([] as [i32; 0], breaks);
    let end = d.end_s.max(1.0);
    for (i, (panel, area)) in panels.iter().zip(&areas).enumerate() {
        let ctx = Context {
            d,
            end,
            first: i == 0,
            unit,
        };
        match panel {
            Panel::Numbers { title, series } => ctx.numbers(area, title, series)?,
            Panel::Flags(flags) => ctx.flags(area, flags)?,
            Panel::Expectations(lanes) => ctx.expectations(area, lanes)?,
        }
    }
    Ok(())
}

pub(crate) type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

struct Context<'d> {
    d: &'d PlanDetail,
    end: f64,
    first: bool,
    /// The time axis's unit.
    unit: &'static str,
}

impl Context<'_> {
    fn chart<'a, DB: DrawingBackend>(
        &self,
        area: &'a DrawingArea<DB, Shift>,
        title: &str,
        y: std::ops::Range<f64>,
        y_labels: bool,
    ) -> Result<Chart<'a, DB>, PlotError> {
        let mut chart = ChartBuilder::on(area)
            .margin_left(MARGIN)
            .margin_right(LEGEND_W)
            .margin_top(6)
            .x_label_area_size(X_AXIS)
            .y_label_area_size(LABEL_AREA)
            .caption(title, (FONT, CAPTION_SIZE))
            .build_cartesian_2d(0.0..self.end, y)
            .map_err(PlotError::from)?;
        let unit = self.unit;
        let x_fmt = |x: &f64| format!("{} {unit}", format::number(*x));
        let y_fmt = |v: &f64| format::number(*v);
        let mut mesh = chart.configure_mesh();
        mesh.x_labels(10)
            .x_label_formatter(&x_fmt)
            .label_style((FONT, TEXT_SIZE))
            .light_line_style(RGBColor(235, 235, 235))
            // One light line between labelled ones: plotters' default ten were a third
            // of the suite's report.html, and finer than anyone reads off a plot.
            .max_light_lines(1)
            .bold_line_style(RGBColor(215, 215, 215));
        if y_labels {
            mesh.y_labels(6).y_label_formatter(&y_fmt);
        } else {
            mesh.y_labels(0).disable_y_mesh();
        }
        mesh.draw().map_err(PlotError::from)?;
        Ok(chart)
    }

    /// Step bands, failed windows and trip/wake lines behind the data.
    fn background<DB: DrawingBackend>(
        &self,
        chart: &mut Chart<'_, DB>,
        y0: f64,
        y1: f64,
    ) -> Result<(), PlotError> {
        // A band narrower than MIN_BAND_PX cannot be told from its neighbours (10,000
        // one-second steps drew 55,000 rectangles); it is left out.
        let px = f64::from(PLOT_RIGHT - PLOT_LEFT) / self.end;
        let bands = self
            .d
            .steps
            .iter()
            .enumerate()
            .filter(|(i, s)| i % 2 == 1 && (s.3 - s.2) * px >= MIN_BAND_PX)
            .map(|(_, s)| Rectangle::new([(s.2, y0), (s.3.max(s.2), y1)], BAND.filled()));
        chart.draw_series(bands).map_err(PlotError::from)?;
        let failed = self
            .d
            .expectations
            .iter()
            .filter(|e| e.verdict == Verdict::Fail)
            .map(|e| {
                Rectangle::new(
                    [
                        (e.start_s, y0),
                        (e.end_s().max(e.start_s + self.end / f64::from(WIDTH)), y1),
                    ],
                    FAIL.mix(0.15).filled(),
                )
            });
        chart.draw_series(failed).map_err(PlotError::from)?;
        let failed_at = self
            .d
            .expectations
            .iter()
            .filter(|e| e.verdict == Verdict::Fail)
            .map(|e| {
                PathElement::new(
                    vec![(e.decided_s, y0), (e.decided_s, y1)],
                    FAIL.stroke_width(2),
                )
            });
        chart.draw_series(failed_at).map_err(PlotError::from)?;
        let lines = self
            .d
            .markers
            .iter()
            .filter(|m| matches!(m.kind, MarkerKind::Trip | MarkerKind::Wake))
            .map(|m| {
                let colour = if m.kind == MarkerKind::Trip {
                    TRIP
                } else {
                    WAKE
                };
                PathElement::new(vec![(m.t, y0), (m.t, y1)], colour.mix(0.6).stroke_width(1))
            });
        chart.draw_series(lines).map_err(PlotError::from)?;
        let px = |t: f64| self.pixel(t);
        crate::plot_measure::marks(
            chart,
            &self.d.measurements,
            (self.end, px),
            self.first,
            y0..y1,
        )?;
        if self.first {
            self.step_labels(chart, y1)?;
        }
        Ok(())
    }

    /// Step numbers on one row along the top of the first panel.
    fn step_labels<DB: DrawingBackend>(
        &self,
        chart: &mut Chart<'_, DB>,
        y1: f64,
    ) -> Result<(), PlotError> {
        // Step numbers on one row; one that would overprint its neighbour is left
        // out (its band is still there).
        let spans: Vec<(f64, f64)> = self
            .d
            .steps
            .iter()
            .map(|s| {
                let w = crate::plot_labels::text_width(&s.0.to_string(), TEXT_SIZE);
                (self.pixel(s.2) + 2.0, w)
            })
            .collect();
        let rows = crate::plot_labels::assign_rows(&spans, 1);
        let labels = self
            .d
            .steps
            .iter()
            .zip(rows)
            .filter(|(_, row)| row.is_some())
            .map(|(s, _)| {
                EmptyElement::at((s.2, y1))
                    + Text::new(
                        s.0.to_string(),
                        (2, 2),
                        (FONT, TEXT_SIZE).into_font().color(&STEP_LABEL),
                    )
            });
        chart.draw_series(labels).map_err(PlotError::from)?;
        Ok(())
    }

    fn numbers<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        title: &str,
        series: &[&Series],
    ) -> Result<(), PlotError> {
        let buckets = (PLOT_RIGHT - PLOT_LEFT) as usize;
        let min_dx = self.end / buckets as f64;
        let decimated: Vec<Vec<(f64, f64)>> = series
            .iter()
            .map(|s| {
                decimate::to_steps(
                    &decimate::min_max(&s.points, 0.0, self.end, buckets),
                    self.end,
                    min_dx,
                )
            })
            .collect();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for p in decimated.iter().flatten() {
            lo = lo.min(p.1);
            hi = hi.max(p.1);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        let pad = if hi > lo {
            (hi - lo) * 0.08
        } else {
            lo.abs().max(1.0) * 0.05
        };
        let (y0, y1) = (lo - pad, hi + pad * 2.5);
        let mut chart = self.chart(area, title, y0..y1, true)?;
        self.background(&mut chart, y0, y1)?;
        for (i, (s, points)) in series.iter().zip(decimated).enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            chart
                .draw_series(LineSeries::new(
                    points,
                    colour.stroke_width(if i == 0 { 2 } else { 1 }),
                ))
                .map_err(PlotError::from)?;
            legend_entry(area, i, &s.channel, colour)?;
        }
        Ok(())
    }

    fn flags<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        flags: &[&Series],
    ) -> Result<(), PlotError> {
        let n = flags.len() as f64;
        let mut chart = self.chart(
            area,
            "flags: protection, enables, dry contacts, relays",
            0.0..n,
            false,
        )?;
        self.background(&mut chart, 0.0, n)?;
        let px = self.end / f64::from(PLOT_RIGHT - PLOT_LEFT);
        for (i, s) in flags.iter().enumerate() {
            let top = n - i as f64;
            let colour = if s.channel.contains("protection") {
                TRIP
            } else if s.channel == "bms.online" {
                WAKE
            } else {
                COLOURS[2]
            };
            let on = decimate::merge_intervals(&s.true_intervals(self.end), px, px);
            chart
                .draw_series(on.into_iter().map(|(a, b)| {
                    Rectangle::new([(a, top - 0.2), (b, top - 0.8)], colour.mix(0.75).filled())
                }))
                .map_err(PlotError::from)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, top - 0.8), (self.end, top - 0.8)],
                    RGBColor(200, 200, 200),
                )))
                .map_err(PlotError::from)?;
            let (_, y) = chart.backend_coord(&(0.0, top - 0.5));
            let base = area.get_base_pixel();
            // The lane's name goes right of the data, where the legends are.
            area.draw(&Text::new(
                lane_name(&s.channel),
                (PLOT_RIGHT as i32 + 8, y - base.1 - 7),
                (FONT, TEXT_SIZE).into_font(),
            ))
            .map_err(PlotError::from)?;
        }
        self.marker_labels(&mut chart, n)
    }

    /// A dot at every trip and wake on the top lane, and its name where it fits on one
    /// of two rows (the red and blue lines say the rest).
    fn marker_labels<DB: DrawingBackend>(
        &self,
        chart: &mut Chart<'_, DB>,
        n: f64,
    ) -> Result<(), PlotError> {
        let shown: Vec<_> = self
            .d
            .markers
            .iter()
            .filter(|m| matches!(m.kind, MarkerKind::Trip | MarkerKind::Wake))
            .collect();
        let spans: Vec<(f64, f64)> = shown
            .iter()
            .map(|m| {
                let w = crate::plot_labels::text_width(&m.label, TEXT_SIZE);
                (self.pixel(m.t) + 4.0, w)
            })
            .collect();
        let rows = crate::plot_labels::assign_rows(&spans, 2);
        let colour = |m: &Marker| {
            if m.kind == MarkerKind::Trip {
                TRIP
            } else {
                WAKE
            }
        };
        let dots = shown
            .iter()
            .map(|m| EmptyElement::at((m.t, n)) + Circle::new((0, 0), 3, colour(m).filled()));
        chart.draw_series(dots).map_err(PlotError::from)?;
        let labels = shown.iter().zip(rows).filter_map(|(m, row)| {
            Some(
                EmptyElement::at((m.t, n))
                    + Text::new(
                        m.label.clone(),
                        (4, 2 + row? as i32 * 14),
                        (FONT, TEXT_SIZE).into_font().color(&colour(m)),
                    ),
            )
        });
        chart.draw_series(labels).map_err(PlotError::from)?;
        Ok(())
    }

    /// The pixel column of time `t` (in the axis's unit).
    fn pixel(&self, t: f64) -> f64 {
        f64::from(PLOT_LEFT) + t / self.end * f64::from(PLOT_RIGHT - PLOT_LEFT)
    }

    fn expectations<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        lanes: &[Vec<&ExpectationRecord>],
    ) -> Result<(), PlotError> {
        let n = lanes.len() as f64;
        let mut chart = self.chart(
            area,
            "expectation windows (green pass, red fail, grey not decided; tick: reaction)",
            0.0..n,
            false,
        )?;
        self.background(&mut chart, 0.0, n)?;
        let px = self.end / f64::from(PLOT_RIGHT - PLOT_LEFT);
        for (i, lane) in lanes.iter().enumerate() {
            let top = n - i as f64;
            let bars = crate::plot_lanes::bars(lane, px).into_iter().map(|b| {
                let colour = match b.verdict {
                    Verdict::Pass => PASS,
                    Verdict::Fail | Verdict::Error => FAIL,
                    Verdict::Skipped => SKIP,
                };
                Rectangle::new(
                    [(b.start, top - 0.15), (b.end, top - 0.85)],
                    colour.mix(0.55).filled(),
                )
            });
            chart.draw_series(bars).map_err(PlotError::from)?;
            let ticks = crate::plot_lanes::ticks(lane, px).into_iter().map(|t| {
                PathElement::new(
                    vec![(t, top - 0.05), (t, top - 0.95)],
                    BLACK.stroke_width(1),
                )
            });
            chart.draw_series(ticks).map_err(PlotError::from)?;
        }
        Ok(())
    }
}

/// `bms.protection_charge_overcurrent` → `COCP flag (CAN)`; other channels as they are.
fn lane_name(channel: &str) -> String {
    if channel.contains("protection") {
        let link = match channel.split('.').next() {
            Some("bms") => " (CAN)",
            Some("rs485") => " (RS485)",
            _ => "",
        };
        format!("{} flag{link}", crate::series::protection_name(channel))
    } else {
        channel.to_string()
    }
}

/// Legend line `i` of a panel: a stroke of the series' colour and its channel, right of
/// the data area.
fn legend_entry<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    i: usize,
    channel: &str,
    colour: RGBColor,
) -> Result<(), PlotError> {
    let x = PLOT_RIGHT as i32 + 8;
    let y = 30 + (LEGEND_LINE * i as u32) as i32;
    area.draw(&PathElement::new(
        vec![(x, y + 7), (x + 16, y + 7)],
        colour.stroke_width(2),
    ))
    .map_err(PlotError::from)?;
    area.draw(&Text::new(
        channel.to_string(),
        (x + 22, y),
        (FONT, TEXT_SIZE).into_font(),
    ))
    .map_err(PlotError::from)
}
