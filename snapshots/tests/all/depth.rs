//! Deep trees: everything `save` writes, `load` reads back with the default
//! configuration; what the format cannot hold is refused when saving.

use strata_engine::{Fs, OpenOptions};
use strata_snapshots::format::MAX_DEPTH;
use strata_snapshots::{Error, MemBackend, Store, load, save};

use crate::common::{assert_same_tree, new_fs};

/// A chain of `depth` directories `d/d/d/…` with a file at the bottom, built
/// one level at a time (the whole path would be longer than PATH_MAX).
fn chain(depth: usize) -> Fs {
    let mut fs = new_fs();
    let dir = OpenOptions {
        directory: true,
        ..OpenOptions::default()
    };
    let mut cur = fs.open_root().unwrap();
    for _ in 0..depth {
        fs.mkdir(&cur, "d", 0o755).unwrap();
        let next = fs.open(&cur, "d", &dir).unwrap();
        fs.close(std::mem::replace(&mut cur, next));
    }
    let file = OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    };
    let f = fs.open(&cur, "bottom", &file).unwrap();
    fs.pwrite(&f, &[b"deep"], 0).unwrap();
    fs.close(f);
    fs.close(cur);
    fs
}

#[test]
fn the_deepest_savable_tree_loads_with_the_default_open_file_limit() {
    // Regression: load held one open handle per level, so a tree deeper than
    // the default open-file limit (1,024) saved but could not be loaded.
    let fs = chain(MAX_DEPTH - 1);
    assert!(fs.config().max_open < MAX_DEPTH);
    let store = Store::with_backend(MemBackend::new());
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let back = load(&store, &h).unwrap();
    assert_same_tree(&fs.snapshot(), &back);
}

#[test]
fn a_tree_deeper_than_the_format_is_refused_when_saving() {
    // Regression: such a tree saved fine and then failed to load.
    let fs = chain(MAX_DEPTH);
    let store = Store::with_backend(MemBackend::new());
    match save(&store, &fs.snapshot(), &[]) {
        Err(Error::TooLarge(why)) => assert!(why.contains("deeper"), "{why}"),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(store.refs().unwrap().is_empty());
}
