//! Loading a saved snapshot into a new upper-only engine filesystem.

use std::collections::{HashMap, HashSet};

use strata_engine::{Config, Fs, Handle, OpenOptions, SetTime, Snapshot};

use crate::error::{Error, Result};
use crate::format::{
    self, DirObject, Entry, EntryKind, FileObject, Kind, MAX_DEPTH, Manifest, Meta, SymlinkObject,
};
use crate::hash::Hash;
use crate::store::Store;

/// Most bytes of decoded directories held at once while loading (one per
/// level of the path being loaded).
const MAX_HELD_BYTES: usize = 256 << 20;

/// The manifest stored under `hash`.
pub fn read_manifest(store: &Store, hash: &Hash) -> Result<Manifest> {
    let m: Manifest = store.get_object(hash)?;
    if m.version != format::CURRENT_VERSION {
        return Err(Error::Corrupted {
            object: Kind::Manifest,
            hash: *hash,
            what: "body version differs from header version",
        });
    }
    Ok(m)
}

/// Loads snapshot `hash` (a manifest) into a new filesystem with the default
/// configuration; see [`load_with`].
pub fn load(store: &Store, hash: &Hash) -> Result<Snapshot> {
    load_with(store, hash, Config::default())
}

/// Loads snapshot `hash` into a new upper-only filesystem with `config`, and
/// returns its state. A snapshot holds the whole merged tree, so no lower
/// layer is needed; compare the manifest's `lowers` fingerprints with
/// [`fingerprint`](crate::fingerprint) to tell whether a lower layer is the
/// one the snapshot was taken over. Change times (ctime) are not saved: the
/// loaded objects get the time of loading from `config`'s clock. The configuration's quotas bound the work: a store
/// holding a hostile DAG (say, a directory listing the same huge subtree a
/// thousand times) fails with `TooLarge` once the tree outgrows them.
pub fn load_with(store: &Store, hash: &Hash, config: Config) -> Result<Snapshot> {
    let manifest = read_manifest(store, hash)?;
    let mut l = Loader::new(store, *hash, &manifest, config)?;
    l.run(&manifest)?;
    l.check_links()?;
    Ok(l.fs.snapshot())
}

/// One hard-link group while loading.
#[derive(Debug)]
struct Group {
    size: usize,
    /// Root-relative path and object of the first name created.
    first: Option<(String, EntryKind, Hash)>,
    seen: usize,
}

/// A directory being filled. Only the innermost one is open (the loader's
/// `cur`), plus one every [`CHECKPOINT`] levels: holding a handle per level
/// would run a deep tree into the open-file limit, and `..` cannot climb
/// above the handle it starts from, so the way back up re-walks the names
/// from the nearest checkpoint.
#[derive(Debug)]
struct Frame {
    dir: DirObject,
    next: usize,
    held: usize,
}

/// Levels between the directory handles a load keeps open, at first.
const CHECKPOINT: usize = 64;

/// Most checkpoint handles held at once: past it, every other one is closed
/// and the spacing doubles, so a tree of any depth loads within the default
/// open-file limit, and climbing back one level re-walks at most `spacing`
/// names.
const MAX_CHECKPOINTS: usize = 256;

struct Loader<'a> {
    store: &'a Store,
    manifest: Hash,
    fs: Fs,
    groups: Vec<Group>,
    /// Path (names from the root) → index into `groups`.
    by_path: HashMap<Vec<String>, usize>,
    /// The last names of those paths: only an entry with one of them is
    /// looked up in `by_path` (hashing a whole path at every entry would make
    /// loading a deep tree quadratic).
    link_names: HashSet<String>,
    inodes: u64,
    bytes: u64,
    held: usize,
}

fn times(m: &Meta) -> (SetTime, SetTime) {
    (SetTime::At(m.atime), SetTime::At(m.mtime))
}

