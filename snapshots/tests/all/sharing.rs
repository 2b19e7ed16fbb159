//! One store shared by several users at once (issue 10): the lock protocol,
//! compare-and-swap of refs, gc's grace for live temporary files, gc on a
//! full disk.

use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use strata_snapshots::{Error, MemBackend, Store, save};

use crate::common::*;

/// A snapshot with `n` files of distinct content.
fn tree(tag: &str, n: usize) -> strata_engine::Snapshot {
    let mut fs = new_fs();
    for i in 0..n {
        write(
            &mut fs,
            &format!("f{i}"),
            0,
            format!("{tag} {i}\n").as_bytes(),
        );
    }
    fs.snapshot()
}

#[test]
fn compare_and_set_ref_fails_on_a_changed_ref() {
    let dir = tempfile::tempdir().unwrap();
    for store in [
        Store::open(dir.path()).unwrap(),
        Store::with_backend(MemBackend::new()),
    ] {
        let a = save(&store, &tree("a", 1), &[]).unwrap();
        let b = save(&store, &tree("b", 1), &[]).unwrap();
        // Absent as expected: set.
        store.compare_and_set_ref("r", None, &a).unwrap();
        // Expected absent, but it exists: nothing changes.
        match store.compare_and_set_ref("r", None, &b) {
            Err(Error::RefChanged {
                name,
                expected: None,
                found: Some(f),
            }) => assert_eq!((name.as_str(), f), ("r", a)),
            other => panic!("{other:?}"),
        }
        // Expected the wrong value.
        assert!(matches!(
            store.compare_and_set_ref("r", Some(&b), &b),
            Err(Error::RefChanged { .. })
        ));
        assert_eq!(store.get_ref("r").unwrap(), a);
        // Expected the right value: set.
        store.compare_and_set_ref("r", Some(&a), &b).unwrap();
        assert_eq!(store.get_ref("r").unwrap(), b);
        // Removed meanwhile: the expectation no longer holds.
        store.remove_ref("r").unwrap();
        let e = store.compare_and_set_ref("r", Some(&b), &a).unwrap_err();
        assert!(e.to_string().contains("changed meanwhile"), "{e}");
        assert!(matches!(store.get_ref("r"), Err(Error::NoSuchRef(_))));
    }
}

/// Threads of one process, each with its own store value, race on one ref
/// with compare-and-swap: every increment lands exactly once.
#[test]
fn compare_and_set_ref_loses_no_update_between_store_values() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let states: Vec<_> = (0..=40)
        .map(|i| save(&store, &tree(&format!("s{i}"), 1), &[]).unwrap())
        .collect();
    store.set_ref("n", &states[0]).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mine = Store::open(dir.path()).unwrap();
                let mut done = 0;
                while done < 10 {
                    let cur = mine.get_ref("n").unwrap();
                    let i = states.iter().position(|h| *h == cur).unwrap();
                    match mine.compare_and_set_ref("n", Some(&cur), &states[i + 1]) {
                        Ok(()) => done += 1,
                        Err(Error::RefChanged { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
    });
    assert_eq!(store.get_ref("n").unwrap(), states[40]);
}

/// A save that finds every object present already (they are unreferenced:
/// its ref was removed) writes nothing; a gc marking at that moment sees no
/// ref to them. The protocol makes the gc wait for the save's shared lock
/// and mark again: nothing is lost.
#[test]
fn gc_waits_for_a_save_holding_the_lock_and_keeps_what_it_dedups() {
    let dir = tempfile::tempdir().unwrap();
    let saver = Store::open(dir.path()).unwrap();
    let snap = tree("dedup", 20);
    let h = save(&saver, &snap, &[]).unwrap();
    saver.set_ref("old", &h).unwrap();
    saver.remove_ref("old").unwrap();

    let held = saver.lock_shared().unwrap();
    // Everything is present: the save writes nothing new.
    assert_eq!(save(&saver, &snap, &[]).unwrap(), h);

    let (tx, rx) = mpsc::channel();
    let gc = std::thread::spawn({
        let dir = dir.path().to_owned();
        move || {
            let collector = Store::open(&dir).unwrap();
            collector.on_lock_wait(move |path| {
                let _ = tx.send(path.to_owned());
            });
            collector.gc().unwrap()
        }
    });
    // The gc has marked (no ref yet) and waits for the exclusive lock.
    let waited_on = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    assert_eq!(waited_on, dir.path().join("lock"));
    saver.set_ref("new", &h).unwrap();
    drop(held);
    let stats = gc.join().unwrap();
    assert_eq!(stats.removed, 0, "{stats:?}");
    let fresh = Store::open(dir.path()).unwrap();
    assert!(fresh.verify(&h).unwrap() > 20);
}

/// A gc in another store value deletes packs this one knew; taking the lock
/// again notices, and a save then writes what is gone instead of trusting
/// its stale knowledge.
#[test]
fn a_gc_elsewhere_invalidates_what_a_store_value_knows() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open(dir.path()).unwrap();
    let snap = tree("gone", 5);
    let mut saver = strata_snapshots::Saver::new();
    {
        let _held = a.lock_shared().unwrap();
        saver.save(&a, &snap, &[]).unwrap();
    }
    // Unreferenced: another process's gc removes it.
    let b = Store::open(dir.path()).unwrap();
    let stats = b.gc().unwrap();
    assert!(stats.removed > 0, "{stats:?}");
    let _held = a.lock_shared().unwrap();
    let h = saver.save(&a, &snap, &[]).unwrap();
    a.set_ref("kept", &h).unwrap();
    Store::open(dir.path()).unwrap().verify(&h).unwrap();
}

