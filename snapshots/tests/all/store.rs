//! Refs, verification and garbage collection.

use strata_snapshots::{Error, MemBackend, Saver, Store, load, save};

use crate::common::*;

#[test]
fn refs_are_checked_names() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    for bad in ["", ".hidden", "a/b", "..", "x y", &"n".repeat(129)] {
        assert!(matches!(
            store.set_ref(bad, &h),
            Err(Error::InvalidRefName(_))
        ));
    }
    store.set_ref("v1.0_final-2", &h).unwrap();
    assert_eq!(store.refs().unwrap(), vec![("v1.0_final-2".to_owned(), h)]);
    store.remove_ref("v1.0_final-2").unwrap();
    assert!(matches!(
        store.get_ref("v1.0_final-2"),
        Err(Error::NoSuchRef(_))
    ));
}

#[test]
fn damaged_ref_is_reported() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    backend.set("refs/x", Some(b"not a hash\n".to_vec()));
    assert!(matches!(store.get_ref("x"), Err(Error::BadRef(_))));
}

#[test]
fn gc_keeps_history_and_drops_the_rest() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let mut fs = new_fs();
    let mut saver = Saver::new();
    write(&mut fs, "f", 0, b"one");
    let h1 = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    write(&mut fs, "f", 0, b"two");
    let h2 = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    store.set_ref("latest", &h2).unwrap();
    write(&mut fs, "g", 0, b"three");
    let h3 = save(&store, &fs.snapshot(), &[]).unwrap();
    let stats = store.gc().unwrap();
    assert!(stats.removed > 0);
    // h1 is h2's parent: kept. h3 had no ref: gone.
    load(&store, &h1).unwrap();
    load(&store, &h2).unwrap();
    assert!(matches!(load(&store, &h3), Err(Error::Missing { .. })));
    assert_eq!(store.gc().unwrap().removed, 0);
    // The saver notices the gc and saves in full again.
    write(&mut fs, "h", 0, b"four");
    let h4 = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    store.verify(&h4).unwrap();
}

#[test]
fn labels_are_sorted_and_kept() {
    let store = Store::with_backend(MemBackend::new());
    let fs = new_fs();
    let h = save(
        &store,
        &fs.snapshot(),
        &[("z", "1"), ("a", "2"), ("z", "3")],
    )
    .unwrap();
    let m = strata_snapshots::read_manifest(&store, &h).unwrap();
    assert_eq!(
        m.labels,
        vec![("a".into(), "2".into()), ("z".into(), "3".into())]
    );
}
