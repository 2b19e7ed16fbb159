//! Saving an engine `Snapshot` as objects, incrementally: `Saver` and `save`.

mod index;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use strata_engine::{CHUNK_SIZE, FileType, Ino, Lower, Snapshot, Stat};

use crate::error::{Error, Result};
use crate::fingerprint::fingerprint;
use crate::format::{
    self, ChunkRef, DirObject, Entry, EntryKind, FileObject, LinkGroup, LowerLayer, MAX_DEPTH,
    MAX_DIR_ENTRIES, MAX_FILE_CHUNKS, MAX_LABEL_LEN, MAX_LABELS, Manifest, Meta, SymlinkObject,
};
use crate::hash::Hash;
use crate::progress::{NoProgress, Progress};
use crate::store::{Batch, Store};
use index::{Delta, Index};

/// Saves `snap` into `store` with `labels`; returns the manifest's hash.
///
/// Reads and hashes the whole tree; use a [`Saver`] to save successive states
/// of one filesystem incrementally.
pub fn save(store: &Store, snap: &Snapshot, labels: &[(&str, &str)]) -> Result<Hash> {
    Saver::new().save(store, snap, labels)
}

/// A file's content part, kept so a change of link count alone re-encodes the
/// file without reading its data again.
#[derive(Debug, Clone)]
struct FileParts {
    size: u64,
    meta: Meta,
    chunks: Arc<[ChunkRef]>,
}

/// What the saver remembers of the last state it saved.
#[derive(Debug)]
struct State {
    /// The store (and its gc generation) the remembered objects are in.
    epoch: (u64, u64),
    prev: Snapshot,
    manifest: Hash,
    index: Index,
    /// Object hash of every reachable object.
    hashes: HashMap<Ino, Hash>,
    files: HashMap<Ino, FileParts>,
}

/// Saves successive states of one filesystem, remembering the hash of every
/// object of the last state saved: the next save asks the engine which inodes
/// changed ([`Snapshot::changed_since`]), then reads and hashes only those and
/// re-encodes the directories above them.
///
/// Each save records the previous one as its manifest's parent. A failed save
/// leaves the store's earlier snapshots untouched and makes the next save a
/// full one.
#[derive(Debug, Default)]
pub struct Saver {
    state: Option<State>,
    /// Fingerprint of the last lower layer seen (kept alive so the pointer
    /// comparison stays meaningful).
    lower: Option<(Arc<dyn Lower>, Hash)>,
}

/// Metadata as the format stores it.
fn meta_of(s: &Stat) -> Meta {
    Meta {
        perm: s.perm & 0o7777,
        atime: s.atime,
        mtime: s.mtime,
    }
}

fn entry_kind(k: FileType) -> EntryKind {
    match k {
        FileType::File => EntryKind::File,
        FileType::Dir => EntryKind::Dir,
        FileType::Symlink => EntryKind::Symlink,
    }
}

/// Whether every byte is zero (written so the compiler can vectorize it).
fn all_zero(b: &[u8]) -> bool {
    b.chunks(64).all(|c| c.iter().fold(0u8, |a, x| a | x) == 0)
}

fn put_object<T: format::Object>(batch: &mut Batch<'_>, obj: &T) -> Result<Hash> {
    batch.put_object(obj)
}

/// What one save works with besides the saver's state.
struct Ctx<'a, 's> {
    batch: Batch<'s>,
    /// Reused by every file read.
    read_buf: Vec<u8>,
    snap: &'a Snapshot,
    progress: &'a dyn Progress,
}

impl Saver {
    /// A saver with nothing remembered: its first save is a full one.
    pub fn new() -> Saver {
        Saver::default()
    }

    /// Saves `snap` into `store` with `labels` (later duplicates of a key win)
    /// and returns the manifest's hash. Incremental when the last save of this
    /// saver was into the same store (with no `gc` since) and of an earlier
    /// state of the same filesystem.
    pub fn save(
        &mut self,
        store: &Store,
        snap: &Snapshot,
        labels: &[(&str, &str)],
    ) -> Result<Hash> {
        self.save_reporting(store, snap, labels, None)
    }

    /// Like [`Saver::save`], reporting the bytes of file data read and hashed
    /// to `progress` (the total is the size of the files that changed).
    pub fn save_with_progress(
        &mut self,
        store: &Store,
        snap: &Snapshot,
        labels: &[(&str, &str)],
        progress: &dyn Progress,
    ) -> Result<Hash> {
        self.save_reporting(store, snap, labels, Some(progress))
    }

    fn save_reporting(
        &mut self,
        store: &Store,
        snap: &Snapshot,
        labels: &[(&str, &str)],
        progress: Option<&dyn Progress>,
    ) -> Result<Hash> {
        let state = self.state.take();
        let result = self.save_inner(store, snap, labels, state, progress);
        match result {
            Ok(state) => {
                let h = state.manifest;
                self.state = Some(state);
                Ok(h)
            }
            Err(e) => Err(e),
        }
    }

