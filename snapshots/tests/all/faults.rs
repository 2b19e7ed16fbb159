//! A backend failing at the N-th write, for every N: nothing saved earlier is damaged.

use strata_snapshots::{Error, MemBackend, Saver, Store, load};

use crate::common::*;

/// Pack limits to run the fault tests with: one pack per object, a few objects
/// per pack, and the default (the whole save in one pack).
const PACK_LIMITS: [usize; 3] = [1, 300, strata_snapshots::DEFAULT_PACK_LIMIT];

#[test]
fn failing_at_every_write_keeps_earlier_snapshots() {
    for limit in PACK_LIMITS {
        failing_at_every_write(limit);
    }
}

/// A separate backend holding the same files.
fn copy_of(b: &MemBackend) -> MemBackend {
    let c = MemBackend::new();
    for (path, data) in b.files() {
        c.set(&path, Some(data));
    }
    c
}

fn failing_at_every_write(limit: usize) {
    let base = MemBackend::new();
    let store = Store::with_backend(base.clone());
    store.set_pack_limit(limit);
    let mut fs = new_fs();
    sample(&mut fs);
    let a = fs.snapshot();
    let ha = Saver::new().save(&store, &a, &[]).unwrap();
    store.set_ref("a", &ha).unwrap();

    write(&mut fs, "etc/hello.txt", 0, b"HELLO");
    write(&mut fs, "new-file", 9000, b"more data");
    mkdir(&mut fs, "new-dir");
    symlink(&mut fs, "x", "new-dir/l");
    let b = fs.snapshot();

    let mut n = 1;
    loop {
        // Each attempt on a copy of the store holding only `a`, so that no
        // earlier attempt has written any of `b`'s objects already.
        let backend = copy_of(&base);
        let store = Store::with_backend(backend.clone());
        store.set_pack_limit(limit);
        // A saver that has just saved `a` (nothing to write: all present), so the
        // failing save of `b` is incremental.
        let mut saver = Saver::new();
        assert_eq!(saver.save(&store, &a, &[]).unwrap(), ha);
        let start = backend.writes();
        backend.fail_from(Some(start + n));
        let result = saver
            .save(&store, &b, &[])
            .and_then(|h| store.set_ref("b", &h).map(|()| h));
        backend.fail_from(None);
        match result {
            Ok(hb) => {
                assert!(n > 1, "the save wrote nothing");
                assert_same_tree(&b, &load(&store, &hb).unwrap());
                store.verify(&hb).unwrap();
                break;
            }
            Err(Error::Io(_)) => {}
            Err(e) => panic!("limit {limit}, write {n}: unexpected error {e}"),
        }
        // The earlier snapshot is intact and complete.
        let ha2 = store.get_ref("a").unwrap();
        assert_eq!(ha2, ha);
        store.verify(&ha).unwrap();
        assert_same_tree(&a, &load(&store, &ha).unwrap());
        assert!(matches!(store.get_ref("b"), Err(Error::NoSuchRef(_))));
        // A saver whose save failed starts over and succeeds once storage heals,
        // through this store value and through a fresh one.
        let mut again = Saver::new();
        let hb = again.save(&store, &b, &[]).unwrap();
        assert_same_tree(&b, &load(&store, &hb).unwrap());
        let fresh = Store::with_backend(backend.clone());
        assert_same_tree(&b, &load(&fresh, &hb).unwrap());
        n += 1;
        assert!(n < 1000);
    }
    if limit == 1 {
        // One pack per object: every object write was a failure point.
        assert!(n > 8, "{n}");
    }
}

#[test]
fn gc_after_failures_keeps_refs_whole() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let mut fs = new_fs();
    sample(&mut fs);
    let a = fs.snapshot();
    let ha = strata_snapshots::save(&store, &a, &[]).unwrap();
    store.set_ref("a", &ha).unwrap();
    write(&mut fs, "junk", 0, b"unreferenced");
    // Small packs, so the failing save leaves some written before it fails.
    store.set_pack_limit(1);
    backend.fail_from(Some(backend.writes() + 3));
    assert!(strata_snapshots::save(&store, &fs.snapshot(), &[]).is_err());
    backend.fail_from(None);
    let stats = store.gc().unwrap();
    assert!(stats.removed >= 1, "{stats:?}");
    assert!(stats.packs_rewritten >= 2, "{stats:?}");
    store.verify(&ha).unwrap();
    assert_same_tree(&a, &load(&store, &ha).unwrap());
}
