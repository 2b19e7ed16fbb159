//! The byte quota charges host memory, not just file data: hostile patterns
//! that cost the host far more than the bytes they write stop at the quota,
//! and several filesystems sharing a total stop at the total (issue 10).

use std::sync::Arc;

use strata_engine::{Budget, CHUNK_SIZE, Config, Error, Fs, HostLower};
use tempfile::TempDir;

use crate::common::*;

const QUOTA: u64 = 1 << 20;

fn quota(max_bytes: u64) -> Config {
    Config {
        max_bytes,
        ..config()
    }
}

#[test]
fn hard_links_with_long_names_stop_at_the_quota() {
    // Issue 10: links cost no inode and their names were not charged, so 3 M
    // links with 240-byte names took 1 GiB of host memory, unstopped.
    let mut fs = Fs::new(quota(QUOTA));
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, "target", &create()).unwrap();
    fs.close(h);
    let base = fs.charged_bytes();
    let mut links = 0u64;
    let err = loop {
        let name = format!("{links:0>240}");
        match fs.link(&root, "target", &root, &name, false) {
            Ok(()) => links += 1,
            Err(e) => break e,
        }
        assert!(links < 100_000, "links never stopped");
    };
    assert!(matches!(err, Error::NoSpace), "{err}");
    assert!(fs.charged_bytes() <= QUOTA);
    // Each link is charged at least its name and a map slot.
    let per_link = (fs.charged_bytes() - base) / links;
    assert!(per_link > 240 + 32, "{per_link} bytes per link");
    assert!(links > QUOTA / 1024, "only {links} links fit");
    assert_eq!(fs.stat_at(&root, "target", false).unwrap().nlink, links + 1);
    // Removing a link makes room for one more.
    fs.unlink(&root, &format!("{:0>240}", 0)).unwrap();
    fs.link(&root, "target", &root, "again", false).unwrap();
}

#[test]
fn one_byte_writes_every_chunk_stop_at_the_quota() {
    // Issue 10: a 1-byte pwrite every 4 KiB charged 1 byte for ~125 bytes of
    // host memory (a chunk record and its table slot), so a 64 MiB quota let
    // a guest reach 6 GB.
    let mut fs = Fs::new(quota(QUOTA));
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, "sparse", &create()).unwrap();
    let mut writes = 0u64;
    let err = loop {
        match fs.pwrite(&h, &[b"x"], writes * CHUNK_SIZE) {
            Ok(_) => writes += 1,
            Err(e) => break e,
        }
        assert!(writes < 1_000_000, "writes never stopped");
    };
    assert!(matches!(err, Error::NoSpace), "{err}");
    assert!(fs.charged_bytes() <= QUOTA);
    assert_eq!(fs.upper_bytes(), writes);
    // Each stored chunk is charged its record, not its one byte.
    assert!(
        writes < QUOTA / 100,
        "{writes} one-byte chunks fit in {QUOTA}"
    );
    // Truncating gives the charge back.
    fs.set_len(&h, 0).unwrap();
    assert!(fs.charged_bytes() < 4096);
    fs.pwrite(&h, &[b"x"], 77 * CHUNK_SIZE).unwrap();
}

#[test]
fn directories_and_symlinks_are_charged() {
    let mut fs = Fs::new(Config {
        max_inodes: u64::MAX,
        ..quota(QUOTA)
    });
    let root = fs.open_root().unwrap();
    let mut dirs = 0u64;
    while fs.mkdir(&root, &format!("d{dirs}"), 0o755).is_ok() {
        dirs += 1;
    }
    assert!(fs.charged_bytes() <= QUOTA);
    assert!(
        dirs < QUOTA / 256,
        "{dirs} empty directories fit in {QUOTA}"
    );
    for i in 0..dirs {
        fs.rmdir(&root, &format!("d{i}")).unwrap();
    }
    let mut links = 0u64;
    let target = "t".repeat(4000);
    while fs.symlink(&target, &root, &format!("s{links}")).is_ok() {
        links += 1;
    }
    assert!(links <= QUOTA / 4000);
    assert!(fs.charged_bytes() <= QUOTA);
}

