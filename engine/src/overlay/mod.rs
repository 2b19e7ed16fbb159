//! The merged view of the upper layer over the lower layer (read side).
//!
//! Overlay rules (Linux overlayfs and gVisor are the references): a name is looked
//! up in the upper directory first; a whiteout hides it; an upper non-directory
//! hides everything below; an upper directory merges with the lower directory of
//! the same inode number when `merged` is set, and is opaque otherwise.
//!
//! Identity: a lower object copied up keeps its inode number, so a lookup that
//! ends in the lower layer is always checked against the inode table; this is
//! what lets copy-up happen one inode at a time, with no parent chain.

mod readdir;

pub use readdir::DirEntry;

use std::sync::Arc;

use crate::clock::Timestamp;
use crate::error::{Error, Result};
use crate::inode::{Body, FileType, Ino, Inode};
use crate::layer::Lower;
use crate::name::Name;
use crate::tree::Tree;

/// Metadata of one object as the guest sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// Inode number, unique across layers.
    pub ino: Ino,
    /// Object type.
    pub kind: FileType,
    /// Size in bytes.
    pub size: u64,
    /// Hard-link count.
    pub nlink: u64,
    /// Permission bits.
    pub perm: u32,
    /// Last access.
    pub atime: Timestamp,
    /// Last data modification.
    pub mtime: Timestamp,
    /// Last status change.
    pub ctime: Timestamp,
}

/// Where an object lives.
#[derive(Debug)]
pub(crate) enum Node<'a> {
    Upper(&'a Inode),
    Lower(&'a dyn Lower),
}

/// Read access to one state: the upper tree and the lower layer under it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub(crate) tree: &'a Tree,
    pub(crate) lower: Option<&'a dyn Lower>,
}

impl<'a> View<'a> {
    pub(crate) fn node(&self, ino: Ino) -> Result<Node<'a>> {
        match self.tree.inodes.get(&ino) {
            Some(inode) => Ok(Node::Upper(&inode.0)),
            None => self.lower.map(Node::Lower).ok_or(Error::NotFound),
        }
    }

    pub(crate) fn stat(&self, ino: Ino) -> Result<Stat> {
        Ok(match self.node(ino)? {
            Node::Upper(i) => Stat {
                ino,
                kind: i.kind(),
                size: i.size(),
                nlink: i.meta.nlink,
                perm: i.meta.perm,
                atime: i.meta.atime,
                mtime: i.meta.mtime,
                ctime: i.meta.ctime,
            },
            Node::Lower(l) => {
                let s = l.stat(ino)?;
                Stat {
                    ino,
                    kind: s.kind,
                    size: s.size,
                    nlink: s.nlink,
                    perm: s.perm,
                    atime: s.atime,
                    mtime: s.mtime,
                    ctime: s.ctime,
                }
            }
        })
    }

    pub(crate) fn kind(&self, ino: Ino) -> Result<FileType> {
        match self.node(ino)? {
            Node::Upper(i) => Ok(i.kind()),
            Node::Lower(l) => Ok(l.stat(ino)?.kind),
        }
    }

    /// The object `name` in directory `dir`.
    pub(crate) fn lookup(&self, dir: Ino, name: &Name) -> Result<Option<(Ino, FileType)>> {
        self.lookup_by(dir, name.as_str(), || Ok(name.clone()))
    }

    /// [`View::lookup`] of a component already checked with [`Name::check`]:
    /// the `Name` is only allocated if the lookup reaches the lower layer.
    pub(crate) fn lookup_str(&self, dir: Ino, name: &str) -> Result<Option<(Ino, FileType)>> {
        self.lookup_by(dir, name, || Name::new(name))
    }

    fn lookup_by(
        &self,
        dir: Ino,
        name: &str,
        owned: impl FnOnce() -> Result<Name>,
    ) -> Result<Option<(Ino, FileType)>> {
        let lower = match self.node(dir)? {
            Node::Upper(inode) => {
                let d = inode.dir().ok_or(Error::NotDir)?;
                match d.entries.get(name) {
                    Some(crate::inode::Entry::Node(ino, kind)) => return Ok(Some((*ino, *kind))),
                    Some(crate::inode::Entry::Whiteout) => return Ok(None),
                    None if d.merged => match self.lower {
                        Some(l) => l,
                        None => return Ok(None),
                    },
                    None => return Ok(None),
                }
            }
            Node::Lower(l) => l,
        };
        match lower.lookup(dir, &owned()?)? {
            Some(ino) => Ok(Some((ino, self.kind(ino)?))),
            None => Ok(None),
        }
    }

    /// Whether the lower layer has `name` under `dir` (which decides whether
    /// removing the name needs a whiteout).
    pub(crate) fn lower_has(&self, dir: Ino, name: &Name) -> Result<bool> {
        let merged = match self.tree.inodes.get(&dir) {
            Some(i) => i.dir().is_some_and(|d| d.merged),
            None => true,
        };
        match self.lower {
            Some(l) if merged => Ok(l.lookup(dir, name)?.is_some()),
            _ => Ok(false),
        }
    }

    pub(crate) fn parent(&self, dir: Ino) -> Result<Ino> {
        match self.node(dir)? {
            Node::Upper(i) => Ok(i.dir().ok_or(Error::NotDir)?.parent),
            Node::Lower(l) => l.parent(dir),
        }
    }

    pub(crate) fn readlink(&self, ino: Ino) -> Result<Arc<str>> {
        match self.node(ino)? {
            Node::Upper(Inode {
                body: Body::Symlink(t),
                ..
            }) => Ok(t.clone()),
            Node::Upper(_) => Err(Error::Invalid("not a symbolic link")),
            Node::Lower(l) => l.readlink(ino),
        }
    }

    pub(crate) fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        match self.node(ino)? {
            Node::Upper(Inode {
                body: Body::File(f),
                ..
            }) => {
                let lower = self.lower;
                f.read(offset, buf, &mut |off, b| match lower {
                    Some(l) => l.read(ino, off, b),
                    None => Ok(0),
                })
            }
            Node::Upper(Inode {
                body: Body::Dir(_), ..
            }) => Err(Error::IsDir),
            Node::Upper(_) => Err(Error::Invalid("not a regular file")),
            Node::Lower(l) => match l.stat(ino)?.kind {
                FileType::File => l.read(ino, offset, buf),
                FileType::Dir => Err(Error::IsDir),
                FileType::Symlink => Err(Error::Invalid("not a regular file")),
            },
        }
    }
}
