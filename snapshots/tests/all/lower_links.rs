//! Hard links inside a host lower layer are saved as one file with several
//! names (the loose end "hard links inside a HostLower lower layer were saved
//! as separate files").

use std::sync::Arc;

use strata_engine::{Config, Fs, HostLower};
use strata_snapshots::{MemBackend, Saver, Store, load, read_manifest};

use crate::common::*;

#[test]
fn host_hard_links_stay_one_file() {
    let host = tempfile::tempdir().unwrap();
    std::fs::create_dir(host.path().join("sub")).unwrap();
    std::fs::write(host.path().join("a"), b"shared content").unwrap();
    std::fs::hard_link(host.path().join("a"), host.path().join("sub/b")).unwrap();
    std::fs::write(host.path().join("alone"), b"shared content").unwrap();
    let lower = Arc::new(HostLower::open(host.path()).unwrap());
    let mut fs = Fs::with_lower(lower, Config::default()).unwrap();
    let store = Store::with_backend(MemBackend::new());
    let mut saver = Saver::new();
    let h = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    let m = read_manifest(&store, &h).unwrap();
    let groups: Vec<Vec<String>> = m
        .links
        .iter()
        .map(|g| g.paths.iter().map(|p| p.0.join("/")).collect())
        .collect();
    assert_eq!(groups, [["a", "sub/b"]]);
    let loaded = load(&store, &h).unwrap();
    assert_same_tree(&fs.snapshot(), &loaded);
    let d = dump(&loaded);
    assert_eq!(d["sub/b"].identity, "a");
    assert_eq!(d["a"].nlink, 2);
    assert_eq!(d["alone"].identity, "alone");

    // Written through one name (copy-up), the other name follows, saved
    // incrementally and in full alike.
    write(&mut fs, "sub/b", 0, b"SHARED");
    let inc = saver.save(&store, &fs.snapshot(), &[]).unwrap();
    let full = strata_snapshots::save(&store, &fs.snapshot(), &[]).unwrap();
    assert_eq!(root_of(&store, &inc), root_of(&store, &full));
    let loaded = load(&store, &inc).unwrap();
    assert_same_tree(&fs.snapshot(), &loaded);
    assert_eq!(&dump(&loaded)["a"].content, b"SHARED content");
    assert_eq!(read_manifest(&store, &inc).unwrap().links.len(), 1);
}
