//! The store: objects in pack files or loose, named refs, verified reads, atomic writes.
//!
//! Layout under the store's root:
//!
//! ```text
//! packs/HASH.pack    many objects and a sorted index of them (see `packs`);
//!                    a save writes its objects as one or a few packs, each
//!                    written whole with one fsync
//! objects/ab/cdef…   a loose object whose hash is abcdef… (64 hex digits in
//!                    all), written by `Store::put` (and by stores older than packs)
//! refs/NAME          a named snapshot: its manifest hash in hex, then a newline
//! lock               the store lock and gc's delete-phase count (see `lock`)
//! refs.lock          serialises compare-and-swap of refs
//! locks/NAME         read-modify-write lock of ref NAME (`Store::lock_ref`)
//! ```
//!
//! An object is looked up in the packs first, then as a loose file. Every file
//! (pack, loose object, ref) is written atomically: temp file, fsync, rename,
//! directory fsync. A save writes its manifest in its last pack, and the caller
//! sets a ref only after that: a failure at any point leaves earlier snapshots
//! as they were, plus at most some unreferenced packs that `gc` removes.
//!
//! Many processes may share a store: see `lock` for the protocol that keeps
//! `gc` from removing what a concurrent save is about to reference.

mod backend;
mod gc;
mod lock;
mod mem;
mod packs;
mod shared_gc;
mod transfer;

pub use backend::{AtomicWrite, Backend, CAS_LIMIT, FsBackend};
pub use gc::GcStats;
pub use lock::{LockFile, RefLock, StoreLock};
pub use mem::MemBackend;
pub use packs::{Batch, DEFAULT_PACK_LIMIT};
pub use transfer::TransferStats;

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use packs::{IndexEntry, PackSet};

use crate::error::{Error, Result};
use crate::format::{self, Kind, MAX_OBJECT_LEN};
use crate::hash::Hash;

