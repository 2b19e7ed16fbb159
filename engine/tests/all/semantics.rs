//! POSIX semantics of every operation, run on the standard tree in every layout.

use strata_engine::{Error, FdFlags, FileType, OpenOptions, SeekFrom, SetTime};

use crate::common::*;

#[test]
fn read_write_seek_across_layers() {
    each_layout(|e| {
        assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"hello");
        assert_eq!(read_file(&mut e.fs, &e.root, "link"), b"hello");
        let h = e.fs.open(&e.root, "d/f1", &rw()).unwrap();
        assert_eq!(e.fs.seek(&h, SeekFrom::End(0)).unwrap(), 5);
        e.fs.write(&h, &[b" ", b"there"]).unwrap();
        assert_eq!(e.fs.seek(&h, SeekFrom::Current(-5)).unwrap(), 6);
        let mut buf = [0u8; 3];
        assert_eq!(e.fs.read(&h, &mut buf).unwrap(), 3);
        assert_eq!(&buf, b"the");
        assert!(matches!(
            e.fs.seek(&h, SeekFrom::Current(-100)),
            Err(Error::Invalid(_))
        ));
        let mut a = [0u8; 2];
        let mut b = [0u8; 20];
        assert_eq!(e.fs.read_vectored(&h, &mut [&mut a, &mut b]).unwrap(), 2);
        assert_eq!(e.fs.pread(&h, &mut b, 0).unwrap(), 11);
        assert_eq!(&b[..11], b"hello there");
        e.fs.pwrite(&h, &[b"J"], 0).unwrap();
        e.fs.close(h);
        assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"Jello there");
    });
}

#[test]
fn write_only_open_of_existing_file_keeps_its_data() {
    // wasmer's overlay loses the lower data here.
    each_layout(|e| {
        let wo = OpenOptions {
            read: false,
            write: true,
            ..OpenOptions::default()
        };
        let h = e.fs.open(&e.root, "d/sub/f2", &wo).unwrap();
        e.fs.pwrite(&h, &[b"W"], 0).unwrap();
        let mut buf = [0u8; 1];
        assert!(matches!(e.fs.read(&h, &mut buf), Err(Error::BadHandle)));
        e.fs.close(h);
        assert_eq!(read_file(&mut e.fs, &e.root, "d/sub/f2"), b"World");
    });
}

#[test]
fn truncate_allocate_and_holes() {
    each_layout(|e| {
        let h = e.fs.open(&e.root, "d/f1", &rw()).unwrap();
        e.fs.set_len(&h, 2).unwrap();
        e.fs.set_len(&h, 6).unwrap();
        e.fs.seek(&h, SeekFrom::Start(10)).unwrap();
        e.fs.write(&h, &[b"x"]).unwrap();
        e.fs.allocate(&h, 0, 20).unwrap();
        e.fs.close(h);
        assert_eq!(
            read_file(&mut e.fs, &e.root, "d/f1"),
            b"he\0\0\0\0\0\0\0\0x\0\0\0\0\0\0\0\0\0"
        );
        let ro = e.fs.open(&e.root, "d/f1", &OpenOptions::default()).unwrap();
        assert!(matches!(e.fs.set_len(&ro, 0), Err(Error::Invalid(_))));
        e.fs.close(ro);
        let t =
            e.fs.open(
                &e.root,
                "d/f1",
                &OpenOptions {
                    truncate: true,
                    ..rw()
                },
            )
            .unwrap();
        assert_eq!(e.fs.stat(&t).unwrap().size, 0);
        e.fs.close(t);
    });
}

