//! Pack files inside a store: saves write packs, reads find objects in them, gc rewrites them.

use strata_snapshots::{Error, MemBackend, Saver, Store, load, save};

use crate::common::*;

fn pack_files(b: &MemBackend) -> Vec<String> {
    b.files()
        .into_keys()
        .filter(|k| k.starts_with("packs/"))
        .collect()
}

#[test]
fn a_save_is_one_pack_and_another_store_value_reads_it() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let mut fs = new_fs();
    sample(&mut fs);
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    assert_eq!(pack_files(&backend).len(), 1);
    assert!(backend.files().keys().all(|k| !k.starts_with("objects/")));
    // A store value opened before the save finds the pack when it looks.
    let other = Store::with_backend(backend.clone());
    assert_same_tree(&fs.snapshot(), &load(&other, &h).unwrap());
    write(&mut fs, "later", 0, b"written after `other` scanned");
    let h2 = save(&store, &fs.snapshot(), &[]).unwrap();
    assert!(other.contains(&h2).unwrap());
    assert_same_tree(&fs.snapshot(), &load(&other, &h2).unwrap());
}

#[test]
fn the_pack_limit_splits_a_save() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    store.set_pack_limit(10_000);
    let mut fs = new_fs();
    for i in 0..20u8 {
        write(&mut fs, &format!("f{i}"), 0, &[i.wrapping_add(1); 4096]);
    }
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    assert!(
        pack_files(&backend).len() >= 5,
        "{:?}",
        pack_files(&backend)
    );
    store.verify(&h).unwrap();
    assert_same_tree(
        &fs.snapshot(),
        &load(&Store::with_backend(backend.clone()), &h).unwrap(),
    );
}

#[test]
fn gc_merges_small_packs_and_drops_dead_objects() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let mut fs = new_fs();
    let mut saver = Saver::new();
    let mut kept = Vec::new();
    for i in 0..5 {
        write(
            &mut fs,
            &format!("f{i}"),
            0,
            format!("content {i}").as_bytes(),
        );
        let h = saver.save(&store, &fs.snapshot(), &[]).unwrap();
        kept.push((h, fs.snapshot()));
    }
    // An unreferenced snapshot, in its own pack.
    write(&mut fs, "dead", 0, b"nobody refers to this");
    let dead = save(&store, &fs.snapshot(), &[]).unwrap();
    store.set_ref("last", &kept[4].0).unwrap();
    assert_eq!(pack_files(&backend).len(), 6);
    let stats = store.gc().unwrap();
    assert_eq!(stats.packs_rewritten, 6, "{stats:?}");
    assert!(stats.removed >= 3, "{stats:?}");
    assert_eq!(pack_files(&backend).len(), 1);
    for s in [&store, &Store::with_backend(backend.clone())] {
        for (h, snap) in &kept {
            s.verify(h).unwrap();
            assert_same_tree(snap, &load(s, h).unwrap());
        }
        assert!(matches!(load(s, &dead), Err(Error::Missing { .. })));
    }
    // Nothing left to do.
    let again = store.gc().unwrap();
    assert_eq!((again.removed, again.packs_rewritten), (0, 0), "{again:?}");
}

#[test]
fn a_damaged_pack_index_is_named_and_other_packs_still_serve() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let mut fs = new_fs();
    write(&mut fs, "a", 0, b"first");
    let ha = save(&store, &fs.snapshot(), &[]).unwrap();
    let first = pack_files(&backend);
    let a = fs.snapshot();
    write(&mut fs, "b", 0, b"second");
    let hb = save(&store, &fs.snapshot(), &[]).unwrap();
    let second: Vec<String> = pack_files(&backend)
        .into_iter()
        .filter(|p| !first.contains(p))
        .collect();
    assert_eq!(second.len(), 1);
    // Damage the index checksum (the last byte) of the second save's pack.
    let mut bytes = backend.files()[&second[0]].clone();
    *bytes.last_mut().unwrap() ^= 1;
    backend.set(&second[0], Some(bytes));
    let fresh = Store::with_backend(backend.clone());
    assert_same_tree(&a, &load(&fresh, &ha).unwrap());
    match load(&fresh, &hb) {
        Err(Error::CorruptedPack { pack, what }) => {
            assert!(second[0].ends_with(&pack), "{pack}");
            assert_eq!(what, "index does not match its checksum");
        }
        other => panic!("{other:?}"),
    }
    // gc refuses to touch a store it cannot read whole.
    store.set_ref("b", &hb).unwrap();
    assert!(fresh.gc().is_err());
}

#[test]
fn loose_objects_still_load_beside_packs() {
    let backend = MemBackend::new();
    let mut fs = new_fs();
    sample(&mut fs);
    // Write every object loose, as stores did before packs.
    let packed = Store::with_backend(MemBackend::new());
    let h = save(&packed, &fs.snapshot(), &[]).unwrap();
    let loose = Store::with_backend(backend.clone());
    for o in packed.objects().unwrap() {
        loose
            .put(&packed.get(&o, strata_snapshots::Kind::Chunk).unwrap())
            .unwrap();
    }
    assert!(pack_files(&backend).is_empty());
    assert_same_tree(&fs.snapshot(), &load(&loose, &h).unwrap());
    // An incremental save over the loose store writes only the change.
    write(&mut fs, "new", 0, b"new");
    let h2 = save(&loose, &fs.snapshot(), &[]).unwrap();
    loose.set_ref("x", &h2).unwrap();
    assert_same_tree(&fs.snapshot(), &load(&loose, &h2).unwrap());
    // The first manifest and root are unreferenced now, loose as they are.
    assert!(loose.gc().unwrap().removed >= 2);
    loose.verify(&h2).unwrap();
    assert!(matches!(load(&loose, &h), Err(Error::Missing { .. })));
}

#[test]
fn damage_in_a_pack_on_disk_is_found_through_read_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let mut fs = new_fs();
    sample(&mut fs);
    for i in 0..50 {
        write(&mut fs, &format!("f{i}"), 0, format!("file {i}").as_bytes());
    }
    let h = save(&Store::open(dir.path()).unwrap(), &fs.snapshot(), &[]).unwrap();
    let pack = std::fs::read_dir(dir.path().join("packs"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let orig = std::fs::read(&pack).unwrap();
    assert_same_tree(
        &fs.snapshot(),
        &load(&Store::open(dir.path()).unwrap(), &h).unwrap(),
    );
    // Objects take the first part of the file; damage a few spread over it.
    // The trailer says where the index (and so the object area) ends.
    let t = orig.len() - 40;
    let objects_end = u64::from_le_bytes(orig[t..t + 8].try_into().unwrap()) as usize;
    for at in (10..objects_end).step_by(objects_end / 7) {
        let mut bad = orig.clone();
        bad[at] ^= 0x10;
        std::fs::write(&pack, &bad).unwrap();
        let store = Store::open(dir.path()).unwrap();
        match load(&store, &h) {
            Err(Error::Corrupted { .. }) => {}
            other => panic!("byte {at}: {other:?}"),
        }
    }
    std::fs::write(&pack, &orig).unwrap();
    Store::open(dir.path()).unwrap().verify(&h).unwrap();
}
