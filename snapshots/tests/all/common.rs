//! Helpers: building engine trees and describing them for comparison.

use std::collections::BTreeMap;
use std::sync::Arc;

use strata_engine::{Config, FileType, Fs, Ino, OpenOptions, SetTime, Snapshot, VirtualClock};
use strata_snapshots::{Hash, Store};

/// A filesystem with a deterministic clock.
pub(crate) fn new_fs() -> Fs {
    Fs::new(Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    })
}

/// Writes `data` at `offset` of `path`, creating the file.
pub(crate) fn write(fs: &mut Fs, path: &str, offset: u64, data: &[u8]) {
    let root = fs.open_root().unwrap();
    let opts = OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    };
    let h = fs.open(&root, path, &opts).unwrap();
    fs.pwrite(&h, &[data], offset).unwrap();
    fs.close(h);
    fs.close(root);
}

/// Sets a file's size (a hole when growing).
pub(crate) fn set_len(fs: &mut Fs, path: &str, len: u64) {
    let root = fs.open_root().unwrap();
    let opts = OpenOptions {
        write: true,
        ..OpenOptions::default()
    };
    let h = fs.open(&root, path, &opts).unwrap();
    fs.set_len(&h, len).unwrap();
    fs.close(h);
    fs.close(root);
}

pub(crate) fn mkdir(fs: &mut Fs, path: &str) {
    let root = fs.open_root().unwrap();
    fs.mkdir(&root, path, 0o755).unwrap();
    fs.close(root);
}

pub(crate) fn symlink(fs: &mut Fs, target: &str, path: &str) {
    let root = fs.open_root().unwrap();
    fs.symlink(target, &root, path).unwrap();
    fs.close(root);
}

pub(crate) fn link(fs: &mut Fs, from: &str, to: &str) {
    let root = fs.open_root().unwrap();
    fs.link(&root, from, &root, to, false).unwrap();
    fs.close(root);
}

pub(crate) fn set_meta(fs: &mut Fs, path: &str, perm: u32, atime: u64, mtime: u64) {
    let root = fs.open_root().unwrap();
    fs.set_perm_at(&root, path, false, perm).unwrap();
    fs.set_times_at(&root, path, false, SetTime::At(atime), SetTime::At(mtime))
        .unwrap();
    fs.close(root);
}

/// What a comparison looks at for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Desc {
    pub(crate) kind: FileType,
    pub(crate) perm: u32,
    pub(crate) atime: u64,
    pub(crate) mtime: u64,
    pub(crate) size: u64,
    pub(crate) nlink: u64,
    /// File data or symlink target.
    pub(crate) content: Vec<u8>,
    /// The first path (in path order) of the same inode: hard links share it.
    pub(crate) identity: String,
}

/// Every object of a snapshot by path ("" is the root).
pub(crate) fn dump(snap: &Snapshot) -> BTreeMap<String, Desc> {
    let mut paths: Vec<(String, Ino)> = Vec::new();
    let mut work = vec![(String::new(), snap.root())];
    while let Some((path, dir)) = work.pop() {
        paths.push((path.clone(), dir));
        for e in snap.entries(dir).unwrap() {
            let p = if path.is_empty() {
                e.name.to_string()
            } else {
                format!("{path}/{}", e.name)
            };
            if e.kind == FileType::Dir {
                work.push((p, e.ino));
            } else {
                paths.push((p, e.ino));
            }
        }
    }
    paths.sort();
    let mut first: BTreeMap<Ino, String> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (path, ino) in paths {
        let s = snap.stat(ino).unwrap();
        let identity = first.entry(ino).or_insert_with(|| path.clone()).clone();
        let content = match s.kind {
            FileType::File => {
                let mut buf = vec![0u8; s.size as usize];
                let n = snap.read(ino, 0, &mut buf).unwrap();
                assert_eq!(n, buf.len());
                buf
            }
            FileType::Symlink => snap.readlink(ino).unwrap().as_bytes().to_vec(),
            FileType::Dir => Vec::new(),
        };
        let desc = Desc {
            kind: s.kind,
            perm: s.perm,
            atime: s.atime,
            mtime: s.mtime,
            size: s.size,
            nlink: s.nlink,
            content,
            identity,
        };
        out.insert(path, desc);
    }
    out
}

/// Asserts two trees are equal, naming the first difference.
pub(crate) fn assert_same_tree(a: &Snapshot, b: &Snapshot) {
    let (da, db) = (dump(a), dump(b));
    let keys_a: Vec<_> = da.keys().collect();
    let keys_b: Vec<_> = db.keys().collect();
    assert_eq!(keys_a, keys_b, "different paths");
    for (p, x) in &da {
        assert_eq!(Some(x), db.get(p), "differs at {p:?}");
    }
}

/// The root directory hash of a saved snapshot.
pub(crate) fn root_of(store: &Store, manifest: &Hash) -> Hash {
    strata_snapshots::read_manifest(store, manifest)
        .unwrap()
        .root
}

/// A small tree with every kind of object: data, a hole, hard links, a symlink,
/// an empty directory, odd permissions and explicit times.
pub(crate) fn sample(fs: &mut Fs) {
    mkdir(fs, "etc");
    mkdir(fs, "etc/empty");
    write(fs, "etc/hello.txt", 0, b"hello, world\n");
    write(fs, "sparse", 3 * 4096 + 5, b"tail");
    write(fs, "sparse", 10, b"head");
    mkdir(fs, "bin");
    write(fs, "bin/tool", 0, &[0x7f, b'E', b'L', b'F', 1, 2, 3]);
    link(fs, "bin/tool", "etc/tool-link");
    link(fs, "bin/tool", "zz-link");
    symlink(fs, "../bin/tool", "etc/tool-sym");
    write(fs, "zeros", 0, &[0u8; 5000]);
    set_meta(fs, "etc/hello.txt", 0o600, 111, 222);
    set_meta(fs, "etc/tool-sym", 0o777, 5, 6);
    set_meta(fs, "bin/tool", 0o4755, 7, 8);
    set_meta(fs, "etc/empty", 0o700, 9, 10);
    set_meta(fs, "etc", 0o755, 11, 12);
    set_meta(fs, "bin", 0o711, 13, 14);
}
