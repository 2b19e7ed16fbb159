//! OCI layer export and import: whiteouts over a host lower, round trips, determinism, hostile archives.

use std::collections::BTreeMap;
use std::fs as hostfs;
use std::io::Read;
use std::sync::Arc;

use strata_engine::{Config, FrozenLower, Fs, HostLower, OpenOptions, Snapshot, VirtualClock};
use strata_snapshots::oci::{self, ImportOptions, OciError, SpecialFiles};
use strata_snapshots::{MemBackend, NoProgress, Store, read_manifest, save};

use crate::common::{assert_same_tree, link, mkdir, new_fs, sample, set_meta, symlink, write};

fn config() -> Config {
    Config {
        clock: Arc::new(VirtualClock::default()),
        ..Config::default()
    }
}

/// Every entry of a tar: (path, type byte, size, link target).
fn listing(tar: &[u8]) -> Vec<(String, u8, u64, Option<String>)> {
    let mut ar = tar::Archive::new(tar);
    ar.entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                e.path().unwrap().to_string_lossy().into_owned(),
                h.entry_type().as_byte(),
                h.size().unwrap(),
                e.link_name()
                    .unwrap()
                    .map(|l| l.to_string_lossy().into_owned()),
            )
        })
        .collect()
}

fn names(tar: &[u8]) -> Vec<String> {
    listing(tar).into_iter().map(|e| e.0).collect()
}

fn export(
    store: &Store,
    snap: &strata_snapshots::Hash,
    base: Option<&strata_snapshots::Hash>,
) -> Vec<u8> {
    let mut out = Vec::new();
    oci::export(store, snap, base, &mut out, &NoProgress).unwrap();
    out
}

fn rm(fs: &mut Fs, path: &str) {
    let root = fs.open_root().unwrap();
    fs.unlink(&root, path).unwrap();
    fs.close(root);
}

fn rmdir(fs: &mut Fs, path: &str) {
    let root = fs.open_root().unwrap();
    fs.rmdir(&root, path).unwrap();
    fs.close(root);
}

/// A host directory to use as a lower layer.
fn host_lower() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for d in ["a", "b", "b/c", "keep", "o", "gone-dir", "gone-dir/sub"] {
        hostfs::create_dir(p.join(d)).unwrap();
    }
    for (f, data) in [
        ("a/x", "ax"),
        ("a/y", "ay"),
        ("b/c/z", "bcz"),
        ("keep/k", "k"),
        ("o/1", "o1"),
        ("o/2", "o2"),
        ("gone-dir/sub/f", "f"),
        ("f", "top"),
        ("to-dir", "file that becomes a directory"),
    ] {
        hostfs::write(p.join(f), data).unwrap();
        // Accessed after modified and recently: reading does not move atime
        // (relatime), so the lower layer stays the same for the whole test.
        let now = filetime::FileTime::now();
        let earlier = filetime::FileTime::from_unix_time(now.unix_seconds() - 3600, 0);
        filetime::set_file_times(p.join(f), now, earlier).unwrap();
    }
    dir
}

fn over(lower: &Arc<HostLower>) -> Fs {
    Fs::with_lower(lower.clone(), config()).unwrap()
}

