//! One test per overlay rule, over a host lower layer.

use std::sync::Arc;

use strata_engine::{Error, FileType, Fs, HostLower, OpenOptions};

use crate::common::*;

fn lower_env() -> Env {
    env(Layout::Lower)
}

#[test]
fn upper_entry_shadows_lower() {
    let mut e = lower_env();
    write_file(&mut e.fs, &e.root, "d/f1", b"upper");
    assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"upper");
    let host = e._host.as_ref().unwrap().path();
    assert_eq!(
        std::fs::read(host.join("d/f1")).unwrap(),
        b"hello",
        "host untouched"
    );
}

#[test]
fn whiteout_hides_lower_name() {
    let mut e = lower_env();
    e.fs.unlink(&e.root, "d/f1").unwrap();
    assert!(matches!(
        e.fs.stat_at(&e.root, "d/f1", false),
        Err(Error::NotFound)
    ));
    assert_eq!(list(&mut e.fs, &e.root, "d"), ["sub"]);
    // Recreating the name shows the new file only.
    write_file(&mut e.fs, &e.root, "d/f1", b"new");
    assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"new");
}

#[test]
fn upper_non_directory_hides_lower_subtree() {
    let mut e = lower_env();
    e.fs.rename(&e.root, "top.txt", &e.root, "empty")
        .unwrap_err();
    e.fs.unlink(&e.root, "d/sub/f2").unwrap();
    e.fs.rmdir(&e.root, "d/sub").unwrap();
    write_file(&mut e.fs, &e.root, "d/sub", b"now a file");
    assert!(matches!(
        e.fs.stat_at(&e.root, "d/sub/f2", false),
        Err(Error::NotDir)
    ));
    assert_eq!(
        e.fs.stat_at(&e.root, "d/sub", false).unwrap().kind,
        FileType::File
    );
}

#[test]
fn directories_merge() {
    let mut e = lower_env();
    write_file(&mut e.fs, &e.root, "d/upper.txt", b"u");
    assert_eq!(list(&mut e.fs, &e.root, "d"), ["f1", "sub", "upper.txt"]);
}

#[test]
fn rmdir_needs_merged_emptiness() {
    let mut e = lower_env();
    assert!(matches!(e.fs.rmdir(&e.root, "d/sub"), Err(Error::NotEmpty)));
    e.fs.unlink(&e.root, "d/sub/f2").unwrap();
    e.fs.rmdir(&e.root, "d/sub").unwrap();
    assert_eq!(list(&mut e.fs, &e.root, "d"), ["f1"]);
}

#[test]
fn recreated_lower_directory_is_opaque() {
    // wasmer's overlay resurrects the old children here.
    let mut e = lower_env();
    e.fs.unlink(&e.root, "d/sub/f2").unwrap();
    e.fs.rmdir(&e.root, "d/sub").unwrap();
    e.fs.mkdir(&e.root, "d/sub", 0o755).unwrap();
    assert!(list(&mut e.fs, &e.root, "d/sub").is_empty());
    assert!(e.fs.stat_at(&e.root, "d/sub/f2", false).is_err());
    // Also through a snapshot round trip and a fork.
    let snap = e.fs.snapshot();
    let mut f = Fs::from_snapshot(&snap);
    let r = f.open_root().unwrap();
    assert!(list(&mut f, &r, "d/sub").is_empty());
}

#[test]
fn rename_lower_directory_keeps_subtree() {
    // wasmer cannot rename a lower directory at all (EXDEV-like failure).
    let mut e = lower_env();
    e.fs.rename(&e.root, "d", &e.root, "moved").unwrap();
    assert_eq!(read_file(&mut e.fs, &e.root, "moved/sub/f2"), b"world");
    assert_eq!(list(&mut e.fs, &e.root, "moved"), ["f1", "sub"]);
    assert!(!list(&mut e.fs, &e.root, ".").contains(&"d".to_string()));
    // A new `d` does not see the old contents.
    e.fs.mkdir(&e.root, "d", 0o755).unwrap();
    assert!(list(&mut e.fs, &e.root, "d").is_empty());
    // Moving it deeper and changing inside it still works.
    e.fs.rename(&e.root, "moved", &e.root, "d/deeper").unwrap();
    write_file(&mut e.fs, &e.root, "d/deeper/sub/new", b"n");
    assert_eq!(list(&mut e.fs, &e.root, "d/deeper/sub"), ["f2", "new"]);
    let s = e.fs.stat_at(&e.root, "d/deeper/sub/..", true).unwrap();
    assert_eq!(s.ino, e.fs.stat_at(&e.root, "d/deeper", true).unwrap().ino);
}

#[test]
fn whiteout_names_are_ordinary_names() {
    let mut e = lower_env();
    write_file(&mut e.fs, &e.root, ".wh.f1", b"not a whiteout");
    e.fs.unlink(&e.root, "d/f1").unwrap();
    assert_eq!(read_file(&mut e.fs, &e.root, ".wh.f1"), b"not a whiteout");
    let names = list(&mut e.fs, &e.root, ".");
    assert!(names.contains(&".wh.f1".to_string()));
    assert!(names.iter().all(|n| !n.starts_with(".wh..wh")));
}

#[test]
fn copy_up_keeps_metadata_and_identity() {
    let mut e = lower_env();
    let before = e.fs.stat_at(&e.root, "d/f1", false).unwrap();
    let h = e.fs.open(&e.root, "d/f1", &OpenOptions::default()).unwrap();
    e.fs.set_perm_at(&e.root, "d/f1", false, 0o600).unwrap();
    let after = e.fs.stat_at(&e.root, "d/f1", false).unwrap();
    assert_eq!(
        (after.ino, after.mtime, after.size),
        (before.ino, before.mtime, before.size)
    );
    assert_eq!(after.perm, 0o600);
    // A handle opened before the copy-up sees writes made after it.
    write_file(&mut e.fs, &e.root, "d/f1", b"changed");
    let mut buf = [0u8; 7];
    assert_eq!(e.fs.pread(&h, &mut buf, 0).unwrap(), 7);
    assert_eq!(&buf, b"changed");
    e.fs.close(h);
}

