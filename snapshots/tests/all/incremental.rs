//! A `Saver` kept across saves re-reads only what changed.

use std::time::Instant;

use strata_snapshots::{MemBackend, Saver, Store, load, save};

use crate::common::*;

#[test]
fn one_change_writes_only_its_path() {
    let backend = MemBackend::new();
    let store = Store::with_backend(backend.clone());
    let mut fs = new_fs();
    for d in 0..10 {
        mkdir(&mut fs, &format!("d{d}"));
        for f in 0..50 {
            write(
                &mut fs,
                &format!("d{d}/f{f}"),
                0,
                format!("{d}/{f}").as_bytes(),
            );
        }
    }
    let mut saver = Saver::new();
    let first = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    write(&mut fs, "d3/f7", 0, b"changed");
    let before = backend.writes();
    let objects = store.objects().unwrap().len();
    let second = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    // New chunk, file, d3, root, manifest, in one pack.
    assert_eq!(backend.writes() - before, 1);
    assert_eq!(store.objects().unwrap().len() - objects, 5);
    let m = strata_snapshots::read_manifest(&store, &second).unwrap();
    assert_eq!(m.parent, Some(first));
    assert_eq!(
        root_of(&store, &second),
        root_of(&store, &save(&store, &fs.snapshot(), &[]).unwrap())
    );
    assert_same_tree(&fs.snapshot(), &load(&store, &second).unwrap());
}

#[test]
fn renames_links_and_removals_follow() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    sample(&mut fs);
    let mut saver = Saver::new();
    saver.save(&store, &fs.snapshot(), &[]).unwrap();
    let root = fs.open_root().unwrap();
    fs.rename(&root, "etc", &root, "moved").unwrap();
    fs.unlink(&root, "zz-link").unwrap();
    fs.link(&root, "moved/hello.txt", &root, "hello-again", false)
        .unwrap();
    fs.rmdir(&root, "moved/empty").unwrap();
    fs.close(root);
    let inc = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    let full = save(&store, &fs.snapshot(), &[]).unwrap();
    assert_eq!(root_of(&store, &inc), root_of(&store, &full));
    assert_same_tree(&fs.snapshot(), &load(&store, &inc).unwrap());
}

/// Not a timed assertion: prints the cost of a one-file change in a tree of
/// 100,000 files (run with `--nocapture --ignored` in release mode).
#[test]
#[ignore]
fn measure_incremental_save_100k() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = strata_engine::Fs::new(strata_engine::Config {
        max_inodes: 1 << 22,
        ..strata_engine::Config::default()
    });
    for d in 0..100 {
        mkdir(&mut fs, &format!("d{d}"));
        for f in 0..1000 {
            write(
                &mut fs,
                &format!("d{d}/f{f}"),
                0,
                format!("{d}/{f}").as_bytes(),
            );
        }
    }
    let mut saver = Saver::new();
    let t = Instant::now();
    saver.save(&store, &fs.snapshot(), &[]).unwrap();
    println!("full save of 100,000 files: {:?}", t.elapsed());
    for i in 0..5 {
        write(&mut fs, "d42/f420", 0, format!("change {i}").as_bytes());
        let t = Instant::now();
        let h = saver.save(&store, &fs.snapshot(), &[]).unwrap();
        println!("incremental save after one change: {:?}", t.elapsed());
        if i == 4 {
            let t = Instant::now();
            load(&store, &h).unwrap();
            println!("load of 100,000 files: {:?}", t.elapsed());
        }
    }
    let mut fs = new_fs();
    // Incompressible, non-repeating data (xorshift), 64 files of 1 MiB.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for n in 0..64 {
        let data: Vec<u8> = (0..(1 << 17))
            .flat_map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x.to_le_bytes()
            })
            .collect();
        write(&mut fs, &format!("f{n}"), 0, &data);
    }
    let t = Instant::now();
    save(&store, &fs.snapshot(), &[]).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "full save of 64 MiB (mem store): {:.0} MB/s",
        64.0 * 1.048_576 / s
    );
    // The same into a host directory: pack files, each fsynced once.
    let dir = tempfile::tempdir().unwrap();
    let disk = Store::open(dir.path()).unwrap();
    let t = Instant::now();
    save(&disk, &fs.snapshot(), &[]).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "full save of 64 MiB (host directory): {:.1} MB/s",
        64.0 * 1.048_576 / s
    );
}

/// Over a host lower layer: copy-up, whiteouts, opaque directories and renamed
/// lower directories all reach the saved tree, incrementally as in full.
#[test]
fn over_a_lower_layer() {
    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(host.path().join("lib/deep")).unwrap();
    std::fs::write(host.path().join("lib/a"), b"lower a").unwrap();
    std::fs::write(host.path().join("lib/deep/b"), vec![7u8; 10_000]).unwrap();
    std::fs::write(host.path().join("top"), b"top").unwrap();
    let lower = std::sync::Arc::new(strata_engine::HostLower::open(host.path()).unwrap());
    let mut fs = strata_engine::Fs::with_lower(lower, strata_engine::Config::default()).unwrap();
    let store = Store::with_backend(MemBackend::new());
    let mut saver = Saver::new();
    let h0 = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    assert_same_tree(&fs.snapshot(), &load(&store, &h0).unwrap());
    let m = strata_snapshots::read_manifest(&store, &h0).unwrap();
    assert_eq!(m.lowers.len(), 1);

    type Step = Box<dyn Fn(&mut strata_engine::Fs)>;
    let steps: Vec<Step> = vec![
        Box::new(|fs| write(fs, "lib/deep/b", 4096, b"patched")),
        Box::new(|fs| {
            let root = fs.open_root().unwrap();
            fs.unlink(&root, "top").unwrap();
            fs.rename(&root, "lib/deep", &root, "moved").unwrap();
            fs.close(root);
        }),
        Box::new(|fs| {
            let root = fs.open_root().unwrap();
            fs.unlink(&root, "lib/a").unwrap();
            fs.rmdir(&root, "lib").unwrap();
            fs.mkdir(&root, "lib", 0o700).unwrap();
            fs.close(root);
            write(fs, "lib/new", 0, b"new");
            link(fs, "moved/b", "lib/b-again");
        }),
    ];
    for step in steps {
        step(&mut fs);
        let snap = fs.snapshot();
        let inc = saver.save(&store, &snap, &[]).unwrap();
        let full = save(&store, &snap, &[]).unwrap();
        assert_eq!(root_of(&store, &inc), root_of(&store, &full));
        assert_same_tree(&snap, &load(&store, &inc).unwrap());
    }
}