#[test]
fn changes_over_a_lower_become_whiteouts_and_import_reproduces_the_tree() {
    let dir = host_lower();
    let lower = Arc::new(HostLower::open(dir.path()).unwrap());
    let store = Store::with_backend(MemBackend::new());
    let mut fs = over(&lower);
    let base = save(&store, &fs.snapshot(), &[]).unwrap();
    rm(&mut fs, "a/x");
    rm(&mut fs, "gone-dir/sub/f");
    rmdir(&mut fs, "gone-dir/sub");
    rmdir(&mut fs, "gone-dir");
    rm(&mut fs, "o/1");
    rm(&mut fs, "o/2");
    write(&mut fs, "o/new", 0, b"new in o");
    write(&mut fs, "f", 0, b"TOP");
    rm(&mut fs, "to-dir");
    mkdir(&mut fs, "to-dir");
    write(&mut fs, "to-dir/inner", 0, b"i");
    write(&mut fs, "b/c/added", 0, b"deep add");
    link(&mut fs, "b/c/added", "a/hard");
    symlink(&mut fs, "../keep/k", "a/sym");
    let snap = fs.snapshot();
    let changed = save(&store, &snap, &[]).unwrap();

    let tar = export(&store, &changed, Some(&base));
    let got = names(&tar);
    let want = [
        "./",
        "a/",
        "a/hard",
        "a/sym",
        "a/.wh.x",
        "b/",
        "b/c/",
        "b/c/added",
        "f",
        ".wh.gone-dir",
        "o/",
        "o/.wh..wh..opq",
        "o/new",
        "to-dir/",
        "to-dir/inner",
    ];
    assert_eq!(got, want);
    // `a/hard` comes first in tree order, so `b/c/added` is the link.
    let l = listing(&tar);
    let added = l.iter().find(|e| e.0 == "b/c/added").unwrap();
    assert_eq!((added.1, added.3.as_deref()), (b'1', Some("a/hard")));
    assert!(l.iter().all(|e| !e.0.starts_with("keep")));

    // Applying the layer over the same lower gives the same tree, object for object.
    let fresh = over(&lower).snapshot();
    let imported = oci::import(&tar[..], Some(fresh), &ImportOptions::default()).unwrap();
    assert_same_tree(&snap, &imported);
    let again = save(&store, &imported, &[]).unwrap();
    let (m1, m2) = (
        read_manifest(&store, &changed).unwrap(),
        read_manifest(&store, &again).unwrap(),
    );
    assert_eq!(m1.root, m2.root);
    assert_eq!(m1.links, m2.links);
}

/// A tree with everything a layer must carry: the common sample plus long
/// names, nanosecond times, a deep path and a large sparse file.
fn rich() -> Snapshot {
    let mut fs = new_fs();
    sample(&mut fs);
    let long = "n".repeat(120);
    mkdir(&mut fs, &long);
    write(&mut fs, &format!("{long}/{}", "m".repeat(200)), 0, b"long");
    symlink(&mut fs, &"t/".repeat(80), &format!("{long}/sym"));
    link(
        &mut fs,
        &format!("{long}/{}", "m".repeat(200)),
        &format!("{long}/{}", "k".repeat(150)),
    );
    // A newline inside a name that only fits in a PAX record.
    write(
        &mut fs,
        &format!("{long}/new\nline{}", "q".repeat(100)),
        0,
        b"nl",
    );
    let mut deep = String::from("deep");
    mkdir(&mut fs, &deep);
    for i in 0..30 {
        deep.push_str(&format!("/level{i}"));
        mkdir(&mut fs, &deep);
    }
    write(&mut fs, &format!("{deep}/leaf"), 0, b"leaf");
    write(&mut fs, "big-sparse", 5 << 20, b"end");
    write(&mut fs, "big-sparse", 0, b"start");
    set_meta(
        &mut fs,
        "big-sparse",
        0o640,
        1_700_000_000_123_456_789,
        1_700_000_001_987_654_321,
    );
    set_meta(&mut fs, &long, 0o750, 3, 4_000_000_001);
    fs.snapshot()
}

