//! Reachability from refs: `verify` and `gc`.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use super::Store;
use super::backend::TEMP_PREFIX;
use crate::error::Result;
use crate::format::{self, Kind};
use crate::hash::Hash;

/// What `gc` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Objects kept (reachable from a ref).
    pub kept: usize,
    /// Objects removed.
    pub removed: usize,
    /// Leftover temporary files of interrupted writes removed.
    pub temp_removed: usize,
}

impl Store {
    /// Every object reachable from `roots` (manifests), each read, verified
    /// against its hash and decoded; chunks are verified too when `chunks` is
    /// set, and otherwise only listed.
    fn reachable(&self, roots: &[Hash], chunks: bool) -> Result<HashSet<Hash>> {
        let mut seen: HashSet<Hash> = HashSet::new();
        let mut work: Vec<(Kind, Hash)> = roots.iter().map(|h| (Kind::Manifest, *h)).collect();
        while let Some((kind, h)) = work.pop() {
            if !seen.insert(h) {
                continue;
            }
            if kind == Kind::Chunk && !chunks {
                continue;
            }
            let bytes = self.get(&h, kind)?;
            work.extend(format::children(&bytes, kind, h)?);
        }
        Ok(seen)
    }

    /// Reads and verifies every object of snapshot `manifest` (and of its
    /// parents); returns how many objects it has.
    pub fn verify(&self, manifest: &Hash) -> Result<usize> {
        Ok(self.reachable(&[*manifest], true)?.len())
    }

    /// Removes every object no ref reaches (through manifests, their parents,
    /// directories and files), and temporary files left by interrupted writes.
    /// Fails without removing anything if a reachable object is missing or
    /// damaged, since its children could not be known.
    ///
    /// Must not run while a save into this store is in progress.
    pub fn gc(&self) -> Result<GcStats> {
        let roots: Vec<Hash> = self.refs()?.into_iter().map(|(_, h)| h).collect();
        let live = self.reachable(&roots, false)?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut stats = GcStats::default();
        let b = self.backend();
        for fan in b.list("objects")? {
            if fan.starts_with(TEMP_PREFIX) {
                b.remove(&format!("objects/{fan}"))?;
                stats.temp_removed += 1;
                continue;
            }
            for rest in b.list(&format!("objects/{fan}"))? {
                let path = format!("objects/{fan}/{rest}");
                if rest.starts_with(TEMP_PREFIX) {
                    b.remove(&path)?;
                    stats.temp_removed += 1;
                    continue;
                }
                match format!("{fan}{rest}").parse::<Hash>() {
                    Ok(h) if live.contains(&h) => stats.kept += 1,
                    Ok(_) => {
                        b.remove(&path)?;
                        stats.removed += 1;
                    }
                    // Not an object name: not ours to delete.
                    Err(_) => {}
                }
            }
        }
        for name in b.list("refs")? {
            if name.starts_with(TEMP_PREFIX) {
                b.remove(&format!("refs/{name}"))?;
                stats.temp_removed += 1;
            }
        }
        Ok(stats)
    }
}
