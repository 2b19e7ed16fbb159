//! Pack files inside a store: many objects in one file, so a save costs one fsync, not one per object.
//!
//! Layout of `packs/NAME.pack`, where NAME is the lowercase hex blake3 of the
//! pack's index bytes (the index holds every object's hash and place, so two
//! packs with the same name have the same content):
//!
//! ```text
//! offset   size  field
//! 0        8     magic: 0x89 'S' 'N' 'P' 'P' 'A' 'C' 'K'
//! 8        2     pack version, u16 little-endian (see PACK_VERSION_1)
//! 10       ..    objects, each exactly its encoding as a loose object, back to back
//! I        44n   index: n entries (hash: 32, offset: u64 LE, len: u32 LE),
//!                strictly increasing by hash
//! end-48   8     n, u64 LE
//! end-40   8     I, u64 LE
//! end-32   32    blake3 of the index bytes
//! ```
//!
//! A pack is written whole (temp file, fsync, rename, directory fsync), so it
//! is either absent or complete. The index checksum catches a damaged index;
//! each object is still verified against its hash when read, like a loose one.

use std::collections::HashSet;

use super::Store;
use super::backend::{AtomicWrite, Backend, TEMP_PREFIX};
use crate::error::{Error, Result};
use crate::format::{self, MAX_OBJECT_LEN};
use crate::hash::{DigestMap, DigestSet, Hash};

/// Magic bytes opening every pack file.
pub(crate) const PACK_MAGIC: [u8; 8] = [0x89, b'S', b'N', b'P', b'P', b'A', b'C', b'K'];
/// Pack version 1: first layout (objects, then a sorted index with a blake3 checksum).
pub(crate) const PACK_VERSION_1: u16 = 1;
/// Bytes before the first object.
const PACK_HEADER_LEN: usize = 10;
/// Bytes of one index entry.
const ENTRY_LEN: usize = 44;
/// Bytes of the trailer.
const TRAILER_LEN: usize = 48;
/// Folder of the packs.
pub(crate) const PACK_DIR: &str = "packs";
/// Most objects in one pack (bounds the index read before it is checked).
const MAX_PACK_OBJECTS: u64 = 1 << 26;

/// Default size at which a batch writes its pack and starts a new one.
pub const DEFAULT_PACK_LIMIT: usize = 16 << 20;

pub(crate) fn pack_path(name: &str) -> String {
    format!("{PACK_DIR}/{name}")
}

/// Where an object lives inside a pack.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Loc {
    /// Index into `PackSet::names`.
    pub(crate) pack: u32,
    pub(crate) offset: u64,
    pub(crate) len: u32,
}

/// One entry of a pack's index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IndexEntry {
    pub(crate) hash: Hash,
    pub(crate) offset: u64,
    pub(crate) len: u32,
}