#[test]
fn full_export_import_round_trip_is_exact_and_deterministic() {
    let store = Store::with_backend(MemBackend::new());
    let snap = rich();
    let h = save(&store, &snap, &[]).unwrap();
    let tar = export(&store, &h, None);
    assert_eq!(tar, export(&store, &h, None), "export is deterministic");
    let l = listing(&tar);
    assert_eq!(l[0].0, "./");
    assert!(l.iter().all(|e| !e.0.contains(".wh.")));
    // Long names went through PAX and read back whole.
    assert!(l.iter().any(|e| e.0.ends_with(&"m".repeat(200))));

    let imported = oci::import(
        &tar[..],
        None,
        &ImportOptions {
            config: config(),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_same_tree(&snap, &imported);
    let h2 = save(&store, &imported, &[]).unwrap();
    let (m1, m2) = (
        read_manifest(&store, &h).unwrap(),
        read_manifest(&store, &h2).unwrap(),
    );
    assert_eq!(m1.root, m2.root);
    assert_eq!(m1.links, m2.links);
    // The hole stayed a hole: only the written chunks are charged.
    assert!(
        imported.upper_bytes() < 1 << 20,
        "{} bytes",
        imported.upper_bytes()
    );
}

#[test]
fn an_imported_layer_works_as_a_lower_layer() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let tar = export(&store, &h, None);
    let layer = oci::import(&tar[..], None, &ImportOptions::default()).unwrap();
    let frozen = Arc::new(FrozenLower::new(layer));
    let under = Fs::with_lower(frozen.clone(), config()).unwrap();
    let mut top = Fs::with_lower(frozen, config()).unwrap();
    let root = top.open_root().unwrap();
    let f = top
        .open(&root, "etc/hello.txt", &OpenOptions::default())
        .unwrap();
    let mut buf = [0u8; 64];
    let n = top.read(&f, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello, world\n");
    top.close(f);
    top.unlink(&root, "zz-link").unwrap();
    top.close(root);
    // A second layer on top of the first: the whiteout lands over the frozen lower.
    let base = save(&store, &under.snapshot(), &[]).unwrap();
    let next = save(&store, &top.snapshot(), &[]).unwrap();
    let layer2 = export(&store, &next, Some(&base));
    // The other two names lost a partner (link count 3 to 2): they are
    // written again, the second as a link to the first.
    assert_eq!(
        names(&layer2),
        [
            "./",
            "bin/",
            "bin/tool",
            "etc/",
            "etc/tool-link",
            ".wh.zz-link"
        ]
    );
}

#[test]
fn a_directory_can_replace_a_file_and_a_file_a_directory() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    mkdir(&mut fs, "d");
    write(&mut fs, "d/x", 0, b"x");
    write(&mut fs, "f", 0, b"f");
    let base_snap = fs.snapshot();
    let base = save(&store, &base_snap, &[]).unwrap();
    rm(&mut fs, "d/x");
    rmdir(&mut fs, "d");
    write(&mut fs, "d", 0, b"now a file");
    rm(&mut fs, "f");
    mkdir(&mut fs, "f");
    write(&mut fs, "f/y", 0, b"y");
    let snap = fs.snapshot();
    let h = save(&store, &snap, &[]).unwrap();
    let tar = export(&store, &h, Some(&base));
    assert_eq!(names(&tar), ["./", "d", "f/", "f/y"]);
    let imported = oci::import(&tar[..], Some(base_snap), &ImportOptions::default()).unwrap();
    assert_same_tree(&snap, &imported);
}

#[test]
fn whiteout_names_in_a_snapshot_cannot_be_exported() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    write(&mut fs, ".wh.sneaky", 0, b"x");
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let err = oci::export(&store, &h, None, Vec::new(), &NoProgress).unwrap_err();
    assert!(matches!(err, OciError::Unrepresentable { .. }), "{err}");
}

// ---- hostile archives ----

/// A raw ustar header with any name bytes (bypassing the tar crate's checks).
fn raw_entry(out: &mut Vec<u8>, name: &[u8], kind: u8, link: &[u8], data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.as_old_mut().linkname[..link.len()].copy_from_slice(link);
    h.set_entry_type(tar::EntryType::new(kind));
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn finish(mut out: Vec<u8>) -> Vec<u8> {
    out.extend_from_slice(&[0u8; 1024]);
    out
}

fn import_err(tar: &[u8], opts: &ImportOptions) -> OciError {
    oci::import(tar, None, opts).unwrap_err()
}

fn hostile(tar: Vec<u8>) -> &'static str {
    match import_err(&finish(tar), &ImportOptions::default()) {
        OciError::Hostile { why, .. } => why,
        e => panic!("expected a refusal, got {e}"),
    }
}

