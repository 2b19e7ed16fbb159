//! `diff`: the changes between two saved snapshots, found by pruning equal subtrees by hash.
//!
//! Two directories are compared entry by entry (both lists are sorted by
//! name); an entry whose kind and object hash are equal on both sides is
//! skipped without reading anything below it, so the cost follows the size of
//! the change, not of the tree. Only directories whose hashes differ are read.
//!
//! What is reported:
//! - [`ChangeKind::Added`] / [`ChangeKind::Removed`]: the name exists only in
//!   the newer / older snapshot. A whole added or removed subtree is reported
//!   once, at its top: its contents are implied.
//! - [`ChangeKind::Modified`]: the name exists in both with different objects.
//!   `content` is file data (or size) or a symlink target; `meta` is
//!   permissions, times, the link count, or membership in a different set of
//!   hard-linked names; `kind_changed` means the type changed (a file became a
//!   directory, say): the old object was replaced wholesale, and nothing below
//!   it is reported. A directory is reported only when its own metadata
//!   changed; changes inside it are reported for its entries.
//!
//! The output is in tree order: paths compared component by component in
//! byte order, so a directory comes right before its contents. That order is
//! deterministic and is the order an archive of the changes is written in.

use std::collections::{BTreeSet, HashMap};

use crate::error::{Error, Result};
use crate::format::{
    DirObject, Entry, EntryKind, FileObject, LinkGroup, MAX_DEPTH, Meta, Path, SymlinkObject,
};
use crate::hash::Hash;
use crate::load::read_manifest;
use crate::store::Store;

/// One changed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Absolute path inside the snapshot, `/` separated (`/` itself is the
    /// root directory).
    pub path: String,
    /// What changed.
    pub kind: ChangeKind,
    /// The type of the object at `path`: in the newer snapshot, or in the older
    /// one for [`ChangeKind::Removed`].
    pub entry: EntryKind,
}

impl Change {
    /// The path's names from the root (empty for the root).
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.path.split('/').filter(|c| !c.is_empty())
    }
}

/// How one path differs between two snapshots (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Only in the newer snapshot.
    Added,
    /// Only in the older snapshot.
    Removed,
    /// In both, with a different object.
    Modified {
        /// File data, file size or symlink target differ.
        content: bool,
        /// Permissions, times, link count or hard-link partners differ.
        meta: bool,
        /// The object's type differs (everything below it was replaced).
        kind_changed: bool,
    },
}

/// The changes from snapshot `a` to snapshot `b` (manifest hashes), in tree
/// order. Reads only the directories on the paths to changes.
pub fn diff(store: &Store, a: &Hash, b: &Hash) -> Result<Vec<Change>> {
    let ma = read_manifest(store, a)?;
    let mb = read_manifest(store, b)?;
    let mut out = Vec::new();
    if ma.root != mb.root {
        let da: DirObject = store.get_object(&ma.root)?;
        let db: DirObject = store.get_object(&mb.root)?;
        let mut w = Walk {
            store,
            path: String::new(),
            out: &mut out,
        };
        if da.meta != db.meta {
            w.push("/".to_owned(), modified(false, true, false), EntryKind::Dir);
        }
        w.dirs(da, db)?;
    }
    if ma.links != mb.links {
        link_changes(store, &mb.root, &ma.links, &mb.links, &mut out)?;
        out.sort_by(|x, y| tree_order(&x.path, &y.path));
    }
    Ok(out)
}

fn modified(content: bool, meta: bool, kind_changed: bool) -> ChangeKind {
    ChangeKind::Modified {
        content,
        meta,
        kind_changed,
    }
}

/// Orders paths component by component: `/` sorts below every byte a name
/// may contain, so a directory's contents follow it before any sibling whose
/// name extends the directory's (`/a/x` before `/a-b`).
pub(crate) fn tree_order(x: &str, y: &str) -> std::cmp::Ordering {
    let key = |b: &u8| if *b == b'/' { 0 } else { *b };
    x.as_bytes()
        .iter()
        .map(key)
        .cmp(y.as_bytes().iter().map(key))
}

