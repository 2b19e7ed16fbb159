//! The fixture and the tree picture agree with each other.

use strata_tests::fixture::{self, BIG_LEN};
use strata_tests::tree::{self, TreeEntry};

#[test]
fn fixture_tree_has_the_documented_shape() {
    let dir = tempfile::tempdir().expect("temp dir");
    fixture::populate(dir.path()).expect("populate");
    let tree = tree::snapshot_dir(dir.path()).expect("snapshot");
    let names: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            ".wh.fake",
            "README.txt",
            "data",
            "data/big.bin",
            "data/hard_a.txt",
            "data/hard_b.txt",
            "data/link_to_leaf",
            "data/nested",
            "data/nested/deep",
            "data/nested/deep/leaf.txt",
            "data/nested/mid.txt",
            "data/small.txt",
            "docs",
            "docs/a.txt",
            "docs/b.txt",
            "docs/sub",
            "docs/sub/c.txt",
            "empty",
            "links",
            "links/dangling",
            "links/escape_abs",
            "links/escape_rel",
            "links/to_docs",
        ]
    );
    assert_eq!(
        tree["data/big.bin"],
        TreeEntry::File(fixture::big_content())
    );
    assert_eq!(fixture::big_content().len(), BIG_LEN);
    assert_eq!(
        tree["links/escape_abs"],
        TreeEntry::Symlink("/etc/passwd".into())
    );
    assert_eq!(tree["empty"], TreeEntry::Dir);

    // The same tree twice compares equal; a change shows up in the diff.
    let again = tree::snapshot_dir(dir.path()).expect("snapshot");
    assert_eq!(tree, again);
    std::fs::write(dir.path().join("docs/a.txt"), "changed").expect("write");
    let changed = tree::snapshot_dir(dir.path()).expect("snapshot");
    assert_eq!(tree::diff(&tree, &changed).len(), 1);
}

#[test]
fn hard_linked_pair_is_one_inode() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().expect("temp dir");
    fixture::populate(dir.path()).expect("populate");
    let a = std::fs::metadata(dir.path().join("data/hard_a.txt")).expect("stat");
    let b = std::fs::metadata(dir.path().join("data/hard_b.txt")).expect("stat");
    assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
}
