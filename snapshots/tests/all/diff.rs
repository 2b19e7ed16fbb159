//! `diff`: exact results on a hand-made change set, a property test against a model computed from full tree dumps, and the cost of a small change in a big tree.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use strata_engine::{FileType, Fs, OpenOptions, Snapshot};
use strata_snapshots::format::EntryKind;
use strata_snapshots::{Backend, Change, ChangeKind, Hash, MemBackend, Saver, Store, diff, save};

use crate::common::{Desc, dump, link, mkdir, new_fs, sample, set_meta, symlink, write};

fn m(content: bool, meta: bool, kind_changed: bool) -> ChangeKind {
    ChangeKind::Modified {
        content,
        meta,
        kind_changed,
    }
}

fn c(path: &str, kind: ChangeKind, entry: EntryKind) -> Change {
    Change {
        path: path.to_owned(),
        kind,
        entry,
    }
}

fn unlink(fs: &mut Fs, path: &str) {
    let root = fs.open_root().unwrap();
    fs.unlink(&root, path).unwrap();
    fs.close(root);
}

#[test]
fn equal_snapshots_have_no_changes() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let a = save(&store, &fs.snapshot(), &[]).unwrap();
    let b = save(&store, &fs.snapshot(), &[("label", "x")]).unwrap();
    assert_ne!(a, b);
    assert_eq!(diff(&store, &a, &b).unwrap(), vec![]);
}

#[test]
fn reports_each_kind_of_change_in_tree_order() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let a = save(&store, &fs.snapshot(), &[]).unwrap();
    // Content, then restore the times so only content differs.
    write(&mut fs, "etc/hello.txt", 0, b"HELLO");
    set_meta(&mut fs, "etc/hello.txt", 0o600, 111, 222);
    // Metadata only.
    set_meta(&mut fs, "etc/tool-sym", 0o777, 5, 99);
    // A file becomes a directory.
    unlink(&mut fs, "zeros");
    mkdir(&mut fs, "zeros");
    write(&mut fs, "zeros/inside", 0, b"x");
    // A new name, and a new hard link to an existing file.
    write(&mut fs, "new", 0, b"n");
    link(&mut fs, "etc/hello.txt", "hello-link");
    // Put every touched directory's times back, so they do not show up.
    set_meta(&mut fs, "etc", 0o755, 11, 12);
    let b = save(&store, &fs.snapshot(), &[]).unwrap();
    let got = diff(&store, &a, &b).unwrap();
    let want = vec![
        c("/", m(false, true, false), EntryKind::Dir),
        // Its link count went from 1 to 2 as well.
        c("/etc/hello.txt", m(true, true, false), EntryKind::File),
        c("/etc/tool-sym", m(false, true, false), EntryKind::Symlink),
        c("/hello-link", ChangeKind::Added, EntryKind::File),
        c("/new", ChangeKind::Added, EntryKind::File),
        c("/zeros", m(true, true, true), EntryKind::Dir),
    ];
    assert_eq!(got, want);
    // And the other way round.
    let back = diff(&store, &b, &a).unwrap();
    let kinds: Vec<(&str, ChangeKind)> = back.iter().map(|c| (&c.path[..], c.kind)).collect();
    assert!(kinds.contains(&("/new", ChangeKind::Removed)));
    assert!(kinds.contains(&("/hello-link", ChangeKind::Removed)));
    assert!(kinds.contains(&("/zeros", m(true, true, true))));
}

#[test]
fn removed_subtree_is_reported_once_and_order_is_by_component() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    mkdir(&mut fs, "a");
    mkdir(&mut fs, "a/deep");
    write(&mut fs, "a/deep/f", 0, b"1");
    write(&mut fs, "a/x", 0, b"1");
    write(&mut fs, "a-b", 0, b"1");
    let a = save(&store, &fs.snapshot(), &[]).unwrap();
    let root = fs.open_root().unwrap();
    fs.unlink(&root, "a/deep/f").unwrap();
    fs.rmdir(&root, "a/deep").unwrap();
    fs.close(root);
    write(&mut fs, "a/x", 0, b"2");
    write(&mut fs, "a-b", 0, b"2");
    let b = save(&store, &fs.snapshot(), &[]).unwrap();
    let paths: Vec<String> = diff(&store, &a, &b)
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    // The root's entries did not change, so neither did its times.
    assert_eq!(paths, ["/a", "/a/deep", "/a/x", "/a-b"]);
}

#[test]
fn swapped_hard_link_partners_are_a_metadata_change() {
    // Same objects everywhere (equal content, times and link counts), only
    // which names share a file differs: directories hash equal, links differ.
    let store = Store::with_backend(MemBackend::new());
    let build = |pairs: [(&str, &str); 2]| {
        let mut fs = new_fs();
        for (x, y) in pairs {
            write(&mut fs, x, 0, b"same");
            link(&mut fs, x, y);
            set_meta(&mut fs, x, 0o644, 1, 1);
        }
        set_meta(&mut fs, ".", 0o755, 1, 1);
        fs.snapshot()
    };
    let a = save(&store, &build([("p", "q"), ("r", "s")]), &[]).unwrap();
    let b = save(&store, &build([("p", "r"), ("q", "s")]), &[]).unwrap();
    let got = diff(&store, &a, &b).unwrap();
    let want: Vec<Change> = ["/p", "/q", "/r", "/s"]
        .iter()
        .map(|p| c(p, m(false, true, false), EntryKind::File))
        .collect();
    assert_eq!(got, want);
}

