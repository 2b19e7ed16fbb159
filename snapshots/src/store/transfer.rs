//! Copying a snapshot between stores (`push`, `pull`): only the objects the destination lacks, read in parallel.
//!
//! The walk starts at the manifest and stops at every object the destination
//! has: a store holds an object only with everything it reaches (a writer
//! puts children before the parents whose hashes name them, and the
//! transfer does too), so one change in a large tree costs the objects on
//! the path from the root to it. Reads are grouped by pack and merged into
//! large ranges, several requests at once; writes go into packs, children
//! first, so a transfer cut short leaves only complete subtrees and no ref.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::Store;
use crate::error::{Error, Result};
use crate::format::{self, Kind};
use crate::hash::{DigestMap, DigestSet, Hash};
use crate::progress::Progress;

/// Reads closer than this in one pack are merged into one request.
const MERGE_GAP: u64 = 256 << 10;
/// Largest merged read.
const MAX_RANGE: u64 = 8 << 20;
/// Bytes of chunks fetched before they are written (bounds memory).
const CHUNK_WINDOW: u64 = 64 << 20;

/// What a transfer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferStats {
    /// Objects copied.
    pub objects: usize,
    /// Bytes of objects copied.
    pub bytes: u64,
    /// Objects the destination had already (each with all it reaches; not
    /// walked further).
    pub present: usize,
}

/// An object read during the walk: its kind, bytes and children.
type Fetched = (Kind, Vec<u8>, Vec<(Kind, Hash)>);

/// Where one object to read is.
enum Place {
    /// In pack `path`, at `offset`, `len` bytes.
    Packed {
        path: std::sync::Arc<str>,
        offset: u64,
        len: u64,
    },
    /// Loose, or not found in a pack: read through `Store::get`.
    Other,
}

/// One request: a range of a pack holding several wanted objects, or one
/// object read otherwise.
enum Task {
    Range {
        path: std::sync::Arc<str>,
        start: u64,
        end: u64,
        /// Index into the wanted list, offset and length of each object.
        items: Vec<(usize, u64, u64)>,
    },
    One(usize),
}

impl Store {
    /// Copies snapshot `manifest` of `src`, and every object it reaches
    /// that this store lacks, into this store, reading with up to `jobs`
    /// requests at once; reports bytes copied to `progress`. Every object is
    /// verified against its hash on the way. Sets no ref: the caller does,
    /// once this returns.
    pub fn fetch_from(
        &self,
        src: &Store,
        manifest: &Hash,
        jobs: usize,
        progress: &dyn Progress,
    ) -> Result<TransferStats> {
        let jobs = jobs.max(1);
        let mut stats = TransferStats::default();
        // Discover: the missing objects other than chunks, level by level,
        // with their bytes; chunks are only listed.
        let mut meta: DigestMap<Fetched> = DigestMap::default();
        let mut chunks: DigestMap<()> = DigestMap::default();
        let mut seen = DigestSet::default();
        let mut level = vec![(Kind::Manifest, *manifest)];
        seen.insert(*manifest);
        while !level.is_empty() {
            let mut want = Vec::new();
            for (kind, h) in level.drain(..) {
                if self.has_cached(&h)? {
                    stats.present += 1;
                } else if kind == Kind::Chunk {
                    chunks.insert(h, ());
                } else {
                    want.push((kind, h));
                }
            }
            let got = fetch_many(src, &want, jobs)?;
            for ((kind, h), bytes) in want.into_iter().zip(got) {
                let children = format::children(&bytes, kind, h)?;
                for &(k, c) in &children {
                    if seen.insert(c) {
                        level.push((k, c));
                    }
                }
                meta.insert(h, (kind, bytes, children));
            }
        }
        if meta.is_empty() && chunks.is_empty() {
            return Ok(stats);
        }
        // Children first: depth first from the manifest, an object after
        // everything it reaches.
        let mut order: Vec<(Kind, Hash)> = Vec::with_capacity(meta.len() + chunks.len());
        let mut placed = DigestSet::default();
        let mut work = vec![(Kind::Manifest, *manifest, false)];
        while let Some((kind, h, expanded)) = work.pop() {
            if placed.contains(&h) {
                continue;
            }
            match meta.get(&h) {
                Some((_, _, children)) if !expanded => {
                    work.push((kind, h, true));
                    work.extend(
                        children
                            .iter()
                            .rev()
                            .filter(|(_, c)| !placed.contains(c))
                            .map(|&(k, c)| (k, c, false)),
                    );
                }
                Some(_) => {
                    placed.insert(h);
                    order.push((kind, h));
                }
                None if chunks.contains_key(&h) => {
                    placed.insert(h);
                    order.push((kind, h));
                }
                // Present in this store already.
                None => {}
            }
        }
        let total: u64 = order
            .iter()
            .map(|(_, h)| match meta.get(h) {
                Some((_, b, _)) => b.len() as u64,
                None => src.packed_len(h).unwrap_or(0),
            })
            .sum();
        progress.set_total(total);
        let mut batch = self.batch();
        let mut i = 0;
        while i < order.len() {
            // The next objects, up to a window of chunk bytes.
            let mut j = i;
            let mut window = 0u64;
            let mut want = Vec::new();
            while j < order.len() && (window < CHUNK_WINDOW || want.is_empty()) {
                let (kind, h) = order[j];
                if kind == Kind::Chunk {
                    window += src.packed_len(&h).unwrap_or(MAX_RANGE);
                    want.push((kind, h));
                }
                j += 1;
            }
            let mut fetched: DigestMap<Vec<u8>> = want
                .iter()
                .map(|&(_, h)| h)
                .zip(fetch_many(src, &want, jobs)?)
                .collect();
            for &(kind, h) in &order[i..j] {
                let bytes = match kind {
                    Kind::Chunk => fetched.remove(&h),
                    _ => meta.remove(&h).map(|(_, b, _)| b),
                }
                .ok_or(Error::Missing { hash: h })?;
                batch.put(&bytes)?;
                stats.objects += 1;
                stats.bytes += bytes.len() as u64;
                progress.advance(bytes.len() as u64);
            }
            i = j;
        }
        batch.finish()?;
        Ok(stats)
    }

