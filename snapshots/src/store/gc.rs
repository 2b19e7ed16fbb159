//! Reachability from refs: `verify` and `gc`.

use std::sync::atomic::Ordering;

use super::Store;
use super::backend::TEMP_PREFIX;
use super::packs::{Batch, PACK_DIR, pack_path, read_index};
use crate::error::Result;
use crate::format::{self, Kind};
use crate::hash::{DigestSet, Hash};
use crate::progress::{NoProgress, Progress};

/// What `gc` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GcStats {
    /// Objects kept (reachable from a ref).
    pub kept: usize,
    /// Objects removed.
    pub removed: usize,
    /// Leftover temporary files of interrupted writes removed.
    pub temp_removed: usize,
    /// Packs rewritten (they held unreachable objects or were small) or removed.
    pub packs_rewritten: usize,
}

/// Packs smaller than this are merged by `gc` even when all their objects are
/// live, so that many small incremental saves end up in a few files.
const SMALL_PACK: u64 = 8 << 20;

impl Store {
    /// Every object reachable from `roots` (manifests), each read, verified
    /// against its hash and decoded; chunks are verified too when `chunks` is
    /// set, and otherwise only listed.
    fn reachable(
        &self,
        roots: &[Hash],
        chunks: bool,
        progress: &dyn Progress,
    ) -> Result<DigestSet> {
        let mut seen = DigestSet::default();
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
            // The total grows as objects are discovered.
            progress.set_total((seen.len() + work.len()) as u64);
            progress.advance(1);
        }
        Ok(seen)
    }

    /// Reads and verifies every object of snapshot `manifest` (and of its
    /// parents); returns how many objects it has.
    pub fn verify(&self, manifest: &Hash) -> Result<usize> {
        self.verify_with_progress(manifest, &NoProgress)
    }

    /// Like [`Store::verify`], reporting objects checked to `progress` (the
    /// total grows as the walk discovers objects).
    pub fn verify_with_progress(&self, manifest: &Hash, progress: &dyn Progress) -> Result<usize> {
        Ok(self.reachable(&[*manifest], true, progress)?.len())
    }

    /// Removes every object no ref reaches (through manifests, their parents,
    /// directories and files), and temporary files left by interrupted writes.
    /// Packs holding unreachable objects, and small packs, are rewritten: the
    /// new pack is durable before the old ones are removed.
    /// Fails without removing anything if a reachable object is missing or
    /// damaged, since its children could not be known.
    ///
    /// Must not run while a save into this store is in progress.
    pub fn gc(&self) -> Result<GcStats> {
        let roots: Vec<Hash> = self.refs()?.into_iter().map(|(_, h)| h).collect();
        let live = self.reachable(&roots, false, &NoProgress)?;
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut stats = self.gc_packs(&live)?;
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
                    Ok(h) if live.contains(&h) => {
                        if self.in_pack(&h)? {
                            // Also in a pack: the loose copy is redundant.
                            b.remove(&path)?;
                            stats.removed += 1;
                        } else {
                            stats.kept += 1;
                        }
                    }
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

impl Store {
    /// The pack part of `gc`: keeps packs whose objects are all live (and that
    /// are not small), copies the live objects of the others into new packs,
    /// then removes the others.
    fn gc_packs(&self, live: &DigestSet) -> Result<GcStats> {
        let mut stats = GcStats::default();
        let b = self.backend();
        let mut names = Vec::new();
        for name in b.list(PACK_DIR)? {
            if name.starts_with(TEMP_PREFIX) {
                b.remove(&pack_path(&name))?;
                stats.temp_removed += 1;
            } else if name.ends_with(".pack") {
                names.push(name);
            }
        }
        names.sort();
        let mut indexes = Vec::with_capacity(names.len());
        for name in &names {
            let size = b.size(&pack_path(name))?.unwrap_or(0);
            indexes.push((name, size, read_index(b, name)?));
        }
        let small = indexes
            .iter()
            .filter(|(_, size, _)| *size < SMALL_PACK)
            .count();
        let mut kept = DigestSet::default();
        let mut rewrite = Vec::new();
        for (name, size, index) in &indexes {
            let whole = index
                .iter()
                .all(|e| live.contains(&e.hash) && !kept.contains(&e.hash));
            if whole && !(small > 1 && *size < SMALL_PACK) {
                kept.extend(index.iter().map(|e| e.hash));
                stats.kept += index.len();
            } else {
                rewrite.push((*name, index));
            }
        }
        if rewrite.is_empty() {
            return Ok(stats);
        }
        let mut batch = Batch::new(self, false);
        for (name, index) in &rewrite {
            for e in index.iter() {
                if !live.contains(&e.hash) || !kept.insert(e.hash) {
                    stats.removed += 1;
                    continue;
                }
                let bytes = b.read_at(&pack_path(name), e.offset, e.len as usize)?;
                if Hash::of(&bytes) != e.hash {
                    return Err(crate::error::Error::CorruptedPack {
                        pack: (*name).clone(),
                        what: "an object does not match its hash",
                    });
                }
                batch.put(&bytes)?;
                stats.kept += 1;
            }
        }
        let new = batch.finish_packs()?;
        for (name, _) in &rewrite {
            if new.contains(name) {
                // Rewritten into the very same file.
                continue;
            }
            b.remove(&pack_path(name))?;
            stats.packs_rewritten += 1;
        }
        self.forget_packs();
        Ok(stats)
    }
}
