//! The on-disk object format: header, object kinds, canonical encoding and bounded decoding.
//!
//! Every stored object is one byte string, named by the blake3 hash of all of
//! it (header included):
//!
//! ```text
//! offset  size  field
//! 0       4     magic: 0x89 'S' 'N' 'P' (the high byte catches 7-bit transfers,
//!               the letters say "Strata snapshot")
//! 4       2     format version, u16 little-endian (see the changelog below)
//! 6       1     object kind: 1 chunk, 2 file, 3 directory, 4 symlink, 5 manifest
//! 7       ..    body: the kind's struct below, encoded with postcard 1
//!               (unsigned integers as LEB128 varints, `u8` and fixed arrays
//!               such as hashes as raw bytes, sequences and strings as a varint
//!               length then the items, `Option` as a 0/1 byte, enums as a varint
//!               variant index); the body must end exactly at the end of the object
//! ```
//!
//! Bodies, by kind:
//! - chunk: `bytes` — at most [`MAX_CHUNK_LEN`] bytes of file data.
//! - file: `size: u64, nlink: u64, meta, chunks: [(offset: u64, hash)]` — chunks
//!   in strictly increasing offset order, each inside `size`; every byte no chunk
//!   covers is a hole (reads as zero, stored nowhere). `nlink` counts the file's
//!   names inside the snapshot.
//! - directory: `meta, entries: [(name: str, kind, hash)]` — strictly increasing
//!   byte order of names; `kind` 0 file, 1 directory, 2 symlink.
//! - symlink: `target: str, meta`.
//! - manifest: `version: u16, root: hash, parent: Option<hash>, lowers:
//!   [(fingerprint: hash)], labels: [(key: str, value: str)] sorted by key,
//!   tick: u64 (written as 0), links: [[path]]` — `links` lists every file or symlink with
//!   several names as the sorted paths (each a list of names from the root) of
//!   its names, groups sorted by their first path. Hard links live here, not in
//!   directories, so that linking never changes the hash of an unrelated
//!   directory.
//! - `meta` is `perm: u32, atime: u64, mtime: u64` (nanoseconds since the Unix
//!   epoch). ctime is not part of the format: it records when a change happened
//!   to this copy, and loading a snapshot is such a change.
//!
//! No inode numbers, host paths or other machine-specific values are hashed, so
//! equal trees have equal hashes everywhere.
//!
//! Decoding checks the header first, then decodes the body from a bounded
//! slice (the store never reads more than [`MAX_OBJECT_LEN`] bytes), with every
//! sequence length checked against a fixed bound before any allocation, then
//! validates the decoded value.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use strata_engine::Name;

use crate::error::{Error, Result};
use crate::hash::Hash;

/// Magic bytes opening every object.
pub const MAGIC: [u8; 4] = [0x89, b'S', b'N', b'P'];
/// Version 1: first format (chunks, files, directories, symlinks, manifests with hard-link groups).
pub const VERSION_1: u16 = 1;
/// The version this build writes.
pub const CURRENT_VERSION: u16 = VERSION_1;
/// Bytes before the body: magic, version, kind.
pub const HEADER_LEN: usize = 7;

/// Largest chunk of file data. The saver cuts each run of non-zero 4 KiB
/// blocks inside an aligned 64 KiB window into one chunk (so holes stay
/// holes); the format allows larger chunks so that may change without a new
/// version.
pub const MAX_CHUNK_LEN: usize = 1 << 20;
/// Largest object of any kind; the store refuses to read more.
pub const MAX_OBJECT_LEN: usize = 64 << 20;
/// Most entries in one directory.
pub const MAX_DIR_ENTRIES: usize = 1 << 20;
/// Most stored chunks in one file (at least 4 GiB of non-hole data, more with larger chunks).
pub const MAX_FILE_CHUNKS: usize = 1 << 20;
/// Longest symlink target, in bytes (POSIX `PATH_MAX`).
pub const MAX_TARGET_LEN: usize = 4096;
/// Most labels in one manifest.
pub const MAX_LABELS: usize = 1024;
/// Longest label key or value, in bytes.
pub const MAX_LABEL_LEN: usize = 4096;
/// Most lower layers recorded in a manifest.
pub const MAX_LOWERS: usize = 64;
/// Most files with several names in one snapshot.
pub const MAX_LINK_GROUPS: usize = 1 << 20;
/// Most names of one file.
pub const MAX_LINKS_PER_FILE: usize = 1 << 16;
/// Deepest path in a hard-link group, and deepest tree saved, loaded or
/// compared: far past any tree the engine's inode quota lets a guest build
/// (each level is an inode), so any tree a guest builds can be saved. Every
/// walk over a tree is iterative and holds one small frame per level.
/// (Up to 2,048 before; raising a decoding bound changes no encoding.)
pub const MAX_DEPTH: usize = 1 << 24;