/// What a store knows of its packs: every object's location.
#[derive(Debug, Default)]
pub(crate) struct PackSet {
    /// Whether the packs folder has been listed at all.
    pub(crate) scanned: bool,
    pub(crate) names: Vec<String>,
    /// Each pack's path in the backend (shared, not rebuilt per read).
    pub(crate) paths: Vec<std::sync::Arc<str>>,
    /// End of each pack's object area (as far as its index says).
    pub(crate) ends: Vec<u64>,
    known: HashSet<String>,
    pub(crate) objects: DigestMap<Loc>,
    /// Packs whose index is damaged, with what is wrong.
    pub(crate) broken: Vec<(String, &'static str)>,
    /// Whether the loose `objects` folder had anything in it at the last scan;
    /// when not, a lookup that misses the packs does not ask the backend.
    pub(crate) loose: bool,
}

impl PackSet {
    /// Lists the packs folder and reads the index of every pack not known yet.
    /// Returns whether anything new was found.
    pub(crate) fn refresh(&mut self, b: &dyn Backend) -> Result<bool> {
        self.scanned = true;
        self.loose = !b.list("objects")?.is_empty();
        let mut found = false;
        let mut names = b.list(PACK_DIR)?;
        names.sort();
        for name in names {
            if name.starts_with(TEMP_PREFIX)
                || !name.ends_with(".pack")
                || self.known.contains(&name)
            {
                continue;
            }
            self.known.insert(name.clone());
            match read_index(b, &name) {
                Ok(entries) => {
                    self.add(name, &entries);
                    found = true;
                }
                Err(Error::CorruptedPack { what, .. }) => self.broken.push((name, what)),
                // Removed between the listing and the read (a gc elsewhere).
                Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    self.known.remove(&name);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(found)
    }

    /// Records a pack and its entries (a hash already known keeps its first place).
    pub(crate) fn add(&mut self, name: String, entries: &[IndexEntry]) {
        let pack = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.known.insert(name.clone());
        self.paths.push(pack_path(&name).into());
        self.names.push(name);
        let end = entries
            .iter()
            .map(|e| e.offset + u64::from(e.len))
            .max()
            .unwrap_or(0);
        self.ends.push(end);
        self.objects.reserve(entries.len());
        for e in entries {
            self.objects.entry(e.hash).or_insert(Loc {
                pack,
                offset: e.offset,
                len: e.len,
            });
        }
    }
}

/// Reads and checks the index of pack `name`.
pub(crate) fn read_index(b: &dyn Backend, name: &str) -> Result<Vec<IndexEntry>> {
    let path = pack_path(name);
    let bad = |what| Error::CorruptedPack {
        pack: name.to_owned(),
        what,
    };
    let size = b
        .size(&path)?
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))?;
    if size < (PACK_HEADER_LEN + TRAILER_LEN) as u64 {
        return Err(bad("shorter than a header and a trailer"));
    }
    let head = b.read_at(&path, 0, PACK_HEADER_LEN)?;
    if head[..8] != PACK_MAGIC {
        return Err(bad("bad magic"));
    }
    if u16::from_le_bytes([head[8], head[9]]) != PACK_VERSION_1 {
        return Err(bad("unknown pack version"));
    }
    let trailer = b.read_at(&path, size - TRAILER_LEN as u64, TRAILER_LEN)?;
    let n = u64::from_le_bytes(trailer[0..8].try_into().unwrap_or_default());
    let at = u64::from_le_bytes(trailer[8..16].try_into().unwrap_or_default());
    if n > MAX_PACK_OBJECTS {
        return Err(bad("more objects than a pack may hold"));
    }
    let index_len = n * ENTRY_LEN as u64;
    if at < PACK_HEADER_LEN as u64 || at.checked_add(index_len + TRAILER_LEN as u64) != Some(size) {
        return Err(bad("index position does not match the file size"));
    }
    // The size says how big the index is, not that its bytes exist (a sparse
    // file declares gigabytes on no disk at all): read it in bounded pieces,
    // check each entry as it comes, and let the entries grow the list only
    // as they turn out valid. Zeros (a hole) fail at the first entry.
    let mut out = Vec::with_capacity(n.min(INDEX_PIECE_ENTRIES) as usize);
    let mut sum = blake3::Hasher::new();
    let mut done = 0u64;
    while done < n {
        let count = (n - done).min(INDEX_PIECE_ENTRIES);
        let piece = b.read_at(
            &path,
            at + done * ENTRY_LEN as u64,
            count as usize * ENTRY_LEN,
        )?;
        sum.update(&piece);
        for e in piece.chunks_exact(ENTRY_LEN) {
            out.push(entry(e, at, out.last()).map_err(bad)?);
        }
        done += count;
    }
    if sum.finalize().as_bytes()[..] != trailer[16..48] {
        return Err(bad("index does not match its checksum"));
    }
    Ok(out)
}

/// Index entries read at once by `read_index` (about 1 MiB).
const INDEX_PIECE_ENTRIES: u64 = (1 << 20) / ENTRY_LEN as u64;

/// Decodes and checks index entry `e` of a pack whose object area ends at
/// `at`, following `prev`.
fn entry(e: &[u8], at: u64, prev: Option<&IndexEntry>) -> Result<IndexEntry, &'static str> {
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&e[..32]);
    let offset = u64::from_le_bytes(e[32..40].try_into().unwrap_or_default());
    let len = u32::from_le_bytes(e[40..44].try_into().unwrap_or_default());
    if offset < PACK_HEADER_LEN as u64
        || len as usize > MAX_OBJECT_LEN
        || offset
            .checked_add(u64::from(len))
            .is_none_or(|end| end > at)
    {
        return Err("index entry outside the object area");
    }
    if prev.is_some_and(|p| p.hash.0 >= hash) {
        return Err("index not sorted by hash");
    }
    Ok(IndexEntry {
        hash: Hash(hash),
        offset,
        len,
    })
}