/// Longest ref name, in bytes.
pub const MAX_REF_LEN: usize = 128;

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// A content-addressed object store with named refs.
///
/// Any number of processes may use one store at once if every writer holds
/// [`Store::lock_shared`] from before its first object until its ref is set
/// (the save's objects are unreferenced until then); `gc` takes the lock
/// exclusive for its delete phase (see the `lock` module).
pub struct Store {
    backend: Box<dyn Backend>,
    /// Tells `Saver` caches of different stores apart.
    id: u64,
    /// Bumped by every `gc`, which may remove objects a `Saver` remembers.
    generation: AtomicU64,
    /// Where each packed object is, as far as this store value knows.
    packs: RwLock<PackSet>,
    /// Size at which a batch writes its pack.
    pack_limit: AtomicUsize,
    /// The part of a pack read last (see `Backend::read_ahead`).
    window: Mutex<Option<Window>>,
    /// gc's delete-phase count as last read under the store lock.
    disk_generation: Mutex<Option<u64>>,
    /// Serialises compare-and-swap of refs inside this process (a backend
    /// without lock files has nothing else).
    ref_cas: Mutex<()>,
    /// Told when a lock has to be waited for.
    wait_notice: Mutex<Option<lock::WaitNotice>>,
    /// gc's pending list, on a backend shared without locks (see `shared_gc`).
    pending: Mutex<shared_gc::Pending>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("id", &self.id)
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// Bytes `start..start + data.len()` of pack `pack`.
#[derive(Debug)]
struct Window {
    /// The pack's path, as `PackSet::paths` shares it.
    pack: Arc<str>,
    start: u64,
    data: Vec<u8>,
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

/// Decodes the content of ref `name`: a hash in hex and a newline.
fn parse_ref(name: &str, bytes: &[u8]) -> Result<Hash> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.strip_suffix('\n'))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::BadRef(name.to_owned()))
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
            packs: RwLock::new(PackSet::default()),
            pack_limit: AtomicUsize::new(DEFAULT_PACK_LIMIT),
            window: Mutex::new(None),
            disk_generation: Mutex::new(None),
            ref_cas: Mutex::new(()),
            wait_notice: Mutex::new(None),
            pending: Mutex::new(shared_gc::Pending::default()),
        }
    }

    /// Sets the size at which a [`Batch`] writes a pack and starts the next
    /// (default [`DEFAULT_PACK_LIMIT`]): it bounds the memory a save holds.
    pub fn set_pack_limit(&self, bytes: usize) {
        self.pack_limit.store(bytes.max(1), Ordering::Relaxed);
    }

    pub(crate) fn pack_limit(&self) -> usize {
        self.pack_limit.load(Ordering::Relaxed)
    }

    /// A batch writing objects into packs (see [`Batch`]); objects the store
    /// already has are skipped.
    pub fn batch(&self) -> Batch<'_> {
        Batch::new(self, true)
    }

    fn packs_read(&self) -> RwLockReadGuard<'_, PackSet> {
        self.packs.read().unwrap_or_else(|e| e.into_inner())
    }

    fn packs_write(&self) -> RwLockWriteGuard<'_, PackSet> {
        self.packs.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Lists the packs the first time they are needed.
    fn ensure_scanned(&self) -> Result<()> {
        if !self.packs_read().scanned {
            let mut p = self.packs_write();
            if !p.scanned {
                p.refresh(&*self.backend)?;
            }
        }
        Ok(())
    }

    /// Records a pack a batch of this store has just written.
    fn pack_written(&self, name: String, entries: &[IndexEntry]) {
        self.packs_write().add(name, entries);
    }

    /// Forgets every pack location (after `gc` removed packs).
    fn forget_packs(&self) {
        *self.packs_write() = PackSet::default();
        *self.window.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether the object is present as far as this store value knows: the
    /// packs seen so far, and loose objects if there were any. A stale "no"
    /// only makes a batch write an object twice.
    pub(crate) fn has_cached(&self, h: &Hash) -> Result<bool> {
        if self.is_pending(h) {
            return Ok(false);
        }
        self.ensure_scanned()?;
        let loose = {
            let p = self.packs_read();
            if p.objects.contains_key(h) {
                return Ok(true);
            }
            p.loose
        };
        Ok(loose && self.backend.exists(&object_path(h))?)
    }

    /// Whether the object is in a pack this store value knows of.
    pub(crate) fn in_pack(&self, h: &Hash) -> Result<bool> {
        self.ensure_scanned()?;
        Ok(self.packs_read().objects.contains_key(h))
    }

    /// Reads `len` bytes at `offset` of pack `name`, whose object area ends at
    /// `end`, through the read-ahead window.
    fn read_packed(
        &self,
        path: &Arc<str>,
        offset: u64,
        len: usize,
        end: u64,
    ) -> std::io::Result<Vec<u8>> {
        let ahead = self.backend.read_ahead();
        if ahead == 0 || len >= ahead {
            return self.backend.read_at(path, offset, len);
        }
        let mut w = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(win) = w.as_ref()
            && Arc::ptr_eq(&win.pack, path)
            && offset >= win.start
            && offset + len as u64 <= win.start + win.data.len() as u64
        {
            let at = (offset - win.start) as usize;
            return Ok(win.data[at..at + len].to_vec());
        }
        let take = (ahead as u64)
            .min(end.saturating_sub(offset))
            .max(len as u64) as usize;
        let data = self.backend.read_at(path, offset, take)?;
        let out = data[..len].to_vec();
        *w = Some(Window {
            pack: path.clone(),
            start: offset,
            data,
        });
        Ok(out)
    }

    /// Reads the bytes stored for `h` (unverified); `None` if absent.
    fn read_raw(&self, h: &Hash) -> Result<Option<Vec<u8>>> {
        self.ensure_scanned()?;
        // A pack may vanish under a reader that holds no lock (a gc elsewhere
        // rewrote it): rescan and look again, a few times.
        const ATTEMPTS: usize = 3;
        for attempt in 0..ATTEMPTS {
            let loc = {
                let p = self.packs_read();
                p.objects.get(h).map(|l| {
                    let i = l.pack as usize;
                    (p.paths[i].clone(), *l, p.ends[i])
                })
            };
            if let Some((path, loc, end)) = loc {
                match self.read_packed(&path, loc.offset, loc.len as usize, end) {
                    Ok(b) => return Ok(Some(b)),
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                        return Err(Error::CorruptedPack {
                            pack: path.trim_start_matches("packs/").to_owned(),
                            what: "shorter than its index says",
                        });
                    }
                    // Removed by a gc through another store value: look again.
                    Err(e)
                        if e.kind() == std::io::ErrorKind::NotFound && attempt + 1 < ATTEMPTS =>
                    {
                        self.forget_packs();
                        self.ensure_scanned()?;
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let limit = MAX_OBJECT_LEN as u64 + 1;
            if let Some(b) = self.backend.read(&object_path(h), limit)? {
                return Ok(Some(b));
            }
            // Perhaps written since this store value last looked.
            if attempt + 1 < ATTEMPTS && !self.packs_write().refresh(&*self.backend)? {
                break;
            }
        }
        let p = self.packs_read();
        if let Some((pack, what)) = p.broken.first() {
            // The object may be in a pack whose index cannot be read.
            return Err(Error::CorruptedPack {
                pack: pack.clone(),
                what,
            });
        }
        Ok(None)
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

    /// Every object the store holds, packed or loose (unverified), sorted and
    /// without duplicates.
    pub fn objects(&self) -> Result<Vec<Hash>> {
        self.ensure_scanned()?;
        self.packs_write().refresh(&*self.backend)?;
        let mut out: Vec<Hash> = self.packs_read().objects.keys().copied().collect();
        for fan in self.backend.list("objects")? {
            for rest in self.backend.list(&format!("objects/{fan}"))? {
                if let Ok(h) = format!("{fan}{rest}").parse::<Hash>() {
                    out.push(h);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Whether the store holds an object under `h` (unverified). On a store
    /// shared without locks, an object a `gc` listed for removal counts as
    /// absent (see `shared_gc`).
    pub fn contains(&self, h: &Hash) -> Result<bool> {
        if self.is_pending(h) {
            return Ok(false);
        }
        if self.has_cached(h)? || self.backend.exists(&object_path(h))? {
            return Ok(true);
        }
        self.packs_write().refresh(&*self.backend)?;
        Ok(self.packs_read().objects.contains_key(h))
    }

    /// The bytes of object `h`, expected to be of `kind`, verified against the
    /// hash (`Corrupted` if they differ, `Missing` if absent).
    pub fn get(&self, h: &Hash, kind: Kind) -> Result<Vec<u8>> {
        let bytes = self.read_raw(h)?.ok_or(Error::Missing { hash: *h })?;
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
        parse_ref(name, &bytes)
    }

    /// Removes ref `name` (its objects stay until `gc`).
    pub fn remove_ref(&self, name: &str) -> Result<()> {
        check_ref_name(name)?;
        Ok(self.backend.remove(&format!("refs/{name}"))?)
    }

    /// The names in the store's `refs` folder, sorted, whether valid ref
    /// names or not (a listing that shows damage rather than hiding it);
    /// leftover temporary files are left out.
    pub fn ref_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .backend
            .list("refs")?
            .into_iter()
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        Ok(names)
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