/// The kind of a stored object (byte 6 of the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Raw file data.
    Chunk,
    /// A regular file: size, metadata and its chunks.
    File,
    /// A directory: metadata and its entries.
    Dir,
    /// A symbolic link.
    Symlink,
    /// The root of a snapshot: tree root, parent, lower layers, labels.
    Manifest,
}

impl Kind {
    /// The header byte.
    pub fn byte(self) -> u8 {
        match self {
            Kind::Chunk => 1,
            Kind::File => 2,
            Kind::Dir => 3,
            Kind::Symlink => 4,
            Kind::Manifest => 5,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Chunk => "chunk",
            Kind::File => "file",
            Kind::Dir => "directory",
            Kind::Symlink => "symlink",
            Kind::Manifest => "manifest",
        })
    }
}

/// Metadata stored for every file, directory and symlink.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Permission bits (at most `0o7777`).
    pub perm: u32,
    /// Last access, nanoseconds since the Unix epoch.
    pub atime: u64,
    /// Last data modification, nanoseconds since the Unix epoch.
    pub mtime: u64,
}

/// One stored chunk of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkRef {
    /// Where the chunk's data starts in the file.
    pub offset: u64,
    /// The chunk object.
    pub hash: Hash,
}

/// A regular file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileObject {
    /// Size in bytes, holes included.
    pub size: u64,
    /// Number of names of this file inside the snapshot.
    pub nlink: u64,
    /// Permissions and times.
    pub meta: Meta,
    /// Stored chunks in increasing offset order; the rest are holes.
    #[serde(deserialize_with = "bounded_seq::<_, _, MAX_FILE_CHUNKS>")]
    pub chunks: Vec<ChunkRef>,
}

/// The type of a directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryKind {
    /// A regular file object.
    File,
    /// A directory object.
    Dir,
    /// A symlink object.
    Symlink,
}

impl EntryKind {
    /// The object kind this entry points to.
    pub fn object_kind(self) -> Kind {
        match self {
            EntryKind::File => Kind::File,
            EntryKind::Dir => Kind::Dir,
            EntryKind::Symlink => Kind::Symlink,
        }
    }
}

/// One name in a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The name: a valid single path component.
    pub name: String,
    /// The type of the object named.
    pub kind: EntryKind,
    /// The object named.
    pub hash: Hash,
}

/// A directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirObject {
    /// Permissions and times.
    pub meta: Meta,
    /// Entries in strictly increasing byte order of names.
    #[serde(deserialize_with = "bounded_seq::<_, _, MAX_DIR_ENTRIES>")]
    pub entries: Vec<Entry>,
}

/// A symbolic link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymlinkObject {
    /// The target, as given when the link was made.
    pub target: String,
    /// Permissions and times.
    pub meta: Meta,
}

/// A lower layer the snapshot was taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LowerLayer {
    /// Digest of the lower tree's names, types, sizes, permissions, mtimes and
    /// symlink targets (see `fingerprint`): a changed lower tree has another one.
    pub fingerprint: Hash,
}

/// A file (or symlink) with several names: the paths of all of them, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkGroup {
    /// Each path is the list of names from the root to the file.
    #[serde(deserialize_with = "bounded_seq::<_, _, MAX_LINKS_PER_FILE>")]
    pub paths: Vec<Path>,
}

/// A path from the root: one name per level.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Path(#[serde(deserialize_with = "bounded_seq::<_, _, MAX_DEPTH>")] pub Vec<String>);

