//! Snapshots: O(1) values, indistinguishable restores, forks across threads.

use std::sync::Arc;

use strata_engine::{FrozenLower, Fs, Snapshot};

use crate::common::*;

#[test]
fn restore_is_indistinguishable() {
    each_layout(|e| {
        let before = dump_with_times(&mut e.fs, &e.root);
        let snap = e.fs.snapshot();
        write_file(&mut e.fs, &e.root, "d/f1", b"changed");
        e.fs.rename(&e.root, "d", &e.root, "x").unwrap();
        e.fs.unlink(&e.root, "top.txt").unwrap();
        e.fs.mkdir(&e.root, "new", 0o755).unwrap();
        assert_ne!(dump_with_times(&mut e.fs, &e.root), before);
        let after = e.fs.snapshot();
        e.fs.restore(&snap);
        assert_eq!(dump_with_times(&mut e.fs, &e.root), before);
        // And forward again.
        e.fs.restore(&after);
        assert_eq!(read_file(&mut e.fs, &e.root, "x/f1"), b"changed");
    });
}

#[test]
fn snapshot_is_unaffected_by_later_writes() {
    each_layout(|e| {
        let snap = e.fs.snapshot();
        let h = e.fs.open(&e.root, "d/f1", &rw()).unwrap();
        for i in 0..100u8 {
            e.fs.pwrite(&h, &[&[i; 10_000]], u64::from(i) * 100)
                .unwrap();
        }
        e.fs.close(h);
        let mut fork = Fs::from_snapshot(&snap);
        let r = fork.open_root().unwrap();
        assert_eq!(read_file(&mut fork, &r, "d/f1"), b"hello");
    });
}

#[test]
fn many_threads_fork_one_snapshot() {
    let mut e = env(Layout::Mixed);
    write_file(&mut e.fs, &e.root, "seed", b"0");
    let snap: Snapshot = e.fs.snapshot();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let snap = snap.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let mut fs = Fs::from_snapshot(&snap);
                    let root = fs.open_root().unwrap();
                    assert_eq!(read_file(&mut fs, &root, "seed"), b"0");
                    assert_eq!(read_file(&mut fs, &root, "d/sub/f2"), b"world");
                    write_file(&mut fs, &root, "seed", format!("{t}-{i}").as_bytes());
                    write_file(&mut fs, &root, "d/f1", b"mine");
                    fs.unlink(&root, "d/sub/f2").unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut fs = Fs::from_snapshot(&snap);
    let root = fs.open_root().unwrap();
    assert_eq!(read_file(&mut fs, &root, "d/sub/f2"), b"world");
}

#[test]
fn snapshot_as_lower_layer_stacks() {
    let mut e = env(Layout::Mixed);
    write_file(&mut e.fs, &e.root, "layer1", b"one");
    let l1 = e.fs.snapshot();
    let mut fs2 = Fs::with_lower(Arc::new(FrozenLower::new(l1.clone())), config()).unwrap();
    let r2 = fs2.open_root().unwrap();
    fs2.unlink(&r2, "d/f1").unwrap();
    write_file(&mut fs2, &r2, "layer2", b"two");
    let l2 = fs2.snapshot();
    let mut fs3 = Fs::with_lower(Arc::new(FrozenLower::new(l2)), config()).unwrap();
    let r3 = fs3.open_root().unwrap();
    assert_eq!(list(&mut fs3, &r3, "d"), ["sub"]);
    assert_eq!(read_file(&mut fs3, &r3, "layer1"), b"one");
    assert_eq!(read_file(&mut fs3, &r3, "layer2"), b"two");
    // New inodes never collide with the layers below.
    write_file(&mut fs3, &r3, "layer3", b"3");
    let inos: std::collections::HashSet<_> =
        ["layer1", "layer2", "layer3", "d", "d/sub", "top.txt"]
            .iter()
            .map(|p| fs3.stat_at(&r3, p, false).unwrap().ino)
            .collect();
    assert_eq!(inos.len(), 6);
    // The bottom layer is untouched.
    let mut f1 = Fs::from_snapshot(&l1);
    let r1 = f1.open_root().unwrap();
    assert_eq!(read_file(&mut f1, &r1, "d/f1"), b"hello");
}

#[test]
fn changed_since_follows_the_change() {
    let mut fs = Fs::new(config());
    let root = fs.open_root().unwrap();
    for i in 0..2000 {
        write_file(&mut fs, &root, &format!("f{i}"), b"x");
    }
    let a = fs.snapshot();
    write_file(&mut fs, &root, "f7", b"changed");
    let b = fs.snapshot();
    let changed = b.changed_since(&a);
    let f7 = fs.stat_at(&root, "f7", false).unwrap().ino;
    assert!(changed.contains(&f7));
    assert!(changed.len() <= 2, "{changed:?}");
}

#[test]
fn snapshot_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Snapshot>();
}

#[test]
fn a_handle_works_only_with_the_filesystem_that_opened_it() {
    each_layout(|e| {
        let h = e.fs.open(&e.root, "d/f1", &rw()).unwrap();
        let d =
            e.fs.open(&e.root, "d", &strata_engine::OpenOptions::default())
                .unwrap();
        let mut fork = Fs::from_snapshot(&e.fs.snapshot());
        let bad = |r: Result<(), strata_engine::Error>| {
            assert!(matches!(r, Err(strata_engine::Error::BadHandle)), "{r:?}")
        };
        let mut buf = [0u8; 4];
        bad(fork.read(&h, &mut buf).map(drop));
        bad(fork.pread(&h, &mut buf, 0).map(drop));
        bad(fork.write(&h, &[b"x"]).map(drop));
        bad(fork.pwrite(&h, &[b"x"], 0).map(drop));
        bad(fork.seek(&h, strata_engine::SeekFrom::Start(1)).map(drop));
        bad(fork.set_len(&h, 0));
        bad(fork.stat(&h).map(drop));
        bad(fork.sync(&h));
        bad(fork.open(&e.root, "d/f1", &rw()).map(drop));
        bad(fork.stat_at(&d, "f1", true).map(drop));
        bad(fork.mkdir(&e.root, "new", 0o755));
        bad(fork.readdir(&d, 0, &mut |_| true));
        // Closing a foreign handle releases nothing of the fork's.
        fork.close(e.root.clone());
        // The handles still work where they were opened, and nothing changed.
        assert_eq!(
            e.fs.seek(&h, strata_engine::SeekFrom::Current(0)).unwrap(),
            0
        );
        assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"hello");
        let r = fork.open_root().unwrap();
        assert_eq!(read_file(&mut fork, &r, "d/f1"), b"hello");
        assert_eq!(
            list(&mut fork, &r, "d").len(),
            list(&mut e.fs, &e.root, "d").len()
        );
        e.fs.close(h);
        e.fs.close(d);
    });
}
