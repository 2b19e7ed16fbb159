//! The ordered list of entries that writes a snapshot (or its changes) out: shared by export and checkout.

use std::collections::{HashMap, HashSet};

use crate::diff::{ChangeKind, diff};
use crate::error::{Error, Result};
use crate::format::{DirObject, Entry, EntryKind, FileObject, Kind, Meta, SymlinkObject};
use crate::hash::Hash;
use crate::load::read_manifest;
use crate::store::Store;

/// One thing to write, with its path relative to the root ("" is the root,
/// names joined by `/`). Parents always come before their contents.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// A directory and its own metadata.
    Dir { path: String, meta: Meta },
    /// A regular file.
    File { path: String, file: FileObject },
    /// A symbolic link.
    Symlink { path: String, link: SymlinkObject },
    /// Another name of the file or symlink written earlier at `target`.
    HardLink { path: String, target: String },
    /// `path` existed in the base and is gone.
    Whiteout { path: String },
    /// Directory `path` hides everything the base had in it.
    Opaque { path: String },
}

/// Bytes of file content in `items`: the total a progress bar counts to.
pub(crate) fn file_bytes(items: &[Item]) -> u64 {
    items
        .iter()
        .map(|i| match i {
            Item::File { file, .. } => file.size,
            _ => 0,
        })
        .sum()
}

/// The items that write snapshot `snap`: all of it when `base` is `None`,
/// otherwise only what differs from `base` (with the directories above each
/// change, whiteouts for removed names and an opaque marker for a directory
/// that lost every entry the base had in it).
pub(crate) fn plan(store: &Store, snap: &Hash, base: Option<&Hash>) -> Result<Vec<Item>> {
    let m = read_manifest(store, snap)?;
    let mut links = HashMap::new();
    for (i, g) in m.links.iter().enumerate() {
        for p in &g.paths {
            links.insert(p.0.join("/"), i);
        }
    }
    let mut p = Planner {
        store,
        links,
        first: HashMap::new(),
        items: Vec::new(),
        stack: Vec::new(),
        root: m.root,
        opaque: HashSet::new(),
    };
    let Some(base) = base else {
        p.descend(&[])?;
        p.stack.clear();
        let root: DirObject = store.get_object(&m.root)?;
        for e in &root.entries {
            p.subtree(e.name.clone(), e)?;
        }
        return Ok(p.items);
    };
    let changes = diff(store, base, snap)?;
    p.find_opaque(store, base, &changes)?;
    for c in &changes {
        let comps: Vec<&str> = c.components().collect();
        let Some((_, parent)) = comps.split_last() else {
            // The root's own metadata.
            p.descend(&[])?;
            continue;
        };
        let path = comps.join("/");
        match c.kind {
            ChangeKind::Removed => {
                p.descend(parent)?;
                if !p.opaque.contains(&parent.join("/")) {
                    p.items.push(Item::Whiteout { path });
                }
            }
            ChangeKind::Added
            | ChangeKind::Modified {
                kind_changed: true, ..
            } => {
                let e = p.descend_entry(parent, comps[comps.len() - 1])?;
                p.subtree(path, &e)?;
            }
            ChangeKind::Modified { .. } if c.entry == EntryKind::Dir => p.descend(&comps)?,
            ChangeKind::Modified { .. } => {
                let e = p.descend_entry(parent, comps[comps.len() - 1])?;
                p.subtree(path, &e)?;
            }
        }
    }
    Ok(p.items)
}

struct Planner<'a> {
    store: &'a Store,
    /// Path → index of its hard-link group in the manifest.
    links: HashMap<String, usize>,
    /// Group index → the path its first name was written at.
    first: HashMap<usize, String>,
    items: Vec<Item>,
    /// Directories of the snapshot already written, from the root down to
    /// the last one entered: (name, directory).
    stack: Vec<(String, DirObject)>,
    root: Hash,
    /// Directories written with an opaque marker.
    opaque: HashSet<String>,
}

