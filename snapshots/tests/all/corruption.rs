//! Every bit flip and truncation of a saved snapshot is detected; hostile but
//! well-hashed objects never panic nor allocate without bound.

use std::collections::BTreeMap;
use std::sync::Arc;

use strata_engine::{Config, VirtualClock};
use strata_snapshots::format::{self, DirObject, Entry, EntryKind, FileObject, Manifest, Meta};
use strata_snapshots::{Error, Hash, MemBackend, Store, load, load_with};

use crate::common::*;

/// A small snapshot saved the usual way (into packs).
fn small_packed() -> (MemBackend, Store, Hash) {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let mut fs = new_fs();
    mkdir(&mut fs, "d");
    write(&mut fs, "d/f", 0, b"data");
    write(&mut fs, "g", 5000, b"x");
    link(&mut fs, "d/f", "h");
    symlink(&mut fs, "d/f", "s");
    let h = strata_snapshots::save(&store, &fs.snapshot(), &[("k", "v")]).unwrap();
    (backend, store, h)
}

/// The same snapshot with every object as a loose file, so each object can
/// be damaged on its own.
fn small_store() -> (MemBackend, Store, Hash) {
    let (_, packed, h) = small_packed();
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    for o in packed.objects().unwrap() {
        let bytes = packed.get(&o, strata_snapshots::Kind::Chunk).unwrap();
        store.put(&bytes).unwrap();
    }
    (backend, store, h)
}

#[test]
fn every_bit_flip_and_truncation_of_a_pack_is_detected() {
    let (backend, _, h) = small_packed();
    let packs: Vec<(String, Vec<u8>)> = backend
        .files()
        .into_iter()
        .filter(|(k, _)| k.starts_with("packs/"))
        .collect();
    assert_eq!(packs.len(), 1);
    let (path, orig) = &packs[0];
    let detected = |what: &str| {
        // A fresh store value: nothing of the pack is cached.
        match load(&Store::with_backend(backend.clone()), &h) {
            Err(
                Error::Corrupted { .. }
                | Error::Missing { .. }
                | Error::UnsupportedVersion { .. }
                | Error::CorruptedPack { .. },
            ) => {}
            Err(e) => panic!("{what}: wrong error {e}"),
            Ok(_) => panic!("{what}: damage not detected"),
        }
    };
    for bit in 0..orig.len() * 8 {
        let mut bad = orig.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        backend.set(path, Some(bad));
        detected(&format!("bit {bit}"));
    }
    for len in 0..orig.len() {
        backend.set(path, Some(orig[..len].to_vec()));
        detected(&format!("cut at {len}"));
    }
    backend.set(path, Some(orig.clone()));
    load(&Store::with_backend(backend.clone()), &h).unwrap();
}

fn objects(backend: &MemBackend) -> BTreeMap<String, Vec<u8>> {
    backend
        .files()
        .into_iter()
        .filter(|(k, _)| k.starts_with("objects/"))
        .collect()
}

fn hash_of_path(p: &str) -> Hash {
    p.trim_start_matches("objects/")
        .replace('/', "")
        .parse()
        .unwrap()
}

fn assert_detected(r: strata_snapshots::Result<strata_engine::Snapshot>, what: &str) {
    match r {
        Err(Error::Corrupted { .. } | Error::Missing { .. } | Error::UnsupportedVersion { .. }) => {
        }
        Err(e) => panic!("{what}: wrong error {e}"),
        Ok(_) => panic!("{what}: damage not detected"),
    }
}

#[test]
fn every_bit_flip_and_truncation_is_detected() {
    let (backend, store, h) = small_store();
    let objs = objects(&backend);
    assert!(objs.len() >= 7, "{}", objs.len());
    for (path, orig) in &objs {
        for bit in 0..orig.len() * 8 {
            let mut bad = orig.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            backend.set(path, Some(bad));
            assert_detected(load(&store, &h), &format!("{path} bit {bit}"));
        }
        for len in 0..orig.len() {
            backend.set(path, Some(orig[..len].to_vec()));
            assert_detected(load(&store, &h), &format!("{path} cut at {len}"));
        }
        backend.set(path, None);
        match load(&store, &h) {
            Err(Error::Missing { hash }) => assert_eq!(hash, hash_of_path(path)),
            other => panic!("{path} removed: {other:?}"),
        }
        backend.set(path, Some(orig.clone()));
    }
    load(&store, &h).unwrap();
}

#[test]
fn the_error_names_the_object() {
    let (backend, store, h) = small_store();
    let path = format!("objects/{}/{}", &h.to_hex()[..2], &h.to_hex()[2..]);
    let mut bad = backend.files()[&path].clone();
    bad[10] ^= 1;
    backend.set(&path, Some(bad));
    match load(&store, &h) {
        Err(Error::Corrupted { object, hash, .. }) => {
            assert_eq!(object, strata_snapshots::Kind::Manifest);
            assert_eq!(hash, h);
        }
        other => panic!("{other:?}"),
    }
}

