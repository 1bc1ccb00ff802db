//! The measurements on the plan's plot: a dashed purple line at each measurement's
//! decision, across every panel, and its name along the bottom of the first panel where
//! it fits on one of two rows (the measurements table has them all). The `measurement`
//! event names no channel, so the line is not tied to one panel's series.

use plotters::prelude::*;

use crate::measure::MeasurementRecord;
use crate::plot::{Chart, FONT, PLOT_LEFT, PLOT_RIGHT, PlotError, TEXT_SIZE};

/// A colour no series, trip or wake uses.
const MEASURE: RGBColor = RGBColor(130, 80, 223);

/// Draw the marks of `ms` on `chart`, whose time axis ends at `end` and maps a time to
/// its pixel column with `pixel`; names only on the `first` panel.
pub(crate) fn marks<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    ms: &[MeasurementRecord],
    (end, pixel): (f64, impl Fn(f64) -> f64),
    first: bool,
    y: std::ops::Range<f64>,
) -> Result<(), PlotError> {
    let (y0, y1) = (y.start, y.end);
    let lines = ms.iter().map(|m| {
        plotters::element::DashedPathElement::new(
            vec![(m.t, y0), (m.t, y1)],
            5,
            3,
            MEASURE.stroke_width(1),
        )
    });
    chart.draw_series(lines).map_err(PlotError::from)?;
    if !first {
        return Ok(());
    }
    // A name that would run into the legends goes left of its line instead.
    let offset = |m: &MeasurementRecord| {
        let w = crate::plot_labels::text_width(&m.name, TEXT_SIZE);
        if pixel(m.t) + 3.0 + w > f64::from(PLOT_RIGHT) {
            (-w - 3.0, w)
        } else {
            (3.0, w)
        }
    };
    let spans: Vec<(f64, f64)> = ms
        .iter()
        .map(|m| {
            let (dx, w) = offset(m);
            (pixel(m.t) + dx, w)
        })
        .collect();
    let rows = crate::plot_labels::assign_rows(&spans, 2);
    // plotters drops an element anchored on the right edge: one pixel inside.
    let last = end * (1.0 - 1.0 / f64::from(PLOT_RIGHT - PLOT_LEFT));
    let labels = ms.iter().zip(rows).filter_map(|(m, row)| {
        Some(
            EmptyElement::at((m.t.min(last), y0))
                + Text::new(
                    m.name.clone(),
                    (offset(m).0 as i32, -16 - 14 * row? as i32),
                    (FONT, TEXT_SIZE).into_font().color(&MEASURE),
                ),
        )
    });
    chart.draw_series(labels).map_err(PlotError::from)?;
    Ok(())
}
