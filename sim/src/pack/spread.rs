//! A seeded, deterministic manufacturing spread: one offset per cell.
//!
//! No two cells of a string are alike, but the manuals give no figures, so the spread
//! is an assumption of the DUT profile (`twin.cell_capacity_spread`,
//! `twin.cell_soc_spread`, `twin.cell_seed`). The draw is SplitMix64 (a fixed,
//! well-known mixing function), so the same seed gives the same cells on every machine
//! and in every run; there is no thread RNG and no wall clock.
//!
//! The offsets are centred (their mean is zero) and scaled so that the largest
//! magnitude is exactly the spread: the pack as a whole keeps its nominal capacity and
//! its initial SOC, and "±1 %" means the extreme cell is 1 % off.

/// One step of SplitMix64; returns the next state and a 64-bit output.
fn split_mix(state: u64) -> (u64, u64) {
    let state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (state, z ^ (z >> 31))
}

/// A deterministic stream of numbers in [-1, 1).
#[derive(Clone, Debug)]
pub(crate) struct Draws {
    state: u64,
}

impl Draws {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_symmetric(&mut self) -> f64 {
        let (state, out) = split_mix(self.state);
        self.state = state;
        // The top 53 bits as a fraction in [0, 1), then to [-1, 1).
        let unit = (out >> 11) as f64 / (1u64 << 53) as f64;
        2.0 * unit - 1.0
    }
}

/// `count` offsets with mean zero and largest magnitude `spread` (a fraction, 0.01 =
/// ±1 %). A spread of zero, or a single cell, gives all zeros.
pub(crate) fn offsets(draws: &mut Draws, count: usize, spread: f64) -> Vec<f64> {
    let raw: Vec<f64> = (0..count).map(|_| draws.next_symmetric()).collect();
    let spread = if spread.is_finite() {
        spread.abs()
    } else {
        0.0
    };
    if count < 2 || spread == 0.0 {
        return vec![0.0; count];
    }
    let mean = raw.iter().sum::<f64>() / count as f64;
    let centred: Vec<f64> = raw.iter().map(|r| r - mean).collect();
    let largest = centred.iter().fold(0.0f64, |m, c| m.max(c.abs()));
    if largest == 0.0 {
        return vec![0.0; count];
    }
    centred.iter().map(|c| c / largest * spread).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_cells() {
        let a = offsets(&mut Draws::new(7), 16, 0.02);
        let b = offsets(&mut Draws::new(7), 16, 0.02);
        assert_eq!(a, b);
        let c = offsets(&mut Draws::new(8), 16, 0.02);
        assert_ne!(a, c);
    }

    #[test]
    fn offsets_are_centred_and_reach_the_spread_exactly() {
        for seed in 0..50 {
            let o = offsets(&mut Draws::new(seed), 16, 0.02);
            let mean = o.iter().sum::<f64>() / 16.0;
            assert!(mean.abs() < 1e-12, "seed {seed}: mean {mean}");
            let largest = o.iter().fold(0.0f64, |m, x| m.max(x.abs()));
            assert!((largest - 0.02).abs() < 1e-12, "seed {seed}");
        }
    }

    #[test]
    fn no_spread_or_one_cell_means_identical_cells() {
        assert_eq!(offsets(&mut Draws::new(1), 16, 0.0), vec![0.0; 16]);
        assert_eq!(offsets(&mut Draws::new(1), 1, 0.05), vec![0.0]);
        assert_eq!(offsets(&mut Draws::new(1), 4, f64::NAN), vec![0.0; 4]);
        assert!(offsets(&mut Draws::new(1), 0, 0.05).is_empty());
    }

    #[test]
    fn draws_stay_in_range() {
        let mut d = Draws::new(u64::MAX);
        for _ in 0..10_000 {
            let x = d.next_symmetric();
            assert!((-1.0..1.0).contains(&x));
        }
    }
}