#[test]
fn removing_everything_returns_every_charged_byte() {
    // The charge is kept incrementally: after a mix of operations undone, it
    // must be back where it started, or it drifts.
    let mut fs = Fs::new(config());
    let root = fs.open_root().unwrap();
    let empty = fs.charged_bytes();
    fs.mkdir(&root, "d", 0o755).unwrap();
    let h = fs.open(&root, "d/f", &create()).unwrap();
    fs.pwrite(&h, &[&[7u8; 10_000]], 0).unwrap();
    fs.pwrite(&h, &[b"y"], 50 * CHUNK_SIZE).unwrap();
    for i in 0..3000u64 {
        fs.pwrite(&h, &[b"z"], 10_000 + i).unwrap();
    }
    let snap = fs.snapshot();
    // Writes to chunks a snapshot shares copy them: charged once here.
    fs.pwrite(&h, &[b"w"], 5).unwrap();
    drop(snap);
    fs.set_len(&h, 6000).unwrap();
    fs.link(&root, "d/f", &root, "link", false).unwrap();
    fs.symlink("d/f", &root, "d/s").unwrap();
    fs.rename(&root, "d/s", &root, "s2").unwrap();
    fs.rename(&root, "link", &root, "s2").unwrap();
    fs.close(h);
    fs.unlink(&root, "s2").unwrap();
    fs.unlink(&root, "d/f").unwrap();
    fs.rmdir(&root, "d").unwrap();
    assert_eq!(fs.charged_bytes(), empty);
    assert_eq!(fs.upper_bytes(), 0);
}

/// A filesystem over a host directory holding `files` (name, content).
fn lower_fs(files: &[(&str, &str)]) -> (TempDir, Fs) {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let lower = HostLower::open(dir.path()).unwrap();
    let fs = Fs::with_lower(Arc::new(lower), config()).unwrap();
    (dir, fs)
}

#[test]
fn whiteouts_are_charged_and_returned() {
    let (_tmp, mut fs) = lower_fs(&[("a", "x"), ("b", "y")]);
    let root = fs.open_root().unwrap();
    let start = fs.charged_bytes();
    fs.unlink(&root, "a").unwrap();
    let one = fs.charged_bytes();
    assert!(one > start, "a whiteout costs memory");
    fs.rename(&root, "b", &root, "c").unwrap();
    fs.unlink(&root, "c").unwrap();
    // Recreating a whited-out name reuses the entry.
    let h = fs.open(&root, "a", &create()).unwrap();
    fs.close(h);
    fs.unlink(&root, "a").unwrap();
    assert!(fs.charged_bytes() >= one);
}

/// Writes 4 KiB blocks into a new file until the write fails; returns the
/// bytes written and the error.
fn fill(fs: &mut Fs, name: &str) -> (u64, Error) {
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, name, &create()).unwrap();
    let block = [3u8; 4096];
    let mut written = 0;
    loop {
        match fs.write(&h, &[&block]) {
            Ok(n) => written += n as u64,
            Err(e) => {
                fs.close(h);
                fs.close(root);
                return (written, e);
            }
        }
    }
}

#[test]
fn mounts_sharing_a_total_stop_at_the_total() {
    // Issue 10: four in-memory mounts each filled to its own quota held four
    // quotas' worth. With a shared total they hold the total together.
    let total = Arc::new(Budget::new(QUOTA));
    let config = Config {
        total: Some(total.clone()),
        ..quota(QUOTA)
    };
    let mut mounts: Vec<Fs> = (0..4).map(|_| Fs::new(config.clone())).collect();
    let mut data = 0;
    for fs in &mut mounts {
        let (written, err) = fill(fs, "fill");
        assert!(matches!(err, Error::NoSpace), "{err}");
        data += written;
    }
    assert!(data <= QUOTA, "{data} bytes of data in four mounts");
    assert!(data > QUOTA * 9 / 10, "only {data} bytes fit");
    let charged: u64 = mounts.iter().map(Fs::charged_bytes).sum();
    assert_eq!(total.used(), charged);
    assert!(total.used() <= QUOTA);
    // The last mounts got nothing: the first ones took the total.
    assert_eq!(mounts[3].upper_bytes(), 0);
    // Dropping a filesystem returns its charge to the others.
    let first = mounts.remove(0);
    let freed = first.charged_bytes();
    drop(first);
    assert_eq!(total.used(), charged - freed);
    let (written, _) = fill(&mut mounts[2], "more");
    assert!(
        written > freed / 2,
        "{written} of {freed} freed bytes reused"
    );
}

