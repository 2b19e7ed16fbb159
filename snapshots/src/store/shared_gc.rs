//! `gc` on a store shared without lock files (object storage): a mark phase, a pending list, and an age grace period.
//!
//! Hosts sharing a bucket have no `flock`, so a `gc` cannot wait for the
//! saves in progress. Instead it removes an object only in two steps:
//!
//! 1. A `gc` marks what the refs reach and writes each other object, with
//!    the file holding it (pack or loose object), to `gc/pending` (the
//!    *pending list*). It removes nothing listed by itself.
//! 2. A later `gc`, at least the backend's grace period after the list was
//!    written (its time as the backend reports it), marks again and, in the
//!    files the list names, removes the listed objects that are still
//!    unreachable (a pack holding others too is rewritten without them);
//!    then it writes a new list.
//!
//! A save reads the list when it takes the store lock ([`Store::lock_shared`])
//! and never counts a listed object as present: it writes its own copy, in a
//! new file the list does not name, which step 2 leaves alone. So the only
//! save that can reference a listed copy is one that looked it up before the
//! list existed; if it sets its ref within the grace period, the second `gc`
//! sees the object reachable and keeps it. Hence the rule of a shared store:
//! **a save finishes within the grace period of its start.**

use std::collections::HashMap;
use std::io;
use std::sync::PoisonError;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use super::packs::{Batch, PACK_DIR, pack_path, read_index};
use super::{GcStats, Store};
use crate::error::{Error, Result};
use crate::hash::{DigestSet, Hash};
use crate::progress::NoProgress;

/// The pending list: a header line, then one line per object: the file
/// holding it (`packs/NAME.pack` or `objects/ab/…`), a space, its hash in hex.
pub(crate) const PENDING: &str = "gc/pending";
/// First line of the pending list, version 1.
const PENDING_HEADER: &str = "strata gc pending 1";

/// The entries of a pending list: each file with the listed objects in it.
type Listed = HashMap<String, DigestSet>;

/// The pending list as a store value last read it.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    /// When the list was written (`None`: there is none).
    stamp: Option<SystemTime>,
    /// Its hashes.
    set: DigestSet,
}

impl Store {
    /// Reads the pending list again if it changed since this store value
    /// last looked (a shared backend only): listed objects no longer count as
    /// present, and what a `Saver` remembers is stale.
    pub(crate) fn note_pending(&self) -> Result<()> {
        if self.backend.gc_grace().is_none() {
            return Ok(());
        }
        let stamp = self.backend.modified(PENDING)?;
        let mut p = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        if p.stamp == stamp && stamp.is_some() {
            return Ok(());
        }
        let set = match stamp {
            Some(_) => self
                .read_pending()?
                .map(|(l, _)| l.into_values().flatten().collect())
                .unwrap_or_default(),
            None => DigestSet::default(),
        };
        let changed = p.set.len() != set.len() || set.iter().any(|h| !p.set.contains(h));
        *p = Pending { stamp, set };
        drop(p);
        if changed {
            self.forget_packs();
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    /// Whether `h` is on the pending list as last read: a save must not
    /// count on it being present.
    pub(crate) fn is_pending(&self, h: &Hash) -> bool {
        self.pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .set
            .contains(h)
    }

    /// The pending list and when it was written; `None` if there is none.
    fn read_pending(&self) -> Result<Option<(Listed, SystemTime)>> {
        let Some(stamp) = self.backend.modified(PENDING)? else {
            return Ok(None);
        };
        let Some(bytes) = self.backend.read(PENDING, u64::MAX)? else {
            return Ok(None);
        };
        let bad = |what: &str| {
            Error::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{PENDING}: {what}"),
            ))
        };
        let text = std::str::from_utf8(&bytes).map_err(|_| bad("not UTF-8"))?;
        let mut lines = text.lines();
        if lines.next() != Some(PENDING_HEADER) {
            return Err(bad("unknown header"));
        }
        let mut listed = Listed::new();
        for (i, line) in lines.enumerate() {
            let entry = line.split_once(' ').and_then(|(file, h)| {
                let ours = file.starts_with("packs/") || file.starts_with("objects/");
                Some((file, h.parse::<Hash>().ok()?)).filter(|_| ours)
            });
            let (file, h) =
                entry.ok_or_else(|| bad(&format!("line {} is not a file and a hash", i + 2)))?;
            listed.entry(file.to_owned()).or_default().insert(h);
        }
        Ok(Some((listed, stamp)))
    }

