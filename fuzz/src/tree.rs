//! Whole-tree descriptions of engine snapshots, for comparing two trees, and a
//! rebuild of a described tree through the engine in another order.

use std::collections::BTreeMap;

use strata_engine::{FileType, Fs, Ino, OpenOptions, SetTime, Snapshot};

/// What a comparison looks at for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desc {
    /// File, directory or symlink.
    pub kind: FileType,
    /// Permission bits.
    pub perm: u32,
    /// Access time, nanoseconds.
    pub atime: u64,
    /// Modification time, nanoseconds.
    pub mtime: u64,
    /// Size in bytes (files and symlinks; directories report 0 here).
    pub size: u64,
    /// Link count.
    pub nlink: u64,
    /// File data or symlink target.
    pub content: Vec<u8>,
    /// The first path (in path order) of the same inode: hard links share it.
    pub identity: String,
}

/// Every object of a snapshot by path ("" is the root). Panics if the snapshot
/// cannot be read: a fuzz target wants to hear about that.
pub fn dump(snap: &Snapshot) -> BTreeMap<String, Desc> {
    let mut paths: Vec<(String, Ino)> = Vec::new();
    let mut work = vec![(String::new(), snap.root())];
    while let Some((path, dir)) = work.pop() {
        paths.push((path.clone(), dir));
        for e in snap.entries(dir).expect("entries of a listed directory") {
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
        let s = snap.stat(ino).expect("stat of a listed object");
        let identity = first.entry(ino).or_insert_with(|| path.clone()).clone();
        let content = match s.kind {
            FileType::File => {
                let len = usize::try_from(s.size).expect("fuzzed files stay small");
                let mut buf = vec![0u8; len];
                let n = snap.read(ino, 0, &mut buf).expect("read of a listed file");
                assert_eq!(n, buf.len(), "short read of {path}");
                buf
            }
            FileType::Symlink => snap.readlink(ino).expect("readlink").as_bytes().to_vec(),
            FileType::Dir => Vec::new(),
        };
        let size = if s.kind == FileType::Dir { 0 } else { s.size };
        out.insert(
            path,
            Desc {
                kind: s.kind,
                perm: s.perm,
                atime: s.atime,
                mtime: s.mtime,
                size,
                nlink: s.nlink,
                content,
                identity,
            },
        );
    }
    out
}

/// Panics naming the first difference between two dumps.
pub fn assert_same(a: &BTreeMap<String, Desc>, b: &BTreeMap<String, Desc>, what: &str) {
    let ka: Vec<_> = a.keys().collect();
    let kb: Vec<_> = b.keys().collect();
    assert_eq!(ka, kb, "{what}: different paths");
    for (p, x) in a {
        assert_eq!(Some(x), b.get(p), "{what}: differs at {p:?}");
    }
}

/// The same description with directory link counts left out (a host lower
/// layer reports its own, which a tree rebuilt in memory need not match; they
/// are not part of the snapshot format).
pub fn without_dir_nlink(mut tree: BTreeMap<String, Desc>) -> BTreeMap<String, Desc> {
    for d in tree.values_mut() {
        if d.kind == FileType::Dir {
            d.nlink = 0;
        }
    }
    tree
}

/// Builds the described tree into `fs` (an empty filesystem), creating paths in
/// reverse path order (parents first, as they must be) rather than in the order
/// the original was built, then setting every time and permission bottom-up.
pub fn rebuild(fs: &mut Fs, tree: &BTreeMap<String, Desc>) {
    let root = fs.open_root().expect("root");
    // Parents before children: shorter depth first, then reverse name order.
    let mut order: Vec<(&String, &Desc)> = tree.iter().filter(|(p, _)| !p.is_empty()).collect();
    order.sort_by(|(a, _), (b, _)| {
        let da = a.matches('/').count();
        let db = b.matches('/').count();
        da.cmp(&db).then_with(|| b.cmp(a))
    });
    for (path, d) in &order {
        if d.identity != **path {
            continue; // a second name: linked below, once the first exists
        }
        match d.kind {
            FileType::Dir => fs.mkdir(&root, path, 0o755).expect("rebuild mkdir"),
            FileType::Symlink => {
                let t = std::str::from_utf8(&d.content).expect("utf-8 target");
                fs.symlink(t, &root, path).expect("rebuild symlink");
            }
            FileType::File => {
                let opts = OpenOptions {
                    write: true,
                    create: true,
                    exclusive: true,
                    ..OpenOptions::default()
                };
                let h = fs.open(&root, path, &opts).expect("rebuild create");
                fs.set_len(&h, d.size).expect("rebuild set_len");
                // Non-zero runs only, so holes stay holes.
                let mut i = 0;
                while i < d.content.len() {
                    if d.content[i] == 0 {
                        i += 1;
                        continue;
                    }
                    let end = d.content[i..]
                        .iter()
                        .position(|&b| b == 0)
                        .map_or(d.content.len(), |k| i + k);
                    fs.pwrite(&h, &[&d.content[i..end]], i as u64)
                        .expect("rebuild write");
                    i = end;
                }
                fs.close(h);
            }
        }
    }
    for (path, d) in &order {
        if d.identity != **path {
            fs.link(&root, &d.identity, &root, path, false)
                .expect("rebuild link");
        }
    }
    // Deepest first, so setting a directory's times is not undone by its children.
    for (path, d) in order.iter().rev().chain(tree.get_key_value("").as_ref()) {
        let p = if path.is_empty() { "." } else { path.as_str() };
        fs.set_perm_at(&root, p, false, d.perm)
            .expect("rebuild perm");
        fs.set_times_at(&root, p, false, SetTime::At(d.atime), SetTime::At(d.mtime))
            .expect("rebuild times");
    }
    fs.close(root);
}
