//! Deterministic pseudo-random byte strings for "no panic on any input" tests.

/// A 64-bit LCG (Knuth's MMIX constants): the same sequence on every run.
pub(crate) struct Bytes(u64);

impl Bytes {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// Up to `max_len` bytes, drawn from `alphabet` when given, else from all bytes.
    pub(crate) fn string(&mut self, max_len: usize, alphabet: Option<&[u8]>) -> Vec<u8> {
        let len = (self.next() as usize) % (max_len + 1);
        (0..len)
            .map(|_| match alphabet {
                Some(a) if !a.is_empty() => a[(self.next() as usize) % a.len()],
                _ => self.next() as u8,
            })
            .collect()
    }
}
