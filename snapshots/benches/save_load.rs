//! Criterion benchmarks of saving and loading snapshots.
//!
//! Goals (issue 4):
//! - full save: at least 1 GB/s of file content on one core (`save/full/mem`
//!   into a `MemBackend`, `save/full/fs` into a store directory in the temp
//!   folder, with its fsyncs, `save/full/tmpfs` into one on `/dev/shm`);
//! - save after one change in a 100,000-file tree: under 5 ms
//!   (`save/incremental/100000`);
//! - load of a 100,000-file snapshot from a warm store: under 1 s
//!   (`load/100000`).
//!
//! `engine/snapshot/100000` times the engine's own O(1) snapshot of the same
//! tree, for comparison with the incremental save.
//!
//! Environment: `STRATA_BENCH_SAVE_MIB` sets the size of the full-save tree
//! (default 256, in 1 MiB files).

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group};
use strata_engine::Fs;
use strata_snapshots::{MemBackend, Saver, Store, load, save};

#[path = "support/mod.rs"]
mod support;
use support::{new_fs, write};

/// `mib` files of 1 MiB of incompressible, non-repeating data (xorshift).
fn big_tree(mib: usize) -> Fs {
    let mut fs = new_fs();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut data = vec![0u8; 1 << 20];
    for n in 0..mib {
        for w in data.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.copy_from_slice(&x.to_le_bytes());
        }
        write(&mut fs, &format!("f{n:04}"), &data);
    }
    fs
}

/// 100 directories of 1,000 small files.
fn wide_tree() -> Fs {
    let mut fs = new_fs();
    let root = fs.open_root().unwrap();
    for d in 0..100 {
        fs.mkdir(&root, &format!("d{d}"), 0o755).unwrap();
    }
    fs.close(root);
    for d in 0..100 {
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

/// A store in a directory of its own, removed when dropped, so that only one
/// iteration's copy of the tree is on disk (or in tmpfs) at a time.
struct DiskStore {
    store: Store,
    dir: std::path::PathBuf,
}

impl Drop for DiskStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn full_save(c: &mut Criterion) {
    let mib: usize = std::env::var("STRATA_BENCH_SAVE_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    // Built on first use, so a filter that skips these benches skips the setup.
    let tree = OnceCell::new();
    let snap = || tree.get_or_init(|| big_tree(mib).snapshot());
    let mut g = c.benchmark_group("save");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Bytes((mib as u64) << 20));
    g.bench_function("full/mem", |b| {
        let snap = snap();
        b.iter_batched(
            || Store::with_backend(MemBackend::new()),
            |store| {
                black_box(save(&store, snap, &[]).unwrap());
                store
            },
            BatchSize::PerIteration,
        )
    });
    // A store directory on the disk (real fsyncs), and on tmpfs when the
    // machine has one (the save's own cost, with the kernel's copy into the
    // page cache but no device).
    let mut places = vec![("full/fs", std::env::temp_dir())];
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        places.push(("full/tmpfs", shm.to_path_buf()));
    }
    for (id, place) in places {
        let tmp = tempfile::tempdir_in(place).unwrap();
        let mut n = 0;
        g.bench_function(id, |b| {
            let snap = snap();
            b.iter_batched(
                || {
                    n += 1;
                    let dir = tmp.path().join(format!("s{n}"));
                    DiskStore {
                        store: Store::open(&dir).unwrap(),
                        dir,
                    }
                },
                |s| {
                    black_box(save(&s.store, snap, &[]).unwrap());
                    // Dropped (and removed) after the timing.
                    s
                },
                BatchSize::PerIteration,
            );
        });
    }
    g.finish();
}

fn wide(c: &mut Criterion) {
    // Built on first use, so a filter that skips these benches skips the setup.
    let mut tree: Option<Fs> = None;
    let mut g = c.benchmark_group("save");
    g.sample_size(20);
    let store = Store::with_backend(MemBackend::new());
    let mut saver = Saver::new();
    let mut i = 0u64;
    g.bench_function("incremental/100000", |b| {
        let fs = tree.get_or_insert_with(wide_tree);
        saver.save(&store, &fs.snapshot(), &[]).unwrap();
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                i += 1;
                write(fs, "d42/f420", format!("change {i}").as_bytes());
                let snap = fs.snapshot();
                let t = Instant::now();
                black_box(saver.save(&store, &snap, &[]).unwrap());
                spent += t.elapsed();
            }
            spent
        })
    });
    g.finish();

    let mut g = c.benchmark_group("load");
    g.sample_size(10);
    let tmp = tempfile::tempdir().unwrap();
    g.bench_function("100000", |b| {
        let fs = tree.get_or_insert_with(wide_tree);
        let disk = Store::open(tmp.path()).unwrap();
        let h = save(&disk, &fs.snapshot(), &[]).unwrap();
        // A store value of its own, warm in the page cache from the save.
        let disk = Store::open(tmp.path()).unwrap();
        b.iter(|| black_box(load(&disk, &h).unwrap()))
    });
    g.finish();

    let mut g = c.benchmark_group("engine");
    g.bench_function("snapshot/100000", |b| {
        let fs = tree.get_or_insert_with(wide_tree);
        b.iter(|| black_box(fs.snapshot()))
    });
    g.finish();
}

criterion_group!(benches, full_save, wide);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
