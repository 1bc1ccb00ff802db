//! Where the plot's text may go without overprinting: labels along the time axis (step
//! numbers, trip and wake names) are given a row where they fit, or left out.
//! plotters places text but does not avoid collisions, so this is done here.

/// Free pixels kept between two labels on one row.
const GAP_PX: f64 = 4.0;

/// The width of `text` at `size` px in DejaVu Sans, from above: its widest common glyphs
/// are about 0.65 em, so no real label is wider than this.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.65
}

/// For labels starting at pixel `x` with width `w` (in time order), the row (0 ..
/// `rows`) each is drawn on, or `None` when it collides on every row. A label goes to
/// the first row whose last label ends before it starts.
pub fn assign_rows(labels: &[(f64, f64)], rows: usize) -> Vec<Option<usize>> {
    let mut row_end = vec![f64::NEG_INFINITY; rows];
    labels
        .iter()
        .map(|&(x, w)| {
            let row = row_end.iter().position(|&end| end + GAP_PX <= x)?;
            row_end[row] = x + w;
            Some(row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_that_would_collide_go_to_another_row_or_are_left_out() {
        let w = text_width("10", 12.0);
        let labels = [(0.0, w), (5.0, w), (10.0, w), (100.0, w)];
        assert_eq!(assign_rows(&labels, 2), [Some(0), Some(1), None, Some(0)]);
        assert_eq!(assign_rows(&labels, 1), [Some(0), None, None, Some(0)]);
    }
}
