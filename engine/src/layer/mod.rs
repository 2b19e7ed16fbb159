//! Read-only lower layers: the trait and its two implementations.

mod frozen;
mod host;

pub use frozen::FrozenLower;
pub use host::HostLower;

use std::fmt;
use std::sync::Arc;

use crate::clock::Timestamp;
use crate::error::Result;
use crate::inode::{FileType, Ino};
use crate::name::Name;

/// Metadata of a lower object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerStat {
    /// Object type.
    pub kind: FileType,
    /// Size in bytes (symlinks: target length; directories: 0).
    pub size: u64,
    /// Permission bits.
    pub perm: u32,
    /// Hard-link count.
    pub nlink: u64,
    /// Last access.
    pub atime: Timestamp,
    /// Last data modification.
    pub mtime: Timestamp,
    /// Last status change.
    pub ctime: Timestamp,
}

/// One name in a lower directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerEntry {
    /// The entry's name.
    pub name: Name,
    /// The entry's type.
    pub kind: FileType,
}

/// A read-only tree under the writable layer.
///
/// Objects are named by inode numbers the implementation assigns: deterministic
/// (the same tree gives the same numbers on every machine), stable for the life of
/// the value, and never below [`Lower::first_free_ino`]'s complement range used by
/// the upper layer. Implementations cache what they read, so that a thousand forks
/// of one filesystem touch the host once.
pub trait Lower: Send + Sync + fmt::Debug {
    /// The root directory.
    fn root(&self) -> Ino;
    /// The object named `name` in directory `dir`, if any.
    fn lookup(&self, dir: Ino, name: &Name) -> Result<Option<Ino>>;
    /// Metadata of an object.
    fn stat(&self, ino: Ino) -> Result<LowerStat>;
    /// The entries of a directory, sorted by name (byte order), without `.`/`..`.
    fn entries(&self, dir: Ino) -> Result<Arc<[LowerEntry]>>;
    /// Reads file data at `offset`; returns 0 at end of file.
    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize>;
    /// The first range `(start, end)` at or after `offset` of file `ino` that
    /// may hold non-zero bytes, or `None` if every byte from `offset` to the
    /// end of the file reads as zero. A range may include zeros, never leave
    /// out data: a layer that cannot tell where its holes are (this default)
    /// answers with the rest of the file. Lets a reader of a huge sparse file
    /// skip its holes instead of reading them.
    fn data_range(&self, ino: Ino, offset: u64) -> Result<Option<(u64, u64)>> {
        let size = self.stat(ino)?.size;
        Ok((offset < size).then_some((offset, size)))
    }
    /// Takes the warnings recorded since the last call: one line per object
    /// of the layer that the engine cannot represent and leaves out of the
    /// tree, naming it. Objects are met as directories are listed, so after
    /// a listing of the whole tree (a save or fingerprint does one) the
    /// lines name all of them. Nothing by default.
    fn take_warnings(&self) -> Vec<String> {
        Vec::new()
    }
    /// The target of a symlink.
    fn readlink(&self, ino: Ino) -> Result<Arc<str>>;
    /// The directory containing directory `dir` (the root is its own parent).
    fn parent(&self, dir: Ino) -> Result<Ino>;
    /// Upper-layer inode numbers are allocated from here up to `2^63`, so they
    /// can never collide with this layer's.
    fn first_free_ino(&self) -> u64;
}

/// Lower-layer inode numbers that implementations derive from names live in the
/// upper half of the `u64` range; the upper layer allocates in the lower half.
pub(crate) const LOWER_INO_BASE: u64 = 1 << 63;
