//! Regular-file contents: persistent, chunked, sparse, lazily backed by the lower layer.
//!
//! A file is a map from chunk index to a shared buffer of at most [`CHUNK`] bytes.
//! Missing chunks are holes (zeros) or, below `base_len`, bytes still to be read
//! from the lower object with the same inode number: copy-up never copies data,
//! and a write copies only the chunks it touches.

use std::sync::Arc;

use imbl::OrdMap;

use crate::cost;
use crate::error::{Error, Result};

/// Size of one chunk of file data. Four KiB, so that a 4 KiB write into a huge
/// lower file costs 4 KiB of memory.
pub(crate) const CHUNK: u64 = 4096;

/// Stored data of one chunk; bytes past its length (within the file size) are zero.
pub(crate) type Chunk = Arc<Vec<u8>>;

/// Reads `buf.len()` bytes of the lower object at an offset; `Ok(n < len)` means
/// the lower object ended early (the rest reads as zeros).
pub(crate) type LowerRead<'a> = &'a mut dyn FnMut(u64, &mut [u8]) -> Result<usize>;

/// The chunk map, with the common single-chunk file kept out of the B-tree so a
/// small file costs one allocation for its data.
#[derive(Debug, Clone, Default)]
enum Chunks {
    #[default]
    Empty,
    /// Chunk 0 only.
    First(Chunk),
    Map(OrdMap<u64, Chunk>),
}

impl Chunks {
    fn get_mut(&mut self, idx: u64) -> Option<&mut Chunk> {
        match self {
            Chunks::Empty => None,
            Chunks::First(c) => (idx == 0).then_some(c),
            Chunks::Map(m) => m.get_mut(&idx),
        }
    }

    /// The first stored chunk with index `>= idx`.
    fn next_from(&self, idx: u64) -> Option<(u64, &Chunk)> {
        match self {
            Chunks::Empty => None,
            Chunks::First(c) => (idx == 0).then_some((0, c)),
            Chunks::Map(m) => m.range(idx..).next().map(|(k, v)| (*k, v)),
        }
    }

    fn insert(&mut self, idx: u64, chunk: Chunk) {
        match self {
            Chunks::Empty if idx == 0 => *self = Chunks::First(chunk),
            Chunks::First(c) if idx == 0 => *c = chunk,
            Chunks::Map(m) => {
                m.insert(idx, chunk);
            }
            _ => {
                let mut m = OrdMap::new();
                if let Chunks::First(c) = std::mem::take(self) {
                    m.insert(0, c);
                }
                m.insert(idx, chunk);
                *self = Chunks::Map(m);
            }
        }
    }

    /// Drops every chunk with index `>= idx`; returns the bytes they held and
    /// the charge they (and a table left empty) released.
    fn remove_from(&mut self, idx: u64) -> (u64, u64) {
        match self {
            Chunks::Empty => (0, 0),
            Chunks::First(c) => {
                if idx == 0 {
                    let freed = (c.len() as u64, cost::chunk(c.capacity()));
                    *self = Chunks::Empty;
                    freed
                } else {
                    (0, 0)
                }
            }
            Chunks::Map(m) => {
                if idx == 0 {
                    let freed = m.values().fold((0, cost::CHUNK_MAP), |(n, c), chunk| {
                        (n + chunk.len() as u64, c + cost::chunk(chunk.capacity()))
                    });
                    *self = Chunks::Empty;
                    return freed;
                }
                let doomed: Vec<u64> = m.range(idx..).map(|(k, _)| *k).collect();
                doomed
                    .iter()
                    .filter_map(|k| m.remove(k))
                    .fold((0, 0), |(n, c), chunk| {
                        (n + chunk.len() as u64, c + cost::chunk(chunk.capacity()))
                    })
            }
        }
    }

    fn is_map(&self) -> bool {
        matches!(self, Chunks::Map(_))
    }

    /// Host memory of the stored chunks and the table (see `cost`).
    fn charge(&self) -> u64 {
        match self {
            Chunks::Empty => 0,
            Chunks::First(c) => cost::chunk(c.capacity()),
            Chunks::Map(m) => {
                cost::CHUNK_MAP + m.values().map(|c| cost::chunk(c.capacity())).sum::<u64>()
            }
        }
    }
}