    /// The stored length of a packed object, if this store value knows it.
    fn packed_len(&self, h: &Hash) -> Option<u64> {
        self.packs_read().objects.get(h).map(|l| u64::from(l.len))
    }

    /// Where object `h` is, as far as this store value knows.
    fn place(&self, h: &Hash) -> Result<Place> {
        self.ensure_scanned()?;
        let p = self.packs_read();
        Ok(match p.objects.get(h) {
            Some(l) => Place::Packed {
                path: p.paths[l.pack as usize].clone(),
                offset: l.offset,
                len: u64::from(l.len),
            },
            None => Place::Other,
        })
    }
}

/// Reads and verifies the objects `want` of `src`, with up to `jobs`
/// requests at once; returns their bytes in the same order.
fn fetch_many(src: &Store, want: &[(Kind, Hash)], jobs: usize) -> Result<Vec<Vec<u8>>> {
    // Group packed objects by pack, by offset, merged into ranges.
    let mut by_pack: HashMap<std::sync::Arc<str>, Vec<(u64, u64, usize)>> = HashMap::new();
    let mut tasks = Vec::new();
    for (i, (_, h)) in want.iter().enumerate() {
        match src.place(h)? {
            Place::Packed { path, offset, len } => {
                by_pack.entry(path).or_default().push((offset, len, i))
            }
            Place::Other => tasks.push(Task::One(i)),
        }
    }
    for (path, mut items) in by_pack {
        items.sort_unstable();
        let mut cur: Option<Task> = None;
        for (offset, len, i) in items {
            let end = offset + len;
            if let Some(Task::Range {
                start,
                end: cur_end,
                items,
                ..
            }) = &mut cur
                && offset <= *cur_end + MERGE_GAP
                && end.max(*cur_end) - *start <= MAX_RANGE
            {
                *cur_end = end.max(*cur_end);
                items.push((i, offset, len));
                continue;
            }
            tasks.extend(cur.take());
            cur = Some(Task::Range {
                path: path.clone(),
                start: offset,
                end,
                items: vec![(i, offset, len)],
            });
        }
        tasks.extend(cur);
    }
    let out: Mutex<Vec<Option<Vec<u8>>>> = Mutex::new(vec![None; want.len()]);
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..jobs.min(tasks.len()) {
            s.spawn(|| {
                loop {
                    let t = next.fetch_add(1, Ordering::Relaxed);
                    let Some(task) = tasks.get(t) else { break };
                    if let Err(e) = run_task(src, want, task, &out) {
                        *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                        // The other workers stop at their next task.
                        next.store(tasks.len(), Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    out.into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .zip(want)
        .map(|(b, (_, h))| b.ok_or(Error::Missing { hash: *h }))
        .collect()
}

/// Performs one read of `fetch_many`, verifying what it reads.
fn run_task(
    src: &Store,
    want: &[(Kind, Hash)],
    task: &Task,
    out: &Mutex<Vec<Option<Vec<u8>>>>,
) -> Result<()> {
    let put = |i: usize, b: Vec<u8>| {
        out.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(b);
    };
    match task {
        Task::One(i) => {
            let (kind, h) = want[*i];
            put(*i, src.get(&h, kind)?);
        }
        Task::Range {
            path,
            start,
            end,
            items,
        } => {
            let len = usize::try_from(end - start).unwrap_or(usize::MAX);
            let data = src.backend().read_at(path, *start, len).map_err(|e| {
                if e.kind() == std::io::ErrorKind::UnexpectedEof {
                    Error::CorruptedPack {
                        pack: path.trim_start_matches("packs/").to_owned(),
                        what: "shorter than its index says",
                    }
                } else {
                    e.into()
                }
            })?;
            for &(i, offset, n) in items {
                let at = (offset - start) as usize;
                let bytes = data[at..at + n as usize].to_vec();
                let (kind, h) = want[i];
                if Hash::of(&bytes) != h {
                    return Err(Error::Corrupted {
                        object: kind,
                        hash: h,
                        what: "content does not match its hash",
                    });
                }
                put(i, bytes);
            }
        }
    }
    Ok(())
}