#[test]
fn hostile_archives_are_refused() {
    let mut t = Vec::new();
    raw_entry(&mut t, b"/etc/passwd", b'0', b"", b"root");
    assert_eq!(hostile(t), "absolute path");

    let mut t = Vec::new();
    raw_entry(&mut t, b"a/../../x", b'0', b"", b"x");
    assert_eq!(hostile(t), "path with a `..` component");

    let mut t = Vec::new();
    raw_entry(&mut t, b"f", b'0', b"", b"data");
    raw_entry(&mut t, b"esc", b'1', b"../../etc/shadow", b"");
    assert_eq!(hostile(t), "hard link target outside the layer's tree");

    let mut t = Vec::new();
    raw_entry(&mut t, b"abs", b'1', b"/etc/shadow", b"");
    assert_eq!(hostile(t), "hard link target outside the layer's tree");

    let mut t = Vec::new();
    raw_entry(&mut t, b"dangling", b'1', b"nothing", b"");
    assert_eq!(hostile(t), "hard link to a missing file");

    let mut t = Vec::new();
    raw_entry(&mut t, b"d/", b'5', b"", b"");
    raw_entry(&mut t, b"dl", b'1', b"d", b"");
    assert_eq!(hostile(t), "hard link to a directory");

    // Writing through a symlink planted by the same archive.
    let mut t = Vec::new();
    raw_entry(&mut t, b"l", b'2', b"/etc", b"");
    raw_entry(&mut t, b"l/passwd", b'0', b"", b"x");
    assert_eq!(hostile(t), "a parent directory is a file or symlink");

    let mut t = Vec::new();
    raw_entry(&mut t, b"bad\xffname", b'0', b"", b"x");
    assert_eq!(hostile(t), "path is not UTF-8");

    let mut t = Vec::new();
    raw_entry(&mut t, b"sparse", b'S', b"", b"");
    assert_eq!(hostile(t), "GNU sparse entries are not supported");

    let mut t = Vec::new();
    raw_entry(&mut t, b"PaxHeader", b'x', b"", &vec![b'9'; (1 << 20) + 10]);
    raw_entry(&mut t, b"f", b'0', b"", b"");
    assert_eq!(hostile(t), "extension header larger than 1 MiB");

    let mut t = Vec::new();
    raw_entry(&mut t, b"PaxHeader", b'x', b"", b"15 size=999999\n");
    raw_entry(&mut t, b"f", b'0', b"", b"");
    assert_eq!(hostile(t), "PAX size records are not supported");

    let mut t = Vec::new();
    raw_entry(&mut t, b"PaxHeader", b'x', b"", b"19 path=../../evil\n");
    raw_entry(&mut t, b"harmless", b'0', b"", b"");
    assert_eq!(hostile(t), "path with a `..` component");

    let mut t = Vec::new();
    raw_entry(&mut t, b"d/.wh.", b'0', b"", b"");
    assert_eq!(hostile(t), "whiteout of an invalid name");

    // A truncated archive is an I/O error, not a panic.
    let mut t = Vec::new();
    raw_entry(&mut t, b"f", b'0', b"", &[7u8; 3000]);
    t.truncate(1200);
    assert!(matches!(
        import_err(&t, &ImportOptions::default()),
        OciError::Io(_)
    ));
}

#[test]
fn devices_are_skipped_or_refused_as_asked() {
    let mut t = Vec::new();
    raw_entry(&mut t, b"dev/", b'5', b"", b"");
    raw_entry(&mut t, b"dev/null", b'3', b"", b"");
    raw_entry(&mut t, b"dev/fifo", b'6', b"", b"");
    raw_entry(&mut t, b"ok", b'0', b"", b"fine");
    let t = finish(t);
    let snap = oci::import(&t[..], None, &ImportOptions::default()).unwrap();
    let root = snap.root();
    let entries: Vec<String> = snap
        .entries(root)
        .unwrap()
        .into_iter()
        .map(|e| e.name.to_string())
        .collect();
    assert_eq!(entries, ["dev", "ok"]);
    let dev = snap.entries(root).unwrap()[0].ino;
    assert!(snap.entries(dev).unwrap().is_empty());
    let reject = ImportOptions {
        special_files: SpecialFiles::Reject,
        ..ImportOptions::default()
    };
    assert!(matches!(
        import_err(&t, &reject),
        OciError::Hostile {
            why: "device files and FIFOs are refused",
            ..
        }
    ));
}

