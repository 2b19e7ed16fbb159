//! Where `random_get` bytes come from: the host's entropy or a seeded generator.

use crate::fault::{CallError, CallResult};

/// How a context produces random bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RandomPolicy {
    /// The host's cryptographic randomness (`getrandom`).
    #[default]
    Host,
    /// A deterministic stream from this seed: the same seed gives the same bytes on
    /// every run and machine. Not cryptographically secure, by design.
    Seeded(u64),
}

/// The live random source of one context.
#[derive(Clone, Debug)]
pub(crate) enum RandomSource {
    Host,
    Seeded(Xoshiro256),
}

impl RandomSource {
    pub(crate) fn new(policy: RandomPolicy) -> Self {
        match policy {
            RandomPolicy::Host => RandomSource::Host,
            RandomPolicy::Seeded(seed) => RandomSource::Seeded(Xoshiro256::from_seed(seed)),
        }
    }

    /// Fills `buf`. A host entropy failure traps (as wasmtime-wasi does): the guest
    /// has no errno meaning "the host has no randomness" and must not go on without.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) -> CallResult<()> {
        match self {
            RandomSource::Host => getrandom::fill(buf).map_err(|e| {
                CallError::Trap(wasmtime::Error::msg(format!("host randomness failed: {e}")))
            }),
            RandomSource::Seeded(g) => {
                g.fill(buf);
                Ok(())
            }
        }
    }
}

/// xoshiro256** (Blackman and Vigna, 2018), seeded through splitmix64 as its
/// authors recommend so that any `u64` seed, zero included, gives a good state.
#[derive(Clone, Debug)]
pub(crate) struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    pub(crate) fn from_seed(seed: u64) -> Self {
        let mut x = seed;
        let mut next = || {
            // splitmix64
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Fills `buf` with the stream's bytes, little-endian, so the output does not
    /// depend on the host's byte order.
    pub(crate) fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_streams_repeat_and_differ_by_seed() {
        let mut a = RandomSource::new(RandomPolicy::Seeded(7));
        let mut b = RandomSource::new(RandomPolicy::Seeded(7));
        let mut c = RandomSource::new(RandomPolicy::Seeded(8));
        let (mut x, mut y, mut z) = ([0u8; 37], [0u8; 37], [0u8; 37]);
        a.fill(&mut x).unwrap();
        b.fill(&mut y).unwrap();
        c.fill(&mut z).unwrap();
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn xoshiro_reference_values() {
        // First outputs of xoshiro256** from the state {1, 2, 3, 4}, as published
        // with the reference C implementation's test vectors.
        let mut g = Xoshiro256 { s: [1, 2, 3, 4] };
        assert_eq!(g.next_u64(), 11520);
        assert_eq!(g.next_u64(), 0);
        assert_eq!(g.next_u64(), 1509978240);
        assert_eq!(g.next_u64(), 1215971899390074240);
    }

    #[test]
    fn zero_seed_is_not_degenerate() {
        let mut g = Xoshiro256::from_seed(0);
        assert_ne!(g.next_u64(), 0);
        assert_ne!(g.s, [0; 4]);
    }

    #[test]
    fn host_randomness_fills() {
        let mut h = RandomSource::new(RandomPolicy::Host);
        let mut buf = [0u8; 32];
        h.fill(&mut buf).unwrap();
        assert_ne!(buf, [0u8; 32]);
    }
}
