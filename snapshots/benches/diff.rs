//! Criterion benchmarks of `diff` and OCI layer export.
//!
//! Goal (issue 4): diff of two 100,000-file snapshots differing in one file
//! under 1 ms (`diff/one_change/100000`). The tree is 100 directories of
//! 1,000 small files, saved into an in-memory store (every object read is
//! still verified against its hash). `diff/one_change_fs/100000` runs the
//! same diff with the store in a host directory (warm page cache).
//! `export/changes/100000` writes the OCI layer of that one change, and
//! `export/full/10000` a whole 10,000-file tree, for scale;
//! `export/import_full/10000` imports that layer into the engine and
//! `checkout/full/10000` writes the tree into a host directory.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use strata_engine::Fs;
use strata_snapshots::checkout::checkout;
use strata_snapshots::{Hash, MemBackend, NoProgress, Saver, Store, diff, oci};

#[path = "support/mod.rs"]
mod support;
use support::{new_fs, write};

/// `dirs` directories of 1,000 small files.
fn wide_tree(dirs: usize) -> Fs {
    let mut fs = new_fs();
    let root = fs.open_root().unwrap();
    for d in 0..dirs {
        fs.mkdir(&root, &format!("d{d}"), 0o755).unwrap();
    }
    fs.close(root);
    for d in 0..dirs {
        for f in 0..1000 {
            write(
                &mut fs,
                &format!("d{d}/f{f}"),
                format!("{d}/{f}").as_bytes(),
            );
        }
    }
    fs
}

/// Two snapshots of a `dirs` × 1,000-file tree differing in one file.
fn pair(store: &Store, dirs: usize) -> (Hash, Hash) {
    let mut fs = wide_tree(dirs);
    let mut saver = Saver::new();
    let a = saver.save(store, &fs.snapshot(), &[]).unwrap();
    write(&mut fs, &format!("d{}/f500", dirs / 2), b"changed");
    let b = saver.save(store, &fs.snapshot(), &[]).unwrap();
    (a, b)
}

fn benches(c: &mut Criterion) {
    let store = Store::with_backend(MemBackend::new());
    let (a, b) = pair(&store, 100);
    assert_eq!(diff(&store, &a, &b).unwrap().len(), 1);
    c.bench_function("diff/one_change/100000", |bench| {
        bench.iter(|| black_box(diff(&store, &a, &b).unwrap()))
    });
    c.bench_function("export/changes/100000", |bench| {
        bench.iter(|| {
            let mut out = Vec::new();
            oci::export(&store, &b, Some(&a), &mut out, &NoProgress).unwrap();
            black_box(out)
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let on_disk = Store::open(dir.path()).unwrap();
    let (a, b) = pair(&on_disk, 100);
    c.bench_function("diff/one_change_fs/100000", |bench| {
        bench.iter(|| black_box(diff(&on_disk, &a, &b).unwrap()))
    });

    let small = Store::with_backend(MemBackend::new());
    let (_, b) = pair(&small, 10);
    let mut g = c.benchmark_group("export");
    g.sample_size(10);
    g.bench_function("full/10000", |bench| {
        bench.iter(|| {
            let mut out = Vec::new();
            oci::export(&small, &b, None, &mut out, &NoProgress).unwrap();
            black_box(out)
        })
    });
    let mut layer = Vec::new();
    oci::export(&small, &b, None, &mut layer, &NoProgress).unwrap();
    g.bench_function("import_full/10000", |bench| {
        bench.iter(|| {
            let opts = oci::ImportOptions::default();
            black_box(oci::import(&layer[..], None, &opts).unwrap())
        })
    });
    g.finish();
    let mut g = c.benchmark_group("checkout");
    g.sample_size(10);
    g.bench_function("full/10000", |bench| {
        bench.iter_batched(
            || tempfile::tempdir().unwrap(),
            |dir| {
                let dest = dir.path().join("out");
                let opts = strata_snapshots::checkout::CheckoutOptions::default();
                checkout(&small, &b, &dest, opts, &NoProgress).unwrap();
                dir
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(diff_benches, benches);
criterion_main!(diff_benches);
