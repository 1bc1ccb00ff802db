//! Min/max decimation for plots (M4: first, min, max and last of each pixel column).
//!
//! A plot cannot show more than one value range per pixel column, and an SVG of every
//! raw point of a 48 h run would weigh hundreds of megabytes. Keeping the extremes of
//! each column, rather than averaging or LTTB, means a spike of one sample (a 0.5 s
//! over-voltage transient in a day) still reaches its true height: it is the evidence a
//! pass or fail rests on.

/// Reduce time-ordered `points` over `[x0, x1]` to at most four per bucket, `buckets`
/// equal columns wide, keeping each bucket's first, minimum, maximum and last point in
/// time order. Points outside the range and non-finite values are dropped.
pub fn min_max(points: &[(f64, f64)], x0: f64, x1: f64, buckets: usize) -> Vec<(f64, f64)> {
    let span = x1 - x0;
    if buckets == 0 || span.is_nan() || span <= 0.0 || !span.is_finite() {
        return points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
    }
    let width = span / buckets as f64;
    let mut out = Vec::with_capacity(points.len().min(buckets * 4));
    let mut current: Option<(usize, Bucket)> = None;
    for (i, &(t, v)) in points.iter().enumerate() {
        if !t.is_finite() || !v.is_finite() || t < x0 || t > x1 {
            continue;
        }
        let b = (((t - x0) / width) as usize).min(buckets - 1);
        match &mut current {
            Some((cb, bucket)) if *cb == b => bucket.add(i, v),
            _ => {
                if let Some((_, bucket)) = current.take() {
                    bucket.emit(points, &mut out);
                }
                current = Some((b, Bucket::new(i, v)));
            }
        }
    }
    if let Some((_, bucket)) = current {
        bucket.emit(points, &mut out);
    }
    out
}

struct Bucket {
    first: usize,
    min: (usize, f64),
    max: (usize, f64),
    last: usize,
}

impl Bucket {
    fn new(i: usize, v: f64) -> Bucket {
        Bucket {
            first: i,
            min: (i, v),
            max: (i, v),
            last: i,
        }
    }

    fn add(&mut self, i: usize, v: f64) {
        if v < self.min.1 {
            self.min = (i, v);
        }
        if v > self.max.1 {
            self.max = (i, v);
        }
        self.last = i;
    }

    fn emit(&self, points: &[(f64, f64)], out: &mut Vec<(f64, f64)>) {
        let mut idx = [self.first, self.min.0, self.max.0, self.last];
        idx.sort_unstable();
        let mut prev = None;
        for i in idx {
            if prev != Some(i) {
                out.push(points[i]);
                prev = Some(i);
            }
        }
    }
}

/// Points to draw a held (sample-on-change) signal as steps: each value holds until the
/// next point, and the last one until `end`. Points closer than `min_dx` (a pixel
/// column) are joined directly; the step corner would not show anyway.
pub fn to_steps(points: &[(f64, f64)], end: f64, min_dx: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &p) in points.iter().enumerate() {
        if i > 0 {
            let prev = points[i - 1];
            if p.0 - prev.0 > min_dx && p.1 != prev.1 {
                out.push((p.0, prev.1));
            }
        }
        out.push(p);
    }
    if let Some(&last) = points.last()
        && end > last.0
    {
        out.push((end, last.1));
    }
    out
}

/// Intervals merged when the gap between them is under `min_gap`, each at least
/// `min_width` wide, so a pulse shorter than a pixel stays visible.
pub fn merge_intervals(intervals: &[(f64, f64)], min_gap: f64, min_width: f64) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for &(a, b) in intervals {
        let b = b.max(a + min_width);
        match out.last_mut() {
            Some(last) if a - last.1 < min_gap => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}