impl Planner<'_> {
    /// Decides which directories get an opaque marker: those that are
    /// directories on both sides and lost every entry the base had (all of
    /// them reported removed).
    fn find_opaque(&mut self, store: &Store, base: &Hash, changes: &[crate::Change]) -> Result<()> {
        let mut removed: HashMap<String, usize> = HashMap::new();
        for c in changes {
            if c.kind == ChangeKind::Removed {
                let comps: Vec<&str> = c.components().collect();
                *removed
                    .entry(comps[..comps.len() - 1].join("/"))
                    .or_default() += 1;
            }
        }
        if removed.is_empty() {
            return Ok(());
        }
        let base_root = read_manifest(store, base)?.root;
        for (dir, n) in removed {
            let comps: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
            let d = dir_at(store, &base_root, &comps)?;
            if d.entries.len() == n {
                self.opaque.insert(dir);
            }
        }
        Ok(())
    }

    /// Makes the written directories exactly `dir` and its ancestors, writing
    /// (once) every directory not written yet.
    fn descend(&mut self, dir: &[&str]) -> Result<()> {
        // stack[0] is the root; stack[k] is dir[..k].
        let mut keep = 0;
        while keep < self.stack.len()
            && (keep == 0 || (keep <= dir.len() && self.stack[keep].0 == dir[keep - 1]))
        {
            keep += 1;
        }
        self.stack.truncate(keep);
        if self.stack.is_empty() {
            let root: DirObject = self.store.get_object(&self.root)?;
            self.items.push(Item::Dir {
                path: String::new(),
                meta: root.meta,
            });
            if self.opaque.contains("") {
                self.items.push(Item::Opaque {
                    path: String::new(),
                });
            }
            self.stack.push((String::new(), root));
        }
        while self.stack.len() <= dir.len() {
            let k = self.stack.len();
            let name = dir[k - 1];
            let e = self.entry_in_top(name)?;
            if e.kind != EntryKind::Dir {
                return Err(self.corrupted("a changed path's parent is not a directory"));
            }
            let d: DirObject = self.store.get_object(&e.hash)?;
            let path = dir[..k].join("/");
            self.items.push(Item::Dir {
                path: path.clone(),
                meta: d.meta,
            });
            if self.opaque.contains(&path) {
                self.items.push(Item::Opaque { path });
            }
            self.stack.push((name.to_owned(), d));
        }
        Ok(())
    }

    fn corrupted(&self, what: &'static str) -> Error {
        Error::Corrupted {
            object: Kind::Dir,
            hash: self.root,
            what,
        }
    }

    fn entry_in_top(&self, name: &str) -> Result<Entry> {
        let Some((_, top)) = self.stack.last() else {
            return Err(self.corrupted("no directory entered"));
        };
        top.entries
            .binary_search_by(|e| e.name.as_bytes().cmp(name.as_bytes()))
            .map(|i| top.entries[i].clone())
            .map_err(|_| self.corrupted("a changed path names nothing"))
    }

    /// Enters `parent` and returns its entry `name`.
    fn descend_entry(&mut self, parent: &[&str], name: &str) -> Result<Entry> {
        self.descend(parent)?;
        self.entry_in_top(name)
    }

    /// Writes `e` at `path` and, for a directory, everything below it.
    fn subtree(&mut self, path: String, e: &Entry) -> Result<()> {
        let mut work = vec![(path, e.clone())];
        while let Some((path, e)) = work.pop() {
            match e.kind {
                EntryKind::Dir => {
                    let d: DirObject = self.store.get_object(&e.hash)?;
                    for c in d.entries.iter().rev() {
                        work.push((format!("{path}/{}", c.name), c.clone()));
                    }
                    self.items.push(Item::Dir { path, meta: d.meta });
                }
                EntryKind::File | EntryKind::Symlink => {
                    if let Some(&g) = self.links.get(&path) {
                        if let Some(target) = self.first.get(&g) {
                            let target = target.clone();
                            self.items.push(Item::HardLink { path, target });
                            continue;
                        }
                        self.first.insert(g, path.clone());
                    }
                    if e.kind == EntryKind::File {
                        let file: FileObject = self.store.get_object(&e.hash)?;
                        self.items.push(Item::File { path, file });
                    } else {
                        let link: SymlinkObject = self.store.get_object(&e.hash)?;
                        self.items.push(Item::Symlink { path, link });
                    }
                }
            }
        }
        Ok(())
    }
}

/// The directory at `comps` under the root directory `root`.
fn dir_at(store: &Store, root: &Hash, comps: &[&str]) -> Result<DirObject> {
    let mut d: DirObject = store.get_object(root)?;
    for n in comps {
        let e = d
            .entries
            .binary_search_by(|e| e.name.as_bytes().cmp(n.as_bytes()))
            .map(|i| d.entries[i].clone())
            .map_err(|_| Error::Corrupted {
                object: Kind::Dir,
                hash: *root,
                what: "a removed path's parent names nothing",
            })?;
        d = store.get_object(&e.hash)?;
    }
    Ok(d)
}