/// A backend that counts object reads.
#[derive(Debug)]
struct Counting {
    inner: MemBackend,
    reads: Arc<AtomicU64>,
}

impl Backend for Counting {
    fn read(&self, path: &str, limit: u64) -> io::Result<Option<Vec<u8>>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.read(path, limit)
    }
    fn read_at(&self, path: &str, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.read_at(path, offset, len)
    }
    fn size(&self, path: &str) -> io::Result<Option<u64>> {
        self.inner.size(path)
    }
    fn exists(&self, path: &str) -> io::Result<bool> {
        self.inner.exists(path)
    }
    fn write_atomic(&self, path: &str, data: &[u8]) -> io::Result<()> {
        self.inner.write_atomic(path, data)
    }
    fn remove(&self, path: &str) -> io::Result<()> {
        self.inner.remove(path)
    }
    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        self.inner.list(dir)
    }
}

#[test]
fn cost_follows_the_change_not_the_tree() {
    let reads = Arc::new(AtomicU64::new(0));
    let store = Store::with_backend(Counting {
        inner: MemBackend::new(),
        reads: reads.clone(),
    });
    let mut fs = new_fs();
    for d in 0..20 {
        mkdir(&mut fs, &format!("d{d}"));
        for f in 0..50 {
            write(
                &mut fs,
                &format!("d{d}/f{f}"),
                0,
                format!("{d}/{f}").as_bytes(),
            );
        }
    }
    let mut saver = Saver::new();
    let a = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    write(&mut fs, "d7/f3", 0, b"changed");
    let b = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    reads.store(0, Ordering::Relaxed);
    let got = diff(&store, &a, &b).unwrap();
    let paths: Vec<&str> = got.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["/d7/f3"]);
    // Two manifests, two roots, two `d7`s, two `f3`s: nothing else of the
    // 1,000 files is read.
    assert_eq!(reads.load(Ordering::Relaxed), 8);
}

// ---- property test against a model computed from full dumps ----

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Write(u8, u8, u8),
    Unlink(u8),
    RmTree(u8),
    Mkdir(u8),
    Link(u8, u8),
    Symlink(u8, u8),
    Chmod(u8, u16),
    Truncate(u8, u16),
}

/// A small namespace so operations collide often.
fn path_of(i: u8) -> String {
    const DIRS: [&str; 4] = ["", "d", "d/e", "g"];
    const NAMES: [&str; 4] = ["a", "b", "d", "g"];
    let dir = DIRS[(i as usize / 4) % 4];
    let name = NAMES[i as usize % 4];
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<u8>(), any::<u8>(), any::<u8>()).prop_map(|(p, o, b)| Op::Write(p, o, b)),
        1 => any::<u8>().prop_map(Op::Unlink),
        1 => any::<u8>().prop_map(Op::RmTree),
        2 => any::<u8>().prop_map(Op::Mkdir),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Link(a, b)),
        1 => (any::<u8>(), any::<u8>()).prop_map(|(a, b)| Op::Symlink(a, b)),
        1 => (any::<u8>(), any::<u16>()).prop_map(|(p, m)| Op::Chmod(p, m)),
        1 => (any::<u8>(), any::<u16>()).prop_map(|(p, l)| Op::Truncate(p, l)),
    ]
}

/// Applies an operation, ignoring failures (missing parents and the like).
pub(crate) fn apply(fs: &mut Fs, op: &Op) {
    let root = fs.open_root().unwrap();
    let _ = match op {
        Op::Write(p, off, b) => {
            let opts = OpenOptions {
                write: true,
                create: true,
                ..OpenOptions::default()
            };
            fs.open(&root, &path_of(*p), &opts).and_then(|h| {
                let r = fs.pwrite(&h, &[&[*b, b'x']], u64::from(*off) * 97);
                fs.close(h);
                r.map(|_| ())
            })
        }
        Op::Unlink(p) => fs.unlink(&root, &path_of(*p)),
        Op::RmTree(p) => {
            let p = path_of(*p);
            let snap = fs.snapshot();
            if let Ok(s) = fs.stat_at(&root, &p, false)
                && s.kind == FileType::Dir
            {
                for e in snap.entries(s.ino).unwrap() {
                    let child = format!("{p}/{}", e.name);
                    if e.kind == FileType::Dir {
                        // One level is enough for this namespace's depth.
                        if let Ok(cs) = fs.stat_at(&root, &child, false) {
                            for g in fs.snapshot().entries(cs.ino).unwrap() {
                                let gp = format!("{child}/{}", g.name);
                                let _ = fs.unlink(&root, &gp);
                            }
                        }
                        let _ = fs.rmdir(&root, &child);
                    } else {
                        let _ = fs.unlink(&root, &child);
                    }
                }
            }
            fs.rmdir(&root, &p)
        }
        Op::Mkdir(p) => fs.mkdir(&root, &path_of(*p), 0o755),
        Op::Link(a, b) => fs.link(&root, &path_of(*a), &root, &path_of(*b), false),
        Op::Symlink(t, p) => fs.symlink(&format!("t{t}"), &root, &path_of(*p)),
        Op::Chmod(p, mode) => fs.set_perm_at(&root, &path_of(*p), false, u32::from(*mode) & 0o777),
        Op::Truncate(p, len) => {
            let opts = OpenOptions {
                write: true,
                ..OpenOptions::default()
            };
            fs.open(&root, &path_of(*p), &opts).and_then(|h| {
                let r = fs.set_len(&h, u64::from(*len) % 9000);
                fs.close(h);
                r
            })
        }
    };
    fs.close(root);
}