/// Two directories being compared, with the position reached in each.
struct Frame {
    a: DirObject,
    b: DirObject,
    i: usize,
    j: usize,
    /// Length of the walk's path before this directory's name was added.
    outer: usize,
}

/// Compares two trees depth first with an explicit stack (one frame per
/// level of differing directories, so any depth the engine can build is
/// walked without recursion), reporting in tree order.
struct Walk<'a> {
    store: &'a Store,
    /// Path of the directory being compared ("" for the root).
    path: String,
    out: &'a mut Vec<Change>,
}

impl Walk<'_> {
    fn push(&mut self, path: String, kind: ChangeKind, entry: EntryKind) {
        self.out.push(Change { path, kind, entry });
    }

    fn child(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }

    /// Compares two directories' entries and everything below the ones
    /// that differ.
    fn dirs(&mut self, a: DirObject, b: DirObject) -> Result<()> {
        let mut stack = vec![Frame {
            a,
            b,
            i: 0,
            j: 0,
            outer: self.path.len(),
        }];
        while let Some(top) = stack.last_mut() {
            let order = match (top.a.entries.get(top.i), top.b.entries.get(top.j)) {
                (None, None) => {
                    self.path.truncate(top.outer);
                    stack.pop();
                    continue;
                }
                (Some(x), Some(y)) => x.name.as_bytes().cmp(y.name.as_bytes()),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            match order {
                std::cmp::Ordering::Less => {
                    let x = &top.a.entries[top.i];
                    let (path, kind) = (self.child(&x.name), x.kind);
                    top.i += 1;
                    self.push(path, ChangeKind::Removed, kind);
                }
                std::cmp::Ordering::Greater => {
                    let y = &top.b.entries[top.j];
                    let (path, kind) = (self.child(&y.name), y.kind);
                    top.j += 1;
                    self.push(path, ChangeKind::Added, kind);
                }
                std::cmp::Ordering::Equal => {
                    let (x, y) = (top.a.entries[top.i].clone(), top.b.entries[top.j].clone());
                    top.i += 1;
                    top.j += 1;
                    if (x.hash != y.hash || x.kind != y.kind)
                        && let Some(frame) = self.entries(&x, &y)?
                    {
                        if stack.len() >= MAX_DEPTH {
                            return Err(Error::TooLarge("tree deeper than the format allows"));
                        }
                        stack.push(frame);
                    }
                }
            }
        }
        Ok(())
    }

    /// Compares two objects under the same name that differ; two
    /// directories give the frame to compare their entries in (the walk's
    /// path then names them).
    fn entries(&mut self, x: &Entry, y: &Entry) -> Result<Option<Frame>> {
        if y.kind == EntryKind::Dir && x.kind == EntryKind::Dir {
            let da: DirObject = self.store.get_object(&x.hash)?;
            let db: DirObject = self.store.get_object(&y.hash)?;
            // The path grows in place: a chain of differing directories
            // costs its length, not its length squared.
            let outer = self.path.len();
            self.path.push('/');
            self.path.push_str(&y.name);
            if da.meta != db.meta {
                let path = self.path.clone();
                self.push(path, modified(false, true, false), y.kind);
            }
            return Ok(Some(Frame {
                a: da,
                b: db,
                i: 0,
                j: 0,
                outer,
            }));
        }
        let path = self.child(&y.name);
        if x.kind != y.kind {
            let meta = object_meta(self.store, x)? != object_meta(self.store, y)?;
            self.push(path, modified(true, meta, true), y.kind);
            return Ok(None);
        }
        match y.kind {
            EntryKind::File => {
                let fa: FileObject = self.store.get_object(&x.hash)?;
                let fb: FileObject = self.store.get_object(&y.hash)?;
                let content = fa.size != fb.size || fa.chunks != fb.chunks;
                let meta = fa.meta != fb.meta || fa.nlink != fb.nlink;
                self.push(path, modified(content, meta, false), y.kind);
                Ok(None)
            }
            EntryKind::Symlink => {
                let sa: SymlinkObject = self.store.get_object(&x.hash)?;
                let sb: SymlinkObject = self.store.get_object(&y.hash)?;
                let change = modified(sa.target != sb.target, sa.meta != sb.meta, false);
                self.push(path, change, y.kind);
                Ok(None)
            }
            // Two directories are handled above.
            EntryKind::Dir => Ok(None),
        }
    }
}