    fn save_inner(
        &mut self,
        store: &Store,
        snap: &Snapshot,
        labels: &[(&str, &str)],
        old: Option<State>,
        progress: Option<&dyn Progress>,
    ) -> Result<State> {
        let labels = check_labels(labels)?;
        let lowers = self.lowers(snap)?;
        let epoch = store.epoch();
        let same_fs = |s: &State| {
            s.epoch == epoch
                && s.prev.root() == snap.root()
                && match (s.prev.lower(), snap.lower()) {
                    (None, None) => true,
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    _ => false,
                }
        };
        // The previous save is the parent only if this store still has it.
        let parent = match &old {
            Some(s) if s.epoch.0 == epoch.0 && store.contains(&s.manifest)? => Some(s.manifest),
            _ => None,
        };
        let mut st = match old {
            Some(s) if same_fs(&s) => {
                let mut s = s;
                update(&mut s, snap)?;
                s
            }
            _ => {
                let mut index = Index::default();
                index.list_subtree(snap, snap.root())?;
                State {
                    epoch,
                    prev: snap.clone(),
                    manifest: Hash([0; 32]),
                    index,
                    hashes: HashMap::new(),
                    files: HashMap::new(),
                }
            }
        };
        let mut cx = Ctx {
            batch: store.batch(),
            read_buf: Vec::new(),
            snap,
            progress: progress.unwrap_or(&NoProgress),
        };
        // Only asked for when someone listens: it stats every file to read.
        if let Some(p) = progress {
            p.set_total(pending_bytes(&st, snap)?);
        }
        let root = hash_tree(&mut st, &mut cx)?;
        let mut links = Vec::new();
        for ino in &st.index.multi {
            let names = &st.index.names[ino];
            let mut paths = names
                .iter()
                .map(|(dir, name)| st.index.path(snap.root(), *dir, name))
                .collect::<Result<Vec<_>>>()?;
            paths.sort();
            links.push(LinkGroup { paths });
        }
        links.sort_by(|a, b| a.paths[0].cmp(&b.paths[0]));
        let manifest = Manifest {
            version: format::CURRENT_VERSION,
            root,
            parent,
            lowers,
            labels,
            // Always 0: the state's logical tick (`Snapshot::tick`) is not
            // saved, and `load` does not read this field.
            tick: 0,
            links,
        };
        // The manifest goes last, into the last pack: once it is durable, so
        // is everything it refers to.
        st.manifest = put_object(&mut cx.batch, &manifest)?;
        cx.batch.finish()?;
        st.prev = snap.clone();
        st.epoch = epoch;
        Ok(st)
    }

    /// The lower layer's description, fingerprinted once per layer value.
    fn lowers(&mut self, snap: &Snapshot) -> Result<Vec<LowerLayer>> {
        let Some(lower) = snap.lower() else {
            return Ok(Vec::new());
        };
        let fp = match &self.lower {
            Some((l, fp)) if Arc::ptr_eq(l, lower) => *fp,
            _ => {
                let fp = fingerprint(&**lower)?;
                self.lower = Some((lower.clone(), fp));
                fp
            }
        };
        Ok(vec![LowerLayer { fingerprint: fp }])
    }
}

