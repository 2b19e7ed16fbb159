//! The store: objects fanned out by hash prefix, named refs, verified reads, atomic writes.
//!
//! Layout under the store's root:
//!
//! ```text
//! objects/ab/cdef…   the object whose hash is abcdef… (64 hex digits in all)
//! refs/NAME          a named snapshot: its manifest hash in hex, then a newline
//! ```

mod backend;
mod gc;
mod mem;

pub use backend::{Backend, FsBackend};
pub use gc::GcStats;
pub use mem::MemBackend;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::format::{self, Kind, MAX_OBJECT_LEN};
use crate::hash::Hash;

/// Longest ref name, in bytes.
pub const MAX_REF_LEN: usize = 128;

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// A content-addressed object store with named refs.
///
/// One writer at a time: `gc` must not run while a save into the same store is
/// in progress (the save's objects are unreferenced until its ref is set).
#[derive(Debug)]
pub struct Store {
    backend: Box<dyn Backend>,
    /// Tells `Saver` caches of different stores apart.
    id: u64,
    /// Bumped by every `gc`, which may remove objects a `Saver` remembers.
    generation: AtomicU64,
}

fn object_path(h: &Hash) -> String {
    let hex = h.to_hex();
    format!("objects/{}/{}", &hex[..2], &hex[2..])
}

/// Checks that `name` is a plain ref name.
fn check_ref_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_REF_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidRefName(name.to_owned()))
    }
}

impl Store {
    /// Opens (creating it if needed) the store in host directory `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Store> {
        Ok(Store::with_backend(FsBackend::new(dir)?))
    }

    /// A store over any backend.
    pub fn with_backend(backend: impl Backend + 'static) -> Store {
        Store {
            backend: Box::new(backend),
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
        }
    }

    /// Identifies this store value and its gc generation: a `Saver` keeps its
    /// cache only while this stays the same.
    pub(crate) fn epoch(&self) -> (u64, u64) {
        (self.id, self.generation.load(Ordering::Acquire))
    }

    /// Stores an encoded object (see `format`) and returns its hash. An object
    /// already present is not written again.
    pub fn put(&self, bytes: &[u8]) -> Result<Hash> {
        let h = Hash::of(bytes);
        let path = object_path(&h);
        if !self.backend.exists(&path)? {
            self.backend.write_atomic(&path, bytes)?;
        }
        Ok(h)
    }

    /// Whether the store holds an object under `h` (unverified).
    pub fn contains(&self, h: &Hash) -> Result<bool> {
        Ok(self.backend.exists(&object_path(h))?)
    }

    /// The bytes of object `h`, expected to be of `kind`, verified against the
    /// hash (`Corrupted` if they differ, `Missing` if absent).
    pub fn get(&self, h: &Hash, kind: Kind) -> Result<Vec<u8>> {
        let limit = MAX_OBJECT_LEN as u64 + 1;
        let bytes = self
            .backend
            .read(&object_path(h), limit)?
            .ok_or(Error::Missing { hash: *h })?;
        if bytes.len() > MAX_OBJECT_LEN {
            return Err(Error::Corrupted {
                object: kind,
                hash: *h,
                what: "object larger than the format allows",
            });
        }
        if Hash::of(&bytes) != *h {
            return Err(Error::Corrupted {
                object: kind,
                hash: *h,
                what: "content does not match its hash",
            });
        }
        Ok(bytes)
    }

    /// Reads and decodes a verified object.
    pub fn get_object<T: format::Object>(&self, h: &Hash) -> Result<T> {
        format::decode(&self.get(h, T::KIND)?, *h)
    }

    /// Points ref `name` at manifest `h` (atomically replacing its old value).
    pub fn set_ref(&self, name: &str, h: &Hash) -> Result<()> {
        check_ref_name(name)?;
        let body = format!("{h}\n");
        Ok(self
            .backend
            .write_atomic(&format!("refs/{name}"), body.as_bytes())?)
    }

    /// The manifest hash ref `name` points at.
    pub fn get_ref(&self, name: &str) -> Result<Hash> {
        check_ref_name(name)?;
        let bytes = self
            .backend
            .read(&format!("refs/{name}"), 66)?
            .ok_or_else(|| Error::NoSuchRef(name.to_owned()))?;
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|s| s.strip_suffix('\n'))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Error::BadRef(name.to_owned()))
    }

    /// Removes ref `name` (its objects stay until `gc`).
    pub fn remove_ref(&self, name: &str) -> Result<()> {
        check_ref_name(name)?;
        Ok(self.backend.remove(&format!("refs/{name}"))?)
    }

    /// Every ref and the manifest it points at, sorted by name.
    pub fn refs(&self) -> Result<Vec<(String, Hash)>> {
        let mut names: Vec<String> = self
            .backend
            .list("refs")?
            .into_iter()
            .filter(|n| check_ref_name(n).is_ok())
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|n| {
                let h = self.get_ref(&n)?;
                Ok((n, h))
            })
            .collect()
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        &*self.backend
    }
}
