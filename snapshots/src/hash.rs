//! `Hash`: the blake3 digest that names every stored object.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A blake3 digest of an object's complete encoding (header included): the
/// object's address in a store.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Hash {
        Hash(*blake3::hash(bytes).as_bytes())
    }

    /// Lowercase hexadecimal, 64 characters.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

/// Hashes a [`Hash`] for a hash table by taking its bytes as they are: a
/// blake3 digest is already uniformly distributed, so running it through
/// SipHash again (the standard library's default) only costs time.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for w in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..w.len()].copy_from_slice(w);
            self.0 = self.0.rotate_left(17) ^ u64::from_le_bytes(b);
        }
    }
}

/// A hash table keyed by digests.
pub(crate) type DigestMap<V> =
    std::collections::HashMap<Hash, V, std::hash::BuildHasherDefault<DigestHasher>>;
/// A set of digests.
pub(crate) type DigestSet =
    std::collections::HashSet<Hash, std::hash::BuildHasherDefault<DigestHasher>>;

/// A string that is not 64 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a hash: expected 64 hexadecimal digits")]
pub struct ParseHashError;

impl FromStr for Hash {
    type Err = ParseHashError;

    fn from_str(s: &str) -> Result<Hash, ParseHashError> {
        let s = s.as_bytes();
        if s.len() != 64 {
            return Err(ParseHashError);
        }
        let mut out = [0u8; 32];
        for (i, pair) in s.chunks_exact(2).enumerate() {
            let hi = hex_digit(pair[0]).ok_or(ParseHashError)?;
            let lo = hex_digit(pair[1]).ok_or(ParseHashError)?;
            out[i] = hi << 4 | lo;
        }
        Ok(Hash(out))
    }
}

/// Lowercase only: a hash has exactly one spelling, so one object one file name.
fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let h = Hash::of(b"abc");
        assert_eq!(h.to_hex().parse::<Hash>(), Ok(h));
        assert!("AB".repeat(32).parse::<Hash>().is_err());
        assert!("ab".repeat(31).parse::<Hash>().is_err());
    }
}