#[test]
fn lower_hard_links_keep_identity_after_copy_up() {
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("a"), b"shared").unwrap();
    std::fs::hard_link(t.path().join("a"), t.path().join("b")).unwrap();
    let mut fs = Fs::with_lower(Arc::new(HostLower::open(t.path()).unwrap()), config()).unwrap();
    let root = fs.open_root().unwrap();
    let (a, b) = (
        fs.stat_at(&root, "a", false).unwrap(),
        fs.stat_at(&root, "b", false).unwrap(),
    );
    assert_eq!((a.ino, a.nlink), (b.ino, 2));
    let h = fs.open(&root, "a", &rw()).unwrap();
    fs.pwrite(&h, &[b"S"], 0).unwrap();
    fs.close(h);
    assert_eq!(read_file(&mut fs, &root, "b"), b"Shared");
    fs.unlink(&root, "a").unwrap();
    assert_eq!(fs.stat_at(&root, "b", false).unwrap().nlink, 1);
}

#[test]
fn small_write_into_huge_lower_file_is_lazy() {
    let t = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(t.path().join("big")).unwrap();
    f.set_len(1 << 30).unwrap();
    let mut fs = Fs::with_lower(Arc::new(HostLower::open(t.path()).unwrap()), config()).unwrap();
    let root = fs.open_root().unwrap();
    let wo = OpenOptions {
        read: false,
        write: true,
        ..OpenOptions::default()
    };
    let h = fs.open(&root, "big", &wo).unwrap();
    fs.pwrite(&h, &[&[7u8; 4096]], 512 << 20).unwrap();
    fs.close(h);
    assert_eq!(fs.snapshot().upper_bytes(), 4096);
    let s = fs.stat_at(&root, "big", false).unwrap();
    assert_eq!(s.size, 1 << 30);
    let r = fs.open(&root, "big", &OpenOptions::default()).unwrap();
    let mut buf = [1u8; 8];
    fs.pread(&r, &mut buf, (512 << 20) - 4).unwrap();
    assert_eq!(buf, [0, 0, 0, 0, 7, 7, 7, 7]);
    fs.close(r);
}

#[test]
fn lower_metadata_is_cached() {
    let e = lower_env();
    let first = e.fs.stat_at(&e.root, "d/sub/f2", false).unwrap();
    let host = e._host.as_ref().unwrap().path().to_path_buf();
    std::fs::write(host.join("d/sub/f2"), b"changed behind our back").unwrap();
    // The cached size stays; the layer is a read-only image by contract.
    assert_eq!(
        e.fs.stat_at(&e.root, "d/sub/f2", false).unwrap().size,
        first.size
    );
}

#[test]
fn lower_inode_numbers_are_deterministic_and_unique() {
    let a = lower_env();
    let b = lower_env();
    let paths = ["d", "d/f1", "d/sub", "d/sub/f2", "top.txt", "link", "empty"];
    let mut seen = std::collections::HashSet::new();
    for p in paths {
        let x = a.fs.stat_at(&a.root, p, false).unwrap().ino;
        assert_eq!(x, b.fs.stat_at(&b.root, p, false).unwrap().ino, "{p}");
        assert!(seen.insert(x), "{p} reuses an inode number");
    }
    let mut e = lower_env();
    write_file(&mut e.fs, &e.root, "fresh", b"");
    assert!(seen.insert(e.fs.stat_at(&e.root, "fresh", false).unwrap().ino));
}

#[test]
fn small_lower_file_contents_are_read_from_the_host_once() {
    let mut e = lower_env();
    assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"hello");
    let host = e._host.as_ref().unwrap().path().to_path_buf();
    // The layer is a read-only image by contract: a second read (or a fork's)
    // is served from the shared cache, not from the host.
    std::fs::write(host.join("d/f1"), b"HELLO").unwrap();
    assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"hello");
    let mut fork = Fs::from_snapshot(&e.fs.snapshot());
    let root = fork.open_root().unwrap();
    assert_eq!(read_file(&mut fork, &root, "d/f1"), b"hello");
}

#[test]
fn reading_the_lower_tree_leaves_host_access_times_alone() {
    // Regression: a first `--deterministic --save` over a host directory saved
    // different access times than the second, because our own reads moved the
    // host's atimes (relatime updates an atime that is not newer than mtime).
    use std::fs::{File, FileTimes};
    use std::time::{Duration, SystemTime};
    let host = host_tree();
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let newer = old + Duration::from_secs(60);
    let times = FileTimes::new().set_accessed(old).set_modified(newer);
    for p in ["d/f1", "d"] {
        File::open(host.path().join(p))
            .unwrap()
            .set_times(times)
            .unwrap();
    }
    let atime = |p: &str| {
        std::fs::metadata(host.path().join(p))
            .unwrap()
            .accessed()
            .unwrap()
    };
    let lower = Arc::new(HostLower::open(host.path()).unwrap());
    let mut fs = Fs::with_lower(lower, config()).unwrap();
    let root = fs.open_root().unwrap();
    assert_eq!(read_file(&mut fs, &root, "d/f1"), b"hello");
    assert_eq!(list(&mut fs, &root, "d"), ["f1", "sub"]);
    assert_eq!(atime("d/f1"), old, "file atime moved by reading it");
    assert_eq!(atime("d"), old, "directory atime moved by listing it");
}
