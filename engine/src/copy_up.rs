//! Copy-up: giving a lower object an upper record before it changes.
//!
//! Preconditions and rules, for every caller:
//! - Copy-up runs inside an operation, before the first change to the object:
//!   under [`Fs::atomic`] (namespace and metadata operations), or, in data
//!   operations, through `copy_up_undoable` and `undo_copy_up` when a later
//!   step fails: either way a failed operation leaves nothing behind.
//! - It copies metadata only, never file data: a copied-up file's body is
//!   "backed by the lower file" ([`FileData::backed_by_lower`]) and its chunks
//!   are read from the lower layer as they are first written or truncated.
//! - The upper record keeps the lower object's inode number and generation 0,
//!   so the object is the same one before and after: handles opened on it
//!   stay valid, and the merged view is unchanged (copy-up is invisible).
//! - A copied-up directory is *merged* (its lower entries still show, minus
//!   whiteouts) and keeps its lower parent: the lower layer decides its
//!   place until a rename moves it.
//! - The record costs an inode and its charge ([`Inode::charge`]) under the
//!   filesystem's quota and the shared total; a copy-up that does not fit
//!   fails with `NoSpace`.
//! - An object that already has an upper record is left alone; the lower
//!   layer is never written.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::fs::Fs;
use crate::inode::{Body, Dir, FileData, FileType, Ino, Inode, InodeRef, Meta};

impl Fs {
    /// Makes sure `ino` has an upper-layer record, copying its metadata (never
    /// its data) up from the lower layer if needed.
    pub(crate) fn copy_up(&mut self, ino: Ino) -> Result<()> {
        if self.tree.inodes.contains_key(&ino) {
            return Ok(());
        }
        let lower = self.shared.lower.clone().ok_or(Error::NotFound)?;
        let s = lower.stat(ino)?;
        let body = match s.kind {
            FileType::File => Body::File(FileData::backed_by_lower(s.size)),
            FileType::Dir => Body::Dir(Dir::new(lower.parent(ino)?, true)),
            FileType::Symlink => Body::Symlink(lower.readlink(ino)?),
        };
        // Generation 0: the same object as the lower one.
        let inode = Inode {
            meta: Meta::from(&s),
            body,
            generation: 0,
        };
        let charge = inode.charge();
        self.reserve(1, charge)?;
        self.tree.bytes += inode.content_bytes();
        self.charge(charge);
        self.tree.inodes.insert(ino, InodeRef(Arc::new(inode)));
        Ok(())
    }

    /// `copy_up` for an operation outside [`Fs::atomic`]: returns the inode
    /// copied up now (`None` if it had a record already), for
    /// [`Fs::undo_copy_up`] if a later step fails.
    pub(crate) fn copy_up_undoable(&mut self, ino: Ino) -> Result<Option<Ino>> {
        let fresh = !self.tree.inodes.contains_key(&ino);
        self.copy_up(ino)?;
        Ok(fresh.then_some(ino))
    }

    /// Takes back a record `copy_up_undoable` made, with its charge.
    ///
    /// # Preconditions
    /// Nothing changed the record since it was copied up.
    pub(crate) fn undo_copy_up(&mut self, copied: Option<Ino>) {
        if let Some(inode) = copied.and_then(|ino| self.tree.inodes.remove(&ino)) {
            self.tree.bytes -= inode.content_bytes();
            self.release(inode.charge());
        }
    }
}
