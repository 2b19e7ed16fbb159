//! `export`: a snapshot, or its changes from a base, as a deterministic OCI layer tar.

use std::io::{self, Read, Write};

use tar::{Builder, EntryType};

use super::plan::{Item, file_bytes, plan};
use super::tarfmt::{EntryHead, append};
use super::{OPAQUE_MARKER, OciError, OciResult, WHITEOUT_PREFIX};
use crate::error::Error;
use crate::format::{self, FileObject, Kind};
use crate::progress::Progress;
use crate::store::Store;
use crate::{Hash, Result};

/// What an export wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportStats {
    /// Tar entries for files, directories, symlinks and hard links.
    pub entries: u64,
    /// Whiteout and opaque-marker entries.
    pub whiteouts: u64,
    /// Bytes of file data written (holes included, as zeros).
    pub bytes: u64,
}

/// Writes snapshot `snap` as an OCI image-layer tar to `out`.
///
/// With `base` `None` the layer holds the whole tree. With a base snapshot it
/// holds only the changes from `base` to `snap` (see [`diff`](fn@crate::diff::diff)):
/// added and modified entries, each preceded by the directories above it;
/// every removed name as a `.wh.NAME` whiteout; and a directory that lost
/// every entry the base had in it as `.wh..wh..opq` instead of one whiteout
/// per name. The root directory is written as `./`. Hard-linked names after
/// the first are tar link entries pointing to the first name in tree order.
///
/// Progress is reported in bytes of file data. Fails with
/// [`OciError::Unrepresentable`] for a name starting with `.wh.`, which would
/// read back as a whiteout.
pub fn export(
    store: &Store,
    snap: &Hash,
    base: Option<&Hash>,
    out: impl Write,
    progress: &dyn Progress,
) -> OciResult<ExportStats> {
    let items = plan(store, snap, base)?;
    let total = file_bytes(&items);
    for item in &items {
        match item {
            Item::Dir { path, .. }
            | Item::File { path, .. }
            | Item::Symlink { path, .. }
            | Item::HardLink { path, .. } => check_name(path)?,
            Item::Whiteout { .. } | Item::Opaque { .. } => {}
        }
    }
    progress.set_total(total);
    let mut b = Builder::new(out);
    let mut stats = ExportStats::default();
    for item in &items {
        write_item(store, &mut b, item, &mut stats, progress).map_err(unwrap_io)?;
    }
    b.into_inner().map_err(unwrap_io)?.flush()?;
    Ok(stats)
}

/// Recovers a store error that travelled through the tar writer as I/O.
fn unwrap_io(e: io::Error) -> OciError {
    if !e.get_ref().is_some_and(|x| x.is::<Error>()) {
        return OciError::Io(e);
    }
    match e.into_inner().map(|inner| inner.downcast::<Error>()) {
        Some(Ok(err)) => OciError::Snapshot(*err),
        _ => OciError::Io(io::Error::other("layer archive write failed")),
    }
}

fn check_name(path: &str) -> OciResult<()> {
    let last = path.rsplit('/').next().unwrap_or(path);
    if last.starts_with(WHITEOUT_PREFIX) {
        return Err(OciError::Unrepresentable {
            path: format!("/{path}"),
            why: "names starting with .wh. mean whiteouts in a layer",
        });
    }
    Ok(())
}

