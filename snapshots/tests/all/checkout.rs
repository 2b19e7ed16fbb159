//! `checkout`: a snapshot written into a host directory, compared with the engine's tree; refusal, overwrite, atomicity, changes only.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use strata_engine::FileType;
use strata_snapshots::checkout::{CheckoutError, CheckoutOptions, checkout};
use strata_snapshots::format;
use strata_snapshots::{Hash, Kind, MemBackend, NoProgress, Saver, Store, save};

use crate::common::{Desc, dump, new_fs, sample, set_meta, write};

/// The host tree under `root` described like `common::dump`.
pub(crate) fn host_dump(root: &Path) -> BTreeMap<String, Desc> {
    let mut paths = Vec::new();
    let mut work = vec![String::new()];
    while let Some(p) = work.pop() {
        let full = if p.is_empty() {
            root.to_owned()
        } else {
            root.join(&p)
        };
        paths.push(p.clone());
        if fs::symlink_metadata(&full).unwrap().is_dir() {
            for e in fs::read_dir(&full).unwrap() {
                let name = e.unwrap().file_name().into_string().unwrap();
                work.push(if p.is_empty() {
                    name
                } else {
                    format!("{p}/{name}")
                });
            }
        }
    }
    paths.sort();
    // All metadata first: reading a file's content moves its atime.
    let metas: Vec<(String, fs::Metadata)> = paths
        .into_iter()
        .map(|p| {
            let full = root.join(&p);
            let m = fs::symlink_metadata(if p.is_empty() { root } else { &full }).unwrap();
            (p, m)
        })
        .collect();
    let mut first: BTreeMap<u64, String> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (p, m) in metas {
        let full = root.join(&p);
        let kind = if m.is_dir() {
            FileType::Dir
        } else if m.file_type().is_symlink() {
            FileType::Symlink
        } else {
            FileType::File
        };
        let identity = if kind == FileType::Dir {
            p.clone()
        } else {
            first.entry(m.ino()).or_insert_with(|| p.clone()).clone()
        };
        let content = match kind {
            FileType::File => fs::read(&full).unwrap(),
            FileType::Symlink => fs::read_link(&full)
                .unwrap()
                .into_os_string()
                .into_encoded_bytes(),
            FileType::Dir => Vec::new(),
        };
        let ns = |s: i64, n: i64| (s as u64) * 1_000_000_000 + n as u64;
        out.insert(
            p,
            Desc {
                kind,
                // Symlink permissions are not settable on Linux.
                perm: if kind == FileType::Symlink {
                    0
                } else {
                    m.mode() & 0o7777
                },
                // Listing a directory moves its atime.
                atime: if kind == FileType::Dir {
                    0
                } else {
                    ns(m.atime(), m.atime_nsec())
                },
                mtime: ns(m.mtime(), m.mtime_nsec()),
                size: if kind == FileType::Dir { 0 } else { m.size() },
                nlink: if kind == FileType::Dir { 0 } else { m.nlink() },
                content,
                identity,
            },
        );
    }
    out
}

pub(crate) fn engine_view(snap: &strata_engine::Snapshot) -> BTreeMap<String, Desc> {
    let mut d = dump(snap);
    for x in d.values_mut() {
        if x.kind == FileType::Symlink {
            x.perm = 0;
        }
        if x.kind == FileType::Dir {
            x.atime = 0;
            x.size = 0;
            x.nlink = 0;
        }
    }
    d
}

fn opts(overwrite: bool, changes_only: bool) -> CheckoutOptions {
    CheckoutOptions {
        overwrite,
        changes_only,
        // These tests compare permissions exactly (the sample has a setuid file).
        keep_setid: true,
    }
}

#[test]
fn checkout_writes_the_tree_exactly() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    // A large hole, to see it stays one on the host.
    write(&mut fs, "holey", 8 << 20, b"end");
    set_meta(&mut fs, "holey", 0o444, 1_000_000_123, 2_000_000_456);
    set_meta(&mut fs, ".", 0o751, 77, 88);
    let snap = fs.snapshot();
    let h = save(&store, &snap, &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let stats = checkout(&store, &h, &dest, opts(false, false), &NoProgress).unwrap();
    assert_eq!(host_dump(&dest), engine_view(&snap));
    assert_eq!(stats.hard_links, 2);
    assert_eq!(stats.symlinks, 1);
    let m = fs::metadata(dest.join("holey")).unwrap();
    assert_eq!(m.len(), (8 << 20) + 3);
    assert!(
        m.blocks() * 512 < 1 << 20,
        "{} blocks: the hole was written",
        m.blocks()
    );
    // Only the destination was created beside it.
    let siblings: Vec<_> = fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(siblings.len(), 1);
}

