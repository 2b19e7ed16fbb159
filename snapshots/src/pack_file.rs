//! Single-file snapshot packs: `pack` writes one snapshot and every object it reaches to a stream, `unpack` verifies and stores one.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! offset  size  field
//! 0       8     magic: 0x89 'S' 'N' 'P' 'F' 'I' 'L' 'E'
//! 8       2     pack format version, u16 (see PACK_FILE_VERSION_1)
//! 10      32    the snapshot's manifest hash
//! 42      ..    records, children before the objects that refer to them:
//!                 tag 1 (u8), hash (32), len (u32), the object's bytes (len)
//! ..      41    end: tag 0 (u8), record count (u64), blake3 of every byte
//!               before the end record (32)
//! ```
//!
//! The manifest is the last record. Parent snapshots come along (a manifest
//! refers to its parent, and a store must hold what its snapshots reach).
//! `unpack` checks each record as it arrives: its length against the format's
//! bound before reading it, its bytes against its hash, its kind and the
//! objects it refers to against the records before it (or the store). Only a
//! pack that passed every check is committed to the store.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufReader, BufWriter, Read, Write};

use crate::error::{Error, Result};
use crate::format::{self, Kind, MAX_OBJECT_LEN};
use crate::hash::Hash;
use crate::store::Store;

/// Magic bytes opening a snapshot pack.
pub const PACK_FILE_MAGIC: [u8; 8] = [0x89, b'S', b'N', b'P', b'F', b'I', b'L', b'E'];
/// Pack file version 1: first layout (post-order records, counted and checksummed end).
pub const PACK_FILE_VERSION_1: u16 = 1;

const TAG_END: u8 = 0;
const TAG_OBJECT: u8 = 1;

/// The kind named by an object's header byte.
fn kind_of(bytes: &[u8]) -> Option<Kind> {
    let k = *bytes.get(6)?;
    [
        Kind::Chunk,
        Kind::File,
        Kind::Dir,
        Kind::Symlink,
        Kind::Manifest,
    ]
    .into_iter()
    .find(|kind| kind.byte() == k)
}

/// A writer that also hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, data: &[u8]) -> io::Result<()> {
        self.hasher.update(data);
        self.inner.write_all(data)
    }
}

/// Writes snapshot `manifest` of `store`, with every object it reaches
/// (parents included), to `out` as one pack; returns the number of objects.
/// Every object is read and verified on the way.
pub fn pack(store: &Store, manifest: &Hash, out: impl Write) -> Result<u64> {
    let mut w = Hashing {
        inner: BufWriter::with_capacity(1 << 20, out),
        hasher: blake3::Hasher::new(),
    };
    w.put(&PACK_FILE_MAGIC)?;
    w.put(&PACK_FILE_VERSION_1.to_le_bytes())?;
    w.put(&manifest.0)?;
    let mut written: HashSet<Hash> = HashSet::new();
    // Depth first; an object is written once all its children are.
    let mut work: Vec<(Kind, Hash, bool)> = vec![(Kind::Manifest, *manifest, false)];
    let mut count = 0u64;
    while let Some((kind, h, expanded)) = work.pop() {
        if written.contains(&h) {
            continue;
        }
        let bytes = store.get(&h, kind)?;
        if !expanded {
            let children = format::children(&bytes, kind, h)?;
            if children.iter().any(|(_, c)| !written.contains(c)) {
                work.push((kind, h, true));
                // Reversed so that they are written in their listed order.
                work.extend(
                    children
                        .into_iter()
                        .rev()
                        .filter(|(_, c)| !written.contains(c))
                        .map(|(k, c)| (k, c, false)),
                );
                continue;
            }
        }
        w.put(&[TAG_OBJECT])?;
        w.put(&h.0)?;
        w.put(&(bytes.len() as u32).to_le_bytes())?;
        w.put(&bytes)?;
        written.insert(h);
        count += 1;
    }
    let sum = w.hasher.finalize();
    let mut inner = w.inner;
    inner.write_all(&[TAG_END])?;
    inner.write_all(&count.to_le_bytes())?;
    inner.write_all(sum.as_bytes())?;
    inner.flush()?;
    Ok(count)
}

