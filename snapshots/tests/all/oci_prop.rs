//! Property test: for random trees and random changes, a layer of the changes applied over the base reproduces the changed tree, and a full layer reproduces it from nothing.

use proptest::prelude::*;
use strata_snapshots::oci::{self, ImportOptions};
use strata_snapshots::{MemBackend, NoProgress, Store, read_manifest, save};

use crate::common::{assert_same_tree, mkdir, new_fs};
use crate::diff::{op, two_states};

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn layers_reproduce_the_tree(
        before in prop::collection::vec(op(), 0..40),
        after in prop::collection::vec(op(), 0..16),
    ) {
        let t = two_states(&before, &after);
        let (store, base, a, target, b) = (t.store, t.before, t.a, t.after, t.b);
        let want = read_manifest(&store, &b).unwrap();

        let mut changes = Vec::new();
        oci::export(&store, &b, Some(&a), &mut changes, &NoProgress).unwrap();
        let over = oci::import(&changes[..], Some(base), &ImportOptions::default()).unwrap();
        assert_same_tree(&target, &over);
        let got = read_manifest(&store, &save(&store, &over, &[]).unwrap()).unwrap();
        prop_assert_eq!(got.root, want.root);
        prop_assert_eq!(got.links, want.links.clone());

        let mut full = Vec::new();
        oci::export(&store, &b, None, &mut full, &NoProgress).unwrap();
        let fresh = oci::import(&full[..], None, &ImportOptions::default()).unwrap();
        let got = read_manifest(&store, &save(&store, &fresh, &[]).unwrap()).unwrap();
        prop_assert_eq!(got.root, want.root);
        prop_assert_eq!(got.links, want.links);
    }
}

/// Every single-byte change and every truncation of a small layer imports or
/// fails cleanly: never a panic, never an unbounded allocation.
#[test]
fn damaged_layers_never_panic() {
    let store = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    crate::common::sample(&mut fs);
    let long = "l".repeat(120);
    mkdir(&mut fs, &long);
    crate::common::write(&mut fs, &format!("{long}/x"), 0, b"long");
    let h = save(&store, &fs.snapshot(), &[]).unwrap();
    let mut tar = Vec::new();
    oci::export(&store, &h, None, &mut tar, &NoProgress).unwrap();
    let opts = ImportOptions::default();
    let (mut ok, mut failed) = (0, 0);
    for i in 0..tar.len() {
        for x in [0x01u8, 0xff] {
            let mut bad = tar.clone();
            bad[i] ^= x;
            match oci::import(&bad[..], None, &opts) {
                Ok(_) => ok += 1,
                Err(_) => failed += 1,
            }
        }
    }
    for n in 0..tar.len() {
        let _ = oci::import(&tar[..n], None, &opts);
    }
    // Flips in data and padding import; flips in headers fail.
    assert!(ok > 0 && failed > 0, "{ok} imported, {failed} refused");
}