fn entry_kind(k: FileType) -> EntryKind {
    match k {
        FileType::File => EntryKind::File,
        FileType::Dir => EntryKind::Dir,
        FileType::Symlink => EntryKind::Symlink,
    }
}

/// The hard-link partners of every path (other names with the same identity).
fn partners(d: &BTreeMap<String, Desc>) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut by_id: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (p, x) in d {
        if x.kind != FileType::Dir {
            by_id.entry(&x.identity).or_default().insert(p);
        }
    }
    let mut out = BTreeMap::new();
    for group in by_id.values() {
        for p in group {
            out.insert(*p, group.clone());
        }
    }
    out
}

/// The documented rules, applied to two full dumps.
fn model(a: &BTreeMap<String, Desc>, b: &BTreeMap<String, Desc>) -> Vec<Change> {
    let (la, lb) = (partners(a), partners(b));
    let parent = |p: &str| {
        p.rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_owned())
    };
    // A path is reported only if its parent is a directory on both sides
    // (else something above it was added, removed or replaced).
    let parent_shared = |p: &str| {
        let mut q = parent(p);
        loop {
            let same = matches!((a.get(&q), b.get(&q)), (Some(x), Some(y)) if x.kind == FileType::Dir && y.kind == FileType::Dir);
            if !same {
                return false;
            }
            if q.is_empty() {
                return true;
            }
            q = parent(&q);
        }
    };
    let mut out = Vec::new();
    let all: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for p in all {
        if !p.is_empty() && !parent_shared(p) {
            continue;
        }
        let shown = format!("/{p}");
        let change = match (a.get(p), b.get(p)) {
            (Some(x), None) => Some((ChangeKind::Removed, x.kind)),
            (None, Some(y)) => Some((ChangeKind::Added, y.kind)),
            (Some(x), Some(y)) => {
                let meta = x.perm != y.perm || x.atime != y.atime || x.mtime != y.mtime;
                if x.kind != y.kind {
                    Some((m(true, meta, true), y.kind))
                } else if x.kind == FileType::Dir {
                    meta.then(|| (m(false, true, false), y.kind))
                } else {
                    let content = x.content != y.content || x.size != y.size;
                    let links = x.nlink != y.nlink || la.get(&p[..]) != lb.get(&p[..]);
                    (content || meta || links).then(|| (m(content, meta || links, false), y.kind))
                }
            }
            (None, None) => None,
        };
        if let Some((kind, k)) = change {
            out.push(Change {
                path: if p.is_empty() { "/".to_owned() } else { shown },
                kind,
                entry: entry_kind(k),
            });
        }
    }
    out.sort_by(|x, y| {
        let key = |s: &str| {
            s.bytes()
                .map(|b| if b == b'/' { 0 } else { b })
                .collect::<Vec<_>>()
        };
        key(&x.path).cmp(&key(&y.path))
    });
    out
}

/// Two states of one random tree, both saved (incrementally) in one store.
pub(crate) struct TwoStates {
    pub(crate) store: Store,
    pub(crate) before: Snapshot,
    pub(crate) a: Hash,
    pub(crate) after: Snapshot,
    pub(crate) b: Hash,
}

/// Builds a small fixed tree, applies `before` and saves it as `a`, then
/// applies `after` and saves the result as `b`.
pub(crate) fn two_states(before: &[Op], after: &[Op]) -> TwoStates {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    mkdir(&mut fs, "d");
    mkdir(&mut fs, "g");
    symlink(&mut fs, "d", "s");
    for o in before {
        apply(&mut fs, o);
    }
    let first = fs.snapshot();
    let mut saver = Saver::new();
    let a = saver.save(&store, &first, &[]).unwrap();
    for o in after {
        apply(&mut fs, o);
    }
    let second = fs.snapshot();
    let b = saver.save(&store, &second, &[]).unwrap();
    TwoStates {
        store,
        before: first,
        a,
        after: second,
        b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn diff_matches_the_model(
        before in prop::collection::vec(op(), 0..40),
        after in prop::collection::vec(op(), 0..12),
    ) {
        let t = two_states(&before, &after);
        let (store, sa, a, sb, b) = (t.store, t.before, t.a, t.after, t.b);
        let want = model(&dump(&sa), &dump(&sb));
        prop_assert_eq!(diff(&store, &a, &b).unwrap(), want);
    }
}
