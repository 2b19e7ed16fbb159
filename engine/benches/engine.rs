//! Criterion benchmarks of the engine, plus two printed measurements criterion
//! cannot take (memory per file, upper-layer bytes after a small write into a
//! huge lower file).
//!
//! Goals (see the engineering brief):
//! - `snapshot` / `restore`: under 10 µs at any tree size (they are O(1));
//! - `stat_at`, `open`+`close`, create, `rename`, `unlink` on a 10,000-file upper
//!   layer: under 1 µs per operation;
//! - a WASI-style paged `readdir` of a 10,000-entry directory: under 5 ms;
//! - memory: under 300 bytes per 1 KiB file beyond its content;
//! - a 4 KiB write into a 1 GiB lower file leaves 4096 upper bytes.
//!
//! Environment: `STRATA_BENCH_1M=1` adds the 1,000,000-file snapshot/restore
//! case (about 1.3 GB of memory and tens of seconds of setup);
//! `STRATA_BENCH_SKIP_MEMORY=1` skips the memory measurement.

// The counting allocator below must implement `GlobalAlloc`, an unsafe trait:
// it only forwards to `System` and keeps counters, so the bench file (never the
// engine) opts out of the workspace's `unsafe_code = "deny"`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group};
use strata_engine::{Config, Fs, Handle, HostLower, Name, OpenOptions};

// ---------------------------------------------------------------------------
// Counting allocator

/// `System`, plus a count of live bytes and live allocations (requested sizes:
/// the C allocator's own per-block header and rounding are not included) while
/// `COUNTING` is set. Counting is off during the timed benchmarks, where its
/// atomic read-modify-writes would add to every allocation's cost.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);
/// Live bytes as glibc malloc would hold them: an 8-byte header, rounded up to
/// 16, at least 32 (an estimate: the real allocator is not asked).
static LIVE_FOOTPRINT: AtomicIsize = AtomicIsize::new(0);

fn footprint(size: usize) -> isize {
    (size + 8).next_multiple_of(16).max(32) as isize
}