#[test]
fn create_exclusive_and_directory_flags() {
    each_layout(|e| {
        let excl = OpenOptions {
            exclusive: true,
            ..create()
        };
        assert!(matches!(
            e.fs.open(&e.root, "d/f1", &excl),
            Err(Error::Exists)
        ));
        assert!(matches!(
            e.fs.open(&e.root, "link", &excl),
            Err(Error::Exists)
        ));
        let h = e.fs.open(&e.root, "d/new", &excl).unwrap();
        e.fs.close(h);
        let dir = OpenOptions {
            directory: true,
            ..OpenOptions::default()
        };
        assert!(matches!(
            e.fs.open(&e.root, "d/f1", &dir),
            Err(Error::NotDir)
        ));
        assert!(matches!(e.fs.open(&e.root, "d", &rw()), Err(Error::IsDir)));
        assert!(matches!(
            e.fs.open(&e.root, "nope", &OpenOptions::default()),
            Err(Error::NotFound)
        ));
        assert!(matches!(
            e.fs.open(&e.root, "newdir/", &create()),
            Err(Error::IsDir)
        ));
        // O_CREAT through a dangling symlink creates its target; with O_EXCL it fails.
        e.fs.symlink("d/target", &e.root, "dangling").unwrap();
        assert!(matches!(
            e.fs.open(&e.root, "dangling", &excl),
            Err(Error::Exists)
        ));
        let h = e.fs.open(&e.root, "dangling", &create()).unwrap();
        e.fs.close(h);
        assert_eq!(
            e.fs.stat_at(&e.root, "d/target", false).unwrap().kind,
            FileType::File
        );
    });
}

#[test]
fn mkdir_rmdir_unlink_errors() {
    each_layout(|e| {
        assert!(matches!(
            e.fs.mkdir(&e.root, "d", 0o755),
            Err(Error::Exists)
        ));
        assert!(matches!(
            e.fs.mkdir(&e.root, "link", 0o755),
            Err(Error::Exists)
        ));
        e.fs.mkdir(&e.root, "n/", 0o700).unwrap();
        assert_eq!(e.fs.stat_at(&e.root, "n", false).unwrap().perm, 0o700);
        assert!(matches!(e.fs.rmdir(&e.root, "d"), Err(Error::NotEmpty)));
        assert!(matches!(e.fs.rmdir(&e.root, "top.txt"), Err(Error::NotDir)));
        assert!(matches!(e.fs.unlink(&e.root, "d"), Err(Error::IsDir)));
        assert!(matches!(
            e.fs.unlink(&e.root, "top.txt/"),
            Err(Error::NotDir)
        ));
        assert!(matches!(e.fs.rmdir(&e.root, "."), Err(Error::Invalid(_))));
        e.fs.rmdir(&e.root, "empty").unwrap();
        e.fs.unlink(&e.root, "link").unwrap();
        assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"hello");
        assert_eq!(list(&mut e.fs, &e.root, "."), ["d", "n", "top.txt"]);
    });
}

#[test]
fn rename_rules() {
    each_layout(|e| {
        // Over an existing file.
        e.fs.rename(&e.root, "top.txt", &e.root, "d/f1").unwrap();
        assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"top");
        // Directory with its subtree.
        e.fs.rename(&e.root, "d", &e.root, "e").unwrap();
        assert_eq!(read_file(&mut e.fs, &e.root, "e/sub/f2"), b"world");
        assert!(e.fs.stat_at(&e.root, "d", false).is_err());
        // Into its own subtree.
        assert!(matches!(
            e.fs.rename(&e.root, "e", &e.root, "e/sub/x"),
            Err(Error::Invalid(_))
        ));
        assert!(matches!(
            e.fs.rename(&e.root, "e", &e.root, "e/x"),
            Err(Error::Invalid(_))
        ));
        // Over a non-empty directory of its own subtree: EINVAL as POSIX and
        // Linux say, not ENOTEMPTY (found by the hostile_paths guest).
        assert!(matches!(
            e.fs.rename(&e.root, "e", &e.root, "e/sub"),
            Err(Error::Invalid(_))
        ));
        // Directory over a non-empty directory, a file over a directory and back.
        e.fs.mkdir(&e.root, "x", 0o755).unwrap();
        e.fs.mkdir(&e.root, "x/y", 0o755).unwrap();
        assert!(matches!(
            e.fs.rename(&e.root, "e", &e.root, "x"),
            Err(Error::NotEmpty)
        ));
        assert!(matches!(
            e.fs.rename(&e.root, "e/f1", &e.root, "x"),
            Err(Error::IsDir)
        ));
        assert!(matches!(
            e.fs.rename(&e.root, "x", &e.root, "e/f1"),
            Err(Error::NotDir)
        ));
        // Directory over an empty directory.
        e.fs.rename(&e.root, "e", &e.root, "empty").unwrap();
        assert_eq!(list(&mut e.fs, &e.root, "empty"), ["f1", "sub"]);
        // Two names of one file: nothing happens.
        e.fs.link(&e.root, "empty/f1", &e.root, "hard", false)
            .unwrap();
        e.fs.rename(&e.root, "hard", &e.root, "empty/f1").unwrap();
        assert!(e.fs.stat_at(&e.root, "hard", false).is_ok());
        assert!(matches!(
            e.fs.rename(&e.root, ".", &e.root, "z"),
            Err(Error::Busy)
        ));
    });
}

