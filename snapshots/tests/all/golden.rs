//! The committed version-1 store must load, forever.

use std::path::PathBuf;

use strata_snapshots::{Hash, Store, load, read_manifest, save};

use crate::common::*;

/// Manifest and root hashes of `tests/golden/v1`, as written by `write_golden`.
const GOLDEN_MANIFEST: &str = "2c8403b6c43e90e1fa2f62911e9e13f68681846a3115e0d3879de6587425146d";
const GOLDEN_ROOT: &str = "50268229147406e8a6e8b44a8004bcbe1d4fc6f6bad1bb4fc672b369d55ed8c8";

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v1")
}

/// The golden tree, every time and permission explicit so that it does not
/// depend on how the engine's clock advances.
fn golden_tree() -> strata_engine::Fs {
    let mut fs = new_fs();
    sample(&mut fs);
    set_meta(&mut fs, "sparse", 0o640, 21, 22);
    set_meta(&mut fs, "zeros", 0o400, 23, 24);
    for (i, d) in ["etc/empty", "etc", "bin"].iter().enumerate() {
        set_meta(&mut fs, d, 0o755, 30 + i as u64, 40 + i as u64);
    }
    let root = fs.open_root().unwrap();
    let t = strata_engine::SetTime::At(1_700_000_000_000_000_000);
    fs.set_times(&root, t, t).unwrap();
    fs.close(root);
    fs
}

#[test]
fn version_1_store_loads() {
    let store = Store::open(golden_dir()).unwrap();
    let m: Hash = GOLDEN_MANIFEST.parse().unwrap();
    assert_eq!(store.get_ref("golden").unwrap(), m);
    let manifest = read_manifest(&store, &m).unwrap();
    assert_eq!(manifest.version, 1);
    assert_eq!(manifest.root, GOLDEN_ROOT.parse().unwrap());
    assert_eq!(manifest.labels, vec![("name".into(), "golden".into())]);
    store.verify(&m).unwrap();
    let loaded = load(&store, &m).unwrap();
    assert_same_tree(&golden_tree().snapshot(), &loaded);
    // Today's saver still produces the same bytes for the same tree.
    let mem = Store::with_backend(strata_snapshots::MemBackend::new());
    let again = save(&mem, &loaded, &[("name", "golden")]).unwrap();
    assert_eq!(again, m);
}

/// Regenerates the golden store: `cargo test -p strata-snapshots -- --ignored
/// write_golden`, then update the constants above. Only for a new format
/// version's directory: a released version's files never change.
#[test]
#[ignore]
fn write_golden() {
    let dir = golden_dir();
    let store = Store::open(&dir).unwrap();
    let h = save(&store, &golden_tree().snapshot(), &[("name", "golden")]).unwrap();
    store.set_ref("golden", &h).unwrap();
    println!("manifest {h}\nroot {}", root_of(&store, &h));
}
