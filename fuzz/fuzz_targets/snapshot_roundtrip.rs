//! Arbitrary trees built through the engine survive save → load unchanged, and
//! equal trees have equal root hashes however they were built: the same tree
//! rebuilt in another order, the loaded copy saved again, and an incremental
//! `Saver` all agree with a fresh full save.
#![no_main]

use std::sync::{Arc, OnceLock};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use strata_engine::{Config, Fs, HostLower, OpenOptions, SetTime, VirtualClock};
use strata_fuzz::tree::{assert_same, dump, rebuild, without_dir_nlink};
use strata_snapshots::{Hash, MemBackend, Saver, Store, load, read_manifest, save};

const PATHS: [&str; 12] = [
    "a", "b", "d", "d/a", "d/b", "d/e", "d/e/a", "f", "f/a", "l", "l/a", "d/e/b",
];

fn path(i: u8) -> &'static str {
    PATHS[usize::from(i) % PATHS.len()]
}

/// Offsets around chunk boundaries and a far one, so holes and partial chunks occur.
fn offset(o: u16) -> u64 {
    match o % 4 {
        0 => u64::from(o % 64),
        1 => 4096 - 8 + u64::from(o % 16),
        2 => 8192 - 8 + u64::from(o % 16),
        _ => 40_000 + u64::from(o % 5000),
    }
}

#[derive(Debug, Arbitrary)]
enum Op {
    Mkdir(u8),
    Write(u8, u16, Vec<u8>),
    Fill(u8, u16, u8, u16),
    Truncate(u8, u16),
    Symlink(u8, u8),
    Link(u8, u8),
    Unlink(u8),
    Rename(u8, u8),
    Meta(u8, u16, u64, u64),
}

#[derive(Debug, Arbitrary)]
struct Input {
    over_lower: bool,
    first: Vec<Op>,
    second: Vec<Op>,
}

fn new_fs() -> Fs {
    Fs::new(Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    })
}

/// A small read-only host tree shared by every run (nothing ever writes it).
fn lower_dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(d.path().join("d/e")).expect("mkdir");
        std::fs::write(d.path().join("d/a"), b"lower d/a").expect("write");
        std::fs::write(d.path().join("d/e/a"), vec![1u8; 9000]).expect("write");
        std::fs::write(d.path().join("b"), b"lower b").expect("write");
        std::os::unix::fs::symlink("d/e", d.path().join("l")).expect("symlink");
        std::fs::hard_link(d.path().join("b"), d.path().join("f")).expect("link");
        d
    })
}

/// Applies `op`, ignoring refusals (the model target checks those).
fn apply(fs: &mut Fs, op: &Op) {
    let root = fs.open_root().expect("root");
    let wopts = OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    };
    let _ = match op {
        Op::Mkdir(p) => fs.mkdir(&root, path(*p), 0o755),
        Op::Write(p, off, data) => fs.open(&root, path(*p), &wopts).and_then(|h| {
            let r = fs.pwrite(&h, &[data], offset(*off));
            fs.close(h);
            r.map(|_| ())
        }),
        Op::Fill(p, off, byte, len) => fs.open(&root, path(*p), &wopts).and_then(|h| {
            let data = vec![*byte; usize::from(*len % 9000)];
            let r = fs.pwrite(&h, &[&data], offset(*off));
            fs.close(h);
            r.map(|_| ())
        }),
        Op::Truncate(p, len) => {
            let opts = OpenOptions {
                write: true,
                ..OpenOptions::default()
            };
            fs.open(&root, path(*p), &opts).and_then(|h| {
                let r = fs.set_len(&h, offset(*len));
                fs.close(h);
                r
            })
        }
        Op::Symlink(t, p) => fs.symlink(path(*t), &root, path(*p)),
        Op::Link(a, b) => fs.link(&root, path(*a), &root, path(*b), false),
        Op::Unlink(p) => fs
            .unlink(&root, path(*p))
            .or_else(|_| fs.rmdir(&root, path(*p))),
        Op::Rename(a, b) => fs.rename(&root, path(*a), &root, path(*b)),
        Op::Meta(p, perm, a, m) => fs
            .set_perm_at(&root, path(*p), false, u32::from(*perm))
            .and_then(|_| {
                fs.set_times_at(&root, path(*p), false, SetTime::At(*a), SetTime::At(*m))
            }),
    };
    fs.close(root);
}

fn root_of(store: &Store, manifest: &Hash) -> Hash {
    read_manifest(store, manifest).expect("manifest").root
}

fuzz_target!(|input: Input| {
    let mut fs = if input.over_lower {
        let lower = HostLower::open(lower_dir().path()).expect("host lower");
        let config = Config {
            clock: Arc::new(VirtualClock::default()),
            ..Config::default()
        };
        Fs::with_lower(Arc::new(lower), config).expect("with_lower")
    } else {
        new_fs()
    };
    let store = Store::with_backend(MemBackend::new());
    let mut saver = Saver::new();
    for batch in [&input.first, &input.second] {
        for op in batch.iter().take(64) {
            apply(&mut fs, op);
        }
        let snap = fs.snapshot();
        let full = save(&store, &snap, &[("by", "fuzz")]).expect("save");
        let inc = saver
            .save(&store, &snap, &[("by", "fuzz")])
            .expect("incremental save");
        let root = root_of(&store, &full);
        assert_eq!(root, root_of(&store, &inc), "incremental save differs");
        store.verify(&full).expect("verify");

        // save → load gives the same tree.
        let loaded = load(&store, &full).expect("load");
        let want = dump(&snap);
        assert_same(&want, &dump(&loaded), "loaded tree");

        // The loaded copy saves to the same root.
        let again = save(&store, &loaded, &[]).expect("save loaded");
        assert_eq!(
            root,
            root_of(&store, &again),
            "loaded tree saves differently"
        );

        // The same tree built in another order, in another store.
        let mut other = new_fs();
        rebuild(&mut other, &want);
        let rebuilt = other.snapshot();
        assert_same(
            &without_dir_nlink(want),
            &without_dir_nlink(dump(&rebuilt)),
            "rebuilt tree",
        );
        let store2 = Store::with_backend(MemBackend::new());
        let h2 = save(&store2, &rebuilt, &[]).expect("save rebuilt");
        assert_eq!(root, root_of(&store2, &h2), "equal trees, different hashes");
    }
});
