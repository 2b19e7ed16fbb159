//! The inode table: snapshot objects numbered as the tree is walked, hard links sharing one number.
//!
//! Nothing is read up front: a directory's entries get inode numbers the first
//! time it is looked into (all of them at once, in name order), and an
//! object's attributes are read from the store the first time they are asked
//! for. Numbers are never reused while mounted (a read-only tree has nothing
//! to delete), so the table grows with the part of the snapshot visited.
//!
//! Hard links live in the manifest (a list of path groups, see
//! `strata_snapshots::format`): when an entry's path is in a group, every
//! name of the group gets the group's one inode number.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use strata_snapshots::format::{DirObject, EntryKind, FileObject, Manifest};
use strata_snapshots::{Hash, Result, Store};

/// The root directory's inode number (FUSE's `FUSE_ROOT_ID`).
pub(crate) const ROOT: u64 = 1;

/// File objects with at most this many chunks are kept in the table once
/// read (a few KiB each at most); larger ones are read again at each open.
const CACHED_CHUNKS: usize = 64;

/// What is known of one object once read: everything `stat` reports.
#[derive(Debug, Clone)]
pub(crate) enum Attr {
    /// A directory: permission bits, times and how many subdirectories it has.
    Dir {
        /// Permission bits.
        perm: u32,
        /// Access time, ns since the epoch.
        atime: u64,
        /// Modification time, ns since the epoch.
        mtime: u64,
        /// Entries that are directories (for the link count).
        subdirs: u64,
    },
    /// A regular file; small ones keep their chunk list.
    File {
        /// The file object.
        file: Arc<FileObject>,
        /// Whether `file.chunks` is the full list (else it is empty).
        chunks_kept: bool,
    },
    /// A symbolic link and its target.
    Symlink(Arc<strata_snapshots::format::SymlinkObject>),
}

/// One entry of a directory.
#[derive(Debug)]
pub(crate) struct Child {
    /// Its name in this directory (a hard link's other names are elsewhere).
    pub(crate) name: Box<str>,
    /// Its inode number.
    pub(crate) ino: u64,
    /// Its type.
    pub(crate) kind: EntryKind,
}

/// One numbered object.
#[derive(Debug)]
struct Node {
    /// The directory it was first found in (the root: itself).
    parent: u64,
    /// Its name there.
    name: Box<str>,
    kind: EntryKind,
    hash: Hash,
    /// A directory's entries, in name order, once read.
    children: Option<Arc<[Child]>>,
    attr: Option<Attr>,
}

/// Hard-link groups of the manifest, indexed for the walk.
#[derive(Debug, Default)]
struct Links {
    /// Path (names from the root) → group index.
    by_path: HashMap<Vec<String>, usize>,
    /// Last names of those paths: only entries with one of them are looked
    /// up (building every entry's path would cost a walk per entry).
    names: HashSet<String>,
    /// The inode number each group got, once one of its names was seen.
    inos: HashMap<usize, u64>,
}

#[derive(Debug)]
struct Inner {
    nodes: Vec<Node>,
    links: Links,
}

/// The inode table of one mounted snapshot.
#[derive(Debug)]
pub(crate) struct Tree {
    inner: RwLock<Inner>,
}