fn write_item<W: Write>(
    store: &Store,
    b: &mut Builder<W>,
    item: &Item,
    stats: &mut ExportStats,
    progress: &dyn Progress,
) -> io::Result<()> {
    match item {
        Item::Dir { path, meta } => {
            let name = if path.is_empty() {
                "./".to_owned()
            } else {
                format!("{path}/")
            };
            let head = EntryHead {
                kind: EntryType::Directory,
                path: &name,
                link: None,
                perm: meta.perm,
                size: 0,
                mtime: meta.mtime,
                atime: meta.atime,
            };
            append(b, &head, io::empty())?;
            stats.entries += 1;
        }
        Item::File { path, file } => {
            let head = EntryHead {
                kind: EntryType::Regular,
                path,
                link: None,
                perm: file.meta.perm,
                size: file.size,
                mtime: file.meta.mtime,
                atime: file.meta.atime,
            };
            append(b, &head, FileReader::new(store, file))?;
            stats.entries += 1;
            stats.bytes += file.size;
            progress.advance(file.size);
        }
        Item::Symlink { path, link } => {
            let head = EntryHead {
                kind: EntryType::Symlink,
                path,
                link: Some(&link.target),
                perm: link.meta.perm,
                size: 0,
                mtime: link.meta.mtime,
                atime: link.meta.atime,
            };
            append(b, &head, io::empty())?;
            stats.entries += 1;
        }
        Item::HardLink { path, target } => {
            let head = EntryHead {
                kind: EntryType::Link,
                path,
                link: Some(target),
                perm: 0,
                size: 0,
                mtime: 0,
                atime: 0,
            };
            append(b, &head, io::empty())?;
            stats.entries += 1;
        }
        Item::Whiteout { path } => {
            let (dir, name) = match path.rsplit_once('/') {
                Some((d, n)) => (format!("{d}/"), n),
                None => (String::new(), path.as_str()),
            };
            marker(b, &format!("{dir}{WHITEOUT_PREFIX}{name}"))?;
            stats.whiteouts += 1;
        }
        Item::Opaque { path } => {
            let dir = if path.is_empty() {
                String::new()
            } else {
                format!("{path}/")
            };
            marker(b, &format!("{dir}{OPAQUE_MARKER}"))?;
            stats.whiteouts += 1;
        }
    }
    Ok(())
}

/// An empty regular file with fixed metadata: a whiteout or opaque marker.
fn marker<W: Write>(b: &mut Builder<W>, path: &str) -> io::Result<()> {
    let head = EntryHead {
        kind: EntryType::Regular,
        path,
        link: None,
        perm: 0,
        size: 0,
        mtime: 0,
        atime: 0,
    };
    append(b, &head, io::empty())
}

/// Streams a stored file's bytes: chunks read one at a time from the store,
/// holes as zeros. Yields exactly `size` bytes or an error.
pub(crate) struct FileReader<'a> {
    store: &'a Store,
    file: &'a FileObject,
    pos: u64,
    /// Index of the next chunk not loaded yet.
    next: usize,
    /// The loaded chunk: its offset and data.
    cur: Option<(u64, Vec<u8>)>,
}

impl<'a> FileReader<'a> {
    pub(crate) fn new(store: &'a Store, file: &'a FileObject) -> FileReader<'a> {
        FileReader {
            store,
            file,
            pos: 0,
            next: 0,
            cur: None,
        }
    }

    /// Loads chunk `next`, checking it stays inside its slot.
    fn load(&mut self) -> Result<()> {
        let c = self.file.chunks[self.next];
        let limit = self
            .file
            .chunks
            .get(self.next + 1)
            .map_or(self.file.size, |n| n.offset);
        let bytes = self.store.get(&c.hash, Kind::Chunk)?;
        let data = format::decode_chunk(&bytes, c.hash)?.0.to_vec();
        if data.is_empty() || c.offset + data.len() as u64 > limit {
            return Err(Error::Corrupted {
                object: Kind::Chunk,
                hash: c.hash,
                what: "chunk empty or overlapping the next one or the end of the file",
            });
        }
        self.cur = Some((c.offset, data));
        self.next += 1;
        Ok(())
    }

    /// The next run of bytes at `pos`: data from the current chunk, or the
    /// length of the hole before the next chunk.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.pos >= self.file.size || buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some((off, data)) = &self.cur {
                let end = off + data.len() as u64;
                if self.pos < end {
                    let from = (self.pos - off) as usize;
                    let n = buf.len().min(data.len() - from);
                    buf[..n].copy_from_slice(&data[from..from + n]);
                    return Ok(n);
                }
            }
            match self.file.chunks.get(self.next) {
                Some(c) if c.offset <= self.pos => self.load()?,
                next => {
                    let hole_end = next.map_or(self.file.size, |c| c.offset);
                    let n = buf.len().min((hole_end - self.pos) as usize);
                    buf[..n].fill(0);
                    return Ok(n);
                }
            }
        }
    }
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.fill(buf).map_err(io::Error::other)?;
        self.pos += n as u64;
        Ok(n)
    }
}