/// The metadata of the object an entry names.
pub(crate) fn object_meta(store: &Store, e: &Entry) -> Result<Meta> {
    Ok(match e.kind {
        EntryKind::File => store.get_object::<FileObject>(&e.hash)?.meta,
        EntryKind::Dir => store.get_object::<DirObject>(&e.hash)?.meta,
        EntryKind::Symlink => store.get_object::<SymlinkObject>(&e.hash)?.meta,
    })
}

fn path_string(p: &Path) -> String {
    let mut s = String::new();
    for n in &p.0 {
        s.push('/');
        s.push_str(n);
    }
    s
}

/// Adds a `meta` change for every name whose set of hard-link partners
/// differs, unless that name is already reported as added or removed, or lies
/// under an added, removed or replaced directory.
fn link_changes(
    store: &Store,
    b_root: &Hash,
    a: &[LinkGroup],
    b: &[LinkGroup],
    out: &mut Vec<Change>,
) -> Result<()> {
    let ga: BTreeSet<&Vec<Path>> = a.iter().map(|g| &g.paths).collect();
    let gb: BTreeSet<&Vec<Path>> = b.iter().map(|g| &g.paths).collect();
    // A name in a group present on one side only has other partners on the
    // other side (or none): every name of such a group is a candidate.
    let candidates: BTreeSet<&Path> = ga
        .symmetric_difference(&gb)
        .flat_map(|g| g.iter())
        .collect();
    let index: HashMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, c)| (c.path.clone(), i))
        .collect();
    let replaced = |c: &Change| match c.kind {
        ChangeKind::Added | ChangeKind::Removed => true,
        ChangeKind::Modified { kind_changed, .. } => kind_changed,
    };
    for p in candidates {
        let path = path_string(p);
        let mut covered = false;
        let mut prefix = String::new();
        for n in &p.0[..p.0.len().saturating_sub(1)] {
            prefix.push('/');
            prefix.push_str(n);
            if index.get(&prefix).is_some_and(|&i| replaced(&out[i])) {
                covered = true;
                break;
            }
        }
        if covered {
            continue;
        }
        match index.get(&path) {
            Some(&i) => match &mut out[i].kind {
                ChangeKind::Modified {
                    meta, kind_changed, ..
                } if !*kind_changed => *meta = true,
                _ => {}
            },
            None => {
                let entry = lookup(store, b_root, p)?;
                out.push(Change {
                    path,
                    kind: modified(false, true, false),
                    entry,
                });
            }
        }
    }
    Ok(())
}

/// The kind of the entry at `p` in the tree rooted at directory `root`.
fn lookup(store: &Store, root: &Hash, p: &Path) -> Result<EntryKind> {
    let mut dir: DirObject = store.get_object(root)?;
    let mut kind = EntryKind::Dir;
    for (i, n) in p.0.iter().enumerate() {
        let e = dir
            .entries
            .binary_search_by(|e| e.name.as_bytes().cmp(n.as_bytes()))
            .map(|k| dir.entries[k].clone())
            .map_err(|_| Error::Corrupted {
                object: crate::format::Kind::Dir,
                hash: *root,
                what: "a hard-link path names nothing",
            })?;
        kind = e.kind;
        if i + 1 < p.0.len() {
            dir = store.get_object(&e.hash)?;
        }
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::tree_order;
    use std::cmp::Ordering;

    #[test]
    fn tree_order_is_component_order() {
        assert_eq!(tree_order("/a/x", "/a-b"), Ordering::Less);
        assert_eq!(tree_order("/a", "/a/x"), Ordering::Less);
        assert_eq!(tree_order("/", "/a"), Ordering::Less);
        assert_eq!(tree_order("/b", "/a/z"), Ordering::Greater);
    }
}
