//! A channel's points thinned while the log is read, so a report's memory does not grow
//! with the run's length.
//!
//! The plot decimates a series per pixel column (see [`crate::decimate`]), but the time
//! axis is known only when the log ends. So points go into time buckets of a width that
//! doubles whenever there are more than [`MAX_BUCKETS`] of them: two neighbours merge
//! into one, keeping the first, the lowest, the highest and the last point (as the plot's
//! own decimation does, so a one-sample spike keeps its height). When the width last
//! doubled, the buckets before it covered the run at most `MAX_BUCKETS` wide, so a
//! bucket is always under two thousandths of the run: narrower than a pixel column of
//! the 1100-pixel plot. A short run's points stay as they were logged (a bucket starts
//! a millisecond wide).

/// Buckets kept per channel: 4096 buckets of at most four points, about 300 kB.
pub const MAX_BUCKETS: usize = 4096;

/// The first bucket width, in seconds: 2^-10 s, about a millisecond.
const FIRST_WIDTH_S: f64 = 1.0 / 1024.0;

type Point = (f64, f64);

#[derive(Clone, Copy, Debug)]
struct Bucket {
    index: i64,
    first: Point,
    min: Point,
    max: Point,
    last: Point,
}

impl Bucket {
    fn new(index: i64, p: Point) -> Bucket {
        Bucket {
            index,
            first: p,
            min: p,
            max: p,
            last: p,
        }
    }

    fn add(&mut self, p: Point) {
        if p.1 < self.min.1 {
            self.min = p;
        }
        if p.1 > self.max.1 {
            self.max = p;
        }
        self.last = p;
    }

    /// `self` followed by `later`, as one bucket (ties keep the earlier extreme).
    fn merge(&mut self, later: &Bucket) {
        if later.min.1 < self.min.1 {
            self.min = later.min;
        }
        if later.max.1 > self.max.1 {
            self.max = later.max;
        }
        self.last = later.last;
    }

    /// The bucket's distinct points in time order.
    fn emit(&self, out: &mut Vec<Point>) {
        let mut pts = [self.first, self.min, self.max, self.last];
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        let start = out.len();
        for p in pts {
            if out[start..].last() != Some(&p) {
                out.push(p);
            }
        }
    }
}

/// Time-ordered points of one channel, thinned to at most [`MAX_BUCKETS`] buckets (or
/// the count given to [`ThinSeries::with_max_buckets`]).
#[derive(Clone, Debug)]
pub struct ThinSeries {
    width: f64,
    buckets: Vec<Bucket>,
    max_buckets: usize,
}

impl Default for ThinSeries {
    fn default() -> ThinSeries {
        ThinSeries::with_max_buckets(MAX_BUCKETS)
    }
}

impl ThinSeries {
    /// A series kept to at most `max` buckets (at least 2), so at most `4 * max` points:
    /// fewer than the report's for a live page that plots in a narrower window.
    pub fn with_max_buckets(max: usize) -> ThinSeries {
        ThinSeries {
            width: FIRST_WIDTH_S,
            buckets: Vec::new(),
            max_buckets: max.max(2),
        }
    }

    /// Add a point no earlier than the last one (the caller drops those).
    pub fn push(&mut self, p: Point) {
        let index = self.index_of(p.0);
        match self.buckets.last_mut() {
            Some(b) if b.index == index => b.add(p),
            _ => {
                self.buckets.push(Bucket::new(index, p));
                while self.buckets.len() > self.max_buckets {
                    self.coarsen();
                }
            }
        }
    }

    /// The time of the last point.
    pub fn last_t(&self) -> Option<f64> {
        self.buckets.last().map(|b| b.last.0)
    }

    /// The points kept, in time order.
    pub fn points(&self) -> Vec<Point> {
        let mut out = Vec::with_capacity(self.buckets.len() * 2);
        for b in &self.buckets {
            b.emit(&mut out);
        }
        out
    }

    fn index_of(&self, t: f64) -> i64 {
        // `as` saturates: a time beyond i64 buckets (corruption) shares the last one.
        (t / self.width).floor() as i64
    }

    /// Double the width: buckets `2k` and `2k + 1` become bucket `k`.
    fn coarsen(&mut self) {
        self.width *= 2.0;
        let mut merged: Vec<Bucket> = Vec::with_capacity(self.buckets.len() / 2 + 1);
        for b in &self.buckets {
            let index = b.index.div_euclid(2);
            match merged.last_mut() {
                Some(m) if m.index == index => m.merge(b),
                _ => merged.push(Bucket { index, ..*b }),
            }
        }
        self.buckets = merged;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_series_keeps_every_point() {
        let mut s = ThinSeries::default();
        let pts: Vec<Point> = (0..1000)
            .map(|k| (k as f64 * 0.1, (k % 7) as f64))
            .collect();
        for &p in &pts {
            s.push(p);
        }
        assert_eq!(s.points(), pts);
    }

    #[test]
    fn a_long_series_is_bounded_and_keeps_its_spike_and_ends() {
        let mut s = ThinSeries::default();
        let n = 7 * 24 * 3600; // a week at 1 Hz
        for k in 0..n {
            let t = k as f64;
            let v = if k == 400_000 {
                99.0
            } else {
                (t / 5000.0).sin()
            };
            s.push((t, v));
        }
        let pts = s.points();
        assert!(pts.len() <= 4 * MAX_BUCKETS, "{} points", pts.len());
        // Finer than the plot's 1100 pixel columns: at least two points for each.
        assert!(pts.len() > 2 * 1100, "{} points", pts.len());
        assert!(pts.contains(&(400_000.0, 99.0)));
        assert_eq!(pts.first(), Some(&(0.0, 0.0)));
        assert_eq!(pts.last().map(|p| p.0), Some((n - 1) as f64));
        assert!(pts.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_sparse_series_with_a_far_point_stays_bounded() {
        let mut s = ThinSeries::default();
        for k in 0..10_000 {
            s.push((k as f64, 1.0));
        }
        s.push((1e12, 2.0));
        assert!(s.points().len() <= 4 * MAX_BUCKETS);
        assert_eq!(s.last_t(), Some(1e12));
    }
}
