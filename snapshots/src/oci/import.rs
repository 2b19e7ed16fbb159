//! `import`: applies an OCI layer tar to an engine filesystem (never to the host), refusing hostile archives.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read};

use strata_engine::{
    CHUNK_SIZE, Config, FileType, Fs, Handle, Name, OpenOptions, SetTime, Snapshot,
};
use tar::{Archive, EntryType};

use super::tarfmt::{parse_pax, parse_time};
use super::{OPAQUE_MARKER, OciError, OciResult, WHITEOUT_PREFIX};

/// Largest PAX or GNU long-name extension header read (they are held in
/// memory whole).
const MAX_EXTENSION: u64 = 1 << 20;
const NS: u64 = 1_000_000_000;

/// What to do with character devices, block devices and FIFOs, which the
/// engine cannot represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpecialFiles {
    /// Leave them out (base images often carry a few under `/dev`).
    #[default]
    Skip,
    /// Fail the import with [`OciError::Hostile`].
    Reject,
}

/// Settings of an import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Configuration (quotas, clock) of the new filesystem when there is no
    /// base; with a base the base's configuration applies.
    pub config: Config,
    /// Devices and FIFOs: skipped or refused.
    pub special_files: SpecialFiles,
}

/// Applies the OCI layer tar read from `input` on top of `base` (or an empty
/// filesystem) and returns the resulting state, which can be saved or frozen
/// into a lower layer ([`FrozenLower`](strata_engine::FrozenLower)).
///
/// Entries are applied in archive order, as the OCI changeset rules say:
/// regular files, directories (merged with an existing directory; replacing
/// anything else), symlinks (any target: the engine confines absolute and
/// `..` targets when they are followed) and hard links; `.wh.NAME` removes
/// `NAME` (recursively) and `.wh..wh..opq` removes every entry of its
/// directory, except entries this archive itself created (whiteouts apply to
/// lower layers only). Missing parent directories are created with mode
/// `0755`. Directory permissions and times are applied at the end, so adding
/// their entries does not change them. Runs of zeros in file data aligned to
/// the engine's chunk size become holes.
///
/// Refused, with [`OciError::Hostile`] and nothing applied to `base` (the
/// result is a new state): absolute paths, `..` components, paths that are
/// not UTF-8 or hold an invalid name, a path whose parent is a file or a
/// symlink, hard links whose target is outside the tree, missing or a
/// directory, GNU sparse entries, PAX `size` records, extension headers over
/// 1 MiB, unknown entry types, and devices or FIFOs under
/// [`SpecialFiles::Reject`]. Sizes are bounded by the engine's file-size
/// limit and byte and inode quotas ([`OciError::Engine`] with `NoSpace`).
pub fn import(
    input: impl Read,
    base: Option<Snapshot>,
    opts: &ImportOptions,
) -> OciResult<Snapshot> {
    let mut fs = match base {
        Some(s) => Fs::from_snapshot(&s),
        None => Fs::new(opts.config.clone()),
    };
    let root = fs.open_root().map_err(|e| engine("", e))?;
    let mut imp = Importer {
        fs,
        root,
        created: HashSet::new(),
        dir_meta: BTreeMap::new(),
        special: opts.special_files,
        checked_parent: None,
    };
    let mut ar = Archive::new(input);
    let mut ext = Ext::default();
    for entry in ar.entries()?.raw(true) {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        let shown = String::from_utf8_lossy(&entry.header().path_bytes()).into_owned();
        let hostile = |why| OciError::Hostile {
            path: shown.clone(),
            why,
        };
        match kind {
            EntryType::XHeader => {
                if ext.pax {
                    return Err(hostile("two PAX headers for one entry"));
                }
                ext.pax = true;
                let data = read_extension(&mut entry, &shown)?;
                ext.apply_pax(&data).map_err(hostile)?;
            }
            EntryType::XGlobalHeader => {
                // Global defaults (usually a comment) change nothing we use.
                read_extension(&mut entry, &shown)?;
            }
            EntryType::GNULongName | EntryType::GNULongLink => {
                let mut data = read_extension(&mut entry, &shown)?;
                while data.last() == Some(&0) {
                    data.pop();
                }
                let slot = if kind == EntryType::GNULongName {
                    &mut ext.long_path
                } else {
                    &mut ext.long_link
                };
                if slot.replace(data).is_some() {
                    return Err(hostile("two GNU long names for one entry"));
                }
            }
            EntryType::GNUSparse => return Err(hostile("GNU sparse entries are not supported")),
            _ => {
                let e = std::mem::take(&mut ext);
                imp.entry(&mut entry, kind, e)?;
            }
        }
    }
    if ext.pax || ext.long_path.is_some() || ext.long_link.is_some() {
        return Err(OciError::Hostile {
            path: String::new(),
            why: "extension header with no entry after it",
        });
    }
    imp.finish()
}