#[test]
fn forks_and_restores_count_their_whole_tree_once() {
    let total = Arc::new(Budget::new(64 << 20));
    let mut fs = Fs::new(Config {
        total: Some(total.clone()),
        ..config()
    });
    let (written, _) = {
        let root = fs.open_root().unwrap();
        let h = fs.open(&root, "f", &create()).unwrap();
        let n = fs.write(&h, &[&[1u8; 100_000]]).unwrap();
        fs.close(h);
        (n, ())
    };
    assert_eq!(written, 100_000);
    let size = fs.charged_bytes();
    assert_eq!(total.used(), size);
    let snap = fs.snapshot();
    // A snapshot is a value the embedder holds: it counts against nothing.
    assert_eq!(total.used(), size);
    assert_eq!(snap.charged_bytes(), size);
    // A fork keeps the whole tree alive once the others are gone: it counts
    // all of it, once.
    let fork = Fs::from_snapshot(&snap);
    assert_eq!(fork.charged_bytes(), size);
    assert_eq!(total.used(), 2 * size);
    drop(fork);
    assert_eq!(total.used(), size);
    // Restoring swaps the charge for the restored tree's.
    let root = fs.open_root().unwrap();
    fs.unlink(&root, "f").unwrap();
    let emptied = fs.charged_bytes();
    assert!(emptied < size);
    assert_eq!(total.used(), emptied);
    fs.restore(&snap);
    assert_eq!(total.used(), size);
    drop(fs);
    assert_eq!(total.used(), 0);
}

/// Issue 16: an operation that fails part-way leaves nothing behind. Rename
/// copies up both parents and then the object itself; with room for only two
/// more inodes the third copy-up fails, and the two before it are undone with
/// their charges (here and in the shared total).
#[test]
fn failed_operations_undo_their_copy_ups_and_charges() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::create_dir(dir.path().join("e")).unwrap();
    std::fs::write(dir.path().join("d/f"), "lower").unwrap();
    let lower = HostLower::open(dir.path()).unwrap();
    let total = Arc::new(Budget::new(1 << 30));
    let limited = Config {
        max_inodes: 3,
        total: Some(total.clone()),
        ..config()
    };
    let mut fs = Fs::with_lower(Arc::new(lower), limited).unwrap();
    let root = fs.open_root().unwrap();
    let (inodes, charged, used) = (fs.upper_inodes(), fs.charged_bytes(), total.used());
    assert_eq!(inodes, 1, "only the root has an upper record");
    assert!(matches!(
        fs.rename(&root, "d/f", &root, "e/g"),
        Err(Error::NoSpace)
    ));
    assert_eq!(
        fs.upper_inodes(),
        inodes,
        "a failed rename left copy-ups behind"
    );
    assert_eq!(fs.charged_bytes(), charged);
    assert_eq!(total.used(), used);
    // The same for link: both copy-ups (of `e` and `d/f`) fit exactly, the
    // new name does not. A probe measures what the two copy-ups cost.
    let open = |max_bytes| {
        let lower = HostLower::open(dir.path()).unwrap();
        let config = Config {
            max_bytes,
            ..config()
        };
        Fs::with_lower(Arc::new(lower), config).unwrap()
    };
    let mut probe = open(u64::MAX);
    let probe_root = probe.open_root().unwrap();
    probe.set_perm_at(&probe_root, "e", false, 0o755).unwrap();
    probe.set_perm_at(&probe_root, "d/f", false, 0o644).unwrap();
    let after_copy_ups = probe.charged_bytes();
    probe.close(probe_root);
    let mut fs2 = open(after_copy_ups);
    let root2 = fs2.open_root().unwrap();
    let charged = fs2.charged_bytes();
    assert!(matches!(
        fs2.link(&root2, "d/f", &root2, "e/g", false),
        Err(Error::NoSpace)
    ));
    assert_eq!(fs2.upper_inodes(), 1, "a failed link left copy-ups behind");
    assert_eq!(fs2.charged_bytes(), charged);
    // A data operation: a write past the largest file size fails after the
    // lower file was copied up, and the copy-up is taken back.
    let f = fs2.open(&root2, "d/f", &rw()).unwrap();
    assert!(matches!(
        fs2.pwrite(&f, &[b"x"], u64::MAX / 2),
        Err(Error::TooBig)
    ));
    assert_eq!(
        fs2.upper_inodes(),
        1,
        "a failed write left its copy-up behind"
    );
    assert_eq!(fs2.charged_bytes(), charged);
    fs2.close(f);
    // Nothing changed in the view either: the source is where it was.
    assert!(fs.stat_at(&root, "d/f", false).is_ok());
    assert!(fs.stat_at(&root, "e/g", false).is_err());
    fs.close(root);
    fs2.close(root2);
}
