//! Equal trees have equal root hashes, however they were built.

use strata_snapshots::{MemBackend, Store, save};

use crate::common::*;

fn finish(fs: &mut strata_engine::Fs) {
    // Times are part of the tree: give every object fixed ones, parents last.
    for (i, p) in ["a/x", "a/y", "b/l", "b/big", "a", "b"].iter().enumerate() {
        set_meta(fs, p, 0o640 + i as u32, 1000 + i as u64, 2000 + i as u64);
    }
    let root = fs.open_root().unwrap();
    let t = strata_engine::SetTime::At(42);
    fs.set_times(&root, t, t).unwrap();
    fs.close(root);
}

#[test]
fn two_build_orders_one_hash() {
    let mut one = new_fs();
    mkdir(&mut one, "a");
    mkdir(&mut one, "b");
    write(&mut one, "a/x", 0, b"xx");
    write(&mut one, "a/y", 0, b"yy");
    symlink(&mut one, "../a/x", "b/l");
    write(&mut one, "b/big", 0, &vec![3u8; 20_000]);
    finish(&mut one);

    let mut two = new_fs();
    mkdir(&mut two, "b");
    write(&mut two, "b/big", 10_000, &vec![3u8; 10_000]);
    write(&mut two, "b/big", 0, &vec![3u8; 10_000]);
    symlink(&mut two, "../a/x", "b/l");
    mkdir(&mut two, "a");
    write(&mut two, "a/tmp", 0, b"yy");
    write(&mut two, "a/x", 0, b"x");
    write(&mut two, "a/x", 1, b"x");
    let root = two.open_root().unwrap();
    two.rename(&root, "a/tmp", &root, "a/y").unwrap();
    two.close(root);
    finish(&mut two);

    let s1 = Store::with_backend(MemBackend::new());
    let s2 = Store::with_backend(MemBackend::new());
    let h1 = save(&s1, &one.snapshot(), &[]).unwrap();
    let h2 = save(&s2, &two.snapshot(), &[]).unwrap();
    let (r1, r2) = (root_of(&s1, &h1), root_of(&s2, &h2));
    assert_eq!(r1, r2);
    // With equal labels and no parent, the manifests agree too.
    assert_eq!(h1, h2);
}

#[test]
fn a_change_changes_the_hash() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let a = root_of(&store, &save(&store, &fs.snapshot(), &[]).unwrap());
    set_meta(&mut fs, "etc/hello.txt", 0o644, 111, 222);
    let b = root_of(&store, &save(&store, &fs.snapshot(), &[]).unwrap());
    assert_ne!(a, b);
}