#[test]
fn sizes_are_bounded_by_the_engine_quotas() {
    let mut t = Vec::new();
    raw_entry(&mut t, b"big", b'0', b"", &[1u8; 64 * 1024]);
    let t = finish(t);
    let small = ImportOptions {
        config: Config {
            max_bytes: 16 * 1024,
            ..config()
        },
        ..ImportOptions::default()
    };
    match import_err(&t, &small) {
        OciError::Engine {
            source: strata_engine::Error::NoSpace,
            path,
        } => assert_eq!(path, "big"),
        e => panic!("expected NoSpace, got {e}"),
    }
    // A header claiming more than the largest file is refused before any read.
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..4].copy_from_slice(b"huge");
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(1 << 50);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    let mut t = h.as_bytes().to_vec();
    t.extend_from_slice(&[0u8; 1024]);
    let err = import_err(&t, &ImportOptions::default());
    assert!(
        matches!(
            err,
            OciError::Hostile {
                why: "file larger than the filesystem allows",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn whiteouts_spare_entries_of_the_same_layer_and_opaque_hides_the_lower() {
    let mut fs = new_fs();
    mkdir(&mut fs, "d");
    write(&mut fs, "d/old", 0, b"old");
    write(&mut fs, "d/keep-me-not", 0, b"x");
    write(&mut fs, "top", 0, b"t");
    let base = fs.snapshot();
    let mut t = Vec::new();
    raw_entry(&mut t, b"d/", b'5', b"", b"");
    raw_entry(&mut t, b"d/new", b'0', b"", b"new");
    raw_entry(&mut t, b"d/.wh..wh..opq", b'0', b"", b"");
    raw_entry(&mut t, b"added", b'0', b"", b"a");
    raw_entry(&mut t, b".wh.added", b'0', b"", b"");
    raw_entry(&mut t, b".wh.top", b'0', b"", b"");
    raw_entry(&mut t, b".wh.never-existed", b'0', b"", b"");
    let t = finish(t);
    let snap = oci::import(&t[..], Some(base), &ImportOptions::default()).unwrap();
    let mut got = BTreeMap::new();
    for (p, d) in crate::common::dump(&snap) {
        got.insert(p, String::from_utf8(d.content).unwrap());
    }
    let want: BTreeMap<String, String> = [("", ""), ("added", "a"), ("d", ""), ("d/new", "new")]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn export_reports_progress_and_stats() {
    use std::sync::atomic::{AtomicU64, Ordering};
    #[derive(Default)]
    struct P(AtomicU64, AtomicU64);
    impl strata_snapshots::Progress for P {
        fn set_total(&self, t: u64) {
            self.0.store(t, Ordering::Relaxed);
        }
        fn advance(&self, d: u64) {
            self.1.fetch_add(d, Ordering::Relaxed);
        }
    }
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let p = P::default();
    let mut out = Vec::new();
    let stats = oci::export(&store, &h, None, &mut out, &p).unwrap();
    assert_eq!(p.0.load(Ordering::Relaxed), p.1.load(Ordering::Relaxed));
    assert_eq!(stats.bytes, p.1.load(Ordering::Relaxed));
    assert_eq!(stats.entries as usize, listing(&out).len());
    assert_eq!(stats.whiteouts, 0);
    // The archive's data reads back as the files' bytes.
    let mut ar = tar::Archive::new(&out[..]);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().to_str() == Some("etc/hello.txt") {
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            assert_eq!(s, "hello, world\n");
        }
    }
}