/// The capacity a chunk buffer of capacity `cap` gets to hold `len` bytes:
/// doubling (so that small appends are amortized), never past [`CHUNK`]. The
/// engine sets every capacity itself, so the quota can charge it exactly.
fn grown_cap(cap: usize, len: usize) -> usize {
    if len <= cap {
        cap
    } else {
        len.max(cap.saturating_mul(2)).min(CHUNK as usize).max(len)
    }
}

/// What a write changed: the stored bytes it added and the charge of the
/// chunks it touched before and after.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Written {
    pub(crate) content: u64,
    pub(crate) charge_before: u64,
    pub(crate) charge_after: u64,
}

/// Contents of one regular file.
#[derive(Debug, Clone, Default)]
pub(crate) struct FileData {
    size: u64,
    /// Bytes below this offset that no stored chunk covers come from the lower
    /// object with the same inode number; past it, holes read as zeros.
    base_len: u64,
    /// Total length of the stored chunks: what the file charges to the quota.
    stored: u64,
    chunks: Chunks,
}

/// Copies `len` bytes starting at logical offset `from` of the concatenation of
/// `data` into `out`.
fn gather(data: &[&[u8]], mut from: usize, out: &mut [u8]) {
    let mut written = 0;
    for part in data {
        if from >= part.len() {
            from -= part.len();
            continue;
        }
        let take = (part.len() - from).min(out.len() - written);
        out[written..written + take].copy_from_slice(&part[from..from + take]);
        written += take;
        from = 0;
        if written == out.len() {
            break;
        }
    }
}

