//! Single-file packs: round trips, and damaged, short or incomplete packs refused.

use strata_snapshots::{Error, MemBackend, Saver, Store, load, pack, unpack};

use crate::common::*;

/// A store with two saves of the sample tree (the second's parent is the first).
fn saved() -> (Store, strata_engine::Snapshot, strata_snapshots::Hash) {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let mut saver = Saver::new();
    saver.save(&store, &fs.snapshot(), &[]).unwrap();
    write(&mut fs, "big", 0, &vec![9u8; 200_000]);
    write(&mut fs, "etc/hello.txt", 3, b"p");
    let h = saver.save(&store, &fs.snapshot(), &[("k", "v")]).unwrap();
    (store, fs.snapshot(), h)
}

#[test]
fn round_trip_to_another_store() {
    let (store, snap, h) = saved();
    let mut bytes = Vec::new();
    let n = pack(&store, &h, &mut bytes).unwrap();
    assert!(n > 10, "{n}");
    let backend = MemBackend::new();
    let other = Store::with_backend(backend.clone());
    assert_eq!(unpack(&other, &bytes[..]).unwrap(), h);
    // History came along: the parent loads and everything verifies.
    assert_eq!(other.verify(&h).unwrap() as u64, n);
    assert_same_tree(&snap, &load(&other, &h).unwrap());
    let parent = strata_snapshots::read_manifest(&other, &h).unwrap().parent;
    load(&other, &parent.unwrap()).unwrap();
    // Unpacking again into a store that has it all writes nothing new.
    let writes = backend.writes();
    assert_eq!(unpack(&other, &bytes[..]).unwrap(), h);
    assert_eq!(backend.writes(), writes);
    // Through a host directory and a file, too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snap.pack");
    pack(&other, &h, std::fs::File::create(&file).unwrap()).unwrap();
    let disk = Store::open(dir.path().join("store")).unwrap();
    assert_eq!(
        unpack(&disk, std::fs::File::open(&file).unwrap()).unwrap(),
        h
    );
    assert_same_tree(&snap, &load(&disk, &h).unwrap());
}

#[test]
fn every_bit_flip_and_truncation_is_refused() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    mkdir(&mut fs, "d");
    write(&mut fs, "d/f", 0, b"data");
    symlink(&mut fs, "d/f", "s");
    let h = strata_snapshots::save(&store, &fs.snapshot(), &[]).unwrap();
    let mut good = Vec::new();
    pack(&store, &h, &mut good).unwrap();
    let check = |bad: &[u8], truncated: bool, what: &str| {
        let backend = MemBackend::new();
        let target = Store::with_backend(backend.clone());
        match unpack(&target, bad) {
            Err(Error::TruncatedPack(_)) => {}
            Err(e) if truncated => panic!("{what}: {e} (expected a truncation error)"),
            Err(Error::BadPack(_) | Error::Corrupted { .. } | Error::UnsupportedVersion { .. }) => {
            }
            Err(e) => panic!("{what}: wrong error {e}"),
            Ok(_) => panic!("{what}: damage not detected"),
        }
        // Nothing reached the store.
        assert!(backend.files().is_empty(), "{what}");
    };
    for bit in 0..good.len() * 8 {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        check(&bad, false, &format!("bit {bit}"));
    }
    for len in 0..good.len() {
        check(&good[..len], true, &format!("cut at {len}"));
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(matches!(
        unpack(&Store::with_backend(MemBackend::new()), &longer[..]),
        Err(Error::BadPack("bytes after the end record"))
    ));
    unpack(&Store::with_backend(MemBackend::new()), &good[..]).unwrap();
}

/// Splits a pack into its header, records and nothing else.
fn records(p: &[u8]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let header = p[..42].to_vec();
    let mut out = Vec::new();
    let mut i = 42;
    while p[i] == 1 {
        let len = u32::from_le_bytes(p[i + 33..i + 37].try_into().unwrap()) as usize;
        out.push(p[i..i + 37 + len].to_vec());
        i += 37 + len;
    }
    (header, out)
}

/// Reassembles a pack with a correct end record.
fn assemble(header: &[u8], records: &[Vec<u8>]) -> Vec<u8> {
    let mut p = header.to_vec();
    for r in records {
        p.extend_from_slice(r);
    }
    let sum = blake3::hash(&p);
    p.push(0);
    p.extend_from_slice(&(records.len() as u64).to_le_bytes());
    p.extend_from_slice(sum.as_bytes());
    p
}

#[test]
fn a_pack_missing_an_object_is_refused() {
    let (store, _, h) = saved();
    let mut bytes = Vec::new();
    pack(&store, &h, &mut bytes).unwrap();
    let (header, recs) = records(&bytes);
    // Well-formed as it is.
    let whole = assemble(&header, &recs);
    assert_eq!(whole, bytes);
    for skip in 0..recs.len() - 1 {
        let mut fewer = recs.clone();
        fewer.remove(skip);
        let backend = MemBackend::new();
        match unpack(
            &Store::with_backend(backend.clone()),
            &assemble(&header, &fewer)[..],
        ) {
            Err(Error::BadPack(what)) => assert!(what.contains("neither"), "{what}"),
            other => panic!("without record {skip}: {other:?}"),
        }
        assert!(backend.files().is_empty());
    }
    // Without the manifest, the pack ends on another object.
    let mut headless = recs.clone();
    headless.pop();
    assert!(matches!(
        unpack(
            &Store::with_backend(MemBackend::new()),
            &assemble(&header, &headless)[..]
        ),
        Err(Error::BadPack("the last record is not the pack's manifest"))
    ));
    // A store that already holds the missing object accepts the pack.
    let first = recs[0].clone();
    let target = Store::with_backend(MemBackend::new());
    target.put(&first[37..]).unwrap();
    let h2 = unpack(&target, &assemble(&header, &recs[1..])[..]).unwrap();
    assert_eq!(h2, h);
    target.verify(&h).unwrap();
}

#[test]
fn hostile_lengths_are_refused_before_allocation() {
    let mut p = strata_snapshots::PACK_FILE_MAGIC.to_vec();
    p.extend_from_slice(&1u16.to_le_bytes());
    p.extend_from_slice(&[0u8; 32]);
    p.push(1);
    p.extend_from_slice(&[0u8; 32]);
    let mut huge = p.clone();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        unpack(&Store::with_backend(MemBackend::new()), &huge[..]),
        Err(Error::BadPack("record longer than an object may be"))
    ));
    // Within the bound but not backed by input: a truncation, not a 60 MiB buffer.
    let mut short = p;
    short.extend_from_slice(&(60u32 << 20).to_le_bytes());
    short.extend_from_slice(b"only this");
    assert!(matches!(
        unpack(&Store::with_backend(MemBackend::new()), &short[..]),
        Err(Error::TruncatedPack(_))
    ));
    let mut v2 = strata_snapshots::PACK_FILE_MAGIC.to_vec();
    v2.extend_from_slice(&2u16.to_le_bytes());
    assert!(matches!(
        unpack(&Store::with_backend(MemBackend::new()), &v2[..]),
        Err(Error::BadPack("unsupported pack version"))
    ));
}
