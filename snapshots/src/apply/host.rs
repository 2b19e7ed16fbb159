//! What is on the host at a path, and whether it equals a stored entry (type and content; never permissions or times).

use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::format::{self, DirObject, Entry, EntryKind, FileObject, Kind, SymlinkObject};
use crate::store::Store;

/// How a host path compares with one stored entry.
#[derive(Debug)]
pub(super) enum Same {
    /// Nothing is there.
    Absent,
    /// Something of the same type and content.
    Equal,
    /// Something else; says what differs.
    Differs(&'static str),
}

/// Why comparing failed: the host or the store.
#[derive(Debug)]
pub(super) enum CompareError {
    Io(PathBuf, io::Error),
    Snapshot(Error),
}

impl From<Error> for CompareError {
    fn from(e: Error) -> Self {
        CompareError::Snapshot(e)
    }
}

type Result<T> = std::result::Result<T, CompareError>;

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> CompareError + '_ {
    move |e| CompareError::Io(path.to_owned(), e)
}

/// Compares what is at host `path` (not following a final symlink) with
/// stored entry `e`; a directory is compared with everything below it.
pub(super) fn compare(store: &Store, path: &Path, e: &Entry) -> Result<Same> {
    let mut work = vec![(path.to_owned(), e.clone())];
    let mut first = true;
    while let Some((p, e)) = work.pop() {
        let meta = match fs::symlink_metadata(&p) {
            Err(err) if err.kind() == io::ErrorKind::NotFound && first => return Ok(Same::Absent),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                return Ok(Same::Differs("an entry below it is missing"));
            }
            Err(err) => return Err(io_at(&p)(err)),
            Ok(m) => m,
        };
        first = false;
        let ft = meta.file_type();
        match e.kind {
            EntryKind::File if ft.is_file() => {
                let f: FileObject = store.get_object(&e.hash)?;
                if meta.len() != f.size {
                    return Ok(Same::Differs("its size differs"));
                }
                if !file_equal(store, &p, &f)? {
                    return Ok(Same::Differs("its content differs"));
                }
            }
            EntryKind::Symlink if ft.is_symlink() => {
                let s: SymlinkObject = store.get_object(&e.hash)?;
                let target = fs::read_link(&p).map_err(io_at(&p))?;
                if target.as_os_str().as_bytes() != s.target.as_bytes() {
                    return Ok(Same::Differs("its target differs"));
                }
            }
            EntryKind::Dir if ft.is_dir() => {
                let d: DirObject = store.get_object(&e.hash)?;
                let mut names: Vec<Vec<u8>> = Vec::new();
                for h in fs::read_dir(&p).map_err(io_at(&p))? {
                    names.push(h.map_err(io_at(&p))?.file_name().as_bytes().to_vec());
                }
                names.sort();
                let same = names.len() == d.entries.len()
                    && names
                        .iter()
                        .zip(&d.entries)
                        .all(|(h, s)| h.as_slice() == s.name.as_bytes());
                if !same {
                    return Ok(Same::Differs("its entries differ"));
                }
                for c in d.entries {
                    work.push((p.join(&c.name), c));
                }
            }
            _ => return Ok(Same::Differs("its type differs")),
        }
    }
    Ok(Same::Equal)
}

/// Whether the host regular file at `path` (whose size is `f.size`) holds
/// exactly `f`'s bytes, holes reading as zeros.
fn file_equal(store: &Store, path: &Path, f: &FileObject) -> Result<bool> {
    let mut h = fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .map_err(io_at(path))?;
    let mut pos = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    for c in &f.chunks {
        if c.offset < pos || c.offset > f.size {
            return Err(corrupted(c.hash));
        }
        if !zeros(&mut h, path, c.offset - pos, &mut buf)? {
            return Ok(false);
        }
        let bytes = store.get(&c.hash, Kind::Chunk)?;
        let data = format::decode_chunk(&bytes, c.hash)?.0;
        if c.offset + data.len() as u64 > f.size {
            return Err(corrupted(c.hash));
        }
        let mut have = vec![0u8; data.len()];
        if !read_full(&mut h, path, &mut have)? || have != data {
            return Ok(false);
        }
        pos = c.offset + data.len() as u64;
    }
    zeros(&mut h, path, f.size - pos, &mut buf)
}

fn corrupted(hash: crate::Hash) -> CompareError {
    CompareError::Snapshot(Error::Corrupted {
        object: Kind::File,
        hash,
        what: "chunks overlapping or past the end of the file",
    })
}

/// Reads exactly `buf.len()` bytes; false if the file ends first.
fn read_full(h: &mut File, path: &Path, buf: &mut [u8]) -> Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match h.read(&mut buf[got..]) {
            Ok(0) => return Ok(false),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io_at(path)(e)),
        }
    }
    Ok(true)
}

/// Whether the next `n` bytes are all zero.
fn zeros(h: &mut File, path: &Path, mut n: u64, buf: &mut [u8]) -> Result<bool> {
    while n > 0 {
        let k = n.min(buf.len() as u64) as usize;
        if !read_full(h, path, &mut buf[..k])? || buf[..k].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        n -= k as u64;
    }
    Ok(true)
}

/// What stands in the way of reaching `names` (a path's parents) under
/// `root`: `None` if each is a real directory, else the first that is not
/// and whether it is missing (`true`) or something else.
pub(super) fn parents(root: &Path, names: &[&str]) -> Result<Option<(PathBuf, bool)>> {
    let mut p = root.to_owned();
    for n in names {
        p.push(n);
        match fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Ok(Some((p, false))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Some((p, true))),
            Err(e) => return Err(io_at(&p)(e)),
        }
    }
    Ok(None)
}
