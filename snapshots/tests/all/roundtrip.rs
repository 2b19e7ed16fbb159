//! save → load gives the same tree: data, holes, metadata, hard links, symlinks.

use proptest::prelude::*;
use strata_engine::{FileType, Fs, OpenOptions, SetTime};
use strata_snapshots::{MemBackend, Saver, Store, load, save};

use crate::common::*;

#[test]
fn sample_tree_round_trips() {
    let mut fs = new_fs();
    sample(&mut fs);
    let snap = fs.snapshot();
    let store = Store::with_backend(MemBackend::new());
    let h = save(&store, &snap, &[("by", "test")]).unwrap();
    let loaded = load(&store, &h).unwrap();
    assert_same_tree(&snap, &loaded);
    // Saving the loaded tree gives the same root: nothing was lost or added.
    let h2 = save(&store, &loaded, &[("by", "test")]).unwrap();
    assert_eq!(root_of(&store, &h), root_of(&store, &h2));
    let d = dump(&loaded);
    assert_eq!(d["bin/tool"].nlink, 3);
    assert_eq!(d["zz-link"].identity, "bin/tool");
    assert_eq!(d["etc/tool-sym"].kind, FileType::Symlink);
}

#[test]
fn holes_stay_holes() {
    let mut fs = new_fs();
    write(&mut fs, "big", 1 << 30, b"x");
    set_len(&mut fs, "big", (1 << 30) + 3 * 4096);
    write(&mut fs, "zeros", 0, &[0u8; 3 * 4096]);
    let snap = fs.snapshot();
    let store = Store::with_backend(MemBackend::new());
    let h = save(&store, &snap, &[]).unwrap();
    let loaded = load(&store, &h).unwrap();
    // Only the chunk holding "x" is stored anywhere.
    assert!(loaded.upper_bytes() <= 4096, "{}", loaded.upper_bytes());
    let root = loaded.root();
    let name = strata_engine::Name::new("big").unwrap();
    let (ino, _) = loaded.lookup(root, &name).unwrap().unwrap();
    assert_eq!(loaded.stat(ino).unwrap().size, (1 << 30) + 3 * 4096);
    let mut b = [9u8; 4];
    loaded.read(ino, (1 << 30) - 2, &mut b).unwrap();
    assert_eq!(b, [0, 0, b'x', 0]);
}

#[test]
fn host_directory_store_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let mut fs = new_fs();
    sample(&mut fs);
    let snap = fs.snapshot();
    let store = Store::open(dir.path()).unwrap();
    let h = save(&store, &snap, &[]).unwrap();
    store.set_ref("main", &h).unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let h2 = store.get_ref("main").unwrap();
    assert_eq!(h, h2);
    assert_same_tree(&snap, &load(&store, &h2).unwrap());
    // One pack file, and no loose objects.
    let packs = std::fs::read_dir(dir.path().join("packs")).unwrap().count();
    assert_eq!(packs, 1);
    assert!(!dir.path().join("objects").exists());
}

/// One generated operation over a small name space.
#[derive(Debug, Clone)]
enum Op {
    Mkdir(usize),
    Write(usize, u64, Vec<u8>),
    Truncate(usize, u64),
    Symlink(usize, usize),
    Link(usize, usize),
    Unlink(usize),
    Rename(usize, usize),
    Meta(usize, u32, u64, u64),
}

const PATHS: [&str; 10] = [
    "a", "b", "d", "d/a", "d/b", "d/e", "d/e/a", "f", "f/a", "f/b",
];

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PATHS.len();
    let offset = prop_oneof![0..10_000u64, Just(1 << 20), 4090..4100u64];
    prop_oneof![
        p.clone().prop_map(Op::Mkdir),
        (
            p.clone(),
            offset.clone(),
            prop::collection::vec(any::<u8>(), 0..6000)
        )
            .prop_map(|(p, o, d)| Op::Write(p, o, d)),
        (p.clone(), offset).prop_map(|(p, o)| Op::Truncate(p, o)),
        (p.clone(), p.clone()).prop_map(|(a, b)| Op::Symlink(a, b)),
        (p.clone(), p.clone()).prop_map(|(a, b)| Op::Link(a, b)),
        p.clone().prop_map(Op::Unlink),
        (p.clone(), p.clone()).prop_map(|(a, b)| Op::Rename(a, b)),
        (p, 0..0o10000u32, any::<u64>(), any::<u64>())
            .prop_map(|(p, m, a, t)| Op::Meta(p, m, a, t)),
    ]
}

/// Applies `op`, ignoring refusals (they are part of the engine's own tests).
fn apply(fs: &mut Fs, op: &Op) {
    let root = fs.open_root().unwrap();
    let _ = match op {
        Op::Mkdir(p) => fs.mkdir(&root, PATHS[*p], 0o755),
        Op::Write(p, off, data) => {
            let opts = OpenOptions {
                write: true,
                create: true,
                ..OpenOptions::default()
            };
            fs.open(&root, PATHS[*p], &opts).and_then(|h| {
                let r = fs.pwrite(&h, &[data], *off);
                fs.close(h);
                r.map(|_| ())
            })
        }
        Op::Truncate(p, len) => {
            let opts = OpenOptions {
                write: true,
                ..OpenOptions::default()
            };
            fs.open(&root, PATHS[*p], &opts).and_then(|h| {
                let r = fs.set_len(&h, *len);
                fs.close(h);
                r
            })
        }
        Op::Symlink(t, p) => fs.symlink(PATHS[*t], &root, PATHS[*p]),
        Op::Link(a, b) => fs.link(&root, PATHS[*a], &root, PATHS[*b], false),
        Op::Unlink(p) => fs
            .unlink(&root, PATHS[*p])
            .or_else(|_| fs.rmdir(&root, PATHS[*p])),
        Op::Rename(a, b) => fs.rename(&root, PATHS[*a], &root, PATHS[*b]),
        Op::Meta(p, perm, a, m) => fs
            .set_perm_at(&root, PATHS[*p], false, *perm)
            .and_then(|_| {
                fs.set_times_at(&root, PATHS[*p], false, SetTime::At(*a), SetTime::At(*m))
            }),
    };
    fs.close(root);
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Generated trees round-trip, and a `Saver` kept across two batches of
    /// changes gives exactly what a fresh full save gives.
    #[test]
    fn generated_trees_round_trip(first in ops(), second in ops(), over_lower in any::<bool>()) {
        let host = tempfile::tempdir().unwrap();
        let mut fs = if over_lower {
            std::fs::create_dir_all(host.path().join("d/e")).unwrap();
            std::fs::write(host.path().join("d/a"), b"lower d/a").unwrap();
            std::fs::write(host.path().join("d/e/a"), vec![1u8; 9000]).unwrap();
            std::fs::write(host.path().join("b"), b"lower b").unwrap();
            let lower = std::sync::Arc::new(strata_engine::HostLower::open(host.path()).unwrap());
            Fs::with_lower(lower, strata_engine::Config::default()).unwrap()
        } else {
            new_fs()
        };
        let store = Store::with_backend(MemBackend::new());
        let mut saver = Saver::new();
        for batch in [&first, &second] {
            for op in batch.iter() {
                apply(&mut fs, op);
            }
            let snap = fs.snapshot();
            let inc = saver.save(&store, &snap, &[]).unwrap();
            let full = save(&store, &snap, &[]).unwrap();
            prop_assert_eq!(root_of(&store, &inc), root_of(&store, &full));
            let loaded = load(&store, &inc).unwrap();
            assert_same_tree(&snap, &loaded);
            store.verify(&inc).unwrap();
        }
    }
}
