//! A hostile lower tree never yields anything outside it.

use std::sync::Arc;

use strata_engine::{Config, Error, Fs, HostLower, OpenOptions};

use crate::common::*;

/// A lower root inside a parent that holds a canary file the guest must never read.
fn hostile() -> (tempfile::TempDir, Fs, strata_engine::Handle) {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("canary"), b"SECRET").unwrap();
    let root = outer.path().join("root");
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::write(root.join("sub/ok"), b"ok").unwrap();
    let ln = |target: &str, at: &str| std::os::unix::fs::symlink(target, root.join(at)).unwrap();
    ln("/etc/passwd", "abs");
    ln("../canary", "up");
    ln("../../canary", "sub/up2");
    ln("..", "sub/deeper/parent");
    ln("../../..", "sub/deeper/way_up");
    ln("/", "slash");
    ln("loop_b", "loop_a");
    ln("loop_a", "loop_b");
    ln("self", "self");
    ln("ok", "sub/rel_ok");
    ln("sub/deeper/way_up/canary", "chain");
    let mut fs = Fs::with_lower(Arc::new(HostLower::open(&root).unwrap()), config()).unwrap();
    let h = fs.open_root().unwrap();
    (outer, fs, h)
}

#[test]
fn hostile_symlinks_are_escapes_or_loops() {
    let (_t, mut fs, root) = hostile();
    let ro = OpenOptions::default();
    for p in [
        "abs",
        "up",
        "sub/up2",
        "sub/deeper/way_up",
        "slash",
        "chain",
        "slash/etc/passwd",
        "sub/deeper/way_up/canary",
    ] {
        assert!(matches!(fs.open(&root, p, &ro), Err(Error::Escape)), "{p}");
        assert!(
            matches!(fs.stat_at(&root, p, true), Err(Error::Escape)),
            "{p}"
        );
    }
    for p in ["loop_a", "self", "loop_a/x"] {
        assert!(matches!(fs.open(&root, p, &ro), Err(Error::Loop)), "{p}");
    }
    // Not following the final symlink is fine: it is only a name.
    assert!(fs.stat_at(&root, "up", false).is_ok());
    assert_eq!(fs.readlink(&root, "up").unwrap(), "../canary");
    // Symlinks that stay inside work.
    assert_eq!(read_file(&mut fs, &root, "sub/rel_ok"), b"ok");
    assert_eq!(read_file(&mut fs, &root, "sub/deeper/parent/ok"), b"ok");
}

#[test]
fn dotdot_and_absolute_paths_are_escapes() {
    let (_t, mut fs, root) = hostile();
    let ro = OpenOptions::default();
    for p in [
        "..",
        "../canary",
        "sub/../../canary",
        "/etc/passwd",
        "/",
        "sub/deeper/../../../canary",
    ] {
        assert!(matches!(fs.open(&root, p, &ro), Err(Error::Escape)), "{p}");
    }
    // A directory handle is a boundary too (capability semantics).
    let sub = fs
        .open(
            &root,
            "sub",
            &OpenOptions {
                directory: true,
                ..ro
            },
        )
        .unwrap();
    assert!(matches!(
        fs.open(&sub, "../sub/ok", &ro),
        Err(Error::Escape)
    ));
    assert_eq!(
        fs.stat_at(&sub, "deeper/..", true).unwrap().ino,
        fs.stat_at(&root, "sub", true).unwrap().ino
    );
    // Creating through an escaping symlink fails as well; nothing lands outside.
    let create = OpenOptions {
        write: true,
        create: true,
        ..ro
    };
    assert!(matches!(fs.open(&root, "up", &create), Err(Error::Escape)));
    assert!(fs.symlink("../canary", &root, "newlink").is_ok());
    assert!(matches!(
        fs.open(&root, "newlink", &create),
        Err(Error::Escape)
    ));
}

#[test]
fn canary_is_never_reached_by_any_path_in_the_tree() {
    // Walk every name reachable from the root with symlinks followed, and read
    // every file: no content may equal the canary's.
    let (_t, mut fs, root) = hostile();
    let mut stack = vec![String::new()];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        let path = if dir.is_empty() {
            ".".to_string()
        } else {
            dir.clone()
        };
        let Ok(h) = fs.open(
            &root,
            &path,
            &OpenOptions {
                directory: true,
                ..OpenOptions::default()
            },
        ) else {
            continue;
        };
        let names = names(&fs, &h);
        fs.close(h);
        for n in names.into_iter().filter(|n| n != "." && n != "..") {
            let p = if dir.is_empty() {
                n
            } else {
                format!("{dir}/{n}")
            };
            seen += 1;
            if p.matches('/').count() > 6 {
                continue;
            }
            match fs.stat_at(&root, &p, true) {
                Ok(s) if s.kind == strata_engine::FileType::Dir => stack.push(p),
                Ok(_) => assert_ne!(read_file(&mut fs, &root, &p), b"SECRET", "{p}"),
                Err(_) => {}
            }
        }
    }
    assert!(seen > 10);
}

#[test]
fn path_limits() {
    let (_t, mut fs, root) = hostile();
    let ro = OpenOptions::default();
    assert!(matches!(
        fs.open(&root, &"x".repeat(256), &ro),
        Err(Error::NameTooLong)
    ));
    assert!(matches!(
        fs.open(&root, &"x".repeat(255), &ro),
        Err(Error::NotFound)
    ));
    assert!(matches!(
        fs.open(&root, "a\0b", &ro),
        Err(Error::InvalidName)
    ));
    assert!(matches!(fs.open(&root, "", &ro), Err(Error::NotFound)));
    let long = "sub/".repeat(2000);
    assert!(matches!(
        fs.open(&root, &long, &ro),
        Err(Error::NameTooLong)
    ));
    assert!(matches!(fs.open(&root, "sub/ok/", &ro), Err(Error::NotDir)));
    assert!(matches!(
        fs.open(&root, "sub/ok/x", &ro),
        Err(Error::NotDir)
    ));
    let nofollow = OpenOptions {
        nofollow: true,
        ..ro
    };
    assert!(matches!(
        fs.open(&root, "sub/rel_ok", &nofollow),
        Err(Error::Loop)
    ));
    // A trailing slash follows even with O_NOFOLLOW: `parent/` is the directory.
    assert!(
        fs.open(
            &root,
            "sub/deeper/parent/",
            &OpenOptions {
                directory: true,
                ..nofollow
            }
        )
        .is_ok()
    );
}

#[test]
fn symlink_expansion_limit_is_configurable() {
    let t = tempfile::tempdir().unwrap();
    for i in 0..50 {
        std::os::unix::fs::symlink(format!("l{}", i + 1), t.path().join(format!("l{i}"))).unwrap();
    }
    std::fs::write(t.path().join("l50"), b"end").unwrap();
    let cfg = Config {
        max_symlinks: 40,
        ..config()
    };
    let mut fs = Fs::with_lower(Arc::new(HostLower::open(t.path()).unwrap()), cfg).unwrap();
    let root = fs.open_root().unwrap();
    assert!(matches!(
        fs.open(&root, "l0", &OpenOptions::default()),
        Err(Error::Loop)
    ));
    assert_eq!(read_file(&mut fs, &root, "l10"), b"end");
}