fn count(bytes: isize, blocks: isize, footprint: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_add(blocks, Ordering::Relaxed);
        LIVE_FOOTPRINT.fetch_add(footprint, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees carry over; the counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize, 1, footprint(layout.size()));
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize, 1, footprint(layout.size()));
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is; `ptr` came from this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize), -1, -footprint(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is; the caller upholds `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(
                new_size as isize - layout.size() as isize,
                0,
                footprint(new_size) - footprint(layout.size()),
            );
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> (isize, isize) {
    (
        LIVE_BYTES.load(Ordering::Relaxed),
        LIVE_BLOCKS.load(Ordering::Relaxed),
    )
}

fn live_footprint() -> isize {
    LIVE_FOOTPRINT.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------
// Tree building

/// Limits high enough for a million 1 KiB files.
fn config() -> Config {
    Config {
        max_bytes: 1 << 40,
        max_inodes: 1 << 24,
        ..Config::default()
    }
}

const CONTENT: [u8; 1024] = [0x5a; 1024];

fn dir_name(d: usize) -> String {
    format!("d{d:03}")
}

fn file_name(i: usize) -> String {
    format!("f{i:07}")
}

/// Path from the root of file `i` in a tree of `files` files over `dirs`
/// directories: `data/dNNN/fNNNNNNN`, three components deep.
fn file_path(i: usize, dirs: usize) -> String {
    format!("data/{}/{}", dir_name(i % dirs), file_name(i))
}

fn create_options() -> OpenOptions {
    OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    }
}

/// A filesystem with `files` files of 1 KiB (when `content`) spread round-robin
/// over `dirs` directories under `data/`, and an open root handle.
fn build(files: usize, dirs: usize, content: bool) -> (Fs, Handle) {
    let mut fs = Fs::new(config());
    let root = fs.open_root().expect("open root");
    fs.mkdir(&root, "data", 0o755).expect("mkdir data");
    for d in 0..dirs {
        fs.mkdir(&root, &format!("data/{}", dir_name(d)), 0o755)
            .expect("mkdir");
    }
    let opts = create_options();
    for i in 0..files {
        let h = fs.open(&root, &file_path(i, dirs), &opts).expect("create");
        if content {
            fs.write(&h, &[&CONTENT]).expect("write");
        }
        fs.close(h);
    }
    (fs, root)
}

// ---------------------------------------------------------------------------
// 4. Memory per file

fn measure_memory() {
    const FILES: usize = 10_000;
    const DIRS: usize = 100;
    // Paths are built before the baseline so their strings do not count.
    let paths: Vec<String> = (0..FILES).map(|i| file_path(i, DIRS)).collect();
    let dir_paths: Vec<String> = (0..DIRS).map(|d| format!("data/{}", dir_name(d))).collect();
    let opts = create_options();

    COUNTING.store(true, Ordering::Relaxed);
    let (b0, n0) = live();
    let f0 = live_footprint();
    let mut fs = Fs::new(config());
    let root = fs.open_root().expect("open root");
    fs.mkdir(&root, "data", 0o755).expect("mkdir data");
    for p in &dir_paths {
        fs.mkdir(&root, p, 0o755).expect("mkdir");
    }
    let (b1, n1) = live();
    for p in &paths {
        let h = fs.open(&root, p, &opts).expect("create");
        fs.write(&h, &[&CONTENT]).expect("write");
        fs.close(h);
    }
    let (b2, n2) = live();
    let f2 = live_footprint();
    let content = (FILES * CONTENT.len()) as isize;
    let per_file = (b2 - b1 - content) as f64 / FILES as f64;
    let per_file_all = (b2 - b0 - content) as f64 / FILES as f64;
    println!("== memory: {FILES} files of 1 KiB in {DIRS} directories ==");
    println!(
        "  live heap: empty fs with dirs {} B; after files {} B; content {} B",
        b1 - b0,
        b2 - b0,
        content
    );
    println!(
        "  allocations per file: {:.2} (+{} for the fs and its directories)",
        (n2 - n1) as f64 / FILES as f64,
        n1 - n0
    );
    println!(
        "  bytes per file beyond content, files only: {per_file:.1}; with directories and fs: {per_file_all:.1}"
    );
    println!("bytes per file beyond content: {}", per_file_all.round());
    // The content itself sits in 1024-byte blocks, which glibc holds as 1040.
    let content_footprint = FILES as isize * footprint(CONTENT.len());
    println!(
        "  estimated with glibc malloc headers and rounding: {:.1} per file beyond content ({:.1} if the content's own block header is counted as content)",
        (f2 - f0 - content) as f64 / FILES as f64,
        (f2 - f0 - content_footprint) as f64 / FILES as f64,
    );
    assert_eq!(fs.upper_bytes(), content as u64);
    // A snapshot shares everything: it must cost (almost) nothing.
    let snap = fs.snapshot();
    let (b3, _) = live();
    println!("  one snapshot of it: {} B", b3 - b2);
    drop(snap);
    fs.close(root);
    drop(fs);
    COUNTING.store(false, Ordering::Relaxed);
    println!();
}

// ---------------------------------------------------------------------------
// 5. 4 KiB into a 1 GiB lower file

fn lower_write(c: &mut Criterion) {
    const GIB: u64 = 1 << 30;
    let dir = tempfile::tempdir().expect("tempdir");
    let big = std::fs::File::create(dir.path().join("big")).expect("create big");
    big.set_len(GIB).expect("set_len");
    drop(big);
    let lower = Arc::new(HostLower::open(dir.path()).expect("HostLower"));
    let base = Fs::with_lower(lower, config())
        .expect("with_lower")
        .snapshot();
    let opts = OpenOptions {
        read: false,
        write: true,
        ..OpenOptions::default()
    };
    let block = [0xa5u8; 4096];
    let at = GIB / 2;

    let write_once = |fs: &mut Fs, root: &Handle| {
        let h = fs.open(root, "big", &opts).expect("open big");
        let n = fs.pwrite(&h, &[&block], at).expect("pwrite");
        assert_eq!(n, block.len());
        fs.close(h);
    };

    // Once for the printed check (this also warms the lower layer's cache,
    // which every fork shares).
    let mut fs = Fs::from_snapshot(&base);
    let root = fs.open_root().expect("root");
    let t = Instant::now();
    write_once(&mut fs, &root);
    let first = t.elapsed();
    let snap = fs.snapshot();
    let name = Name::new("big").expect("name");
    let (ino, _) = snap
        .lookup(snap.root(), &name)
        .expect("lookup")
        .expect("big exists");
    let mut check = [0u8; 4097];
    assert_eq!(snap.read(ino, at - 1, &mut check).expect("read"), 4097);
    assert_eq!(
        check[0], 0,
        "the byte before comes from the sparse lower file"
    );
    assert_eq!(&check[1..], &block[..]);
    println!("== 4 KiB write at 512 MiB into a sparse 1 GiB lower file ==");
    println!("  first write (cold lower cache, includes host lookup): {first:?}");
    println!(
        "  upper bytes after the write: {} (goal: 4096)",
        snap.upper_bytes()
    );
    assert_eq!(snap.upper_bytes(), 4096);
    println!();

    let mut g = c.benchmark_group("lower_1gib");
    g.bench_function("open_pwrite4k_close", |b| {
        b.iter_batched(
            || {
                let mut fs = Fs::from_snapshot(&base);
                let root = fs.open_root().expect("root");
                (fs, root)
            },
            |(mut fs, root)| {
                write_once(&mut fs, &root);
                (fs, root)
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

// ---------------------------------------------------------------------------
// 1. snapshot and restore

fn snapshot_restore(c: &mut Criterion) {
    let mut sizes = vec![1_000usize, 100_000];
    if std::env::var_os("STRATA_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    let mut g = c.benchmark_group("snapshot");
    for &n in &sizes {
        let t = Instant::now();
        let (mut fs, root) = build(n, 100, true);
        println!(
            "  (setup: {n} files of 1 KiB built in {:.2?}, {} upper inodes)",
            t.elapsed(),
            fs.upper_inodes()
        );
        g.bench_with_input(BenchmarkId::new("snapshot", n), &n, |b, _| {
            b.iter(|| black_box(fs.snapshot()))
        });
        let snap = fs.snapshot();
        g.bench_with_input(BenchmarkId::new("restore", n), &n, |b, _| {
            b.iter(|| fs.restore(black_box(&snap)))
        });
        // The fuzzing loop: restore, then one small change, then restore again
        // (the change's copied nodes are dropped by the next restore).
        let opts = OpenOptions {
            write: true,
            ..OpenOptions::default()
        };
        let path = file_path(n / 2, 100);
        g.bench_with_input(BenchmarkId::new("restore_after_write", n), &n, |b, _| {
            b.iter(|| {
                fs.restore(&snap);
                let h = fs.open(&root, &path, &opts).expect("open");
                fs.pwrite(&h, &[b"x"], 0).expect("pwrite");
                fs.close(h);
            })
        });
        fs.restore(&snap);
        drop(snap);
        fs.close(root);
        let t = Instant::now();
        drop(fs);
        println!("  (teardown: {:.2?})", t.elapsed());
    }
    g.finish();
}

// ---------------------------------------------------------------------------
// 2. metadata operations on a 10,000-file upper layer

fn metadata_ops(c: &mut Criterion) {
    const FILES: usize = 10_000;
    const DIRS: usize = 100;
    let (mut fs, root) = build(FILES, DIRS, true);
    // Visit files in a scattered order so lookups are not all of one path.
    let paths: Vec<String> = (0..1024)
        .map(|k| file_path((k * 7_919) % FILES, DIRS))
        .collect();
    let mut g = c.benchmark_group("meta_10k");

    let mut k = 0usize;
    g.bench_function("stat_at_depth3", |b| {
        b.iter(|| {
            k = (k + 1) % paths.len();
            black_box(fs.stat_at(&root, &paths[k], true).expect("stat"))
        })
    });

    let ro = OpenOptions::default();
    g.bench_function("open_close", |b| {
        b.iter(|| {
            k = (k + 1) % paths.len();
            let h = fs.open(&root, &paths[k], &ro).expect("open");
            fs.close(h);
        })
    });

    // create and unlink: timed separately, in batches of new names in one
    // directory, each batch undone (untimed) by the other operation so the tree
    // stays at 10,000 files.
    const BATCH: usize = 100;
    let fresh: Vec<String> = (0..BATCH)
        .map(|i| format!("data/{}/new{i:04}", dir_name(i % DIRS)))
        .collect();
    let create = create_options();
    g.bench_function("create_close", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                let n = (iters - done).min(BATCH as u64) as usize;
                let t = Instant::now();
                for p in &fresh[..n] {
                    let h = fs.open(&root, p, &create).expect("create");
                    fs.close(h);
                }
                timed += t.elapsed();
                for p in &fresh[..n] {
                    fs.unlink(&root, p).expect("unlink");
                }
                done += n as u64;
            }
            timed
        })
    });
    g.bench_function("unlink", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut done = 0u64;
            while done < iters {
                let n = (iters - done).min(BATCH as u64) as usize;
                for p in &fresh[..n] {
                    let h = fs.open(&root, p, &create).expect("create");
                    fs.close(h);
                }
                let t = Instant::now();
                for p in &fresh[..n] {
                    fs.unlink(&root, p).expect("unlink");
                }
                timed += t.elapsed();
                done += n as u64;
            }
            timed
        })
    });

    // rename a -> b, then b -> a: one rename per iteration, same directory.
    let a = file_path(4_242, DIRS);
    let bname = format!("data/{}/renamed", dir_name(4_242 % DIRS));
    let mut flip = false;
    g.bench_function("rename_same_dir", |b| {
        b.iter(|| {
            let (from, to) = if flip { (&bname, &a) } else { (&a, &bname) };
            flip = !flip;
            fs.rename(&root, from, &root, to).expect("rename");
        })
    });
    if flip {
        fs.rename(&root, &bname, &root, &a).expect("rename back");
    }
    g.finish();
    assert_eq!(fs.upper_bytes(), (FILES * CONTENT.len()) as u64);
}

// ---------------------------------------------------------------------------
// 3. readdir paged like WASI's fd_readdir

/// Size of a WASI `dirent` header; each entry in the buffer is this plus its name.
const DIRENT_HEADER: usize = 24;
const PAGE: usize = 4096;

/// Lists directory `path` the way a WASI guest's `fd_readdir` loop does: open,
/// repeated calls each filling at most one 4 KiB buffer and resuming from the
/// last cookie returned, close. Returns the entries listed and the calls made.
fn list_like_wasi(fs: &mut Fs, root: &Handle, path: &str) -> (usize, usize) {
    let opts = OpenOptions {
        directory: true,
        ..OpenOptions::default()
    };
    let h = fs.open(root, path, &opts).expect("open dir");
    let mut cookie = 0u64;
    let mut entries = 0usize;
    let mut calls = 0usize;
    loop {
        let mut used = 0usize;
        let mut last = cookie;
        let mut got = 0usize;
        let mut full = false;
        fs.readdir(&h, cookie, &mut |d| {
            let size = DIRENT_HEADER + d.name.len();
            if used + size > PAGE {
                full = true;
                return false;
            }
            used += size;
            last = d.next;
            got += 1;
            true
        })
        .expect("readdir");
        calls += 1;
        entries += got;
        cookie = last;
        // A buffer with room left means the listing ended.
        if !full {
            break;
        }
    }
    fs.close(h);
    (entries, calls)
}

fn readdir(c: &mut Criterion) {
    let mut g = c.benchmark_group("readdir_wasi_4k_pages");
    for n in [1_000usize, 10_000, 100_000] {
        // One directory of n empty files (names `fNNNNNNN`, 8 bytes).
        let (mut fs, root) = build(n, 1, false);
        let (entries, calls) = list_like_wasi(&mut fs, &root, "data/d000");
        assert_eq!(entries, n + 2, "listing must include . and ..");
        println!("  (readdir of {n} entries: {calls} calls of up to 4 KiB)");
        g.throughput(Throughput::Elements(n as u64));
        if n >= 100_000 {
            g.sample_size(10);
        }
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| black_box(list_like_wasi(&mut fs, &root, "data/d000")))
        });
        fs.close(root);
    }
    g.finish();
}

// ---------------------------------------------------------------------------

criterion_group!(
    benches,
    snapshot_restore,
    metadata_ops,
    readdir,
    lower_write
);

fn main() {
    if std::env::var_os("STRATA_BENCH_SKIP_MEMORY").is_none() {
        measure_memory();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