    /// `gc` for a backend with a grace period (see the module docs).
    pub(crate) fn gc_shared(&self, grace: Duration) -> Result<GcStats> {
        self.forget_packs();
        let roots: Vec<Hash> = self.refs()?.into_iter().map(|(_, h)| h).collect();
        let mut live = DigestSet::default();
        self.mark(&mut live, &roots, false, &NoProgress)?;
        let mut stats = GcStats::default();
        let now = SystemTime::now();
        let (due, listed, listed_at) = match self.read_pending()? {
            // A clock behind the store's makes the list look young: wait.
            Some((l, at)) => (now.duration_since(at).is_ok_and(|d| d >= grace), l, at),
            None => (true, Listed::new(), now),
        };
        if !due {
            stats.kept = live.len();
            let dead: DigestSet = listed
                .into_values()
                .flatten()
                .filter(|h| !live.contains(h))
                .collect();
            stats.pending = dead.len();
            return Ok(stats);
        }
        if !listed.is_empty() {
            self.remove_listed(&live, &listed, listed_at, &mut stats)?;
            self.forget_packs();
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        // After the removals: a save starting meanwhile still reads the old
        // list, which names every object being removed.
        let mut body = String::from(PENDING_HEADER);
        body.push('\n');
        let mut kept = DigestSet::default();
        let mut pending = DigestSet::default();
        for (file, hashes) in self.files()? {
            for h in hashes {
                if live.contains(&h) {
                    kept.insert(h);
                } else {
                    pending.insert(h);
                    body.push_str(&format!("{file} {h}\n"));
                }
            }
        }
        stats.kept = kept.len();
        stats.pending = pending.len();
        self.backend.write_atomic(PENDING, body.as_bytes())?;
        Ok(stats)
    }

    /// Every pack and loose object, with the objects in it.
    fn files(&self) -> Result<Vec<(String, Vec<Hash>)>> {
        let b = self.backend();
        let mut out = Vec::new();
        for name in b.list(PACK_DIR)? {
            if !name.ends_with(".pack") {
                continue;
            }
            match read_index(b, &name) {
                Ok(index) => out.push((pack_path(&name), index.iter().map(|e| e.hash).collect())),
                // Removed meanwhile by another gc.
                Err(Error::Io(e)) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        for fan in b.list("objects")? {
            for rest in b.list(&format!("objects/{fan}"))? {
                if let Ok(h) = format!("{fan}{rest}").parse::<Hash>() {
                    out.push((format!("objects/{fan}/{rest}"), vec![h]));
                }
            }
        }
        Ok(out)
    }

    /// In the files `listed` names, removes the listed objects `live` does
    /// not reach: a file holding only such objects goes; a pack holding
    /// others too is rewritten without them (the new pack is written before
    /// the old one is removed).
    ///
    /// A file written again since the list (at `listed_at`) is left alone: a
    /// save that skipped the listed objects wrote the very same pack (packs
    /// are named by their content), and the backend renewed it.
    fn remove_listed(
        &self,
        live: &DigestSet,
        listed: &Listed,
        listed_at: SystemTime,
        stats: &mut GcStats,
    ) -> Result<()> {
        let b = self.backend();
        let mut files: Vec<(&String, &DigestSet)> = listed.iter().collect();
        files.sort_by(|a, b| a.0.cmp(b.0));
        for (file, hashes) in files {
            let doomed = |h: &Hash| hashes.contains(h) && !live.contains(h);
            // Times have a second's resolution on S3: same second, renewed.
            if b.modified(file)?.is_some_and(|m| m >= listed_at) {
                continue;
            }
            let Some(name) = file.strip_prefix("packs/") else {
                // A loose object, named by its hash.
                let h = file
                    .trim_start_matches("objects/")
                    .replace('/', "")
                    .parse::<Hash>();
                if h.is_ok_and(|h| doomed(&h)) && b.exists(file)? {
                    b.remove(file)?;
                    stats.removed += 1;
                }
                continue;
            };
            let index = match read_index(b, name) {
                Ok(i) => i,
                // Removed meanwhile by another gc.
                Err(Error::Io(e)) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let dead = index.iter().filter(|e| doomed(&e.hash)).count();
            if dead == 0 {
                continue;
            }
            if dead < index.len() {
                let mut batch = Batch::new(self, false);
                for e in index.iter().filter(|e| !doomed(&e.hash)) {
                    let bytes = b.read_at(file, e.offset, e.len as usize)?;
                    if Hash::of(&bytes) != e.hash {
                        return Err(Error::CorruptedPack {
                            pack: name.to_owned(),
                            what: "an object does not match its hash",
                        });
                    }
                    batch.put(&bytes)?;
                }
                if batch.finish_packs()?.iter().any(|n| n == name) {
                    continue;
                }
            }
            b.remove(file)?;
            stats.removed += dead;
            stats.packs_rewritten += 1;
        }
        Ok(())
    }
}