impl Tree {
    /// A table holding only the root of `manifest`.
    pub(crate) fn new(manifest: &Manifest) -> Tree {
        let mut links = Links::default();
        for (i, g) in manifest.links.iter().enumerate() {
            for p in &g.paths {
                links.by_path.insert(p.0.clone(), i);
                if let Some(last) = p.0.last() {
                    links.names.insert(last.clone());
                }
            }
        }
        let root = Node {
            parent: ROOT,
            name: "".into(),
            kind: EntryKind::Dir,
            hash: manifest.root,
            children: None,
            attr: None,
        };
        Tree {
            inner: RwLock::new(Inner {
                nodes: vec![root],
                links,
            }),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock leaves the table consistent (every
        // change is one push or one assignment), so a poisoned lock is usable.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The kind and object of inode `ino`, if it is numbered.
    pub(crate) fn object(&self, ino: u64) -> Option<(EntryKind, Hash)> {
        let g = self.read();
        node(&g.nodes, ino).map(|n| (n.kind, n.hash))
    }

    /// The parent directory of directory `ino` (the root's is itself).
    pub(crate) fn parent(&self, ino: u64) -> Option<u64> {
        node(&self.read().nodes, ino).map(|n| n.parent)
    }

    /// The path of `ino` from the root, for messages (`/` for the root).
    pub(crate) fn path(&self, ino: u64) -> String {
        let g = self.read();
        path_of(&g.nodes, ino)
            .map_or_else(|| format!("<inode {ino}>"), |p| format!("/{}", p.join("/")))
    }

    /// The attributes of `ino` (`None` if it is not numbered), read from
    /// the store on first use.
    pub(crate) fn attr(&self, store: &Store, ino: u64) -> Result<Option<Attr>> {
        let (kind, hash) = {
            let g = self.read();
            match node(&g.nodes, ino) {
                None => return Ok(None),
                Some(n) if n.attr.is_some() => return Ok(n.attr.clone()),
                Some(n) => (n.kind, n.hash),
            }
        };
        let attr = match kind {
            EntryKind::Dir => {
                // Reading a directory numbers its entries and sets its attributes.
                self.children(store, ino)?;
                return Ok(node(&self.read().nodes, ino).and_then(|n| n.attr.clone()));
            }
            EntryKind::File => {
                let mut file: FileObject = store.get_object(&hash)?;
                let chunks_kept = file.chunks.len() <= CACHED_CHUNKS;
                if !chunks_kept {
                    file.chunks = Vec::new();
                }
                Attr::File {
                    file: Arc::new(file),
                    chunks_kept,
                }
            }
            EntryKind::Symlink => Attr::Symlink(Arc::new(store.get_object(&hash)?)),
        };
        if let Some(n) = node_mut(&mut self.write().nodes, ino) {
            n.attr = Some(attr.clone());
        }
        Ok(Some(attr))
    }

    /// The entries of directory `ino` in name order (`None` if `ino` is not
    /// a numbered directory), numbering them on first use.
    pub(crate) fn children(&self, store: &Store, ino: u64) -> Result<Option<Arc<[Child]>>> {
        let hash = {
            let g = self.read();
            match node(&g.nodes, ino) {
                Some(n) if n.kind == EntryKind::Dir => match &n.children {
                    Some(c) => return Ok(Some(c.clone())),
                    None => n.hash,
                },
                _ => return Ok(None),
            }
        };
        // Read outside the lock: other requests go on meanwhile.
        let dir: DirObject = store.get_object(&hash)?;
        let mut g = self.write();
        let inner = &mut *g;
        let Some(this) = node(&inner.nodes, ino) else {
            return Ok(None);
        };
        if let Some(c) = &this.children {
            // Another request got here first.
            return Ok(Some(c.clone()));
        }
        let mut dir_path: Option<Vec<String>> = None;
        let mut children = Vec::with_capacity(dir.entries.len());
        for e in &dir.entries {
            let group = if e.kind != EntryKind::Dir && inner.links.names.contains(&e.name) {
                let base =
                    dir_path.get_or_insert_with(|| path_of(&inner.nodes, ino).unwrap_or_default());
                base.push(e.name.clone());
                let found = inner.links.by_path.get(base.as_slice()).copied();
                base.pop();
                found
            } else {
                None
            };
            // Another name of a file already numbered: the same inode, if it
            // really is the same object (a hostile manifest could group
            // unrelated paths; those stay apart).
            let linked = group
                .and_then(|gi| inner.links.inos.get(&gi).copied())
                .filter(|&other| {
                    node(&inner.nodes, other).is_some_and(|n| n.kind == e.kind && n.hash == e.hash)
                });
            let child = match linked {
                Some(other) => other,
                None => {
                    let new = inner.nodes.len() as u64 + 1;
                    inner.nodes.push(Node {
                        parent: ino,
                        name: e.name.as_str().into(),
                        kind: e.kind,
                        hash: e.hash,
                        children: None,
                        attr: None,
                    });
                    if let Some(gi) = group {
                        inner.links.inos.entry(gi).or_insert(new);
                    }
                    new
                }
            };
            children.push(Child {
                name: e.name.as_str().into(),
                ino: child,
                kind: e.kind,
            });
        }
        let children: Arc<[Child]> = children.into();
        let subdirs = dir
            .entries
            .iter()
            .filter(|e| e.kind == EntryKind::Dir)
            .count() as u64;
        let Some(this) = node_mut(&mut inner.nodes, ino) else {
            return Ok(None);
        };
        this.children = Some(children.clone());
        this.attr = Some(Attr::Dir {
            perm: dir.meta.perm,
            atime: dir.meta.atime,
            mtime: dir.meta.mtime,
            subdirs,
        });
        Ok(Some(children))
    }

    /// The entry `name` of directory `ino`: its inode number, if present.
    pub(crate) fn lookup(&self, store: &Store, ino: u64, name: &[u8]) -> Result<Option<u64>> {
        let Some(children) = self.children(store, ino)? else {
            return Ok(None);
        };
        // Entries are in byte order of their names (checked when decoded).
        Ok(children
            .binary_search_by(|c| c.name.as_bytes().cmp(name))
            .ok()
            .map(|i| children[i].ino))
    }
}

/// The table index of inode `ino`.
fn index(ino: u64) -> Option<usize> {
    usize::try_from(ino.checked_sub(1)?).ok()
}

fn node(nodes: &[Node], ino: u64) -> Option<&Node> {
    nodes.get(index(ino)?)
}

fn node_mut(nodes: &mut [Node], ino: u64) -> Option<&mut Node> {
    nodes.get_mut(index(ino)?)
}

/// The names from the root down to `ino`.
fn path_of(nodes: &[Node], mut ino: u64) -> Option<Vec<String>> {
    let mut names = Vec::new();
    while ino != ROOT {
        let n = nodes.get(index(ino)?)?;
        names.push(n.name.to_string());
        ino = n.parent;
    }
    names.reverse();
    Some(names)
}
