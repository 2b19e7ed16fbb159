//! Save and verify report their progress.

use std::sync::atomic::{AtomicU64, Ordering};

use strata_snapshots::{MemBackend, Progress, Saver, Store};

use crate::common::*;

#[derive(Default)]
struct Counter {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Counter {
    fn set_total(&self, total: u64) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn advance(&self, done: u64) {
        self.done.fetch_add(done, Ordering::Relaxed);
    }
}

#[test]
fn save_counts_bytes_and_verify_counts_objects() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    write(&mut fs, "big", 0, &vec![3u8; 100_000]);
    let files: u64 = dump(&fs.snapshot())
        .iter()
        .filter(|(_, d)| d.kind == strata_engine::FileType::File)
        .map(|(p, d)| if *p == d.identity { d.size } else { 0 })
        .sum();
    let mut saver = Saver::new();
    let p = Counter::default();
    let h = saver
        .save_with_progress(&store, &fs.snapshot(), &[], &p)
        .unwrap();
    assert_eq!(p.total.load(Ordering::Relaxed), files);
    assert_eq!(p.done.load(Ordering::Relaxed), files);
    // After one change, only the changed file is read.
    write(&mut fs, "etc/hello.txt", 0, b"HELLO");
    let p = Counter::default();
    saver
        .save_with_progress(&store, &fs.snapshot(), &[], &p)
        .unwrap();
    assert_eq!(p.total.load(Ordering::Relaxed), 13);
    assert_eq!(p.done.load(Ordering::Relaxed), 13);
    let p = Counter::default();
    let n = store.verify_with_progress(&h, &p).unwrap() as u64;
    assert_eq!(p.total.load(Ordering::Relaxed), n);
    assert_eq!(p.done.load(Ordering::Relaxed), n);
}