/// A temporary pack a writer still has open survives a gc (its writer holds
/// it locked), even one older than the gc; a dead writer's is removed.
#[test]
fn gc_leaves_a_live_writers_temp_files_and_removes_dead_ones() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Store::open(dir.path()).unwrap();
    // A pack in progress: its temporary file exists from the first object.
    let mut batch = writer.batch();
    batch.put_chunk(b"in progress").unwrap();
    let temps = |d: &str| -> Vec<String> {
        std::fs::read_dir(dir.path().join(d))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with(".tmp-"))
            .collect()
    };
    let live = temps("packs");
    assert_eq!(live.len(), 1, "{live:?}");
    // A dead writer's leftover, from before the gc.
    let stale = dir.path().join("packs/.tmp-999999999-0");
    std::fs::write(&stale, b"partial").unwrap();
    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    // The temp file is older than the gc too: only its lock protects it.
    let stats = Store::open(dir.path()).unwrap().gc().unwrap();
    assert_eq!(stats.temp_removed, 1, "{stats:?}");
    assert!(!stale.exists());
    assert_eq!(temps("packs"), live);
    batch.finish().unwrap();
    assert!(temps("packs").is_empty());
}

/// On a full disk, gc first removes what frees space (a pack of dead
/// objects), and when the write it needs then fails, the store is whole.
#[test]
fn gc_on_a_full_disk_frees_space_first_and_damages_nothing() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let a = save(&store, &tree("a", 3), &[]).unwrap();
    let b = save(&store, &tree("b", 3), &[]).unwrap();
    let c = save(&store, &tree("c", 3), &[]).unwrap();
    store.set_ref("a", &a).unwrap();
    store.set_ref("c", &c).unwrap();
    let packs = |b: &MemBackend| b.files().keys().filter(|k| k.starts_with("packs/")).count();
    assert_eq!(packs(&backend), 3);
    // No write succeeds from now on; merging the small packs of a and c
    // needs one.
    backend.fail_from(Some(backend.writes() + 1));
    let e = store.gc().unwrap_err();
    assert!(e.to_string().contains("injected write failure"), "{e}");
    // b's pack (nothing in it is live) is gone; a's and c's are intact.
    assert_eq!(packs(&backend), 2);
    assert!(!store.contains(&b).unwrap());
    store.verify(&a).unwrap();
    store.verify(&c).unwrap();
    backend.fail_from(None);
    store.gc().unwrap();
    assert_eq!(packs(&backend), 1);
    store.verify(&a).unwrap();
    store.verify(&c).unwrap();
}
