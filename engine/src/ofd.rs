//! Open-file descriptions: what every handle of one `open` shares.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::inode::{FileType, Ino};
use crate::name::Name;

/// Status flags of an open-file description (POSIX `O_APPEND` and friends).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FdFlags {
    /// Every write goes to the end of the file.
    pub append: bool,
    /// Non-blocking I/O (accepted; regular files never block).
    pub nonblock: bool,
    /// Synchronized I/O file integrity (accepted; the upper layer is memory).
    pub sync: bool,
    /// Synchronized I/O data integrity.
    pub dsync: bool,
    /// Synchronized reads.
    pub rsync: bool,
}

/// One open-file description: the object, the access mode, the status flags,
/// the offset and the readdir cursor.
#[derive(Debug)]
pub struct OpenFile {
    /// Identity of the filesystem that opened it (`Fs::check_own`).
    pub(crate) fs: u64,
    pub(crate) ino: Ino,
    /// Generation of the inode when opened (0 for a lower object): see
    /// `Fs::check_live`.
    pub(crate) generation: u64,
    pub(crate) kind: FileType,
    pub(crate) readable: bool,
    pub(crate) writable: bool,
    pub(crate) flags: FdFlags,
    pub(crate) offset: u64,
    pub(crate) cursor: Cursor,
}

impl OpenFile {
    /// The object this description refers to.
    pub fn ino(&self) -> Ino {
        self.ino
    }

    /// Its type.
    pub fn kind(&self) -> FileType {
        self.kind
    }

    /// The status flags.
    pub fn flags(&self) -> FdFlags {
        self.flags
    }

    /// Whether reads are allowed.
    pub fn readable(&self) -> bool {
        self.readable
    }

    /// Whether writes are allowed.
    pub fn writable(&self) -> bool {
        self.writable
    }

    /// The current file offset.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// A handle on an open-file description. Duplicates (`dup`, `renumber`) clone
/// it, so an offset or flag change through one is seen by all at once.
///
/// `Send + Sync`, so a guest context holding handles may move between threads
/// and WASI 0.2 streams (which wasmtime-wasi requires to be `Send`) may hold
/// one. The lock is never contended in practice: one guest runs on one thread.
#[derive(Debug, Clone)]
pub struct Handle(Arc<RwLock<OpenFile>>);

impl Handle {
    pub(crate) fn new(file: OpenFile) -> Handle {
        Handle(Arc::new(RwLock::new(file)))
    }

    /// Reads the description. Several reads may be held at once; a read and a
    /// [`Self::borrow_mut`] at once on one thread deadlock (as they would panic
    /// on a `RefCell`).
    pub fn borrow(&self) -> RwLockReadGuard<'_, OpenFile> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the description.
    pub fn borrow_mut(&self) -> RwLockWriteGuard<'_, OpenFile> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Handles on this description, this one included.
    pub(crate) fn count(&self) -> usize {
        Arc::strong_count(&self.0)
    }
}

/// Readdir cookies of one description.
///
/// Cookie 0 is the start, 1 follows `.`, 2 follows `..`; cookie `3 + i` follows
/// the `i`-th distinct name this description has returned. A cookie names the
/// entry to resume *after*, so it stays valid however the directory changes, and
/// the same name always gets the same cookie (so `rewinddir` keeps old `telldir`
/// values meaningful).
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    names: Vec<Name>,
    index: HashMap<Name, u64>,
}

/// Cookies below this are the fixed positions at the start and after `.`/`..`.
pub(crate) const FIRST_NAME_COOKIE: u64 = 3;

impl Cursor {
    pub(crate) fn cookie_for(&mut self, name: &Name) -> u64 {
        // One hash of the name whether it is new or not.
        match self.index.entry(name.clone()) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let c = FIRST_NAME_COOKIE + self.names.len() as u64;
                self.names.push(name.clone());
                e.insert(c);
                c
            }
        }
    }

    pub(crate) fn name_for(&self, cookie: u64) -> Option<&Name> {
        let i = usize::try_from(cookie.checked_sub(FIRST_NAME_COOKIE)?).ok()?;
        self.names.get(i)
    }
}