#[test]
fn failed_operations_change_nothing() {
    each_layout(|e| {
        let before = dump_with_times(&mut e.fs, &e.root);
        assert!(e.fs.rename(&e.root, "d", &e.root, "d/sub/z").is_err());
        assert!(e.fs.rmdir(&e.root, "d").is_err());
        assert!(e.fs.mkdir(&e.root, "d/f1/x", 0o755).is_err());
        assert!(e.fs.link(&e.root, "d", &e.root, "dl", false).is_err());
        assert_eq!(dump_with_times(&mut e.fs, &e.root), before);
    });
}

#[test]
fn hard_links_share_an_inode() {
    each_layout(|e| {
        e.fs.link(&e.root, "d/f1", &e.root, "h", false).unwrap();
        let a = e.fs.stat_at(&e.root, "d/f1", false).unwrap();
        let b = e.fs.stat_at(&e.root, "h", false).unwrap();
        assert_eq!((a.ino, a.nlink, b.nlink), (b.ino, 2, 2));
        write_file(&mut e.fs, &e.root, "h", b"via h");
        assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"via h");
        e.fs.unlink(&e.root, "d/f1").unwrap();
        assert_eq!(e.fs.stat_at(&e.root, "h", false).unwrap().nlink, 1);
        assert!(matches!(
            e.fs.link(&e.root, "d", &e.root, "dl", false),
            Err(Error::NotPermitted)
        ));
        assert!(matches!(
            e.fs.link(&e.root, "h", &e.root, "top.txt", false),
            Err(Error::Exists)
        ));
        // Without follow, a link to a symlink links the symlink itself.
        e.fs.link(&e.root, "link", &e.root, "l2", false).unwrap();
        assert_eq!(
            e.fs.stat_at(&e.root, "l2", false).unwrap().kind,
            FileType::Symlink
        );
        e.fs.link(&e.root, "link", &e.root, "l3", true).unwrap_err();
    });
}

#[test]
fn unlinked_open_file_lives_until_last_close() {
    each_layout(|e| {
        let h = e.fs.open(&e.root, "d/f1", &rw()).unwrap();
        let dup = h.clone();
        e.fs.unlink(&e.root, "d/f1").unwrap();
        assert!(e.fs.stat_at(&e.root, "d/f1", false).is_err());
        e.fs.write(&h, &[b"HE"]).unwrap();
        let mut buf = [0u8; 5];
        assert_eq!(e.fs.pread(&dup, &mut buf, 0).unwrap(), 5);
        assert_eq!(&buf, b"HEllo");
        assert_eq!(e.fs.stat(&h).unwrap().nlink, 0);
        // Closing every handle frees it; a fork of a snapshot taken while it was
        // open (a fork has no handles) does not keep it either.
        let snap = e.fs.snapshot();
        let bytes_open = e.fs.upper_bytes();
        e.fs.close(dup);
        assert!(e.fs.pread(&h, &mut buf, 0).is_ok());
        e.fs.close(h);
        assert!(e.fs.upper_bytes() < bytes_open);
        assert_eq!(
            strata_engine::Fs::from_snapshot(&snap).upper_bytes(),
            e.fs.upper_bytes()
        );
    });
}