#[test]
fn an_existing_destination_is_refused_unless_overwrite() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let snap = fs.snapshot();
    let h = save(&store, &snap, &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("precious"), "keep").unwrap();
    let err = checkout(&store, &h, &dest, opts(false, false), &NoProgress).unwrap_err();
    assert!(matches!(err, CheckoutError::DestinationExists(_)), "{err}");
    assert_eq!(fs::read(dest.join("precious")).unwrap(), b"keep");
    // An existing plain file is refused too.
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    assert!(matches!(
        checkout(&store, &h, &file, opts(false, false), &NoProgress),
        Err(CheckoutError::DestinationExists(_))
    ));
    // An empty directory is fine.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    checkout(&store, &h, &empty, opts(false, false), &NoProgress).unwrap();
    assert_eq!(host_dump(&empty), engine_view(&snap));
    // Overwrite replaces the old tree entirely.
    checkout(&store, &h, &dest, opts(true, false), &NoProgress).unwrap();
    assert_eq!(host_dump(&dest), engine_view(&snap));
    checkout(&store, &h, &file, opts(true, false), &NoProgress).unwrap();
    assert_eq!(host_dump(&file), engine_view(&snap));
    // Nothing else is left beside them.
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["empty", "file", "out"]);
}

/// A copy of snapshot `h` (every object reachable from it) into a new store,
/// leaving out object `skip`.
fn copy_without(from: &Store, h: Hash, skip: Hash) -> Store {
    let to = Store::with_backend(MemBackend::new());
    let mut work = vec![(Kind::Manifest, h)];
    while let Some((kind, hash)) = work.pop() {
        if hash == skip {
            continue;
        }
        let bytes = from.get(&hash, kind).unwrap();
        work.extend(format::children(&bytes, kind, hash).unwrap());
        to.put(&bytes).unwrap();
    }
    to
}

#[test]
fn a_failed_checkout_leaves_nothing() {
    let full = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    write(&mut fs, "zz-last", 0, b"the chunk that goes missing");
    let h = save(&full, &fs.snapshot(), &[]).unwrap();
    // The chunk of the last file written goes missing, so the checkout fails late.
    let chunk = Hash::of(&format::encode_chunk(b"the chunk that goes missing"));
    let store = copy_without(&full, h, chunk);
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("out");
    let err = checkout(&store, &h, &dest, opts(false, false), &NoProgress).unwrap_err();
    assert!(
        matches!(
            err,
            CheckoutError::Snapshot(strata_snapshots::Error::Missing { .. })
        ),
        "{err}"
    );
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    // With overwrite, the old tree survives a failure.
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("old"), "old").unwrap();
    assert!(checkout(&store, &h, &dest, opts(true, false), &NoProgress).is_err());
    assert_eq!(fs::read(dest.join("old")).unwrap(), b"old");
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
}

#[test]
fn changes_only_writes_what_changed_since_the_parent_with_whiteouts() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let mut saver = Saver::new();
    saver.save(&store, &fs.snapshot(), &[]).unwrap();
    let root = fs.open_root().unwrap();
    fs.unlink(&root, "etc/hello.txt").unwrap();
    fs.unlink(&root, "zeros").unwrap();
    fs.close(root);
    write(&mut fs, "etc/added", 0, b"added");
    let h = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("layer");
    let stats = checkout(&store, &h, &dest, opts(false, true), &NoProgress).unwrap();
    let got: Vec<String> = host_dump(&dest).into_keys().collect();
    assert_eq!(
        got,
        ["", ".wh.zeros", "etc", "etc/.wh.hello.txt", "etc/added"]
    );
    assert_eq!(stats.whiteouts, 2);
    assert_eq!(fs::read(dest.join("etc/added")).unwrap(), b"added");
    assert_eq!(fs::metadata(dest.join(".wh.zeros")).unwrap().len(), 0);
}