/// The root of a saved snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The format version; equal to the header's.
    pub version: u16,
    /// The root directory object.
    pub root: Hash,
    /// The manifest this snapshot was saved after, if any.
    pub parent: Option<Hash>,
    /// The lower layers under the saved state (saved content is the merged view,
    /// so these only describe what it was taken over).
    #[serde(deserialize_with = "bounded_seq::<_, _, MAX_LOWERS>")]
    pub lowers: Vec<LowerLayer>,
    /// Free-form key/value labels, sorted by key, keys unique.
    #[serde(deserialize_with = "bounded_seq::<_, _, MAX_LABELS>")]
    pub labels: Vec<(String, String)>,
    /// Reserved for the filesystem's logical clock: saves write 0, and a load
    /// does not read it.
    pub tick: u64,
    /// Files with several names.
    #[serde(deserialize_with = "bounded_seq::<_, _, MAX_LINK_GROUPS>")]
    pub links: Vec<LinkGroup>,
}

/// A sequence whose length is checked against `N` before anything is allocated.
fn bounded_seq<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T, const N: usize>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for Bounded<T, N> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a sequence of at most {N} items")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let len = seq.size_hint().unwrap_or(0);
            if len > N {
                return Err(de::Error::invalid_length(len, &self));
            }
            // Each item takes at least one byte of input, and the input is at
            // most MAX_OBJECT_LEN long: cap what is reserved by both.
            let mut v = Vec::with_capacity(len.min(4096));
            while let Some(x) = seq.next_element()? {
                if v.len() == N {
                    return Err(de::Error::invalid_length(N + 1, &self));
                }
                v.push(x);
            }
            Ok(v)
        }
    }
    d.deserialize_seq(Bounded::<T, N>(std::marker::PhantomData))
}

/// A decoded object body of one kind, with the checks its kind requires.
pub trait Object: Serialize + for<'de> Deserialize<'de> {
    /// The header's kind byte for this body.
    const KIND: Kind;
    /// Checks everything the encoding alone does not guarantee.
    fn validate(&self) -> Result<(), &'static str>;
}

fn check_meta(m: &Meta) -> Result<(), &'static str> {
    if m.perm & !0o7777 != 0 {
        return Err("permission bits out of range");
    }
    Ok(())
}

impl Object for FileObject {
    const KIND: Kind = Kind::File;
    fn validate(&self) -> Result<(), &'static str> {
        check_meta(&self.meta)?;
        if self.nlink == 0 || self.nlink > MAX_LINKS_PER_FILE as u64 {
            return Err("link count out of range");
        }
        let mut next = 0u64;
        for (i, c) in self.chunks.iter().enumerate() {
            if i > 0 && c.offset < next {
                return Err("chunk offsets not strictly increasing");
            }
            if c.offset >= self.size {
                return Err("chunk starts past the end of the file");
            }
            next = c.offset + 1;
        }
        Ok(())
    }
}

impl Object for DirObject {
    const KIND: Kind = Kind::Dir;
    fn validate(&self) -> Result<(), &'static str> {
        check_meta(&self.meta)?;
        for (i, e) in self.entries.iter().enumerate() {
            if Name::check(&e.name).is_err() {
                return Err("entry name is not a valid path component");
            }
            if i > 0 && self.entries[i - 1].name.as_bytes() >= e.name.as_bytes() {
                return Err("entry names not strictly increasing");
            }
        }
        Ok(())
    }
}

/// Checks a symlink target as the engine would accept it.
pub(crate) fn check_target(t: &str) -> Result<(), &'static str> {
    if t.is_empty() || t.len() > MAX_TARGET_LEN || t.as_bytes().contains(&0) {
        return Err("symlink target empty, too long or containing NUL");
    }
    Ok(())
}

impl Object for SymlinkObject {
    const KIND: Kind = Kind::Symlink;
    fn validate(&self) -> Result<(), &'static str> {
        check_meta(&self.meta)?;
        check_target(&self.target)
    }
}