/// Replaces object `old` by `new` and rewrites, with fresh hashes, every object
/// that refers to it directly or indirectly; returns the new hash of `top`.
fn substitute(
    backend: &MemBackend,
    pristine: &BTreeMap<Hash, Vec<u8>>,
    old: Hash,
    new: Vec<u8>,
    top: Hash,
) -> Hash {
    let mut current = pristine.clone();
    current.insert(old, new);
    loop {
        let map: Vec<(Hash, Hash)> = current
            .iter()
            .map(|(orig, b)| (*orig, Hash::of(b)))
            .filter(|(o, n)| o != n)
            .collect();
        let mut changed = false;
        for (orig, bytes) in current.iter_mut() {
            if *orig == old {
                continue;
            }
            let mut b = pristine[orig].clone();
            for (from, to) in &map {
                let mut i = 0;
                while i + 32 <= b.len() {
                    if b[i..i + 32] == from.0 {
                        b[i..i + 32].copy_from_slice(&to.0);
                        i += 32;
                    } else {
                        i += 1;
                    }
                }
            }
            if b != *bytes {
                *bytes = b;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for bytes in current.values() {
        let hex = Hash::of(bytes).to_hex();
        backend.set(
            &format!("objects/{}/{}", &hex[..2], &hex[2..]),
            Some(bytes.clone()),
        );
    }
    Hash::of(&current[&top])
}

#[test]
fn well_hashed_damage_never_panics() {
    let (backend, _, h) = small_store();
    let pristine: BTreeMap<Hash, Vec<u8>> = objects(&backend)
        .into_iter()
        .map(|(p, d)| (hash_of_path(&p), d))
        .collect();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for (path, orig) in objects(&backend) {
        let old = hash_of_path(&path);
        let mut variants = Vec::new();
        for bit in 0..orig.len() * 8 {
            let mut bad = orig.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            variants.push(bad);
        }
        for len in 0..orig.len() {
            variants.push(orig[..len].to_vec());
        }
        for bad in variants {
            let fresh = MemBackend::new();
            let top = substitute(&fresh, &pristine, old, bad, h);
            let store = Store::with_backend(fresh);
            let config = Config {
                max_inodes: 1000,
                max_bytes: 1 << 20,
                max_file_size: 1 << 24,
                clock: Arc::new(VirtualClock::default()),
                ..Config::default()
            };
            let key = match load_with(&store, &top, config) {
                Ok(_) => "ok".to_owned(),
                Err(Error::Corrupted { what, .. }) => format!("corrupted: {what}"),
                Err(e) => format!("{e}")
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            };
            *outcomes.entry(key).or_default() += 1;
        }
    }
    assert!(outcomes.contains_key("ok"));
    assert!(outcomes.len() > 3, "{outcomes:?}");
}

#[test]
fn a_hostile_dag_hits_the_quota_not_the_heap() {
    let store = Store::with_backend(MemBackend::new());
    let meta = Meta {
        perm: 0o755,
        atime: 0,
        mtime: 0,
    };
    let chunk = store.put(&format::encode_chunk(&[1u8; 4096])).unwrap();
    let file = store
        .put(&format::encode(&FileObject {
            size: 1 << 30,
            nlink: 1,
            meta,
            chunks: (0..1000u64)
                .map(|i| format::ChunkRef {
                    offset: i * 4096,
                    hash: chunk,
                })
                .collect(),
        }))
        .unwrap();
    // Each level lists the one below 1000 times: 1000^3 files from 4 objects.
    let mut below = (EntryKind::File, file);
    for _ in 0..3 {
        let dir = DirObject {
            meta,
            entries: (0..1000)
                .map(|i| Entry {
                    name: format!("n{i:04}"),
                    kind: below.0,
                    hash: below.1,
                })
                .collect(),
        };
        below = (EntryKind::Dir, store.put(&format::encode(&dir)).unwrap());
    }
    let m = store
        .put(&format::encode(&Manifest {
            version: 1,
            root: below.1,
            parent: None,
            lowers: vec![],
            labels: vec![],
            tick: 0,
            links: vec![],
        }))
        .unwrap();
    let config = Config {
        max_inodes: 10_000,
        max_bytes: 64 << 20,
        ..Config::default()
    };
    // The engine's quota charges memory (chunk records too), so it may
    // refuse a write before the loader's count of data bytes does.
    assert!(matches!(
        load_with(&store, &m, config),
        Err(Error::TooLarge(_) | Error::Engine(strata_engine::Error::NoSpace))
    ));
}
