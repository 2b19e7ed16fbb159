//! Upper-layer directories: an ordered map of names to entries.

use imbl::OrdMap;

use super::{FileType, Ino};
use crate::cost;
use crate::name::Name;

/// One name in an upper directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// The name refers to this inode (upper, or lower under identity).
    Node(Ino, FileType),
    /// The name is deleted: it hides whatever the lower layer has under it.
    Whiteout,
}

/// An upper directory.
#[derive(Debug, Clone)]
pub(crate) struct Dir {
    pub(crate) entries: OrdMap<Name, Entry>,
    /// Whether the lower directory with the same inode number shows through
    /// beneath these entries. False for directories created in the upper layer,
    /// which makes a directory recreated over a whiteout opaque.
    pub(crate) merged: bool,
    /// The containing directory (itself for the root). Directories have exactly
    /// one parent, so this is well defined and lets rename reject a move into the
    /// directory's own subtree.
    pub(crate) parent: Ino,
}

impl Dir {
    pub(crate) fn new(parent: Ino, merged: bool) -> Dir {
        Dir {
            entries: OrdMap::new(),
            merged,
            parent,
        }
    }

    /// Host memory of the entry map and every entry in it (see `cost`).
    pub(crate) fn charge(&self) -> u64 {
        cost::DIR_MAP
            + self
                .entries
                .keys()
                .map(|n| cost::entry(n.as_str().len()))
                .sum::<u64>()
    }
}
