//! Quotas and handle limits make a hostile guest harmless.

use strata_engine::{Config, Error, Fs};

use crate::common::*;

#[test]
fn byte_quota_gives_no_space_and_changes_nothing() {
    let mut fs = Fs::new(Config {
        max_bytes: 10_000,
        ..config()
    });
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, "f", &create()).unwrap();
    let chunk = [1u8; 1000];
    let mut written = 0;
    loop {
        match fs.write(&h, &[&chunk]) {
            Ok(n) => written += n,
            Err(Error::NoSpace) => break,
            Err(e) => panic!("{e}"),
        }
        assert!(written <= 10_000);
    }
    // The quota charges memory: the records of the root, the file and its
    // name, and the chunk buffers by capacity, so somewhat less than 10,000
    // bytes of data fit, and the refused write changed nothing.
    assert!(written > 5_000, "{written}");
    assert!(fs.charged_bytes() <= 10_000);
    assert_eq!(fs.stat(&h).unwrap().size, written as u64);
    // Freeing space makes room again.
    fs.set_len(&h, 0).unwrap();
    fs.seek(&h, strata_engine::SeekFrom::Start(0)).unwrap();
    fs.write(&h, &[&chunk]).unwrap();
    // Holes are free.
    let before = fs.charged_bytes();
    fs.set_len(&h, 1 << 40).unwrap();
    assert_eq!(fs.charged_bytes(), before);
    // Symlink targets are charged too.
    assert!(matches!(fs.symlink(&"x".repeat(4000), &root, "s"), Ok(())));
    assert!(matches!(
        fs.symlink(&"x".repeat(4000), &root, "t"),
        Err(Error::NoSpace)
    ));
    assert!(fs.charged_bytes() <= 10_000);
}

#[test]
fn inode_quota() {
    let mut fs = Fs::new(Config {
        max_inodes: 10,
        ..config()
    });
    let root = fs.open_root().unwrap();
    let mut made = 0;
    for i in 0..20 {
        match fs.mkdir(&root, &format!("d{i}"), 0o755) {
            Ok(()) => made += 1,
            Err(Error::NoSpace) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(made, 9, "the root counts too");
    fs.rmdir(&root, "d0").unwrap();
    fs.mkdir(&root, "again", 0o755).unwrap();
}

#[test]
fn open_handle_limit() {
    let mut fs = Fs::new(Config {
        max_open: 5,
        ..config()
    });
    let root = fs.open_root().unwrap();
    let mut handles = Vec::new();
    let err = loop {
        match fs.open(&root, &format!("f{}", handles.len()), &create()) {
            Ok(h) => handles.push(h),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::TooManyOpen));
    assert_eq!(handles.len(), 4, "the root handle counts too");
    // Nothing was created by the refused open.
    assert!(fs.stat_at(&root, "f4", false).is_err());
    fs.close(handles.pop().unwrap());
    assert!(fs.open(&root, "f4", &create()).is_ok());
}

#[test]
fn file_size_limit() {
    let mut fs = Fs::new(Config {
        max_file_size: 1 << 20,
        ..config()
    });
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, "f", &create()).unwrap();
    assert!(matches!(
        fs.pwrite(&h, &[b"x"], 1 << 20),
        Err(Error::TooBig)
    ));
    assert!(matches!(fs.set_len(&h, (1 << 20) + 1), Err(Error::TooBig)));
    assert!(matches!(
        fs.seek(&h, strata_engine::SeekFrom::Start(u64::MAX)),
        Err(Error::TooBig)
    ));
    assert!(fs.pwrite(&h, &[b"x"], (1 << 20) - 1).is_ok());
}

#[test]
fn path_limit_counts_the_terminating_nul() {
    // As PATH_MAX on Linux: 4095 bytes resolve, 4096 are ENAMETOOLONG (found
    // by the hostile_deep guest, where wasmtime-wasi said ENAMETOOLONG).
    let mut fs = Fs::new(config());
    let root = fs.open_root().unwrap();
    fs.mkdir(&root, "d", 0o755).unwrap();
    let path = |len: usize| {
        let mut p = "d".to_owned();
        while p.len() + 2 <= len {
            p.push_str("/.");
        }
        if p.len() < len {
            p.push('/');
        }
        assert_eq!(p.len(), len);
        p
    };
    assert!(fs.stat_at(&root, &path(4095), true).is_ok());
    assert!(matches!(
        fs.stat_at(&root, &path(4096), true),
        Err(Error::NameTooLong)
    ));
    assert!(fs.symlink(&"x".repeat(4095), &root, "s").is_ok());
    assert!(matches!(
        fs.symlink(&"x".repeat(4096), &root, "t"),
        Err(Error::NameTooLong)
    ));
}
