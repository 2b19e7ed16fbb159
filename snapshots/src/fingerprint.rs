//! Fingerprints of lower layers, recorded in manifests to detect a changed lower tree.

use strata_engine::{FileType, Lower};

use crate::error::Result;
use crate::hash::Hash;

/// A digest of a lower tree's names, types, sizes, permission bits, mtimes and
/// symlink targets (not its file data: reading it all would cost as much as
/// copying it). Depth-first in name order, each directory as its entry count
/// followed by its entries, so the byte stream determines the tree.
pub fn fingerprint(lower: &dyn Lower) -> Result<Hash> {
    let mut h = blake3::Hasher::new();
    h.update(b"strata lower fingerprint v1\0");
    let root = lower.root();
    let s = lower.stat(root)?;
    h.update(&s.perm.to_le_bytes());
    h.update(&s.mtime.to_le_bytes());
    let mut work = vec![root];
    while let Some(dir) = work.pop() {
        let entries = lower.entries(dir)?;
        h.update(&(entries.len() as u64).to_le_bytes());
        let mut subdirs = Vec::new();
        for e in entries.iter() {
            let Some(ino) = lower.lookup(dir, &e.name)? else {
                continue;
            };
            let s = lower.stat(ino)?;
            h.update(&(e.name.as_str().len() as u64).to_le_bytes());
            h.update(e.name.as_str().as_bytes());
            let kind: u8 = match s.kind {
                FileType::File => 0,
                FileType::Dir => 1,
                FileType::Symlink => 2,
            };
            h.update(&[kind]);
            h.update(&s.size.to_le_bytes());
            h.update(&s.perm.to_le_bytes());
            h.update(&s.mtime.to_le_bytes());
            match s.kind {
                FileType::Symlink => {
                    let t = lower.readlink(ino)?;
                    h.update(&(t.len() as u64).to_le_bytes());
                    h.update(t.as_bytes());
                }
                FileType::Dir => subdirs.push(ino),
                FileType::File => {}
            }
        }
        work.extend(subdirs.into_iter().rev());
    }
    Ok(Hash(*h.finalize().as_bytes()))
}