fn check_labels(labels: &[(&str, &str)]) -> Result<Vec<(String, String)>> {
    let map: BTreeMap<&str, &str> = labels.iter().copied().collect();
    if map.len() > MAX_LABELS {
        return Err(Error::TooLarge("too many labels"));
    }
    if map
        .iter()
        .any(|(k, v)| k.len() > MAX_LABEL_LEN || v.len() > MAX_LABEL_LEN)
    {
        return Err(Error::TooLarge("label longer than the format allows"));
    }
    Ok(map
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// Brings the remembered structure from `st.prev` to `snap` and forgets the
/// hashes of everything changed and of every directory above a change.
fn update(st: &mut State, snap: &Snapshot) -> Result<()> {
    let changed = snap.changed_since(&st.prev);
    let mut delta = Delta::default();
    for &ino in &changed {
        st.hashes.remove(&ino);
        st.files.remove(&ino);
        let was_dir = st.index.listing.contains_key(&ino);
        // An inode gone from the upper layer may still stat through the lower
        // layer; whether it is reachable is settled by `purge` below.
        let is_dir = snap.stat(ino).is_ok_and(|s| s.kind == FileType::Dir);
        if was_dir || is_dir {
            st.index.relist(snap, ino, is_dir, &mut delta)?;
        }
        delta.candidates.push(ino);
    }
    for d in std::mem::take(&mut delta.new_dirs) {
        st.index.list_subtree(snap, d)?;
    }
    for gone in st
        .index
        .purge(snap.root(), std::mem::take(&mut delta.candidates))
    {
        st.hashes.remove(&gone);
        st.files.remove(&gone);
    }
    // Everything above a changed object, or above one whose names changed.
    let mut up: Vec<Ino> = changed.into_iter().chain(delta.renamed).collect();
    let mut seen: HashSet<Ino> = HashSet::new();
    while let Some(ino) = up.pop() {
        if !seen.insert(ino) {
            continue;
        }
        st.hashes.remove(&ino);
        if let Some(names) = st.index.names.get(&ino) {
            up.extend(names.iter().map(|(dir, _)| *dir));
        }
    }
    Ok(())
}

/// The bytes of file data the next `hash_tree` will read: the sizes of files
/// whose contents are not remembered, below directories not hashed.
fn pending_bytes(st: &State, snap: &Snapshot) -> Result<u64> {
    let mut total = 0u64;
    // A hard-linked file is read once, whatever its number of names.
    let mut counted: HashSet<Ino> = HashSet::new();
    let mut work = vec![snap.root()];
    while let Some(dir) = work.pop() {
        if st.hashes.contains_key(&dir) {
            continue;
        }
        for e in st.index.listing.get(&dir).map_or(&[][..], Vec::as_slice) {
            match e.kind {
                FileType::Dir => work.push(e.ino),
                FileType::File
                    if !st.hashes.contains_key(&e.ino)
                        && !st.files.contains_key(&e.ino)
                        && counted.insert(e.ino) =>
                {
                    total += snap.stat(e.ino)?.size;
                }
                _ => {}
            }
        }
    }
    Ok(total)
}

/// Hashes (and stores) every reachable object whose hash is not remembered,
/// children before parents; returns the root directory's hash.
fn hash_tree(st: &mut State, cx: &mut Ctx<'_, '_>) -> Result<Hash> {
    let snap = cx.snap;
    let root = snap.root();
    // (inode, type, children already queued, depth below the root)
    let mut work: Vec<(Ino, FileType, bool, usize)> = vec![(root, FileType::Dir, false, 0)];
    while let Some((ino, kind, expanded, depth)) = work.pop() {
        if st.hashes.contains_key(&ino) {
            continue;
        }
        let h = match kind {
            FileType::Dir if !expanded => {
                // `load` refuses directories this deep: refuse to write a
                // snapshot that could not be loaded back.
                if depth >= MAX_DEPTH {
                    return Err(Error::TooLarge("tree deeper than the format allows"));
                }
                work.push((ino, kind, true, depth));
                if let Some(entries) = st.index.listing.get(&ino) {
                    for e in entries.iter().rev() {
                        if !st.hashes.contains_key(&e.ino) {
                            work.push((e.ino, e.kind, false, depth + 1));
                        }
                    }
                }
                continue;
            }
            FileType::Dir => hash_dir(st, cx, ino)?,
            FileType::File => hash_file(st, cx, ino)?,
            FileType::Symlink => {
                let s = snap.stat(ino)?;
                let target = snap.readlink(ino)?;
                format::check_target(&target)
                    .map_err(|_| Error::TooLarge("symlink target longer than the format allows"))?;
                put_object(
                    &mut cx.batch,
                    &SymlinkObject {
                        target: target.to_string(),
                        meta: meta_of(&s),
                    },
                )?
            }
        };
        st.hashes.insert(ino, h);
    }
    st.hashes
        .get(&root)
        .copied()
        .ok_or(Error::TooLarge("root directory not hashed"))
}

fn hash_dir(st: &mut State, cx: &mut Ctx<'_, '_>, ino: Ino) -> Result<Hash> {
    let s = cx.snap.stat(ino)?;
    let listing = st.index.listing.get(&ino).map_or(&[][..], Vec::as_slice);
    if listing.len() > MAX_DIR_ENTRIES {
        return Err(Error::TooLarge(
            "directory with more entries than the format allows",
        ));
    }
    let mut entries = Vec::with_capacity(listing.len());
    for e in listing {
        let hash = *st
            .hashes
            .get(&e.ino)
            .ok_or(Error::TooLarge("entry not hashed before its directory"))?;
        entries.push(Entry {
            name: e.name.as_str().to_owned(),
            kind: entry_kind(e.kind),
            hash,
        });
    }
    put_object(
        &mut cx.batch,
        &DirObject {
            meta: meta_of(&s),
            entries,
        },
    )
}

// Chunks are cut at the engine's chunk size, which the format must allow.
const _: () = assert!(CHUNK_SIZE as usize <= format::MAX_CHUNK_LEN);

/// Largest chunk the saver cuts: a file is split into windows of this size,
/// and each run of non-zero engine blocks (`CHUNK_SIZE`) inside a window is
/// one chunk object. Zero blocks stay holes; dense data is hashed and stored
/// in 64 KiB pieces, which blake3 hashes at full SIMD width and which keep the
/// object count (index entries, lookups) small. A file of at most 4 KiB, or
/// one without adjacent non-zero blocks, is cut exactly as before.
const SAVE_CHUNK: usize = 16 * CHUNK_SIZE as usize;

// Chunks are cut at most this large, which the format must allow.
const _: () = assert!(SAVE_CHUNK <= format::MAX_CHUNK_LEN);

/// How much file data is read at once while saving (whole windows).
const READ_BUF: usize = 4 * SAVE_CHUNK;

fn hash_file(st: &mut State, cx: &mut Ctx<'_, '_>, ino: Ino) -> Result<Hash> {
    let parts = match st.files.get(&ino) {
        Some(p) => p.clone(),
        None => {
            let p = read_file(cx, ino)?;
            cx.progress.advance(p.size);
            st.files.insert(ino, p.clone());
            p
        }
    };
    let nlink = st.index.link_count(ino).max(1) as u64;
    put_object(
        &mut cx.batch,
        &FileObject {
            size: parts.size,
            nlink,
            meta: parts.meta,
            chunks: parts.chunks.to_vec(),
        },
    )
}

/// Reads a file, stores its non-zero chunks and returns their list.
///
/// Only the ranges the engine says may hold data are read
/// ([`Snapshot::data_range`]: SEEK_DATA on a host file), widened to whole
/// windows so that the chunks cut depend on the content alone: the holes of
/// a huge sparse file cost nothing.
fn read_file(cx: &mut Ctx<'_, '_>, ino: Ino) -> Result<FileParts> {
    let snap = cx.snap;
    let s = snap.stat(ino)?;
    let len = READ_BUF.min(usize::try_from(s.size).unwrap_or(READ_BUF));
    let mut buf = std::mem::take(&mut cx.read_buf);
    buf.resize(len, 0);
    let mut chunks = Vec::new();
    let result = read_ranges(cx, ino, s.size, &mut buf, &mut chunks);
    cx.read_buf = buf;
    result?;
    Ok(FileParts {
        size: s.size,
        meta: meta_of(&s),
        chunks: chunks.into(),
    })
}

/// Reads the data ranges of file `ino` (of `size` bytes) window by window
/// through `buf`, appending a chunk for each run of non-zero blocks.
fn read_ranges(
    cx: &mut Ctx<'_, '_>,
    ino: Ino,
    size: u64,
    buf: &mut [u8],
    chunks: &mut Vec<ChunkRef>,
) -> Result<()> {
    let snap = cx.snap;
    let window = SAVE_CHUNK as u64;
    // Everything below `done` (a window boundary) has been read.
    let mut done = 0u64;
    while done < size {
        let Some((start, end)) = snap.data_range(ino, done)? else {
            break;
        };
        let mut pos = (start / window * window).max(done);
        let mut end = end.div_ceil(window).saturating_mul(window).min(size);
        if end <= pos {
            // An answer that does not move on: read the rest rather than loop.
            pos = done;
            end = size;
        }
        while pos < end {
            let want = (end - pos).min(buf.len() as u64) as usize;
            let mut got = 0;
            while got < want {
                let n = snap.read(ino, pos + got as u64, &mut buf[got..want])?;
                if n == 0 {
                    break;
                }
                got += n;
            }
            // A file that ended early reads as zeros up to its size.
            buf[got..want].fill(0);
            cut(cx, &buf[..want], pos, chunks)?;
            pos += want as u64;
        }
        done = end;
    }
    Ok(())
}

/// Cuts `data` (file bytes from `off`, a window boundary) into windows, and
/// stores each run of non-zero blocks inside a window as one chunk; zero
/// blocks are holes.
fn cut(cx: &mut Ctx<'_, '_>, data: &[u8], off: u64, chunks: &mut Vec<ChunkRef>) -> Result<()> {
    let block = CHUNK_SIZE as usize;
    for (w, window) in data.chunks(SAVE_CHUNK).enumerate() {
        let mut run: Option<usize> = None;
        let blocks = window.len().div_ceil(block);
        for b in 0..=blocks {
            let zero =
                b == blocks || all_zero(&window[b * block..((b + 1) * block).min(window.len())]);
            match (zero, run) {
                (false, None) => run = Some(b),
                (true, Some(first)) => {
                    run = None;
                    if chunks.len() == MAX_FILE_CHUNKS {
                        return Err(Error::TooLarge(
                            "file with more data than the format allows",
                        ));
                    }
                    let piece = &window[first * block..(b * block).min(window.len())];
                    let hash = cx.batch.put_chunk(piece)?;
                    chunks.push(ChunkRef {
                        offset: off + (w * SAVE_CHUNK + first * block) as u64,
                        hash,
                    });
                }
                _ => {}
            }
        }
    }
    Ok(())
}
