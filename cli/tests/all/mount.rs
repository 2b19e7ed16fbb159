//! `strata snapshot mount`: the FUSE view of a snapshot against a checkout of the same snapshot.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::{Env, out};

/// Exits with `status` at once: saving the tree it ran over is the point.
const NOOP: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 0))))"#;

/// Why mounting cannot be tried here, if it cannot.
fn no_fuse() -> Option<&'static str> {
    if !Path::new("/dev/fuse").exists() {
        return Some("/dev/fuse is missing");
    }
    let found = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("fusermount3").is_file()));
    if !found {
        return Some("fusermount3 is missing (Debian: apt-get install fuse3)");
    }
    None
}

/// Skips the calling test, saying why, where FUSE is unavailable.
macro_rules! require_fuse {
    () => {
        if let Some(why) = no_fuse() {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// Whether `dir` is a mount point now.
fn is_mounted(dir: &Path) -> bool {
    let dir = fs::canonicalize(dir).unwrap();
    let table = fs::read_to_string("/proc/self/mountinfo").unwrap();
    table
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(dir.to_str().unwrap()))
}

/// Unmounts `dir` with `fusermount3 -u`, asserting it worked.
fn unmount(dir: &Path) {
    let o = out(Command::new("fusermount3").arg("-u").arg(dir));
    assert_eq!(o.code, Some(0), "{o:#?}");
    assert!(!is_mounted(dir));
}

/// Unmounts on drop, so a failed assertion leaves no stale mount behind.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        if is_mounted(&self.0) {
            let _ = Command::new("fusermount3").arg("-uz").arg(&self.0).status();
        }
    }
}

/// A tree with nested directories, symlinks, hard links, an empty file, a
/// multi-chunk file with a hole, odd modes and old times, saved as `s`.
fn saved_tree(e: &Env) {
    let t = e.path("src");
    let mk = |p: &str| fs::create_dir_all(t.join(p)).unwrap();
    let put = |p: &str, data: &[u8]| fs::write(t.join(p), data).unwrap();
    mk("a/b/c/d");
    mk("tmp");
    mk("x");
    put("a/b/c/d/deep.txt", b"deep\n");
    put("empty", b"");
    // Pseudo-random bytes over several 64 KiB chunk windows.
    let mut big = Vec::with_capacity(300_000);
    let mut s = 0x2545_f491_4f6c_dd1du64;
    while big.len() < 300_000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        big.extend_from_slice(&s.to_le_bytes());
    }
    put("big.bin", &big);
    // A hole between two written ranges.
    let f = fs::File::create(t.join("sparse")).unwrap();
    f.write_all_at(b"start", 0).unwrap();
    f.write_all_at(b"end", 500_000).unwrap();
    drop(f);
    put("hard1", b"one file, two names\n");
    fs::hard_link(t.join("hard1"), t.join("a/hard2")).unwrap();
    put("a/b/h1", b"same directory\n");
    fs::hard_link(t.join("a/b/h1"), t.join("a/b/h2")).unwrap();
    std::os::unix::fs::symlink("a/b/c/d/deep.txt", t.join("link")).unwrap();
    std::os::unix::fs::symlink("../big.bin", t.join("a/up")).unwrap();
    std::os::unix::fs::symlink("nowhere", t.join("dangling")).unwrap();
    put("x/exec", b"#!/bin/sh\n");
    put("secret", b"s");
    put("ro", b"r");
    put("none", b"n");
    let old = SystemTime::UNIX_EPOCH + Duration::new(1_000_000_000, 123_456_789);
    let f = fs::File::options().write(true).open(t.join("ro")).unwrap();
    f.set_times(fs::FileTimes::new().set_accessed(old).set_modified(old))
        .unwrap();
    drop(f);
    for (p, mode) in [
        ("x/exec", 0o751),
        ("secret", 0o600),
        ("ro", 0o444),
        ("none", 0o000),
        ("tmp", 0o1777),
        ("a/b", 0o711),
        ("x", 0o750),
    ] {
        fs::set_permissions(t.join(p), fs::Permissions::from_mode(mode)).unwrap();
    }
    let noop = e.wat("noop.wasm", NOOP);
    out(e
        .cmd()
        .args(["run", "--dir"])
        .arg(format!("{}::/work", t.display()))
        .args(["--save", "s"])
        .arg(&noop))
    .ok();
}

/// What `stat` says of every path under `root` (relative path → fields),
/// and the paths of each inode, grouped.
fn stat_tree(root: &Path) -> (BTreeMap<String, String>, Vec<Vec<String>>) {
    let mut stats = BTreeMap::new();
    let mut inodes: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    let mut work = vec![root.to_path_buf()];
    while let Some(d) = work.pop() {
        for ent in fs::read_dir(&d).unwrap() {
            let p = ent.unwrap().path();
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
            let m = fs::symlink_metadata(&p).unwrap();
            let ft = m.file_type();
            let kind = if ft.is_dir() {
                work.push(p.clone());
                "dir".to_owned()
            } else if ft.is_symlink() {
                format!("symlink -> {}", fs::read_link(&p).unwrap().display())
            } else {
                "file".to_owned()
            };
            // Directory sizes and times depend on the host filesystem and on
            // being listed (relatime); everything else is as saved.
            let size_times = if ft.is_dir() {
                format!("mtime {}.{:09}", m.mtime(), m.mtime_nsec())
            } else {
                format!(
                    "size {} mtime {}.{:09} atime {}.{:09}",
                    m.size(),
                    m.mtime(),
                    m.mtime_nsec(),
                    m.atime(),
                    m.atime_nsec()
                )
            };
            // A symlink's permission bits say nothing (always 0777 on Linux).
            let mode = if ft.is_symlink() {
                0
            } else {
                m.mode() & 0o7777
            };
            stats.insert(
                rel.clone(),
                format!("{kind} mode {mode:o} nlink {} {size_times}", m.nlink()),
            );
            if !ft.is_dir() {
                inodes.entry(m.ino()).or_default().push(rel);
            }
        }
    }
    let mut groups: Vec<Vec<String>> = inodes
        .into_values()
        .map(|mut v| {
            v.sort();
            v
        })
        .collect();
    groups.sort();
    (stats, groups)
}