impl<'a> Loader<'a> {
    fn new(store: &'a Store, hash: Hash, m: &Manifest, config: Config) -> Result<Loader<'a>> {
        let mut by_path = HashMap::new();
        let mut groups = Vec::with_capacity(m.links.len());
        for (i, g) in m.links.iter().enumerate() {
            for p in &g.paths {
                if by_path.insert(p.0.clone(), i).is_some() {
                    return Err(Error::Corrupted {
                        object: Kind::Manifest,
                        hash,
                        what: "a path is in two hard-link groups",
                    });
                }
            }
            groups.push(Group {
                size: g.paths.len(),
                first: None,
                seen: 0,
            });
        }
        let link_names = by_path
            .keys()
            .filter_map(|p: &Vec<String>| p.last().cloned())
            .collect();
        Ok(Loader {
            store,
            manifest: hash,
            fs: Fs::new(config),
            groups,
            by_path,
            link_names,
            inodes: 1,
            bytes: 0,
            held: 0,
        })
    }

    fn manifest_corrupted(&self, what: &'static str) -> Error {
        Error::Corrupted {
            object: Kind::Manifest,
            hash: self.manifest,
            what,
        }
    }

    fn count_inode(&mut self) -> Result<()> {
        self.inodes += 1;
        if self.inodes > self.fs.config().max_inodes {
            return Err(Error::TooLarge("more objects than the inode quota"));
        }
        Ok(())
    }

    fn open_dir(&mut self, hash: &Hash) -> Result<Frame> {
        let bytes = self.store.get(hash, Kind::Dir)?;
        let held = bytes.len();
        self.held += held;
        if self.held > MAX_HELD_BYTES {
            return Err(Error::TooLarge(
                "directories along one path too large to load",
            ));
        }
        let dir: DirObject = format::decode(&bytes, *hash)?;
        Ok(Frame { dir, next: 0, held })
    }

    fn run(&mut self, m: &Manifest) -> Result<()> {
        let dir_opts = OpenOptions {
            directory: true,
            ..OpenOptions::default()
        };
        let mut cur = self.fs.open_root()?;
        let first = self.open_dir(&m.root)?;
        let mut stack = vec![first];
        let mut path: Vec<String> = Vec::new();
        // (depth, handle) of directories kept open: the root and every
        // CHECKPOINT-th level on the current path.
        let mut checkpoints = vec![(0usize, self.fs.open_root()?)];
        let mut spacing = CHECKPOINT;
        while let Some(top) = stack.last_mut() {
            let Some(e) = top.dir.entries.get(top.next).cloned() else {
                // Every entry is in: now the directory's own metadata, which
                // creating the entries changed.
                let Some(done) = stack.pop() else { break };
                self.held -= done.held;
                let (a, t) = times(&done.dir.meta);
                self.fs.set_perm_at(&cur, ".", false, done.dir.meta.perm)?;
                self.fs.set_times(&cur, a, t)?;
                path.pop();
                let depth = path.len();
                if !stack.is_empty() {
                    // Back to the parent: from the nearest checkpoint at or
                    // above it, down by name.
                    while checkpoints.last().is_some_and(|(d, _)| *d > depth) {
                        if let Some((_, h)) = checkpoints.pop() {
                            self.fs.close(h);
                        }
                    }
                    let Some((from, base)) = checkpoints.last() else {
                        return Err(Error::TooLarge("lost the root while loading"));
                    };
                    let mut up = self.fs.open(base, ".", &dir_opts)?;
                    for name in &path[*from..depth] {
                        let next = self.fs.open(&up, name, &dir_opts)?;
                        self.fs.close(std::mem::replace(&mut up, next));
                    }
                    self.fs.close(std::mem::replace(&mut cur, up));
                }
                continue;
            };
            top.next += 1;
            // Borrowed, not cloned: `Fs::close` releases a handle only when it
            // holds the last reference.
            let parent = &cur;
            path.push(e.name.clone());
            self.count_inode()?;
            let group = if self.link_names.contains(&e.name) {
                self.by_path.get(&path).copied()
            } else {
                None
            };
            if let Some(g) = group {
                if e.kind == EntryKind::Dir {
                    return Err(self.manifest_corrupted("a hard-link path names a directory"));
                }
                if self.link(g, parent, &e, &path)? {
                    path.pop();
                    continue;
                }
            }
            let nlink = group.map_or(1, |g| self.groups[g].size as u64);
            match e.kind {
                EntryKind::Dir => {
                    if stack.len() >= MAX_DEPTH {
                        return Err(Error::TooLarge("tree deeper than the format allows"));
                    }
                    self.fs.mkdir(parent, &e.name, 0o700)?;
                    let frame = self.open_dir(&e.hash)?;
                    let down = self.fs.open(parent, &e.name, &dir_opts)?;
                    self.fs.close(std::mem::replace(&mut cur, down));
                    stack.push(frame);
                    if path.len().is_multiple_of(spacing) && checkpoints.len() >= MAX_CHECKPOINTS {
                        spacing *= 2;
                        let (keep, drop): (Vec<_>, Vec<_>) = checkpoints
                            .into_iter()
                            .partition(|(d, _)| d.is_multiple_of(spacing));
                        for (_, h) in drop {
                            self.fs.close(h);
                        }
                        checkpoints = keep;
                    }
                    if path.len().is_multiple_of(spacing) {
                        let keep = self.fs.open(&cur, ".", &dir_opts)?;
                        checkpoints.push((path.len(), keep));
                    }
                    // `path` keeps this name until the frame is done.
                    continue;
                }
                EntryKind::Symlink => {
                    let s: SymlinkObject = self.store.get_object(&e.hash)?;
                    self.fs.symlink(&s.target, parent, &e.name)?;
                    self.fs.set_perm_at(parent, &e.name, false, s.meta.perm)?;
                    let (a, t) = times(&s.meta);
                    self.fs.set_times_at(parent, &e.name, false, a, t)?;
                }
                EntryKind::File => {
                    let f: FileObject = self.store.get_object(&e.hash)?;
                    if f.nlink != nlink {
                        return Err(Error::Corrupted {
                            object: Kind::File,
                            hash: e.hash,
                            what: "link count differs from the snapshot's hard-link table",
                        });
                    }
                    self.write_file(parent, &e.name, &e.hash, &f)?;
                }
            }
            path.pop();
        }
        self.fs.close(cur);
        for (_, h) in checkpoints {
            self.fs.close(h);
        }
        Ok(())
    }

    /// Makes `name` another name of the object first created for hard-link
    /// group `g`; returns false (recording this name as the first) if there is
    /// none yet.
    fn link(&mut self, g: usize, dir: &Handle, e: &Entry, path: &[String]) -> Result<bool> {
        self.groups[g].seen += 1;
        let Some((first, kind, hash)) = &self.groups[g].first else {
            self.groups[g].first = Some((path.join("/"), e.kind, e.hash));
            return Ok(false);
        };
        if *hash != e.hash || *kind != e.kind {
            return Err(self.manifest_corrupted("hard-linked names with different objects"));
        }
        let root = self.fs.open_root()?;
        let linked = self.fs.link(&root, first, dir, &e.name, false);
        self.fs.close(root);
        linked?;
        Ok(true)
    }

    fn write_file(&mut self, dir: &Handle, name: &str, hash: &Hash, f: &FileObject) -> Result<()> {
        let corrupted = |what| Error::Corrupted {
            object: Kind::File,
            hash: *hash,
            what,
        };
        if f.size > self.fs.config().max_file_size {
            return Err(Error::TooLarge("file larger than the filesystem allows"));
        }
        let opts = OpenOptions {
            read: false,
            write: true,
            create: true,
            exclusive: true,
            perm: f.meta.perm,
            ..OpenOptions::default()
        };
        let h = self.fs.open(dir, name, &opts)?;
        let written = (|| {
            for (i, c) in f.chunks.iter().enumerate() {
                let bytes = self.store.get(&c.hash, Kind::Chunk)?;
                let data = format::decode_chunk(&bytes, c.hash)?.0;
                let limit = f.chunks.get(i + 1).map_or(f.size, |n| n.offset);
                if data.is_empty() {
                    return Err(corrupted("empty chunk"));
                }
                if c.offset + data.len() as u64 > limit {
                    return Err(corrupted(
                        "chunk overlaps the next one or the end of the file",
                    ));
                }
                self.bytes += data.len() as u64;
                if self.bytes > self.fs.config().max_bytes {
                    return Err(Error::TooLarge("more data than the byte quota"));
                }
                self.fs.pwrite(&h, &[data], c.offset)?;
            }
            self.fs.set_len(&h, f.size)?;
            let (a, t) = times(&f.meta);
            self.fs.set_times(&h, a, t)?;
            Ok(())
        })();
        self.fs.close(h);
        written
    }

    fn check_links(&self) -> Result<()> {
        if self.groups.iter().any(|g| g.seen != g.size) {
            return Err(self.manifest_corrupted("a hard-link path names nothing"));
        }
        Ok(())
    }
}
