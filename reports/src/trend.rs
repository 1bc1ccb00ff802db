//! The trend of one measurement across runs (`rig history --measurement`): one point
//! per run in time order, coloured by the firmware it ran, with the limits as dashed
//! lines and failed values marked by a cross. SVG or PNG, like the plan plots.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::{PlotError, register_font};

/// One value of the measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The run's label on the axis (its date).
    pub label: String,
    pub firmware: String,
    pub value: f64,
    pub failed: bool,
}

/// What the plot shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Trend {
    pub name: String,
    pub unit: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub points: Vec<Point>,
}

const SIZE: (u32, u32) = (1000, 480);
const FONT: &str = "sans-serif";
const PALETTE: [RGBColor; 8] = [
    RGBColor(9, 105, 218),
    RGBColor(26, 127, 55),
    RGBColor(191, 135, 0),
    RGBColor(130, 80, 223),
    RGBColor(191, 57, 137),
    RGBColor(0, 128, 128),
    RGBColor(140, 90, 40),
    RGBColor(80, 80, 80),
];
const LIMIT: RGBColor = RGBColor(207, 34, 46);

pub fn svg(t: &Trend) -> Result<String, PlotError> {
    register_font()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, SIZE).into_drawing_area();
        draw(&root, t)?;
        root.present().map_err(PlotError::from)?;
    }
    Ok(buf)
}

pub fn png(t: &Trend, path: &std::path::Path) -> Result<(), PlotError> {
    register_font()?;
    let root = BitMapBackend::new(path, SIZE).into_drawing_area();
    draw(&root, t)?;
    root.present().map_err(PlotError::from)
}

/// Firmware versions in order of first appearance, each with its colour.
fn firmwares(t: &Trend) -> Vec<(&str, RGBColor)> {
    let mut seen: Vec<&str> = Vec::new();
    for p in &t.points {
        if !seen.contains(&p.firmware.as_str()) {
            seen.push(&p.firmware);
        }
    }
    seen.into_iter()
        .enumerate()
        .map(|(i, f)| (f, PALETTE[i % PALETTE.len()]))
        .collect()
}

fn y_range(t: &Trend) -> (f64, f64) {
    let values = t.points.iter().map(|p| p.value).chain(t.min).chain(t.max);
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.1).max(hi.abs().max(1e-9) * 0.01);
    (lo - pad, hi + pad)
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, t: &Trend) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(PlotError::from)?;
    let n = t.points.len().max(1);
    let (lo, hi) = y_range(t);
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{} across {} runs", t.name, t.points.len()),
            (FONT, 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), lo..hi)
        .map_err(PlotError::from)?;
    let labels: Vec<String> = t.points.iter().map(|p| p.label.clone()).collect();
    chart
        .configure_mesh()
        .x_desc("run (oldest first)")
        .y_desc(if t.unit.is_empty() {
            t.name.clone()
        } else {
            t.unit.clone()
        })
        .x_labels(n.min(12))
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            labels.get(i as usize).cloned().unwrap_or_default()
        })
        .label_style((FONT, 11))
        .draw()
        .map_err(PlotError::from)?;
    for limit in [t.min, t.max].into_iter().flatten() {
        chart
            .draw_series(DashedLineSeries::new(
                [(-0.5, limit), (n as f64 - 0.5, limit)],
                6,
                4,
                LIMIT.stroke_width(1),
            ))
            .map_err(PlotError::from)?;
    }
    chart
        .draw_series(LineSeries::new(
            t.points
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, p.value)),
            RGBColor(200, 200, 200).stroke_width(1),
        ))
        .map_err(PlotError::from)?;
    draw_points(&mut chart, t)?;
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 12))
        .draw()
        .map_err(PlotError::from)?;
    Ok(())
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// One colour per firmware, in the legend; failed values crossed.
fn draw_points<DB: DrawingBackend>(chart: &mut Chart<'_, DB>, t: &Trend) -> Result<(), PlotError> {
    for (firmware, colour) in firmwares(t) {
        let points: Vec<(f64, f64)> = t
            .points
            .iter()
            .enumerate()
            .filter(|(_, p)| p.firmware == firmware)
            .map(|(i, p)| (i as f64, p.value))
            .collect();
        chart
            .draw_series(points.iter().map(|&xy| Circle::new(xy, 5, colour.filled())))
            .map_err(PlotError::from)?
            .label(format!("firmware {firmware}"))
            .legend(move |(x, y)| Circle::new((x, y), 5, colour.filled()));
    }
    chart
        .draw_series(
            t.points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.failed)
                .map(|(i, p)| Cross::new((i as f64, p.value), 8, LIMIT.stroke_width(2))),
        )
        .map_err(PlotError::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trend() -> Trend {
        Trend {
            name: "cocp.trip_delay".into(),
            unit: "s".into(),
            min: Some(1.0),
            max: Some(4.0),
            points: (0..6)
                .map(|i| Point {
                    label: format!("12-0{i}"),
                    firmware: if i < 4 { "1.4.2" } else { "1.5.0" }.into(),
                    value: if i < 4 { 2.0 } else { 4.5 },
                    failed: i >= 4,
                })
                .collect(),
        }
    }

    #[test]
    fn the_svg_names_each_firmware_and_marks_each_point() {
        let svg = svg(&trend()).unwrap();
        assert!(svg.contains("firmware 1.4.2") && svg.contains("firmware 1.5.0"));
        assert!(svg.contains("cocp.trip_delay across 6 runs"));
        assert_eq!(
            svg.matches("<circle").count(),
            6 + 2,
            "six points and two legend marks"
        );
    }

    #[test]
    fn an_empty_trend_still_draws() {
        let t = Trend {
            points: vec![],
            ..trend()
        };
        assert!(svg(&t).unwrap().contains("across 0 runs"));
    }
}