/// Collects objects into pack files: the way to write many objects at once.
///
/// Objects are appended to a pack file (streamed to a temporary file, or kept
/// in memory, as the backend prefers) that is committed (atomically, with one
/// fsync) when it reaches the store's pack limit and at [`Batch::finish`].
/// An object is visible in the store only once its pack is written, so write
/// a snapshot's manifest last: a batch dropped or failed midway leaves only
/// unreferenced objects, which `gc` removes.
pub struct Batch<'a> {
    store: &'a Store,
    /// The pack being written, once it has an object.
    out: Option<Box<dyn AtomicWrite + 'a>>,
    /// Bytes of the pack already handed to `out`.
    base: u64,
    /// The pack's bytes from `base` on.
    buf: Vec<u8>,
    /// How much to gather before handing it to `out`.
    piece: usize,
    entries: Vec<IndexEntry>,
    pending: DigestSet,
    /// Skip objects the store already has (false when `gc` rewrites packs).
    dedup: bool,
    written: u64,
    /// Names of the packs written so far.
    packs: Vec<String>,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("pending_objects", &self.entries.len())
            .field("pack_bytes", &(self.base + self.buf.len() as u64))
            .field("packs_written", &self.packs.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Batch<'a> {
    pub(crate) fn new(store: &'a Store, dedup: bool) -> Batch<'a> {
        Batch {
            store,
            out: None,
            base: 0,
            piece: store.backend().piece_size(),
            buf: Vec::new(),
            entries: Vec::new(),
            pending: DigestSet::default(),
            dedup,
            written: 0,
            packs: Vec::new(),
        }
    }

    fn start(&mut self) -> Result<()> {
        if self.out.is_none() {
            self.out = Some(self.store.backend().create_atomic(PACK_DIR)?);
            self.base = 0;
            self.buf.clear();
            // A small start (most saves are small); a big pack grows by
            // doubling, which for large buffers the allocator does by
            // remapping, not copying.
            let cap = self.store.pack_limit().min(self.piece).min(1 << 20);
            self.buf.reserve(cap + (64 << 10));
            self.buf.extend_from_slice(&PACK_MAGIC);
            self.buf.extend_from_slice(&PACK_VERSION_1.to_le_bytes());
        }
        Ok(())
    }

    fn have(&self, h: &Hash) -> Result<bool> {
        Ok(self.pending.contains(h) || (self.dedup && self.store.has_cached(h)?))
    }

    /// Appends the object that was just encoded at `buf[start..]`, unless it
    /// is present already (then it is cut off again).
    fn commit(&mut self, start: usize) -> Result<Hash> {
        let bytes = &self.buf[start..];
        if bytes.len() > MAX_OBJECT_LEN {
            self.buf.truncate(start);
            return Err(Error::TooLarge("object larger than the format allows"));
        }
        let h = Hash::of(bytes);
        if self.have(&h)? {
            self.buf.truncate(start);
            return Ok(h);
        }
        self.entries.push(IndexEntry {
            hash: h,
            offset: self.base + start as u64,
            len: (self.buf.len() - start) as u32,
        });
        self.pending.insert(h);
        if self.base + self.buf.len() as u64 >= self.store.pack_limit() as u64 {
            self.flush()?;
        } else if self.buf.len() >= self.piece {
            // Hand over what is gathered and reuse the buffer.
            if let Some(out) = &mut self.out {
                out.write(&self.buf)?;
            }
            self.base += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(h)
    }

    /// Adds an encoded object (see `format`) and returns its hash.
    pub fn put(&mut self, bytes: &[u8]) -> Result<Hash> {
        self.start()?;
        let start = self.buf.len();
        self.buf.extend_from_slice(bytes);
        self.commit(start)
    }

    /// Adds a chunk of file data, encoding it straight into the pack (no
    /// intermediate copy), and returns the chunk object's hash.
    ///
    /// # Preconditions
    /// `data.len() <= format::MAX_CHUNK_LEN`.
    pub fn put_chunk(&mut self, data: &[u8]) -> Result<Hash> {
        self.start()?;
        let start = self.buf.len();
        format::encode_chunk_into(data, &mut self.buf);
        self.commit(start)
    }

    /// Encodes and adds an object.
    pub(crate) fn put_object<T: format::Object>(&mut self, obj: &T) -> Result<Hash> {
        self.start()?;
        let start = self.buf.len();
        format::encode_into(obj, &mut self.buf);
        self.commit(start)
    }

    /// Bytes of objects written to the store so far (in finished packs).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Writes the pending pack, if it holds anything.
    fn flush(&mut self) -> Result<()> {
        let Some(mut out) = self.out.take() else {
            return Ok(());
        };
        if self.entries.is_empty() {
            // Every object was present already: drop the temporary file.
            self.buf.clear();
            return Ok(());
        }
        self.entries.sort_unstable_by_key(|e| e.hash);
        let at = self.base + self.buf.len() as u64;
        let index_start = self.buf.len();
        for e in &self.entries {
            self.buf.extend_from_slice(&e.hash.0);
            self.buf.extend_from_slice(&e.offset.to_le_bytes());
            self.buf.extend_from_slice(&e.len.to_le_bytes());
        }
        let sum = blake3::hash(&self.buf[index_start..]);
        let name = format!("{}.pack", sum.to_hex());
        self.buf
            .extend_from_slice(&(self.entries.len() as u64).to_le_bytes());
        self.buf.extend_from_slice(&at.to_le_bytes());
        self.buf.extend_from_slice(sum.as_bytes());
        if self.piece == usize::MAX {
            // The backend keeps the buffer itself (see `Backend::piece_size`).
            let mut all = std::mem::take(&mut self.buf);
            all.shrink_to_fit();
            out.write_owned(all)?;
        } else {
            out.write(&self.buf)?;
            self.buf.clear();
        }
        out.commit(&name)?;
        self.written += at - PACK_HEADER_LEN as u64;
        self.store.pack_written(name.clone(), &self.entries);
        self.packs.push(name);
        self.entries.clear();
        self.pending.clear();
        Ok(())
    }

    /// Writes what is pending; every object put is durable in the store after
    /// this returns.
    pub fn finish(mut self) -> Result<()> {
        self.flush()
    }

    /// Like `finish`, and returns the names of every pack written.
    pub(crate) fn finish_packs(mut self) -> Result<Vec<String>> {
        self.flush()?;
        Ok(std::mem::take(&mut self.packs))
    }
}