impl Object for Manifest {
    const KIND: Kind = Kind::Manifest;
    fn validate(&self) -> Result<(), &'static str> {
        for (i, (k, v)) in self.labels.iter().enumerate() {
            if k.len() > MAX_LABEL_LEN || v.len() > MAX_LABEL_LEN {
                return Err("label too long");
            }
            if i > 0 && self.labels[i - 1].0 >= *k {
                return Err("label keys not strictly increasing");
            }
        }
        for (i, g) in self.links.iter().enumerate() {
            if g.paths.len() < 2 {
                return Err("hard-link group with fewer than two names");
            }
            for (j, p) in g.paths.iter().enumerate() {
                if p.0.is_empty() || p.0.iter().any(|n| Name::check(n).is_err()) {
                    return Err("hard-link path with an invalid component");
                }
                if j > 0 && g.paths[j - 1] >= *p {
                    return Err("hard-link paths not strictly increasing");
                }
            }
            if i > 0 && self.links[i - 1].paths[0] >= g.paths[0] {
                return Err("hard-link groups not sorted");
            }
        }
        Ok(())
    }
}

/// Raw file data; its body is a postcard byte string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a>(pub &'a [u8]);

/// Appends the header for `kind` to `out`.
fn push_header(kind: Kind, out: &mut Vec<u8>) {
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&CURRENT_VERSION.to_le_bytes());
    out.push(kind.byte());
}

/// Writes the header for `kind` into a new buffer with room for `body_hint` bytes.
#[cfg(test)]
fn header(kind: Kind, body_hint: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body_hint);
    push_header(kind, &mut out);
    out
}

/// The canonical encoding of an object body, header included.
pub fn encode<T: Object>(obj: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + 64);
    encode_into(obj, &mut out);
    out
}

/// Appends the canonical encoding of `obj` (header included) to `out`.
pub fn encode_into<T: Object>(obj: &T, out: &mut Vec<u8>) {
    push_header(T::KIND, out);
    let taken = std::mem::take(out);
    *out = match postcard::to_extend(obj, taken) {
        Ok(v) => v,
        // Serializing these plain structs into a Vec cannot fail: postcard only
        // fails on a full fixed buffer or on sequences of unknown length.
        Err(e) => unreachable!("postcard encoding of a plain struct failed: {e}"),
    };
}

/// The canonical encoding of a chunk, header included.
///
/// # Preconditions
/// `data.len() <= MAX_CHUNK_LEN`.
pub fn encode_chunk(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + data.len() + 10);
    encode_chunk_into(data, &mut out);
    out
}

/// Appends the canonical encoding of a chunk (header included) to `out`.
///
/// # Preconditions
/// `data.len() <= MAX_CHUNK_LEN`.
pub fn encode_chunk_into(data: &[u8], out: &mut Vec<u8>) {
    debug_assert!(data.len() <= MAX_CHUNK_LEN);
    push_header(Kind::Chunk, out);
    // postcard's byte-string encoding: a LEB128 length, then the bytes.
    let mut n = data.len() as u64;
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
    out.extend_from_slice(data);
}

/// Checks the header of `bytes` (magic, version, kind) and returns the body.
pub fn body(bytes: &[u8], kind: Kind, hash: Hash) -> Result<&[u8]> {
    let corrupted = |what| Error::Corrupted {
        object: kind,
        hash,
        what,
    };
    if bytes.len() > MAX_OBJECT_LEN {
        return Err(corrupted("object larger than the format allows"));
    }
    let Some((head, body)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Err(corrupted("truncated header"));
    };
    if head[..4] != MAGIC {
        return Err(corrupted("bad magic"));
    }
    let version = u16::from_le_bytes([head[4], head[5]]);
    if version == 0 || version > CURRENT_VERSION {
        return Err(Error::UnsupportedVersion { found: version });
    }
    if head[6] != kind.byte() {
        return Err(corrupted("unexpected object kind"));
    }
    Ok(body)
}

/// Decodes and validates an object of type `T` stored under `hash`.
pub fn decode<T: Object>(bytes: &[u8], hash: Hash) -> Result<T> {
    let body = body(bytes, T::KIND, hash)?;
    let corrupted = |what| Error::Corrupted {
        object: T::KIND,
        hash,
        what,
    };
    let (obj, rest): (T, &[u8]) =
        postcard::take_from_bytes(body).map_err(|_| corrupted("body does not decode"))?;
    if !rest.is_empty() {
        return Err(corrupted("trailing bytes after the body"));
    }
    obj.validate().map_err(corrupted)?;
    Ok(obj)
}

