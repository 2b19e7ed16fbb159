//! Reading a byte range of a stored file: only the chunks it covers, through a small chunk cache.

use std::sync::{Arc, Mutex};

use strata_snapshots::format::{FileObject, Kind, decode_chunk};
use strata_snapshots::{Error, Hash, Result, Store};

/// Decoded chunks kept (at most 1 MiB each by the format, 64 KiB as saved):
/// enough for the kernel's read-ahead of a few files at once.
const CACHED: usize = 32;

/// The most recently read chunks, newest last.
#[derive(Debug, Default)]
pub(crate) struct ChunkCache {
    chunks: Mutex<Vec<(Hash, Arc<[u8]>)>>,
}

impl ChunkCache {
    /// The data of chunk `hash`, from the cache or the store.
    fn get(&self, store: &Store, hash: &Hash) -> Result<Arc<[u8]>> {
        {
            let mut c = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = c.iter().position(|(h, _)| h == hash) {
                let hit = c.remove(i);
                let data = hit.1.clone();
                c.push(hit);
                return Ok(data);
            }
        }
        let bytes = store.get(hash, Kind::Chunk)?;
        let data: Arc<[u8]> = decode_chunk(&bytes, *hash)?.0.into();
        let mut c = self.chunks.lock().unwrap_or_else(|e| e.into_inner());
        if c.len() >= CACHED {
            c.remove(0);
        }
        c.push((*hash, data.clone()));
        Ok(data)
    }
}

/// Bytes `offset..offset + len` of file `file` (object `hash`), shorter at
/// the end of the file; holes read as zeros. Reads only the chunks the range
/// overlaps.
pub(crate) fn read_range(
    store: &Store,
    cache: &ChunkCache,
    hash: &Hash,
    file: &FileObject,
    offset: u64,
    len: u32,
) -> Result<Vec<u8>> {
    let corrupted = |what| Error::Corrupted {
        object: Kind::File,
        hash: *hash,
        what,
    };
    let end = offset.saturating_add(u64::from(len)).min(file.size);
    if offset >= end {
        return Ok(Vec::new());
    }
    let chunks = &file.chunks;
    let mut out = Vec::with_capacity((end - offset) as usize);
    let mut pos = offset;
    // The last chunk starting at or before `pos` may cover it.
    let mut i = chunks
        .partition_point(|c| c.offset <= pos)
        .saturating_sub(1);
    while pos < end {
        match chunks.get(i) {
            Some(c) if c.offset <= pos => {
                let data = cache.get(store, &c.hash)?;
                let limit = chunks.get(i + 1).map_or(file.size, |n| n.offset);
                let chunk_end = c
                    .offset
                    .checked_add(data.len() as u64)
                    .filter(|&e| e <= limit && !data.is_empty())
                    .ok_or_else(|| {
                        corrupted("chunk empty, or overlapping the next one or the end")
                    })?;
                if pos < chunk_end {
                    let stop = chunk_end.min(end);
                    out.extend_from_slice(
                        &data[(pos - c.offset) as usize..(stop - c.offset) as usize],
                    );
                    pos = stop;
                }
                i += 1;
            }
            next => {
                // A hole up to the next chunk (or the end of the file).
                let stop = next.map_or(file.size, |c| c.offset).min(end);
                out.resize(out.len() + (stop - pos) as usize, 0);
                pos = stop;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use strata_snapshots::format::{ChunkRef, Meta, encode_chunk};
    use strata_snapshots::{MemBackend, Store};

    use super::*;

    fn file(store: &Store, size: u64, chunks: &[(u64, &[u8])]) -> FileObject {
        FileObject {
            size,
            nlink: 1,
            meta: Meta {
                perm: 0o644,
                atime: 0,
                mtime: 0,
            },
            chunks: chunks
                .iter()
                .map(|(offset, data)| ChunkRef {
                    offset: *offset,
                    hash: store.put(&encode_chunk(data)).unwrap(),
                })
                .collect(),
        }
    }

    /// Every range of a file with holes before, between and after its chunks
    /// reads as the whole file would.
    #[test]
    fn ranges_read_chunks_and_holes() {
        let store = Store::with_backend(MemBackend::new());
        let f = file(&store, 20, &[(2, b"abc"), (5, b"de"), (12, b"xyz")]);
        let whole = b"\0\0abcde\0\0\0\0\0xyz\0\0\0\0\0";
        let cache = ChunkCache::default();
        let h = Hash::of(b"file");
        for start in 0..=22u64 {
            for len in 0..=22u32 {
                let got = read_range(&store, &cache, &h, &f, start, len).unwrap();
                let s = (start as usize).min(20);
                let e = (start as usize + len as usize).min(20);
                assert_eq!(got, &whole[s..e.max(s)], "{start}+{len}");
            }
        }
    }

    /// A chunk running into the next one, or past the end, is an error
    /// naming the file, never a panic or a wrong read.
    #[test]
    fn overlapping_chunks_are_corrupted() {
        let store = Store::with_backend(MemBackend::new());
        let cache = ChunkCache::default();
        let h = Hash::of(b"file");
        for f in [
            file(&store, 10, &[(0, b"abcd"), (2, b"zz")]),
            file(&store, 3, &[(1, b"abcd")]),
            file(&store, 3, &[(1, b"")]),
        ] {
            let e = read_range(&store, &cache, &h, &f, 0, 10).unwrap_err();
            assert!(
                matches!(e, Error::Corrupted { hash, .. } if hash == h),
                "{e}"
            );
        }
    }
}
