//! Tree-building helpers shared by the snapshot benches (included with `#[path]`).

use std::sync::Arc;

use strata_engine::{Config, Fs, OpenOptions, VirtualClock};

/// A filesystem with a virtual clock and quotas large enough for the benches.
pub(crate) fn new_fs() -> Fs {
    Fs::new(Config {
        clock: Arc::new(VirtualClock::default()),
        max_inodes: 1 << 22,
        max_bytes: 4 << 30,
        ..Config::default()
    })
}

/// Creates (or overwrites the start of) `path` with `data`.
pub(crate) fn write(fs: &mut Fs, path: &str, data: &[u8]) {
    let root = fs.open_root().unwrap();
    let opts = OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    };
    let h = fs.open(&root, path, &opts).unwrap();
    fs.pwrite(&h, &[data], 0).unwrap();
    fs.close(h);
    fs.close(root);
}