fn engine(path: &str, source: strata_engine::Error) -> OciError {
    OciError::Engine {
        path: path.to_owned(),
        source,
    }
}

fn read_extension(entry: &mut impl Read, shown: &str) -> OciResult<Vec<u8>> {
    let mut data = Vec::new();
    entry.take(MAX_EXTENSION + 1).read_to_end(&mut data)?;
    if data.len() as u64 > MAX_EXTENSION {
        return Err(OciError::Hostile {
            path: shown.to_owned(),
            why: "extension header larger than 1 MiB",
        });
    }
    Ok(data)
}

/// Extension headers seen before the next real entry.
#[derive(Debug, Default)]
struct Ext {
    pax: bool,
    path: Option<Vec<u8>>,
    link: Option<Vec<u8>>,
    long_path: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    mtime: Option<u64>,
    atime: Option<u64>,
}

impl Ext {
    fn apply_pax(&mut self, data: &[u8]) -> Result<(), &'static str> {
        for (key, v) in parse_pax(data)? {
            match std::str::from_utf8(key).map_err(|_| "PAX key is not UTF-8")? {
                "path" => self.path = Some(v.to_vec()),
                "linkpath" => self.link = Some(v.to_vec()),
                "mtime" => self.mtime = Some(parse_time(v).ok_or("invalid PAX mtime")?),
                "atime" => self.atime = Some(parse_time(v).ok_or("invalid PAX atime")?),
                // The entry's data length must come from its header: entries
                // are read raw so that extension sizes stay bounded.
                "size" => return Err("PAX size records are not supported"),
                // Owners, names, ctime, xattrs and comments are not kept.
                _ => {}
            }
        }
        Ok(())
    }
}

/// The names of a path inside the layer (empty for the root).
fn normalize(raw: &[u8]) -> Result<Vec<String>, &'static str> {
    let s = std::str::from_utf8(raw).map_err(|_| "path is not UTF-8")?;
    if s.starts_with('/') {
        return Err("absolute path");
    }
    let mut comps = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err("path with a `..` component"),
            n => {
                Name::check(n).map_err(|_| "path with an invalid name")?;
                comps.push(n.to_owned());
            }
        }
    }
    Ok(comps)
}

/// Whether every byte is zero.
fn all_zero(b: &[u8]) -> bool {
    b.chunks(64).all(|c| c.iter().fold(0u8, |a, x| a | x) == 0)
}

/// Metadata of an entry as the archive gives it.
#[derive(Debug, Clone, Copy)]
struct Meta {
    perm: u32,
    atime: u64,
    mtime: u64,
}

struct Importer {
    fs: Fs,
    root: Handle,
    /// Paths this archive created: whiteouts and opaque markers spare them.
    created: HashSet<String>,
    /// Directories whose metadata is applied at the end.
    dir_meta: BTreeMap<String, Meta>,
    special: SpecialFiles,
    /// The last parent directory checked to be a real directory.
    checked_parent: Option<String>,
}

