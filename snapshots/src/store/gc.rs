//! Reachability from refs: `verify` and `gc`.
//!
//! `gc` follows the store's lock protocol (see `lock`): it marks under the
//! store lock held shared, takes it exclusive, marks again from any ref set
//! meanwhile, bumps the delete-phase count, and only then removes. Whatever
//! frees space goes first (dead temporary files, packs with no live object,
//! loose objects), so that on a full disk the rewrite of partly live packs,
//! the only step that writes, finds room or fails leaving the store whole.
//! Grace: nothing written after `gc` started, and no temporary file a live
//! writer holds, is removed, even by a writer that ignores the lock.

use std::sync::atomic::Ordering;
use std::time::SystemTime;

use super::Store;
use super::backend::TEMP_PREFIX;
use super::lock::LockFile;
use super::packs::{Batch, IndexEntry, PACK_DIR, pack_path, read_index};
use crate::error::{Error, Result};
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
    /// Unreachable objects left for a later `gc` (a store shared without
    /// locks removes them only after its grace period: see `shared_gc`).
    pub pending: usize,
}

/// Packs smaller than this are merged by `gc` even when all their objects are
/// live, so that many small incremental saves end up in a few files.
const SMALL_PACK: u64 = 8 << 20;

impl Store {
    /// Adds to `seen` every object reachable from `roots` (manifests), each
    /// read, verified against its hash and decoded; chunks are verified too
    /// when `chunks` is set, and otherwise only listed.
    pub(super) fn mark(
        &self,
        seen: &mut DigestSet,
        roots: &[Hash],
        chunks: bool,
        progress: &dyn Progress,
    ) -> Result<()> {
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
        Ok(())
    }

    /// Reads and verifies every object of snapshot `manifest` (and of its
    /// parents); returns how many objects it has.
    pub fn verify(&self, manifest: &Hash) -> Result<usize> {
        self.verify_with_progress(manifest, &NoProgress)
    }

    /// Like [`Store::verify`], reporting objects checked to `progress` (the
    /// total grows as the walk discovers objects).
    pub fn verify_with_progress(&self, manifest: &Hash, progress: &dyn Progress) -> Result<usize> {
        let mut seen = DigestSet::default();
        self.mark(&mut seen, &[*manifest], true, progress)?;
        Ok(seen.len())
    }