#[test]
fn handles_share_descriptions_and_data() {
    each_layout(|e| {
        let a = e.fs.open(&e.root, "d/f1", &rw()).unwrap();
        let dup = a.clone();
        let b = e.fs.open(&e.root, "d/f1", &rw()).unwrap();
        e.fs.seek(&a, SeekFrom::Start(3)).unwrap();
        assert_eq!(dup.borrow().offset(), 3);
        assert_eq!(b.borrow().offset(), 0);
        let flags = FdFlags {
            append: true,
            ..FdFlags::default()
        };
        e.fs.set_flags(&dup, flags).unwrap();
        assert!(a.borrow().flags().append);
        assert!(!b.borrow().flags().append);
        // Append writes at the end every time, even after another handle grew the file.
        e.fs.write(&a, &[b"1"]).unwrap();
        e.fs.pwrite(&b, &[b"2222222"], 0).unwrap();
        e.fs.write(&a, &[b"3"]).unwrap();
        let mut buf = [0u8; 16];
        let n = e.fs.pread(&b, &mut buf, 0).unwrap();
        // "hello1" after the first append, overwritten by b, then "3" appended.
        assert_eq!(&buf[..n], b"22222223");
        e.fs.close(a);
        e.fs.close(dup);
        e.fs.close(b);
    });
}

#[test]
fn times_and_permissions() {
    each_layout(|e| {
        e.fs.set_times_at(
            &e.root,
            "d/f1",
            true,
            SetTime::At(1_000),
            SetTime::At(2_000),
        )
        .unwrap();
        let s = e.fs.stat_at(&e.root, "d/f1", true).unwrap();
        assert_eq!((s.atime, s.mtime), (1_000, 2_000));
        e.fs.set_times_at(&e.root, "d/f1", true, SetTime::Omit, SetTime::Now)
            .unwrap();
        let t = e.fs.stat_at(&e.root, "d/f1", true).unwrap();
        assert_eq!(t.atime, 1_000);
        assert!(t.mtime > 2_000 && t.ctime >= t.mtime);
        let h = e.fs.open(&e.root, "d/f1", &rw()).unwrap();
        e.fs.write(&h, &[b"x"]).unwrap();
        assert!(e.fs.stat(&h).unwrap().mtime > t.mtime);
        e.fs.close(h);
        e.fs.set_perm_at(&e.root, "d/f1", true, 0o600).unwrap();
        assert_eq!(e.fs.stat_at(&e.root, "link", true).unwrap().perm, 0o600);
        // Creating an entry updates the directory's mtime.
        let before = e.fs.stat_at(&e.root, "d", true).unwrap().mtime;
        e.fs.mkdir(&e.root, "d/new", 0o755).unwrap();
        assert_ne!(e.fs.stat_at(&e.root, "d", true).unwrap().mtime, before);
    });
}

#[test]
fn deterministic_clock_gives_identical_trees() {
    let run = |layout| {
        let mut e = env(layout);
        e.fs.mkdir(&e.root, "out", 0o755).unwrap();
        write_file(&mut e.fs, &e.root, "out/a", b"a");
        e.fs.rename(&e.root, "d", &e.root, "out/d").unwrap();
        e.fs.unlink(&e.root, "top.txt").unwrap();
        dump_with_times(&mut e.fs, &e.root)
    };
    for layout in [Layout::Upper, Layout::Frozen] {
        assert_eq!(run(layout), run(layout));
    }
    // The lower layout's host times differ per run; everything else must match.
    let strip = |m: std::collections::BTreeMap<String, String>| m.into_keys().collect::<Vec<_>>();
    assert_eq!(strip(run(Layout::Lower)), strip(run(Layout::Lower)));
}

#[test]
fn read_only_filesystem_refuses_changes() {
    let mut cfg = config();
    cfg.read_only = true;
    let mut e = env_with(Layout::Lower, cfg);
    assert!(matches!(
        e.fs.mkdir(&e.root, "x", 0o755),
        Err(Error::ReadOnly)
    ));
    assert!(matches!(
        e.fs.open(&e.root, "d/f1", &rw()),
        Err(Error::ReadOnly)
    ));
    assert!(matches!(
        e.fs.unlink(&e.root, "top.txt"),
        Err(Error::ReadOnly)
    ));
    assert_eq!(read_file(&mut e.fs, &e.root, "d/f1"), b"hello");
}