impl FileData {
    /// A file whose every byte still lives in the lower object (copy-up).
    pub(crate) fn backed_by_lower(size: u64) -> FileData {
        FileData {
            size,
            base_len: size,
            stored: 0,
            chunks: Chunks::Empty,
        }
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn stored_bytes(&self) -> u64 {
        self.stored
    }

    /// Host memory of the file's data: chunk buffers by capacity, their
    /// headers and table (see `cost`). O(chunks).
    pub(crate) fn charge(&self) -> u64 {
        self.chunks.charge()
    }

    /// The first range at or after `offset` that may hold non-zero bytes:
    /// stored chunks (a run of adjacent ones at once) and, below `base_len`,
    /// what `lower_range` says the lower object holds; `None` if the rest
    /// reads as zeros. Ranges may include zeros, never leave out data.
    pub(crate) fn data_range(
        &self,
        offset: u64,
        lower_range: &mut dyn FnMut(u64) -> Result<Option<(u64, u64)>>,
    ) -> Result<Option<(u64, u64)>> {
        if offset >= self.size {
            return Ok(None);
        }
        let stored = self.chunks.next_from(offset / CHUNK).map(|(first, _)| {
            let mut last = first;
            while let Some((i, _)) = self.chunks.next_from(last + 1) {
                if i != last + 1 {
                    break;
                }
                last = i;
            }
            (first * CHUNK, (last + 1) * CHUNK)
        });
        let below = if offset < self.base_len {
            lower_range(offset)?
                .filter(|(s, _)| *s < self.base_len)
                .map(|(s, e)| (s, e.min(self.base_len)))
        } else {
            None
        };
        // The earlier of the two; data of the other starts no sooner.
        let first = match (stored, below) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        Ok(first
            .map(|(s, e)| (s.max(offset), e.min(self.size)))
            .filter(|(s, e)| s < e))
    }

    /// Reads at `offset` into `buf`; returns the number of bytes read (short only
    /// at end of file).
    pub(crate) fn read(&self, offset: u64, buf: &mut [u8], lower: LowerRead<'_>) -> Result<usize> {
        if offset >= self.size {
            return Ok(0);
        }
        let len = (buf.len() as u64).min(self.size - offset) as usize;
        let end = offset + len as u64;
        let mut pos = offset;
        while pos < end {
            let idx = pos / CHUNK;
            let next = self.chunks.next_from(idx);
            let out = &mut buf[(pos - offset) as usize..len];
            match next {
                Some((i, chunk)) if i == idx => {
                    // Inside a stored chunk: its bytes, then zeros to the chunk end.
                    let cstart = idx * CHUNK;
                    let stop = end.min(cstart + CHUNK);
                    let n = (stop - pos) as usize;
                    let within = (pos - cstart) as usize;
                    let have = chunk.len().saturating_sub(within).min(n);
                    // A stored chunk may end before the file does (a later
                    // write grew the file past it): then `within` can pass its end.
                    if have > 0 {
                        out[..have].copy_from_slice(&chunk[within..within + have]);
                    }
                    out[have..n].fill(0);
                    pos = stop;
                }
                other => {
                    // A run of unstored chunks up to the next stored one.
                    let stop = other.map_or(end, |(i, _)| end.min(i * CHUNK));
                    let n = (stop - pos) as usize;
                    let from_lower = if pos < self.base_len {
                        let want = (self.base_len.min(stop) - pos) as usize;
                        let mut got = 0;
                        while got < want {
                            let r = lower(pos + got as u64, &mut out[got..want])?;
                            if r == 0 {
                                break;
                            }
                            got += r;
                        }
                        got
                    } else {
                        0
                    };
                    out[from_lower..n].fill(0);
                    pos = stop;
                }
            }
        }
        Ok(len)
    }

    /// Writes the concatenation of `data` at `offset`, growing the file as
    /// needed. Fails before changing anything if the charge (see `cost`)
    /// would grow by more than `budget` or the end would pass `max_size`.
    pub(crate) fn write(
        &mut self,
        offset: u64,
        data: &[&[u8]],
        budget: u64,
        max_size: u64,
        lower: LowerRead<'_>,
    ) -> Result<Written> {
        let total: usize = data.iter().map(|d| d.len()).sum();
        if total == 0 {
            return Ok(Written::default());
        }
        let end = offset
            .checked_add(total as u64)
            .filter(|e| *e <= max_size)
            .ok_or(Error::TooBig)?;
        let first = offset / CHUNK;
        let last = (end - 1) / CHUNK;
        // A chunk past the first turns the table into a map.
        let new_map = !self.chunks.is_map() && last > 0;

        // Pass 1, fallible and read-only: the growth, and the lower bytes needed to
        // complete partially written chunks that are not stored yet.
        let mut growth = 0u64;
        let mut before = 0u64;
        let mut after = if new_map { cost::CHUNK_MAP } else { 0 };
        let mut prefetched: Vec<(u64, Vec<u8>)> = Vec::new();
        for idx in first..=last {
            let cstart = idx * CHUNK;
            let wend = end.min(cstart + CHUNK) - cstart;
            let old_valid = self.size.saturating_sub(cstart).min(CHUNK);
            let new_len = wend.max(old_valid);
            let old_stored = match self.chunks.next_from(idx) {
                Some((i, c)) if i == idx => {
                    // A shared chunk is copied first, at its length.
                    let cap = if Arc::strong_count(c) == 1 && Arc::weak_count(c) == 0 {
                        c.capacity()
                    } else {
                        c.len()
                    };
                    before += cost::chunk(c.capacity());
                    after += cost::chunk(grown_cap(cap, new_len as usize));
                    c.len() as u64
                }
                _ => {
                    let wstart = offset.max(cstart) - cstart;
                    let covered = wstart == 0 && wend >= old_valid;
                    if !covered && cstart < self.base_len {
                        let mut buf = Vec::with_capacity(new_len as usize);
                        buf.resize(old_valid as usize, 0);
                        let want = (self.base_len - cstart).min(old_valid) as usize;
                        let mut got = 0;
                        while got < want {
                            let r = lower(cstart + got as u64, &mut buf[got..want])?;
                            if r == 0 {
                                break;
                            }
                            got += r;
                        }
                        prefetched.push((idx, buf));
                    }
                    after += cost::chunk(new_len as usize);
                    0
                }
            };
            growth += new_len.saturating_sub(old_stored);
        }
        if after.saturating_sub(before) > budget {
            return Err(Error::NoSpace);
        }

        // Pass 2, infallible: build or update each chunk in place.
        let mut prefetched = prefetched.into_iter().peekable();
        let mut consumed = 0usize;
        let mut charged = if new_map { cost::CHUNK_MAP } else { 0 };
        for idx in first..=last {
            let cstart = idx * CHUNK;
            let wstart = (offset.max(cstart) - cstart) as usize;
            let wend = (end.min(cstart + CHUNK) - cstart) as usize;
            let old_valid = self.size.saturating_sub(cstart).min(CHUNK) as usize;
            let new_len = wend.max(old_valid);
            let src_len = wend - wstart;
            if let Some(chunk) = self.chunks.get_mut(idx) {
                let v = Arc::make_mut(chunk);
                if v.len() < new_len {
                    let cap = grown_cap(v.capacity(), new_len);
                    v.reserve_exact(cap - v.len());
                    v.resize(new_len, 0);
                }
                gather(data, consumed, &mut v[wstart..wend]);
                charged += cost::chunk(v.capacity());
            } else {
                let mut v = match prefetched.next_if(|(i, _)| *i == idx) {
                    Some((_, buf)) => buf,
                    None => Vec::with_capacity(new_len),
                };
                v.resize(new_len, 0);
                gather(data, consumed, &mut v[wstart..wend]);
                charged += cost::chunk(v.capacity());
                self.chunks.insert(idx, Arc::new(v));
            }
            consumed += src_len;
        }
        self.stored += growth;
        self.size = self.size.max(end);
        Ok(Written {
            content: growth,
            charge_before: before,
            charge_after: charged,
        })
    }

    /// Sets the size; shrinking drops the stored bytes past the end (so growing
    /// again exposes zeros, never stale data). Returns the bytes freed and the
    /// charge released.
    pub(crate) fn set_len(&mut self, len: u64) -> (u64, u64) {
        if len >= self.size {
            self.size = len;
            return (0, 0);
        }
        let keep_chunks = len.div_ceil(CHUNK);
        let (mut freed, mut released) = self.chunks.remove_from(keep_chunks);
        let tail = len % CHUNK;
        if tail != 0
            && let Some(chunk) = self.chunks.get_mut(len / CHUNK)
            && chunk.len() as u64 > tail
        {
            freed += chunk.len() as u64 - tail;
            let old = cost::chunk(chunk.capacity());
            let v = Arc::make_mut(chunk);
            v.truncate(tail as usize);
            // Give the memory back: the quota charges capacity.
            v.shrink_to_fit();
            released += old.saturating_sub(cost::chunk(v.capacity()));
        }
        self.base_len = self.base_len.min(len);
        self.stored -= freed;
        self.size = len;
        (freed, released)
    }

    /// Whether chunk `idx` holds its own copy of the data.
    #[cfg(test)]
    pub(crate) fn is_stored(&self, idx: u64) -> bool {
        matches!(self.chunks.next_from(idx), Some((i, _)) if i == idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_lower() -> impl FnMut(u64, &mut [u8]) -> Result<usize> {
        |_, _| panic!("no lower object")
    }

    fn read_all(f: &FileData, lower: LowerRead<'_>) -> Vec<u8> {
        let mut buf = vec![0xAA; f.size() as usize];
        let n = f.read(0, &mut buf, lower).unwrap();
        assert_eq!(n, buf.len());
        buf
    }

    #[test]
    fn write_read_across_chunks() {
        let mut f = FileData::default();
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        f.write(
            100,
            &[&data[..5000], &data[5000..]],
            u64::MAX,
            u64::MAX,
            &mut no_lower(),
        )
        .unwrap();
        assert_eq!(f.size(), 10_100);
        let all = read_all(&f, &mut no_lower());
        assert!(all[..100].iter().all(|b| *b == 0));
        assert_eq!(&all[100..], &data[..]);
        assert_eq!(f.stored_bytes(), 10_100);
    }

    #[test]
    fn holes_cost_nothing_and_read_zero() {
        let mut f = FileData::default();
        f.write(1 << 32, &[b"end"], u64::MAX, u64::MAX, &mut no_lower())
            .unwrap();
        assert_eq!(f.size(), (1 << 32) + 3);
        assert!(f.stored_bytes() <= CHUNK);
        let mut buf = [1u8; 16];
        assert_eq!(f.read(12345, &mut buf, &mut no_lower()).unwrap(), 16);
        assert_eq!(buf, [0; 16]);
        f.set_len(1 << 40);
        assert!(f.stored_bytes() <= CHUNK);
    }

    #[test]
    fn truncate_down_then_up_reads_zeros() {
        let mut f = FileData::default();
        f.write(0, &[&[7u8; 9000]], u64::MAX, u64::MAX, &mut no_lower())
            .unwrap();
        assert_eq!(f.set_len(5000).0, 4000);
        f.set_len(9000);
        let all = read_all(&f, &mut no_lower());
        assert!(all[..5000].iter().all(|b| *b == 7));
        assert!(all[5000..].iter().all(|b| *b == 0));
    }

    #[test]
    fn lower_backed_write_copies_only_touched_chunk() {
        let lower_data: Vec<u8> = (0..(CHUNK * 8)).map(|i| (i % 13) as u8).collect();
        let mut lower = |off: u64, buf: &mut [u8]| -> Result<usize> {
            let off = off as usize;
            let n = buf.len().min(lower_data.len().saturating_sub(off));
            buf[..n].copy_from_slice(&lower_data[off..off + n]);
            Ok(n)
        };
        let mut f = FileData::backed_by_lower(lower_data.len() as u64);
        f.write(CHUNK * 3 + 10, &[b"xyz"], u64::MAX, u64::MAX, &mut lower)
            .unwrap();
        assert_eq!(f.stored_bytes(), CHUNK);
        assert!(f.is_stored(3) && !f.is_stored(2) && !f.is_stored(4));
        let all = read_all(&f, &mut lower);
        let mut expect = lower_data.clone();
        expect[(CHUNK * 3 + 10) as usize..(CHUNK * 3 + 13) as usize].copy_from_slice(b"xyz");
        assert_eq!(all, expect);
        // Truncating below the lower data hides it for good.
        f.set_len(100);
        f.set_len(CHUNK * 2);
        let all = read_all(&f, &mut lower);
        assert_eq!(&all[..100], &lower_data[..100]);
        assert!(all[100..].iter().all(|b| *b == 0));
    }

    #[test]
    fn quota_checked_before_any_change() {
        let mut f = FileData::default();
        f.write(0, &[b"abc"], u64::MAX, u64::MAX, &mut no_lower())
            .unwrap();
        let err = f.write(0, &[&[1u8; 100]], 10, u64::MAX, &mut no_lower());
        assert!(matches!(err, Err(Error::NoSpace)));
        assert_eq!(read_all(&f, &mut no_lower()), b"abc");
        assert!(matches!(
            f.write(u64::MAX - 1, &[b"ab"], u64::MAX, u64::MAX, &mut no_lower()),
            Err(Error::TooBig)
        ));
    }

    #[test]
    fn snapshot_shares_untouched_chunks() {
        let mut f = FileData::default();
        f.write(
            0,
            &[&[1u8; 3 * CHUNK as usize]],
            u64::MAX,
            u64::MAX,
            &mut no_lower(),
        )
        .unwrap();
        let before = f.clone();
        f.write(CHUNK, &[b"zz"], u64::MAX, u64::MAX, &mut no_lower())
            .unwrap();
        assert_eq!(
            read_all(&before, &mut no_lower()),
            vec![1u8; 3 * CHUNK as usize]
        );
        let (Chunks::Map(a), Chunks::Map(b)) = (&before.chunks, &f.chunks) else {
            panic!()
        };
        assert!(Arc::ptr_eq(&a[&0], &b[&0]));
        assert!(!Arc::ptr_eq(&a[&1], &b[&1]));
    }

    #[test]
    fn charge_follows_capacity_and_sparse_chunks() {
        let mut f = FileData::default();
        // Two 1-byte chunks far apart: each costs a whole chunk record, plus
        // the table they need.
        let w = f
            .write(0, &[b"a"], u64::MAX, u64::MAX, &mut no_lower())
            .unwrap();
        assert_eq!(w.content, 1);
        assert_eq!(w.charge_after, cost::chunk(1));
        let w = f
            .write(CHUNK * 9, &[b"b"], u64::MAX, u64::MAX, &mut no_lower())
            .unwrap();
        assert_eq!(w.charge_after, cost::chunk(1) + cost::CHUNK_MAP);
        assert_eq!(f.charge(), 2 * cost::chunk(1) + cost::CHUNK_MAP);
        // Appends double the capacity, never past a chunk; the charge follows.
        for _ in 0..5000 {
            let end = f.size();
            f.write(end, &[b"c"], u64::MAX, u64::MAX, &mut no_lower())
                .unwrap();
        }
        let Chunks::Map(m) = &f.chunks else { panic!() };
        assert!(m.values().all(|c| c.capacity() <= CHUNK as usize));
        let by_capacity: u64 =
            cost::CHUNK_MAP + m.values().map(|c| cost::chunk(c.capacity())).sum::<u64>();
        assert_eq!(f.charge(), by_capacity);
        // A budget smaller than one chunk record refuses a 1-byte write.
        let small = cost::chunk(1) - 1;
        assert!(matches!(
            f.write(CHUNK * 100, &[b"d"], small, u64::MAX, &mut no_lower()),
            Err(Error::NoSpace)
        ));
        // Truncating gives the charge back.
        let before = f.charge();
        let (_, released) = f.set_len(CHUNK * 9 + 1);
        assert_eq!(f.charge(), before - released);
        let before = f.charge();
        let (_, released) = f.set_len(0);
        assert_eq!(released, before);
        assert_eq!(f.charge(), 0);
    }
}
