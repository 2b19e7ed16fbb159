//! `Store::fetch_from` (push and pull, issue 15): only what the destination
//! lacks, children before parents, verified, and resumable after a failure.

use strata_snapshots::{Error, MemBackend, NoProgress, Saver, Store, load};

use crate::common::*;

/// A store with a tree of `n` files, saved once, and that tree.
fn source(
    n: usize,
) -> (
    Store,
    MemBackend,
    strata_engine::Fs,
    Saver,
    strata_snapshots::Hash,
) {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let mut fs = new_fs();
    sample(&mut fs);
    for d in 0..4 {
        mkdir(&mut fs, &format!("d{d}"));
        for i in 0..n / 4 {
            write(
                &mut fs,
                &format!("d{d}/f{i}"),
                0,
                format!("{d}/{i}\n").as_bytes(),
            );
        }
    }
    let mut saver = Saver::new();
    let h = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    (store, backend, fs, saver, h)
}

#[test]
fn copies_everything_then_only_what_changed() {
    let (src, _, mut fs, mut saver, v1) = source(200);
    let dst = Store::with_backend(MemBackend::new());
    let all = dst.fetch_from(&src, &v1, 4, &NoProgress).unwrap();
    assert_eq!(all.objects, src.verify(&v1).unwrap());
    assert_eq!(dst.verify(&v1).unwrap(), all.objects);
    // Again: the manifest is there, nothing else is looked at.
    let again = dst.fetch_from(&src, &v1, 4, &NoProgress).unwrap();
    assert_eq!((again.objects, again.present), (0, 1));
    write(&mut fs, "d2/f9", 0, b"changed");
    let v2 = saver.save(&src, &fs.snapshot(), &[]).unwrap();
    let inc = dst.fetch_from(&src, &v2, 4, &NoProgress).unwrap();
    // Manifest, root, d2, the file, its chunk.
    assert!(inc.objects <= 5, "{inc:?}");
    dst.verify(&v2).unwrap();
    assert_same_tree(&load(&dst, &v2).unwrap(), &fs.snapshot());
}

#[test]
fn a_failed_copy_leaves_complete_subtrees_and_resumes() {
    let (src, _, _, _, v1) = source(400);
    let backend = MemBackend::new();
    let dst = Store::with_backend(backend.clone());
    dst.set_pack_limit(2048);
    // The disk fills after a few packs.
    backend.fail_from(Some(4));
    assert!(dst.fetch_from(&src, &v1, 2, &NoProgress).is_err());
    assert!(!dst.contains(&v1).unwrap());
    // Every object that made it reaches only objects that made it too.
    for h in dst.objects().unwrap() {
        dst.verify_object_tree(&h);
    }
    backend.fail_from(None);
    let rest = dst.fetch_from(&src, &v1, 2, &NoProgress).unwrap();
    assert!(rest.present > 0, "{rest:?}");
    dst.verify(&v1).unwrap();
}

#[test]
fn a_damaged_source_object_is_refused() {
    let (src, backend, _, _, v1) = source(8);
    // Flip a byte in every pack's object area.
    for (path, mut data) in backend.files() {
        if path.starts_with("packs/") {
            data[20] ^= 0xff;
            backend.set(&path, Some(data));
        }
    }
    let src2 = Store::with_backend(backend.clone());
    let dst = Store::with_backend(MemBackend::new());
    let e = dst.fetch_from(&src2, &v1, 2, &NoProgress).unwrap_err();
    assert!(
        matches!(e, Error::Corrupted { .. } | Error::CorruptedPack { .. }),
        "{e}"
    );
    assert!(!dst.contains(&v1).unwrap());
    drop(src);
}

/// Checks an object and everything it reaches can be read, whatever its kind.
trait TreeCheck {
    fn verify_object_tree(&self, h: &strata_snapshots::Hash);
}

impl TreeCheck for Store {
    fn verify_object_tree(&self, h: &strata_snapshots::Hash) {
        use strata_snapshots::Kind;
        for kind in [
            Kind::Manifest,
            Kind::Dir,
            Kind::File,
            Kind::Chunk,
            Kind::Symlink,
        ] {
            if let Ok(bytes) = self.get(h, kind)
                && let Ok(children) = strata_snapshots::format::children(&bytes, kind, *h)
            {
                for (_, c) in children {
                    assert!(self.contains(&c).unwrap(), "{h} reaches {c}, absent");
                }
                return;
            }
        }
    }
}
