//! Reading one file of a stored snapshot by path, without loading the snapshot: `cat` and `cat_to`.

use std::io::Write;

use crate::error::{Error, Result};
use crate::format::{DirObject, EntryKind, FileObject, Kind};
use crate::hash::Hash;
use crate::load::read_manifest;
use crate::store::Store;

/// Largest file [`cat`] returns in memory; [`cat_to`] streams any size.
pub const MAX_CAT_LEN: u64 = 1 << 30;

/// Zeros written for holes, one piece at a time.
static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

/// The content of the regular file at `path` (names separated by `/`, from
/// the snapshot's root; empty components are ignored) in snapshot `manifest`.
/// Symlinks are never followed: one on the way or at the end is
/// [`Error::IsSymlink`]; a directory at the end is [`Error::IsDir`]; a missing
/// name (or a name under a file) is [`Error::NotFound`].
pub fn cat(store: &Store, manifest: &Hash, path: &str) -> Result<Vec<u8>> {
    let file = find_file(store, manifest, path)?;
    if file.1.size > MAX_CAT_LEN {
        return Err(Error::TooLarge("file too large to read into memory"));
    }
    let mut out = Vec::with_capacity(file.1.size as usize);
    write_file(store, &file.0, &file.1, &mut out)?;
    Ok(out)
}

/// Like [`cat`], writing the content to `out` (holes as zeros); returns the
/// number of bytes written.
pub fn cat_to(store: &Store, manifest: &Hash, path: &str, mut out: impl Write) -> Result<u64> {
    let (hash, file) = find_file(store, manifest, path)?;
    write_file(store, &hash, &file, &mut out)?;
    out.flush()?;
    Ok(file.size)
}

/// Walks `path` down from the root; returns the file object it names.
fn find_file(store: &Store, manifest: &Hash, path: &str) -> Result<(Hash, FileObject)> {
    let m = read_manifest(store, manifest)?;
    let names: Vec<&str> = path.split('/').filter(|n| !n.is_empty()).collect();
    let mut dir: DirObject = store.get_object(&m.root)?;
    let mut walked = String::new();
    for (i, name) in names.iter().enumerate() {
        walked.push('/');
        walked.push_str(name);
        // Entries are sorted by name bytes (checked when decoded).
        let found = dir
            .entries
            .binary_search_by(|e| e.name.as_bytes().cmp(name.as_bytes()))
            .ok()
            .map(|j| (dir.entries[j].kind, dir.entries[j].hash));
        let last = i + 1 == names.len();
        match found {
            None => return Err(Error::NotFound(walked)),
            Some((EntryKind::Symlink, _)) => return Err(Error::IsSymlink(walked)),
            Some((EntryKind::Dir, h)) => {
                if last {
                    return Err(Error::IsDir(walked));
                }
                dir = store.get_object(&h)?;
            }
            Some((EntryKind::File, h)) => {
                if !last {
                    // A name under a file (ENOTDIR): nothing is there.
                    walked.push('/');
                    walked.push_str(&names[i + 1..].join("/"));
                    return Err(Error::NotFound(walked));
                }
                return Ok((h, store.get_object(&h)?));
            }
        }
    }
    Err(Error::IsDir(if walked.is_empty() {
        "/".into()
    } else {
        walked
    }))
}

/// Writes a file's bytes: its chunks in order, zeros for the holes between.
fn write_file(store: &Store, hash: &Hash, f: &FileObject, out: &mut impl Write) -> Result<()> {
    let corrupted = |what| Error::Corrupted {
        object: Kind::File,
        hash: *hash,
        what,
    };
    let mut pos = 0u64;
    for (i, c) in f.chunks.iter().enumerate() {
        let bytes = store.get(&c.hash, Kind::Chunk)?;
        let data = crate::format::decode_chunk(&bytes, c.hash)?.0;
        let limit = f.chunks.get(i + 1).map_or(f.size, |n| n.offset);
        if data.is_empty() {
            return Err(corrupted("empty chunk"));
        }
        if c.offset + data.len() as u64 > limit {
            return Err(corrupted(
                "chunk overlaps the next one or the end of the file",
            ));
        }
        zeros(out, c.offset - pos)?;
        out.write_all(data)?;
        pos = c.offset + data.len() as u64;
    }
    zeros(out, f.size - pos)
}

fn zeros(out: &mut impl Write, mut n: u64) -> Result<()> {
    while n > 0 {
        let k = n.min(ZEROS.len() as u64) as usize;
        out.write_all(&ZEROS[..k])?;
        n -= k as u64;
    }
    Ok(())
}
