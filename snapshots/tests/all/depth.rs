//! Deep trees: any tree the engine lets a guest build saves, loads, diffs and checks out.

use strata_engine::{Fs, OpenOptions};
use strata_snapshots::checkout::{CheckoutOptions, checkout};
use strata_snapshots::format::MAX_DEPTH;
use strata_snapshots::{ChangeKind, MemBackend, NoProgress, Saver, Store, diff, load, save};

use crate::common::{assert_same_tree, new_fs, root_of};

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

/// Adds `n` to the file at the bottom of a chain built by `chain(depth)`.
fn touch_bottom(fs: &mut Fs, depth: usize) {
    let dir = OpenOptions {
        directory: true,
        ..OpenOptions::default()
    };
    let mut cur = fs.open_root().unwrap();
    for _ in 0..depth {
        let next = fs.open(&cur, "d", &dir).unwrap();
        fs.close(std::mem::replace(&mut cur, next));
    }
    let file = OpenOptions {
        write: true,
        ..OpenOptions::default()
    };
    let f = fs.open(&cur, "bottom", &file).unwrap();
    fs.pwrite(&f, &[b"changed"], 0).unwrap();
    fs.close(f);
    fs.close(cur);
}

#[test]
fn a_deep_tree_loads_with_the_default_open_file_limit() {
    // Regression: load held one open handle per level, so a tree deeper than
    // the default open-file limit (1,024) saved but could not be loaded.
    let fs = chain(5000);
    assert!(fs.config().max_open < 5000);
    let store = Store::with_backend(MemBackend::new());
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let back = load(&store, &h).unwrap();
    assert_same_tree(&fs.snapshot(), &back);
}

#[test]
fn a_tree_30k_deep_saves_loads_and_diffs() {
    // Regression (issue 10): a guest built a 100,000-level tree, then the
    // save failed ("tree deeper than the format allows") and the run's work
    // was lost. The format held 2,048 levels; 30,000 also passes the point
    // (16,384) where the loader starts thinning its checkpoints.
    const DEPTH: usize = 30_000;
    const { assert!(DEPTH < MAX_DEPTH) };
    let mut fs = chain(DEPTH);
    let store = Store::with_backend(MemBackend::new());
    let mut saver = Saver::new();
    let a = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    // Equal trees have equal root hashes (a path-by-path comparison of this
    // tree would hold 10 GB of path strings).
    let back = load(&store, &a).unwrap();
    let again = save(&store, &back, &[]).unwrap();
    assert_eq!(root_of(&store, &again), root_of(&store, &a));
    touch_bottom(&mut fs, DEPTH);
    let b = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    let changes = diff(&store, &a, &b).unwrap();
    let bottom = format!("{}/bottom", "/d".repeat(DEPTH));
    let content: Vec<_> = changes
        .iter()
        .filter(|c| matches!(c.kind, ChangeKind::Modified { content: true, .. }))
        .collect();
    assert_eq!(content.len(), 1, "{} changes", changes.len());
    assert_eq!(content[0].path, bottom);
}

/// Reads the bottom file of a checked-out chain one directory at a time
/// (its path is longer than PATH_MAX).
fn read_bottom(root: &std::path::Path, depth: usize) -> Vec<u8> {
    use rustix::fs::{Mode, OFlags, openat};
    let mut fd = rustix::fs::open(root, OFlags::DIRECTORY | OFlags::RDONLY, Mode::empty()).unwrap();
    for _ in 0..depth {
        fd = openat(&fd, "d", OFlags::DIRECTORY | OFlags::RDONLY, Mode::empty()).unwrap();
    }
    let f = openat(&fd, "bottom", OFlags::RDONLY, Mode::empty()).unwrap();
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut std::fs::File::from(f), &mut out).unwrap();
    out
}

#[test]
fn a_tree_deeper_than_path_max_checks_out() {
    // 5,000 levels: deeper than the old format limit, and a path of 10,000
    // bytes, past PATH_MAX, so the checkout must work one directory at a time.
    const DEPTH: usize = 5000;
    let fs = chain(DEPTH);
    let store = Store::with_backend(MemBackend::new());
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let stats = checkout(&store, &h, &dest, CheckoutOptions::default(), &NoProgress).unwrap();
    assert_eq!(stats.dirs, DEPTH as u64 + 1);
    assert_eq!(read_bottom(&dest, DEPTH), b"deep");
    // Directory permissions were applied all the way down.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(dest.join("d/d/d"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777,
        0o755
    );
    // `std::fs::remove_dir_all` (and so TempDir) recurses, one open
    // directory per level: past the open-file limit here.
    strata_snapshots::stale::remove_tree(&dest).unwrap();
}