    /// Removes every object no ref reaches (through manifests, their parents,
    /// directories and files), and temporary files left by interrupted writes.
    /// Packs holding unreachable objects, and small packs, are rewritten: the
    /// new pack is durable before the old ones are removed.
    /// Fails without removing anything if a reachable object is missing or
    /// damaged, since its children could not be known.
    ///
    /// Safe while other processes save and read, if they hold
    /// [`Store::lock_shared`] as the protocol says (see the `lock` module):
    /// the delete phase waits for them. The calling thread must not hold a
    /// [`crate::StoreLock`] itself: gc would wait for it forever. On a backend
    /// shared without locks ([`super::Backend::gc_grace`]), removal takes two
    /// `gc` runs a grace period apart instead (see `shared_gc`).
    pub fn gc(&self) -> Result<GcStats> {
        if let Some(grace) = self.backend().gc_grace() {
            return self.gc_shared(grace);
        }
        let start = SystemTime::now();
        let lock = self.store_lock_file()?;
        // Mark under the shared lock: saves go on meanwhile.
        if let Some(f) = &lock {
            self.acquire(f, false)?;
            self.note_generation(f)?;
        }
        let mut roots: Vec<Hash> = self.refs()?.into_iter().map(|(_, h)| h).collect();
        let mut live = DigestSet::default();
        self.mark(&mut live, &roots, false, &NoProgress)?;
        if let Some(f) = &lock {
            // Not atomic (flock conversion is not): the refs are read again.
            f.unlock().map_err(|err| lock_error(f, err))?;
            self.acquire(f, true)?;
        }
        // Exclusive: no writer is between its first object and its ref now.
        self.forget_packs();
        roots.sort_unstable();
        let since: Vec<Hash> = self
            .refs()?
            .into_iter()
            .map(|(_, h)| h)
            .filter(|h| roots.binary_search(h).is_err())
            .collect();
        self.mark(&mut live, &since, false, &NoProgress)?;
        if let Some(f) = &lock {
            // Before anything is removed (in place: no new disk space), so
            // that a failure here changes nothing.
            let g = f.generation().map_err(|err| lock_error(f, err))?;
            f.set_generation(g.wrapping_add(1))
                .map_err(|err| lock_error(f, err))?;
            self.note_generation(f)?;
        } else {
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        let mut stats = GcStats::default();
        self.remove_stale_temps(start, &mut stats)?;
        let rewrite = self.remove_dead_packs(&live, start, &mut stats)?;
        self.remove_loose(&live, start, &mut stats)?;
        self.rewrite_packs(&live, rewrite, &mut stats)?;
        self.forget_packs();
        Ok(stats)
    }

    /// Whether `path` was written before `start` (or its time is unknown).
    fn older_than(&self, path: &str, start: SystemTime) -> Result<bool> {
        Ok(self.backend().modified(path)?.is_none_or(|t| t < start))
    }

    /// Removes the temporary files of writes that are over (their writer
    /// died or gave up): not held by a live writer, and older than `start`.
    fn remove_stale_temps(&self, start: SystemTime, stats: &mut GcStats) -> Result<()> {
        let b = self.backend();
        let mut dirs = vec![PACK_DIR.to_owned(), "refs".to_owned(), "objects".to_owned()];
        for fan in b.list("objects")? {
            if !fan.starts_with(TEMP_PREFIX) {
                dirs.push(format!("objects/{fan}"));
            }
        }
        for dir in dirs {
            for name in b.list(&dir)? {
                let path = format!("{dir}/{name}");
                if name.starts_with(TEMP_PREFIX)
                    && !b.temp_in_use(&path)?
                    && self.older_than(&path, start)?
                {
                    b.remove(&path)?;
                    stats.temp_removed += 1;
                }
            }
        }
        Ok(())
    }

    /// Removes the packs whose objects are all dead; returns the packs to
    /// rewrite (some objects dead, or small). Packs newer than `start` are
    /// kept whole.
    fn remove_dead_packs(
        &self,
        live: &DigestSet,
        start: SystemTime,
        stats: &mut GcStats,
    ) -> Result<Rewrite> {
        let b = self.backend();
        let mut names: Vec<String> = b
            .list(PACK_DIR)?
            .into_iter()
            .filter(|n| !n.starts_with(TEMP_PREFIX) && n.ends_with(".pack"))
            .collect();
        names.sort();
        let mut packs = Vec::with_capacity(names.len());
        for name in names {
            let path = pack_path(&name);
            let Some(size) = b.size(&path)? else {
                continue;
            };
            let young = !self.older_than(&path, start)?;
            packs.push((name.clone(), size, young, read_index(b, &name)?));
        }
        let small = packs
            .iter()
            .filter(|(_, size, young, _)| !young && *size < SMALL_PACK)
            .count();
        // Objects kept where they are; a copy elsewhere is redundant.
        let mut kept = DigestSet::default();
        for (_, _, young, index) in &packs {
            if *young {
                kept.extend(index.iter().map(|e| e.hash));
                stats.kept += index.len();
            }
        }
        let mut rewrite = Vec::new();
        for (name, size, young, index) in packs {
            if young {
                continue;
            }
            if index.iter().all(|e| !live.contains(&e.hash)) {
                b.remove(&pack_path(&name))?;
                stats.removed += index.len();
                stats.packs_rewritten += 1;
                continue;
            }
            let whole = index
                .iter()
                .all(|e| live.contains(&e.hash) && !kept.contains(&e.hash));
            if whole && !(small > 1 && size < SMALL_PACK) {
                kept.extend(index.iter().map(|e| e.hash));
                stats.kept += index.len();
            } else {
                rewrite.push((name, index));
            }
        }
        Ok(Rewrite {
            packs: rewrite,
            kept,
        })
    }

    /// Removes loose objects that are dead (and older than `start`), or also
    /// in a pack.
    fn remove_loose(&self, live: &DigestSet, start: SystemTime, stats: &mut GcStats) -> Result<()> {
        let b = self.backend();
        for fan in b.list("objects")? {
            if fan.starts_with(TEMP_PREFIX) {
                continue;
            }
            for rest in b.list(&format!("objects/{fan}"))? {
                let path = format!("objects/{fan}/{rest}");
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
                    Ok(_) if self.older_than(&path, start)? => {
                        b.remove(&path)?;
                        stats.removed += 1;
                    }
                    // Written since gc started, or not an object name: not
                    // ours to delete.
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Copies the live objects of `rewrite` into new packs, then removes
    /// those packs: the only step that writes, last.
    fn rewrite_packs(&self, live: &DigestSet, rewrite: Rewrite, stats: &mut GcStats) -> Result<()> {
        let Rewrite { packs, mut kept } = rewrite;
        if packs.is_empty() {
            return Ok(());
        }
        let b = self.backend();
        let mut batch = Batch::new(self, false);
        for (name, index) in &packs {
            for e in index {
                // Dead, or kept already (in a pack that stays, or copied).
                if !live.contains(&e.hash) || !kept.insert(e.hash) {
                    stats.removed += 1;
                    continue;
                }
                let bytes = b.read_at(&pack_path(name), e.offset, e.len as usize)?;
                if Hash::of(&bytes) != e.hash {
                    return Err(Error::CorruptedPack {
                        pack: name.clone(),
                        what: "an object does not match its hash",
                    });
                }
                batch.put(&bytes)?;
                stats.kept += 1;
            }
        }
        let new = batch.finish_packs()?;
        for (name, _) in &packs {
            if new.contains(name) {
                // Rewritten into the very same file.
                continue;
            }
            b.remove(&pack_path(name))?;
            stats.packs_rewritten += 1;
        }
        Ok(())
    }
}

/// What `gc` copies after it has removed what it can.
struct Rewrite {
    /// The packs to rewrite, with their indexes.
    packs: Vec<(String, Vec<IndexEntry>)>,
    /// Objects that stay in packs that are not rewritten.
    kept: DigestSet,
}

/// A failure on the store's lock file.
fn lock_error(f: &LockFile, err: std::io::Error) -> Error {
    Error::Lock {
        path: f.path().display().to_string(),
        err,
    }
}
