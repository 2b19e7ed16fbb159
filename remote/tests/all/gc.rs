//! gc on a shared store: a pending list first, removal only at a gc after the grace period, and never of what a save since then references.

use std::time::Duration;

use strata_snapshots::{Error, Store, load, save};

use crate::{new_fs, s3, tree};

/// Objects of every pack and loose object in the store.
fn count(store: &Store) -> usize {
    store.objects().unwrap().len()
}

#[test]
fn unreachable_objects_go_at_the_second_gc() {
    let Some(s3) = s3() else { return };
    let (store, _) = s3.store("p", Duration::ZERO);
    let mut fs = new_fs();
    let a = save(&store, &tree(&mut fs, "a", 2, 10), &[]).unwrap();
    store.set_ref("a", &a).unwrap();
    let mut fs = new_fs();
    let b = save(&store, &tree(&mut fs, "b", 2, 10), &[]).unwrap();
    store.set_ref("b", &b).unwrap();
    store.remove_ref("a").unwrap();
    // Object times have a second's resolution: files of the same second as
    // the list count as written after it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let before = count(&store);
    // The first gc only lists what no ref reaches.
    let s = store.gc().unwrap();
    assert_eq!(s.removed, 0, "{s:?}");
    assert!(s.pending > 20, "{s:?}");
    assert_eq!(count(&store), before);
    // The second (grace 0: at once) removes it.
    let s = store.gc().unwrap();
    assert!(s.removed > 20, "{s:?}");
    assert!(count(&store) < before);
    store.verify(&b).unwrap();
    assert!(matches!(load(&store, &a), Err(Error::Missing { .. })));
    // Nothing left to list.
    let s = store.gc().unwrap();
    assert_eq!((s.removed, s.pending), (0, 0), "{s:?}");
    store.verify(&b).unwrap();
}

#[test]
fn nothing_goes_within_the_grace_period() {
    let Some(s3) = s3() else { return };
    let (store, _) = s3.store("p", Duration::from_secs(3600));
    let mut fs = new_fs();
    let a = save(&store, &tree(&mut fs, "a", 1, 5), &[]).unwrap();
    let before = count(&store);
    for _ in 0..3 {
        let s = store.gc().unwrap();
        assert_eq!(s.removed, 0, "{s:?}");
        assert!(s.pending > 0, "{s:?}");
    }
    assert_eq!(count(&store), before);
    store.verify(&a).unwrap();
}

/// The case the pending list exists for: a save that finds listed objects
/// present must not count on them, since a gc may remove them before the
/// save sets its ref. (Here it writes the same pack again, which renews it.)
#[test]
fn a_save_after_the_list_keeps_its_own_copies() {
    let Some(s3) = s3() else { return };
    let (store, _) = s3.store("p", Duration::ZERO);
    let mut fs = new_fs();
    let snap = tree(&mut fs, "same", 2, 10);
    let a = save(&store, &snap, &[]).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    // Unreferenced: the first gc lists all of it.
    let s = store.gc().unwrap();
    assert!(s.pending > 20, "{s:?}");
    // Another host saves the very same tree...
    let (host, requests) = s3.store("p", Duration::ZERO);
    let held = host.lock_shared().unwrap();
    let puts = requests.stats().puts;
    let again = save(&host, &snap, &[]).unwrap();
    assert_eq!(again, a);
    assert!(requests.stats().puts > puts, "the save wrote nothing");
    // ... the very same pack, which it renewed: before the save sets its
    // ref, the second gc leaves that pack alone.
    let s = store.gc().unwrap();
    assert_eq!(s.removed, 0, "{s:?}");
    host.set_ref("kept", &again).unwrap();
    drop(held);
    let (fresh, _) = s3.store("p", Duration::ZERO);
    fresh.verify(&again).unwrap();
    load(&fresh, &again).unwrap();
    // Now reachable: the next gc keeps it all.
    let s = store.gc().unwrap();
    assert_eq!(s.removed, 0, "{s:?}");
    fresh.verify(&again).unwrap();
}
