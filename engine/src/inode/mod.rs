//! Inodes of the upper layer: metadata plus a file, directory or symlink body.

mod dir;
mod file;

pub(crate) use dir::{Dir, Entry};
pub(crate) use file::{CHUNK, FileData};

use std::sync::Arc;

use crate::clock::Timestamp;
use crate::cost;
use crate::layer::LowerStat;

/// An inode number, unique across the upper and lower layers of one filesystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ino(pub u64);

/// The type of a filesystem object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileType {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
}

/// Metadata every inode carries besides its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Meta {
    /// Permission bits (`0o7777` mask).
    pub(crate) perm: u32,
    pub(crate) nlink: u64,
    pub(crate) atime: Timestamp,
    pub(crate) mtime: Timestamp,
    pub(crate) ctime: Timestamp,
}

impl Meta {
    pub(crate) fn new(perm: u32, nlink: u64, now: Timestamp) -> Meta {
        Meta {
            perm: perm & 0o7777,
            nlink,
            atime: now,
            mtime: now,
            ctime: now,
        }
    }
}

impl From<&LowerStat> for Meta {
    /// A lower object's metadata, as its upper record starts out.
    fn from(s: &LowerStat) -> Meta {
        Meta {
            perm: s.perm,
            nlink: s.nlink,
            atime: s.atime,
            mtime: s.mtime,
            ctime: s.ctime,
        }
    }
}

/// What an inode holds.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    File(FileData),
    Dir(Dir),
    Symlink(Arc<str>),
}

/// An inode as held by the inode table: shared between states, compared by
/// identity (two states hold "the same" inode only if they share it), which is
/// what lets a diff of two tables skip everything they share.
#[derive(Debug, Clone)]
pub(crate) struct InodeRef(pub(crate) Arc<Inode>);

impl PartialEq for InodeRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for InodeRef {
    type Target = Inode;
    fn deref(&self) -> &Inode {
        &self.0
    }
}

impl InodeRef {
    /// Mutable access, copying the inode first if another state shares it.
    pub(crate) fn make_mut(&mut self) -> &mut Inode {
        Arc::make_mut(&mut self.0)
    }
}

/// One upper-layer inode. Kept behind `Arc` in the inode table so that cloning the
/// table (a snapshot) shares every inode.
#[derive(Debug, Clone)]
pub(crate) struct Inode {
    pub(crate) meta: Meta,
    pub(crate) body: Body,
    /// Which object this is, beyond its number: unique per object created in
    /// this process, 0 for objects that come from a lower layer. Never
    /// observable, never saved, so it costs determinism nothing.
    pub(crate) generation: u64,
}

/// A generation for a newly created object.
pub(crate) fn fresh_gen() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Inode {
    pub(crate) fn kind(&self) -> FileType {
        match self.body {
            Body::File(_) => FileType::File,
            Body::Dir(_) => FileType::Dir,
            Body::Symlink(_) => FileType::Symlink,
        }
    }

    pub(crate) fn size(&self) -> u64 {
        match &self.body {
            Body::File(f) => f.size(),
            Body::Dir(_) => 0,
            Body::Symlink(t) => t.len() as u64,
        }
    }

    /// Bytes of file data or symlink target this inode holds (what
    /// `upper_bytes` reports).
    pub(crate) fn content_bytes(&self) -> u64 {
        match &self.body {
            Body::File(f) => f.stored_bytes(),
            Body::Dir(_) => 0,
            Body::Symlink(t) => t.len() as u64,
        }
    }

    /// Host memory this inode holds, as the byte quota charges it (see
    /// `cost`): its record, its body, and for a directory every entry in it.
    /// O(chunks or entries); called when an inode is inserted or freed.
    pub(crate) fn charge(&self) -> u64 {
        cost::INODE
            + match &self.body {
                Body::File(f) => f.charge(),
                Body::Dir(d) => d.charge(),
                Body::Symlink(t) => cost::target(t.len()),
            }
    }

    pub(crate) fn dir(&self) -> Option<&Dir> {
        match &self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }

    pub(crate) fn dir_mut(&mut self) -> Option<&mut Dir> {
        match &mut self.body {
            Body::Dir(d) => Some(d),
            _ => None,
        }
    }

    pub(crate) fn file_mut(&mut self) -> Option<&mut FileData> {
        match &mut self.body {
            Body::File(f) => Some(f),
            _ => None,
        }
    }
}