/// A reader that hashes what it reads and turns a short read into `TruncatedPack`.
struct Input<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> Input<R> {
    fn exact(&mut self, buf: &mut [u8], what: &'static str) -> Result<()> {
        match self.inner.read_exact(buf) {
            Ok(()) => {
                self.hasher.update(buf);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(Error::TruncatedPack(what)),
            Err(e) => Err(e.into()),
        }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.exact(&mut b, what)?;
        Ok(b)
    }

    /// Reads `len` bytes, growing the buffer only as data arrives (a length
    /// from a hostile pack allocates nothing it does not back with input).
    fn bytes(&mut self, len: usize, what: &'static str) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(len.min(1 << 20));
        let got = (&mut self.inner).take(len as u64).read_to_end(&mut out)?;
        if got < len {
            return Err(Error::TruncatedPack(what));
        }
        self.hasher.update(&out);
        Ok(out)
    }
}

/// Reads a pack written by [`pack`], verifies all of it, stores its objects
/// and returns the snapshot's manifest hash (set a ref to keep it). The last
/// objects are committed only once the whole pack has checked out, and the
/// manifest is returned only then: a damaged pack gives [`Error::BadPack`]
/// (or `Corrupted`/`UnsupportedVersion` for a well-hashed object that does
/// not decode), a short one [`Error::TruncatedPack`], and leaves at most
/// unreferenced objects (of a pack larger than the store's pack limit) that
/// `gc` removes.
pub fn unpack(store: &Store, input: impl Read) -> Result<Hash> {
    let mut r = Input {
        inner: BufReader::with_capacity(1 << 20, input),
        hasher: blake3::Hasher::new(),
    };
    if r.array::<8>("in the header")? != PACK_FILE_MAGIC {
        return Err(Error::BadPack("not a snapshot pack (bad magic)"));
    }
    let version = u16::from_le_bytes(r.array::<2>("in the header")?);
    if version != PACK_FILE_VERSION_1 {
        return Err(Error::BadPack("unsupported pack version"));
    }
    let manifest = Hash(r.array::<32>("in the header")?);
    let mut kinds: HashMap<Hash, Kind> = HashMap::new();
    let mut last: Option<Hash> = None;
    let mut batch = store.batch();
    let mut count = 0u64;
    loop {
        // The end record's tag is not part of the checksum: read it raw.
        let mut tag = [0u8; 1];
        match r.inner.read_exact(&mut tag) {
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(Error::TruncatedPack("before the end record"));
            }
            other => other?,
        }
        match tag[0] {
            TAG_OBJECT => r.hasher.update(&tag),
            TAG_END => break,
            _ => return Err(Error::BadPack("unknown record tag")),
        };
        let h = Hash(r.array::<32>("in a record header")?);
        let len = u32::from_le_bytes(r.array::<4>("in a record header")?) as usize;
        if len > MAX_OBJECT_LEN {
            return Err(Error::BadPack("record longer than an object may be"));
        }
        let bytes = r.bytes(len, "inside an object")?;
        if Hash::of(&bytes) != h {
            return Err(Error::BadPack("an object does not match its hash"));
        }
        let kind = kind_of(&bytes).ok_or(Error::BadPack("an object of no known kind"))?;
        for (want, child) in format::children(&bytes, kind, h)? {
            match kinds.get(&child) {
                Some(k) if *k == want => {}
                Some(_) => return Err(Error::BadPack("an object refers to one of another kind")),
                None if store.contains(&child)? => {}
                None => {
                    return Err(Error::BadPack(
                        "an object refers to one that is neither earlier in the pack nor in the store",
                    ));
                }
            }
        }
        if kinds.insert(h, kind).is_none() {
            batch.put(&bytes)?;
        }
        last = Some(h);
        count += 1;
    }
    let sum = r.hasher.finalize();
    let mut end = [0u8; 40];
    match r.inner.read_exact(&mut end) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            return Err(Error::TruncatedPack("in the end record"));
        }
        other => other?,
    }
    if u64::from_le_bytes(end[..8].try_into().unwrap_or_default()) != count {
        return Err(Error::BadPack("record count differs from the end record"));
    }
    if end[8..] != sum.as_bytes()[..] {
        return Err(Error::BadPack("checksum differs from the end record"));
    }
    let mut extra = [0u8; 1];
    if r.inner.read(&mut extra)? != 0 {
        return Err(Error::BadPack("bytes after the end record"));
    }
    if last != Some(manifest) || kinds.get(&manifest) != Some(&Kind::Manifest) {
        return Err(Error::BadPack("the last record is not the pack's manifest"));
    }
    batch.finish()?;
    Ok(manifest)
}
