//! readdir: `.` and `..`, merged name order, stable cookies, linear paging.

use std::collections::BTreeSet;

use strata_engine::{FileType, Fs, OpenOptions};

use crate::common::*;

/// Lists `dir` in pages of at most `page` entries, calling `between` after each
/// page; returns the names in the order they came.
fn paged(
    fs: &mut Fs,
    dir: &strata_engine::Handle,
    page: usize,
    mut between: impl FnMut(&mut Fs),
) -> Vec<String> {
    let mut out = Vec::new();
    let mut cookie = 0;
    loop {
        let mut got = Vec::new();
        fs.readdir(dir, cookie, &mut |e| {
            got.push((e.name.to_string(), e.next));
            got.len() < page
        })
        .unwrap();
        if got.is_empty() {
            return out;
        }
        cookie = got.last().unwrap().1;
        out.extend(got.into_iter().map(|(n, _)| n));
        between(fs);
    }
}

#[test]
fn dot_entries_and_merged_order() {
    each_layout(|e| {
        write_file(&mut e.fs, &e.root, "d/aaa", b"");
        write_file(&mut e.fs, &e.root, "d/zzz", b"");
        let h =
            e.fs.open(
                &e.root,
                "d",
                &OpenOptions {
                    directory: true,
                    ..OpenOptions::default()
                },
            )
            .unwrap();
        let mut entries = Vec::new();
        e.fs.readdir(&h, 0, &mut |d| {
            entries.push((d.name.to_string(), d.kind, d.ino));
            true
        })
        .unwrap();
        let names: Vec<_> = entries.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(names, [".", "..", "aaa", "f1", "sub", "zzz"]);
        assert_eq!(entries[0].2, e.fs.stat_at(&e.root, "d", true).unwrap().ino);
        assert_eq!(entries[1].2, e.fs.stat_at(&e.root, ".", true).unwrap().ino);
        assert_eq!(entries[4].1, FileType::Dir);
        assert_eq!(
            entries[3].2,
            e.fs.stat_at(&e.root, "d/f1", true).unwrap().ino
        );
        e.fs.close(h);
    });
}

#[test]
fn cookies_survive_changes_during_listing() {
    each_layout(|e| {
        e.fs.mkdir(&e.root, "big", 0o755).unwrap();
        for i in 0..300 {
            write_file(&mut e.fs, &e.root, &format!("big/f{i:03}"), b"");
        }
        let h =
            e.fs.open(
                &e.root,
                "big",
                &OpenOptions {
                    directory: true,
                    ..OpenOptions::default()
                },
            )
            .unwrap();
        let root = e.root.clone();
        let mut step = 0;
        let got = paged(&mut e.fs, &h, 7, |fs| {
            // Between pages: delete a name not yet listed, add names before and after.
            step += 1;
            let _ = fs.unlink(&root, &format!("big/f{:03}", 299 - step));
            write_file(fs, &root, &format!("big/a{step:03}"), b"");
            write_file(fs, &root, &format!("big/g{step:03}"), b"");
        });
        let unique: BTreeSet<_> = got.iter().cloned().collect();
        assert_eq!(unique.len(), got.len(), "an entry came twice");
        // Every entry that existed for the whole listing appears.
        for i in 0..(299 - step) {
            assert!(unique.contains(&format!("f{i:03}")), "f{i:03} skipped");
        }
        assert!(
            got.windows(2)
                .all(|w| w[0] < w[1] || w[0] == ".." || w[0] == ".")
        );
        e.fs.close(h);
    });
}

#[test]
fn rewind_keeps_old_cookies_meaningful() {
    let mut e = env(Layout::Mixed);
    let h =
        e.fs.open(
            &e.root,
            "d",
            &OpenOptions {
                directory: true,
                ..OpenOptions::default()
            },
        )
        .unwrap();
    let mut cookies = Vec::new();
    e.fs.readdir(&h, 0, &mut |d| {
        cookies.push((d.name.to_string(), d.next));
        true
    })
    .unwrap();
    // Resume after `f1` (telldir/seekdir), after a rewind.
    let after_f1 = cookies.iter().find(|c| c.0 == "f1").unwrap().1;
    let mut again = Vec::new();
    e.fs.readdir(&h, 0, &mut |_| false).unwrap();
    e.fs.readdir(&h, after_f1, &mut |d| {
        again.push(d.name.to_string());
        true
    })
    .unwrap();
    assert_eq!(again, ["sub"]);
    // A cookie never handed out is past the end: nothing more to list.
    let mut more = 0;
    e.fs.readdir(&h, 9_999, &mut |_| {
        more += 1;
        true
    })
    .unwrap();
    assert_eq!(more, 0);
    e.fs.close(h);
}

#[test]
fn readdir_on_a_file_fails() {
    let mut e = env(Layout::Upper);
    let h =
        e.fs.open(&e.root, "top.txt", &OpenOptions::default())
            .unwrap();
    assert!(matches!(
        e.fs.readdir(&h, 0, &mut |_| true),
        Err(strata_engine::Error::NotDir)
    ));
    e.fs.close(h);
}

#[test]
fn large_lower_directory_pages_completely() {
    let t = tempfile::tempdir().unwrap();
    for i in 0..2000 {
        std::fs::write(t.path().join(format!("n{i:05}")), b"").unwrap();
    }
    let mut fs = Fs::with_lower(
        std::sync::Arc::new(strata_engine::HostLower::open(t.path()).unwrap()),
        config(),
    )
    .unwrap();
    let root = fs.open_root().unwrap();
    write_file(&mut fs, &root, "n00500x", b"");
    fs.unlink(&root, "n01000").unwrap();
    let got = paged(&mut fs, &root.clone(), 13, |_| {});
    assert_eq!(got.len(), 2 + 2000);
    assert!(got.contains(&"n00500x".to_string()) && !got.contains(&"n01000".to_string()));
}
