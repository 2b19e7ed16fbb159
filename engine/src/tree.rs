//! The filesystem state as a value, and `Snapshot`, its frozen, shareable form.

use std::fmt;
use std::sync::Arc;

use imbl::{OrdMap, OrdSet};

use crate::config::Config;
use crate::error::Result;
use crate::inode::{FileType, Ino, InodeRef};
use crate::layer::Lower;
use crate::name::Name;
use crate::overlay::{DirEntry, Stat, View};

/// The upper layer: persistent maps, so cloning it is O(1) and shares everything.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub(crate) inodes: OrdMap<Ino, InodeRef>,
    pub(crate) root: Ino,
    pub(crate) next_ino: u64,
    /// Logical time: advanced on every timestamp taken (see `Clock`).
    pub(crate) tick: u64,
    /// Bytes of file data and symlink targets.
    pub(crate) bytes: u64,
    /// Host memory the tree holds, as the byte quota charges it (see `cost`):
    /// every inode's charge plus the entries of every directory.
    pub(crate) charge: u64,
    /// Unlinked inodes still held open; dropped on last close and left out of
    /// snapshots.
    pub(crate) orphans: OrdSet<Ino>,
}

/// What every state forked from one filesystem shares: the lower layer and the
/// configuration.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) lower: Option<Arc<dyn Lower>>,
    pub(crate) config: Config,
}

/// An immutable filesystem state: taken and restored in O(1), `Send + Sync`, so
/// any number of threads can fork filesystems from it.
#[derive(Clone)]
pub struct Snapshot {
    pub(crate) tree: Tree,
    pub(crate) shared: Arc<Shared>,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("upper_inodes", &self.tree.inodes.len())
            .field("bytes", &self.tree.bytes)
            .field("charge", &self.tree.charge)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    pub(crate) fn view(&self) -> View<'_> {
        View {
            tree: &self.tree,
            lower: self.shared.lower.as_deref(),
        }
    }

    /// The root directory.
    pub fn root(&self) -> Ino {
        self.tree.root
    }

    /// Metadata of an object.
    pub fn stat(&self, ino: Ino) -> Result<Stat> {
        self.view().stat(ino)
    }

    /// The object `name` in directory `dir`, if it exists (merged view).
    pub fn lookup(&self, dir: Ino, name: &Name) -> Result<Option<(Ino, FileType)>> {
        self.view().lookup(dir, name)
    }

    /// The merged entries of a directory in name order, without `.` and `..`.
    pub fn entries(&self, dir: Ino) -> Result<Vec<DirEntry>> {
        let mut out = Vec::new();
        self.view().list(dir, None, &mut |e| {
            out.push(e);
            true
        })?;
        Ok(out)
    }

    /// Reads file data at `offset`.
    pub fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.view().read(ino, offset, buf)
    }

    /// The first range `(start, end)` at or after `offset` of file `ino` that
    /// may hold non-zero bytes, or `None` if the rest of the file reads as
    /// zeros (see [`Lower::data_range`]): stored chunks of the upper layer,
    /// and the data ranges of the lower object where its content is still
    /// the lower's. A reader that reads only these ranges reads every
    /// non-zero byte and skips the holes.
    pub fn data_range(&self, ino: Ino, offset: u64) -> Result<Option<(u64, u64)>> {
        use crate::inode::{Body, Inode};
        use crate::overlay::Node;
        let view = self.view();
        match view.node(ino)? {
            Node::Upper(Inode {
                body: Body::File(f),
                ..
            }) => {
                let lower = view.lower;
                f.data_range(offset, &mut |off| match lower {
                    Some(l) => l.data_range(ino, off),
                    None => Ok(None),
                })
            }
            Node::Upper(_) => Err(crate::error::Error::Invalid("not a regular file")),
            Node::Lower(l) => l.data_range(ino, offset),
        }
    }

    /// The target of a symlink.
    pub fn readlink(&self, ino: Ino) -> Result<Arc<str>> {
        self.view().readlink(ino)
    }

    /// The lower layer this state lies over, if any.
    pub fn lower(&self) -> Option<&Arc<dyn Lower>> {
        self.shared.lower.as_ref()
    }

    /// The state's logical time: the tick the next timestamp will use (see
    /// `Clock`). Two states built by the same operations have the same tick.
    pub fn tick(&self) -> u64 {
        self.tree.tick
    }

    /// Bytes of file data and symlink targets the upper layer holds.
    pub fn upper_bytes(&self) -> u64 {
        self.tree.bytes
    }

    /// Bytes charged to the byte quota: the host memory the upper layer
    /// holds (see [`Config::max_bytes`]). A filesystem forked from this
    /// snapshot starts with this charge.
    pub fn charged_bytes(&self) -> u64 {
        self.tree.charge
    }

    /// Number of inodes held by the upper layer (created or copied up).
    pub fn upper_inodes(&self) -> usize {
        self.tree.inodes.len()
    }

    /// Inodes whose upper-layer record differs between `self` and `older`,
    /// found by skipping every subtree the two states share: the cost follows the
    /// size of the change, not of the tree.
    pub fn changed_since(&self, older: &Snapshot) -> Vec<Ino> {
        use imbl::ordmap::DiffItem;
        older
            .tree
            .inodes
            .diff(&self.tree.inodes)
            .map(|d| match d {
                DiffItem::Add(k, _) | DiffItem::Remove(k, _) => *k,
                DiffItem::Update { new: (k, _), .. } => *k,
            })
            .collect()
    }
}