/// Decodes a chunk stored under `hash`; borrows its data from `bytes`.
pub fn decode_chunk(bytes: &[u8], hash: Hash) -> Result<Chunk<'_>> {
    let body = body(bytes, Kind::Chunk, hash)?;
    let corrupted = |what| Error::Corrupted {
        object: Kind::Chunk,
        hash,
        what,
    };
    let (data, rest): (&[u8], &[u8]) =
        postcard::take_from_bytes(body).map_err(|_| corrupted("body does not decode"))?;
    if !rest.is_empty() {
        return Err(corrupted("trailing bytes after the body"));
    }
    if data.len() > MAX_CHUNK_LEN {
        return Err(corrupted("chunk larger than the format allows"));
    }
    Ok(Chunk(data))
}

/// The objects `bytes` (an object of `kind`) refers to, with their kinds.
pub fn children(bytes: &[u8], kind: Kind, hash: Hash) -> Result<Vec<(Kind, Hash)>> {
    Ok(match kind {
        Kind::Chunk | Kind::Symlink => {
            // Decoded only to verify them.
            if kind == Kind::Chunk {
                decode_chunk(bytes, hash)?;
            } else {
                decode::<SymlinkObject>(bytes, hash)?;
            }
            Vec::new()
        }
        Kind::File => decode::<FileObject>(bytes, hash)?
            .chunks
            .iter()
            .map(|c| (Kind::Chunk, c.hash))
            .collect(),
        Kind::Dir => decode::<DirObject>(bytes, hash)?
            .entries
            .iter()
            .map(|e| (e.kind.object_kind(), e.hash))
            .collect(),
        Kind::Manifest => {
            let m = decode::<Manifest>(bytes, hash)?;
            let mut v = vec![(Kind::Dir, m.root)];
            v.extend(m.parent.map(|p| (Kind::Manifest, p)));
            v
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_encoding_is_postcard_bytes() {
        for len in [0usize, 1, 127, 128, 4096, 20000] {
            let data = vec![7u8; len];
            let enc = encode_chunk(&data);
            let h = Hash::of(&enc);
            assert_eq!(decode_chunk(&enc, h).unwrap().0, &data[..]);
            let via_serde = postcard::to_allocvec(&serde_bytes_like(&data)).unwrap();
            assert_eq!(&enc[HEADER_LEN..], &via_serde[..]);
        }
    }

    fn serde_bytes_like(d: &[u8]) -> impl Serialize + '_ {
        struct B<'a>(&'a [u8]);
        impl Serialize for B<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        B(d)
    }

    #[test]
    fn header_errors_are_distinct() {
        let m = SymlinkObject {
            target: "a".into(),
            meta: Meta {
                perm: 0o777,
                atime: 1,
                mtime: 2,
            },
        };
        let enc = encode(&m);
        let h = Hash::of(&enc);
        assert_eq!(decode::<SymlinkObject>(&enc, h).unwrap(), m);
        let mut v2 = enc.clone();
        v2[4..6].copy_from_slice(&2u16.to_le_bytes());
        assert!(matches!(
            decode::<SymlinkObject>(&v2, h),
            Err(Error::UnsupportedVersion { found: 2 })
        ));
        assert!(matches!(
            decode::<FileObject>(&enc, h),
            Err(Error::Corrupted {
                object: Kind::File,
                what: "unexpected object kind",
                ..
            })
        ));
        let mut trailing = enc.clone();
        trailing.push(0);
        assert!(matches!(
            decode::<SymlinkObject>(&trailing, h),
            Err(Error::Corrupted {
                what: "trailing bytes after the body",
                ..
            })
        ));
    }

    #[test]
    fn huge_declared_lengths_fail_without_allocating() {
        // A directory claiming 2^62 entries in a few bytes.
        let mut enc = header(Kind::Dir, 16);
        enc.extend_from_slice(&[0, 0, 0]); // meta: perm, atime, mtime
        enc.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f]);
        let h = Hash::of(&enc);
        assert!(matches!(
            decode::<DirObject>(&enc, h),
            Err(Error::Corrupted {
                what: "body does not decode",
                ..
            })
        ));
    }
}
