//! `cat`: one file of a stored snapshot by path.

use strata_snapshots::{Error, MemBackend, Store, cat, cat_to, save};

use crate::common::*;

#[test]
fn files_come_back_with_their_holes() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    write(&mut fs, "big", 0, &big);
    write(&mut fs, "big", 1 << 20, b"far");
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    assert_eq!(cat(&store, &h, "etc/hello.txt").unwrap(), b"hello, world\n");
    assert_eq!(
        cat(&store, &h, "/etc//hello.txt").unwrap(),
        b"hello, world\n"
    );
    let mut sparse = vec![0u8; 3 * 4096 + 9];
    sparse[10..14].copy_from_slice(b"head");
    sparse[3 * 4096 + 5..].copy_from_slice(b"tail");
    assert_eq!(cat(&store, &h, "sparse").unwrap(), sparse);
    assert_eq!(cat(&store, &h, "zeros").unwrap(), vec![0u8; 5000]);
    // Hard-linked names read the same file.
    assert_eq!(
        cat(&store, &h, "zz-link").unwrap(),
        cat(&store, &h, "bin/tool").unwrap()
    );
    let mut want = big.clone();
    want.resize(1 << 20, 0);
    want.extend_from_slice(b"far");
    assert_eq!(cat(&store, &h, "big").unwrap(), want);
    let mut out = Vec::new();
    assert_eq!(
        cat_to(&store, &h, "big", &mut out).unwrap(),
        want.len() as u64
    );
    assert_eq!(out, want);
}

#[test]
fn directories_symlinks_and_missing_names_are_errors() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    symlink(&mut fs, "etc", "etc-link");
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let err = |p: &str| cat(&store, &h, p).unwrap_err();
    assert!(matches!(err("etc"), Error::IsDir(p) if p == "/etc"));
    assert!(matches!(err("etc/empty/"), Error::IsDir(p) if p == "/etc/empty"));
    assert!(matches!(err(""), Error::IsDir(p) if p == "/"));
    assert!(matches!(err("etc/tool-sym"), Error::IsSymlink(p) if p == "/etc/tool-sym"));
    // A symlink on the way is not followed either.
    assert!(matches!(err("etc-link/hello.txt"), Error::IsSymlink(p) if p == "/etc-link"));
    assert!(matches!(err("nope"), Error::NotFound(p) if p == "/nope"));
    assert!(matches!(err("etc/nope/x"), Error::NotFound(p) if p == "/etc/nope"));
    assert!(matches!(err("etc/hello.txt/x"), Error::NotFound(p) if p == "/etc/hello.txt/x"));
    assert!(matches!(err(".."), Error::NotFound(_)));
    // A damaged chunk is reported as such.
    let missing: strata_snapshots::Hash = "ab".repeat(32).parse().unwrap();
    assert!(matches!(
        cat(&store, &missing, "etc/hello.txt"),
        Err(Error::Missing { .. })
    ));
}