impl Importer {
    fn entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        kind: EntryType,
        ext: Ext,
    ) -> OciResult<()> {
        let h = entry.header();
        let raw = ext
            .path
            .or(ext.long_path)
            .unwrap_or_else(|| h.path_bytes().into_owned());
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let hostile = |why| OciError::Hostile {
            path: shown.clone(),
            why,
        };
        let comps = normalize(&raw).map_err(hostile)?;
        let link = ext
            .link
            .or(ext.long_link)
            .or_else(|| h.link_name_bytes().map(|l| l.into_owned()));
        let size = h.entry_size()?;
        let mtime = match ext.mtime {
            Some(t) => t,
            None => h
                .mtime()?
                .checked_mul(NS)
                .ok_or_else(|| hostile("modification time out of range"))?,
        };
        let meta = Meta {
            perm: h.mode()? & 0o7777,
            atime: ext.atime.unwrap_or(mtime),
            mtime,
        };
        // Old archives mark directories by a trailing slash on a regular entry.
        let kind = if kind == EntryType::Regular && raw.ends_with(b"/") {
            EntryType::Directory
        } else {
            kind
        };
        let path = comps.join("/");
        if let Some((last, parent)) = comps.split_last()
            && let Some(hidden) = last.strip_prefix(WHITEOUT_PREFIX)
        {
            if kind != EntryType::Regular {
                return Err(hostile("whiteout that is not a regular file"));
            }
            return if last == OPAQUE_MARKER {
                self.opaque(parent, &shown)
            } else {
                Name::check(hidden).map_err(|_| hostile("whiteout of an invalid name"))?;
                let mut target = parent.to_vec();
                target.push(hidden.to_owned());
                self.whiteout(parent, &target.join("/"), &shown)
            };
        }
        match kind {
            EntryType::Directory => self.dir(&comps, meta, &shown),
            EntryType::Regular | EntryType::Continuous => {
                let Some((_, parent)) = comps.split_last() else {
                    return Err(hostile("regular file at the root"));
                };
                if size > self.fs.config().max_file_size {
                    return Err(hostile("file larger than the filesystem allows"));
                }
                self.prepare(parent, &path, &shown)?;
                self.file(entry, &path, size, meta)
                    .map_err(|e| self.error(&shown, e))?;
                self.created.insert(path);
                Ok(())
            }
            EntryType::Symlink => {
                let Some((_, parent)) = comps.split_last() else {
                    return Err(hostile("symlink at the root"));
                };
                let target = link.ok_or_else(|| hostile("symlink without a target"))?;
                let target = String::from_utf8(target)
                    .map_err(|_| hostile("symlink target is not UTF-8"))?;
                crate::format::check_target(&target).map_err(hostile)?;
                self.prepare(parent, &path, &shown)?;
                let (fs, root) = (&mut self.fs, &self.root);
                (|| {
                    fs.symlink(&target, root, &path)?;
                    fs.set_perm_at(root, &path, false, meta.perm)?;
                    fs.set_times_at(
                        root,
                        &path,
                        false,
                        SetTime::At(meta.atime),
                        SetTime::At(meta.mtime),
                    )
                })()
                .map_err(|e| engine(&shown, e))?;
                self.created.insert(path);
                Ok(())
            }
            EntryType::Link => {
                let Some((_, parent)) = comps.split_last() else {
                    return Err(hostile("hard link at the root"));
                };
                let target = link.ok_or_else(|| hostile("hard link without a target"))?;
                let tcomps = normalize(&target)
                    .map_err(|_| hostile("hard link target outside the layer's tree"))?;
                let target = tcomps.join("/");
                if tcomps.is_empty() || target == path {
                    return Err(hostile("hard link to the root or to itself"));
                }
                let Some((_, tparent)) = tcomps.split_last() else {
                    return Err(hostile("hard link to the root"));
                };
                if self.parent_is_dir(tparent, &shown)? != Some(true) {
                    return Err(hostile("hard link to a missing file"));
                }
                match self.fs.stat_at(&self.root, &target, false) {
                    Ok(s) if s.kind != FileType::Dir => {}
                    Ok(_) => return Err(hostile("hard link to a directory")),
                    Err(_) => return Err(hostile("hard link to a missing file")),
                }
                self.prepare(parent, &path, &shown)?;
                self.fs
                    .link(&self.root, &target, &self.root, &path, false)
                    .map_err(|e| engine(&shown, e))?;
                self.created.insert(path);
                Ok(())
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => match self.special {
                SpecialFiles::Skip => Ok(()),
                SpecialFiles::Reject => Err(hostile("device files and FIFOs are refused")),
            },
            _ => Err(hostile("unsupported entry type")),
        }
    }

    fn error(&self, shown: &str, e: FileError) -> OciError {
        match e {
            FileError::Io(e) => OciError::Io(e),
            FileError::Engine(e) => engine(shown, e),
        }
    }

    /// Makes the parent exist and removes whatever is at `path`.
    fn prepare(&mut self, parent: &[String], path: &str, shown: &str) -> OciResult<()> {
        self.make_dirs(parent, shown)?;
        self.remove_all(path).map_err(|e| engine(shown, e))
    }

    /// Creates every missing directory of `dir` (mode 0755); fails if one of
    /// them is a file or symlink, so nothing is ever written through a link.
    fn make_dirs(&mut self, dir: &[String], shown: &str) -> OciResult<()> {
        let key = dir.join("/");
        if self.checked_parent.as_deref() == Some(key.as_str()) {
            return Ok(());
        }
        let mut prefix = String::new();
        for c in dir {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(c);
            if !self.is_dir(&prefix, shown)? {
                self.fs
                    .mkdir(&self.root, &prefix, 0o755)
                    .map_err(|e| engine(shown, e))?;
                self.created.insert(prefix.clone());
            }
        }
        self.checked_parent = Some(key);
        Ok(())
    }

    /// Whether `dir` is an existing directory reached through directories
    /// only: `Some(true)`; `None` if part of it is missing; an error if a
    /// component is a file or symlink.
    fn parent_is_dir(&self, dir: &[String], shown: &str) -> OciResult<Option<bool>> {
        let mut prefix = String::new();
        for c in dir {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(c);
            if !self.is_dir(&prefix, shown)? {
                return Ok(None);
            }
        }
        Ok(Some(true))
    }

    /// Whether `prefix` (a parent of entry `shown`) exists: true for a
    /// directory, false if missing; a file or symlink there is hostile (an
    /// archive must not write through either).
    fn is_dir(&self, prefix: &str, shown: &str) -> OciResult<bool> {
        match self.fs.stat_at(&self.root, prefix, false) {
            Ok(s) if s.kind == FileType::Dir => Ok(true),
            Ok(_) => Err(OciError::Hostile {
                path: shown.to_owned(),
                why: "a parent directory is a file or symlink",
            }),
            Err(strata_engine::Error::NotFound) => Ok(false),
            Err(e) => Err(engine(shown, e)),
        }
    }

    /// Removes `path` and everything below it, if it exists.
    fn remove_all(&mut self, path: &str) -> strata_engine::Result<()> {
        let s = match self.fs.stat_at(&self.root, path, false) {
            Err(strata_engine::Error::NotFound) => return Ok(()),
            r => r?,
        };
        self.checked_parent = None;
        let under = format!("{path}/");
        let stale: Vec<String> = self
            .dir_meta
            .range(path.to_owned()..)
            .take_while(|(k, _)| k.as_str() == path || k.starts_with(&under))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            self.dir_meta.remove(&k);
        }
        if s.kind != FileType::Dir {
            return self.fs.unlink(&self.root, path);
        }
        let mut work = vec![(path.to_owned(), s.ino, false)];
        while let Some((p, ino, emptied)) = work.pop() {
            if emptied {
                self.fs.rmdir(&self.root, &p)?;
                continue;
            }
            work.push((p.clone(), ino, true));
            for e in self.fs.snapshot().entries(ino)? {
                let cp = format!("{p}/{}", e.name);
                if e.kind == FileType::Dir {
                    work.push((cp, e.ino, false));
                } else {
                    self.fs.unlink(&self.root, &cp)?;
                }
            }
        }
        Ok(())
    }

    fn whiteout(&mut self, parent: &[String], path: &str, shown: &str) -> OciResult<()> {
        // A whiteout hides lower layers only, never this layer's own entries.
        if self.created.contains(path) || self.parent_is_dir(parent, shown)?.is_none() {
            return Ok(());
        }
        self.remove_all(path).map_err(|e| engine(shown, e))
    }

    fn opaque(&mut self, dir: &[String], shown: &str) -> OciResult<()> {
        self.make_dirs(dir, shown)?;
        let path = dir.join("/");
        let ino = if dir.is_empty() {
            self.fs.root_ino()
        } else {
            self.fs
                .stat_at(&self.root, &path, false)
                .map_err(|e| engine(shown, e))?
                .ino
        };
        let entries = self
            .fs
            .snapshot()
            .entries(ino)
            .map_err(|e| engine(shown, e))?;
        for e in entries {
            let cp = if path.is_empty() {
                e.name.to_string()
            } else {
                format!("{path}/{}", e.name)
            };
            if !self.created.contains(&cp) {
                self.remove_all(&cp).map_err(|e| engine(shown, e))?;
            }
        }
        Ok(())
    }

    fn dir(&mut self, comps: &[String], meta: Meta, shown: &str) -> OciResult<()> {
        let path = comps.join("/");
        if let Some((_, parent)) = comps.split_last() {
            self.make_dirs(parent, shown)?;
            match self.fs.stat_at(&self.root, &path, false) {
                Ok(s) if s.kind == FileType::Dir => {}
                Ok(_) => {
                    self.remove_all(&path).map_err(|e| engine(shown, e))?;
                    self.mkdir(&path, shown)?;
                }
                Err(strata_engine::Error::NotFound) => self.mkdir(&path, shown)?,
                Err(e) => return Err(engine(shown, e)),
            }
            self.created.insert(path.clone());
        }
        self.dir_meta.insert(path, meta);
        Ok(())
    }

    fn mkdir(&mut self, path: &str, shown: &str) -> OciResult<()> {
        self.checked_parent = None;
        self.fs
            .mkdir(&self.root, path, 0o755)
            .map_err(|e| engine(shown, e))
    }

    /// Writes a regular file's data, leaving all-zero chunks as holes.
    fn file(
        &mut self,
        data: &mut impl Read,
        path: &str,
        size: u64,
        meta: Meta,
    ) -> Result<(), FileError> {
        let opts = OpenOptions {
            read: false,
            write: true,
            create: true,
            exclusive: true,
            perm: meta.perm,
            ..OpenOptions::default()
        };
        let h = self.fs.open(&self.root, path, &opts)?;
        let fs = &mut self.fs;
        let written = (|| {
            let chunk = CHUNK_SIZE as usize;
            let mut buf = vec![0u8; 16 * chunk];
            let mut off = 0u64;
            loop {
                let n = read_full(data, &mut buf)?;
                if n == 0 {
                    break;
                }
                for (i, c) in buf[..n].chunks(chunk).enumerate() {
                    if !all_zero(c) {
                        fs.pwrite(&h, &[c], off + (i * chunk) as u64)?;
                    }
                }
                off += n as u64;
            }
            if off != size {
                return Err(FileError::Io(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file data shorter than its header says",
                )));
            }
            fs.set_len(&h, size)?;
            fs.set_times(&h, SetTime::At(meta.atime), SetTime::At(meta.mtime))?;
            Ok(())
        })();
        self.fs.close(h);
        written?;
        // Creation applies the permission bits as given; set them again in
        // case the engine masked any (setuid, sticky).
        self.fs.set_perm_at(&self.root, path, false, meta.perm)?;
        Ok(())
    }

    /// Applies directory metadata (after all their entries changed them).
    fn finish(mut self) -> OciResult<Snapshot> {
        for (path, m) in std::mem::take(&mut self.dir_meta) {
            let p = if path.is_empty() { "." } else { path.as_str() };
            let (fs, root) = (&mut self.fs, &self.root);
            (|| {
                fs.set_perm_at(root, p, false, m.perm)?;
                fs.set_times_at(root, p, false, SetTime::At(m.atime), SetTime::At(m.mtime))
            })()
            .map_err(|e| engine(&path, e))?;
        }
        let snap = self.fs.snapshot();
        self.fs.close(self.root);
        Ok(snap)
    }
}

/// A failure while writing one file's data.
#[derive(Debug)]
enum FileError {
    Io(io::Error),
    Engine(strata_engine::Error),
}

impl From<io::Error> for FileError {
    fn from(e: io::Error) -> Self {
        FileError::Io(e)
    }
}

impl From<strata_engine::Error> for FileError {
    fn from(e: strata_engine::Error) -> Self {
        FileError::Engine(e)
    }
}

/// Reads until `buf` is full or the input ends.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
