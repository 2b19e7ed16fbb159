//! The saver's structure cache: each directory's listing and each object's names.
//!
//! This is the reverse index that makes incremental saving cheap: from an inode
//! the engine reports changed, its names lead to the directories above it, and
//! only those are re-encoded.

use std::collections::{BTreeSet, HashMap};

use strata_engine::{DirEntry, FileType, Ino, Name, Snapshot};

use crate::error::{Error, Result};
use crate::format::{MAX_DEPTH, Path};

/// Listings and names of every object reachable in the last saved state.
#[derive(Debug, Default)]
pub(crate) struct Index {
    /// Entries of each reachable directory, in name order.
    pub(crate) listing: HashMap<Ino, Vec<DirEntry>>,
    /// Every (directory, name) under which an object is reachable.
    pub(crate) names: HashMap<Ino, Vec<(Ino, Name)>>,
    /// Objects with more than one name (hard-linked files).
    pub(crate) multi: BTreeSet<Ino>,
}

/// What changed in the index while applying a batch of changes.
#[derive(Debug, Default)]
pub(crate) struct Delta {
    /// Objects that gained or lost a name (their link count may have changed).
    pub(crate) renamed: Vec<Ino>,
    /// Objects that may have become unreachable.
    pub(crate) candidates: Vec<Ino>,
    /// Directories that appeared and were never listed.
    pub(crate) new_dirs: Vec<Ino>,
}

impl Index {
    fn add_name(&mut self, ino: Ino, parent: Ino, name: Name) {
        let v = self.names.entry(ino).or_default();
        v.push((parent, name));
        if v.len() > 1 {
            self.multi.insert(ino);
        }
    }

    fn remove_name(&mut self, ino: Ino, parent: Ino, name: &Name) {
        if let Some(v) = self.names.get_mut(&ino) {
            v.retain(|(p, n)| !(*p == parent && n == name));
            if v.len() < 2 {
                self.multi.remove(&ino);
            }
        }
    }

    /// Lists `top` and every directory below it that is not listed yet.
    pub(crate) fn list_subtree(&mut self, snap: &Snapshot, top: Ino) -> Result<()> {
        let mut work = vec![top];
        while let Some(dir) = work.pop() {
            if self.listing.contains_key(&dir) {
                continue;
            }
            let entries = snap.entries(dir)?;
            for e in &entries {
                self.add_name(e.ino, dir, e.name.clone());
                if e.kind == FileType::Dir {
                    work.push(e.ino);
                }
            }
            self.listing.insert(dir, entries);
        }
        Ok(())
    }

    /// Lists directory `dir` again (or forgets its listing if it is no longer a
    /// directory) and records the names that appeared and disappeared.
    pub(crate) fn relist(
        &mut self,
        snap: &Snapshot,
        dir: Ino,
        is_dir: bool,
        delta: &mut Delta,
    ) -> Result<()> {
        let new = if is_dir {
            snap.entries(dir)?
        } else {
            Vec::new()
        };
        let old = self.listing.remove(&dir).unwrap_or_default();
        // Both listings are in name order: merge them.
        let (mut i, mut j) = (0, 0);
        while i < old.len() || j < new.len() {
            let ord = match (old.get(i), new.get(j)) {
                (Some(a), Some(b)) => a.name.cmp(&b.name),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (gone, came) = match ord {
                std::cmp::Ordering::Less => (old.get(i), None),
                std::cmp::Ordering::Greater => (None, new.get(j)),
                std::cmp::Ordering::Equal if old[i].ino == new[j].ino => (None, None),
                std::cmp::Ordering::Equal => (old.get(i), new.get(j)),
            };
            if let Some(a) = gone {
                self.remove_name(a.ino, dir, &a.name);
                delta.renamed.push(a.ino);
                delta.candidates.push(a.ino);
            }
            if let Some(b) = came {
                self.add_name(b.ino, dir, b.name.clone());
                delta.renamed.push(b.ino);
                if b.kind == FileType::Dir && !self.listing.contains_key(&b.ino) {
                    delta.new_dirs.push(b.ino);
                }
            }
            match ord {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                }
            }
        }
        if is_dir {
            self.listing.insert(dir, new);
        }
        Ok(())
    }

    /// Forgets every candidate that has no name left (and, for a directory,
    /// everything reachable only through it); returns what was forgotten.
    pub(crate) fn purge(&mut self, root: Ino, mut candidates: Vec<Ino>) -> Vec<Ino> {
        let mut gone = Vec::new();
        while let Some(c) = candidates.pop() {
            if c == root || self.names.get(&c).is_some_and(|v| !v.is_empty()) {
                continue;
            }
            self.names.remove(&c);
            self.multi.remove(&c);
            if let Some(entries) = self.listing.remove(&c) {
                for e in entries {
                    self.remove_name(e.ino, c, &e.name);
                    candidates.push(e.ino);
                }
            }
            gone.push(c);
        }
        gone
    }

    /// The number of names of `ino`.
    pub(crate) fn link_count(&self, ino: Ino) -> usize {
        self.names.get(&ino).map_or(0, Vec::len)
    }

    /// The path from the root to name `name` in directory `dir`.
    pub(crate) fn path(&self, root: Ino, dir: Ino, name: &Name) -> Result<Path> {
        let mut out = vec![name.as_str().to_owned()];
        let mut cur = dir;
        while cur != root {
            if out.len() > MAX_DEPTH {
                return Err(Error::TooLarge("tree deeper than the format allows"));
            }
            let (up, n) = self
                .names
                .get(&cur)
                .and_then(|v| v.first())
                .ok_or(Error::TooLarge("directory without a name"))?;
            out.push(n.as_str().to_owned());
            cur = *up;
        }
        out.reverse();
        Ok(Path(out))
    }
}