/// `find DIR` with the DIR prefix removed, sorted.
fn find(dir: &Path) -> Vec<String> {
    let o = Command::new("find").arg(dir).output().unwrap();
    assert!(o.status.success());
    let mut v: Vec<String> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| l.strip_prefix(dir.to_str().unwrap()).unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_mount_equals_a_checkout() {
    require_fuse!();
    let e = Env::new();
    saved_tree(&e);
    let co = e.path("co");
    e.snap(&["checkout", "s", co.to_str().unwrap()]).ok();
    let mnt = e.path("mnt");
    fs::create_dir(&mnt).unwrap();
    let o = e
        .snap(&["mount", "s", mnt.to_str().unwrap(), "--background"])
        .ok();
    let _guard = Mounted(mnt.clone());
    assert!(is_mounted(&mnt), "{o:#?}");
    let pid: u32 = o
        .stderr
        .split("(pid ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{o:#?}"));

    assert_eq!(find(&mnt), find(&co));
    // Before any file is read (reading moves atimes in the checkout).
    let (mount_stats, mount_links) = stat_tree(&mnt);
    let (co_stats, co_links) = stat_tree(&co);
    assert_eq!(mount_stats, co_stats);
    assert_eq!(mount_links, co_links);
    assert!(mount_links.contains(&vec!["a/hard2".to_owned(), "hard1".to_owned()]));
    assert!(mount_links.contains(&vec!["a/b/h1".to_owned(), "a/b/h2".to_owned()]));
    let root = fs::metadata(&mnt).unwrap();
    assert_eq!(
        root.mode() & 0o7777,
        fs::metadata(&co).unwrap().mode() & 0o7777
    );

    for (rel, s) in &co_stats {
        if s.starts_with("file") {
            let a = fs::read(mnt.join(rel)).unwrap();
            let b = fs::read(co.join(rel)).unwrap();
            assert!(a == b, "{rel}: contents differ");
        }
    }
    // A read from the middle, across chunk boundaries, and past the end.
    let big = fs::read(co.join("big.bin")).unwrap();
    let f = fs::File::open(mnt.join("big.bin")).unwrap();
    let mut buf = vec![0u8; 200_000];
    f.read_exact_at(&mut buf, 65_000).unwrap();
    assert!(buf == big[65_000..265_000]);
    assert_eq!(f.read_at(&mut buf, 300_000).unwrap(), 0);
    drop(f);
    let sparse = fs::read(mnt.join("sparse")).unwrap();
    assert_eq!(sparse.len(), 500_003);
    assert!(sparse[5..500_000].iter().all(|&b| b == 0));
    assert_eq!(fs::read_to_string(mnt.join("link")).unwrap(), "deep\n");

    // Every change is refused as on a read-only filesystem.
    let erofs = Some(30);
    let errno = |r: std::io::Result<()>| r.unwrap_err().raw_os_error();
    assert_eq!(errno(fs::write(mnt.join("new"), b"x")), erofs);
    assert_eq!(errno(fs::write(mnt.join("hard1"), b"x")), erofs);
    assert_eq!(errno(fs::create_dir(mnt.join("d"))), erofs);
    assert_eq!(errno(fs::remove_file(mnt.join("empty"))), erofs);
    assert_eq!(errno(fs::rename(mnt.join("empty"), mnt.join("e2"))), erofs);
    assert_eq!(
        errno(fs::set_permissions(
            mnt.join("empty"),
            fs::Permissions::from_mode(0o777)
        )),
        erofs
    );
    assert_eq!(
        fs::read(mnt.join("hard1")).unwrap(),
        b"one file, two names\n"
    );

    unmount(&mnt);
    // The background server exits once unmounted.
    let proc = PathBuf::from(format!("/proc/{pid}"));
    for _ in 0..200 {
        if !proc.exists() || fs::read_to_string(proc.join("stat")).is_ok_and(|s| s.contains(") Z "))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !proc.exists() || fs::read_to_string(proc.join("stat")).is_ok_and(|s| s.contains(") Z "))
    );
    assert_eq!(fs::read_dir(&mnt).unwrap().count(), 0);
}

#[test]
fn ctrl_c_unmounts_a_foreground_mount() {
    require_fuse!();
    let e = Env::new();
    saved_tree(&e);
    let mnt = e.path("mnt");
    fs::create_dir(&mnt).unwrap();
    let mut child = e
        .cmd()
        .args(["snapshot", "mount", "s"])
        .arg(&mnt)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _guard = Mounted(mnt.clone());
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("strata: serving `s` at"), "{line}");
    assert!(is_mounted(&mnt));
    assert_eq!(fs::read(mnt.join("empty")).unwrap(), b"");
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!is_mounted(&mnt));
}

#[test]
fn mount_errors_name_the_path() {
    require_fuse!();
    let e = Env::new();
    saved_tree(&e);
    let file = e.path("plain");
    fs::write(&file, b"").unwrap();
    e.snap(&["mount", "s", file.to_str().unwrap()])
        .fails(1, "not a directory");
    e.snap(&["mount", "s", file.to_str().unwrap(), "--background"])
        .fails(1, "not a directory");
    e.snap(&["mount", "nope", e.path("").to_str().unwrap()])
        .fails(1, "no snapshot named `nope`");
}
