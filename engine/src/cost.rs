//! What each upper-layer structure costs in host memory: the model the byte
//! quota charges.
//!
//! Every byte the engine keeps on a guest's behalf is charged: the inode
//! record and its slot in the inode table, every directory entry (the name's
//! allocation and its slot in the directory's map), the map of each
//! directory, symlink targets, and each stored chunk of file data (its
//! buffer's capacity, its header and its slot in the file's chunk table).
//! Sizes follow glibc's `malloc` (16-byte steps, an 8-byte header, 32 bytes
//! at least) and `imbl`'s B+tree: a map slot is charged as if leaves were at
//! their minimum fill (a third full), so the charge is an upper bound of the
//! memory whatever order the guest inserts and removes names in, and each
//! non-empty map is charged its root leaf and one branch on top.

use std::mem::size_of;
use std::sync::Arc;

use crate::inode::{Entry, Ino, Inode, InodeRef};
use crate::name::Name;

/// Slots in one `imbl` B+tree node (its `ORD_CHUNK_SIZE`).
const NODE_SLOTS: usize = 16;
/// Fewest slots a non-root leaf holds (imbl keeps leaves a third full).
const MIN_LEAF: usize = NODE_SLOTS / 3;
/// Fewest children of a non-root branch (imbl keeps branches half full).
const MIN_FANOUT: usize = NODE_SLOTS / 2;
/// Reference counts in front of every `Arc` allocation.
const ARC: usize = 2 * size_of::<usize>();
/// The two indices of an `imbl-sized-chunks` chunk.
const CHUNK_INDICES: usize = 2 * size_of::<usize>();

/// Bytes that `malloc(n)` takes from the heap (glibc: header, 16-byte steps,
/// 32 bytes at least).
pub(crate) const fn heap(n: usize) -> u64 {
    let with_header = n + size_of::<usize>();
    let rounded = (with_header + 15) & !15;
    if rounded < 32 { 32 } else { rounded as u64 }
}

/// One leaf of a map whose key and value together take `kv` bytes.
const fn leaf(kv: usize) -> u64 {
    heap(ARC + CHUNK_INDICES + NODE_SLOTS * kv)
}

/// One branch of a map whose keys take `k` bytes: keys, child pointers, level.
const fn branch(k: usize) -> u64 {
    heap(ARC + 2 * CHUNK_INDICES + NODE_SLOTS * k + (NODE_SLOTS + 1) * size_of::<usize>() + 16)
}

/// One slot of a map (key `k` bytes, key and value `kv` bytes): its share of
/// a leaf at minimum fill and of the branches above (each covering at least
/// `MIN_FANOUT` leaves; the levels above add less than a seventh more).
const fn slot(k: usize, kv: usize) -> u64 {
    let leaves = leaf(kv).div_ceil(MIN_LEAF as u64);
    let branches = branch(k).div_ceil((MIN_LEAF * MIN_FANOUT) as u64);
    leaves + branches + branches.div_ceil(7)
}

/// The root of a non-empty map: a whole leaf and one branch, however few
/// slots it holds.
const fn map_root(k: usize, kv: usize) -> u64 {
    leaf(kv) + branch(k)
}

/// An inode: its `Arc<Inode>` record and its slot in the inode table.
pub(crate) const INODE: u64 =
    heap(ARC + size_of::<Inode>()) + slot(size_of::<Ino>(), size_of::<(Ino, InodeRef)>());

/// A directory's entry map, charged with the directory (an empty one holds
/// nothing, but the first entry allocates the root).
pub(crate) const DIR_MAP: u64 = map_root(size_of::<Name>(), size_of::<(Name, Entry)>());

/// The root of a file's chunk table (only files with a chunk past the first
/// have one).
pub(crate) const CHUNK_MAP: u64 = map_root(size_of::<u64>(), size_of::<(u64, Arc<Vec<u8>>)>());

/// One directory entry (a name or a whiteout): the name's allocation and its
/// slot in the directory's map.
pub(crate) const fn entry(name_len: usize) -> u64 {
    heap(ARC + name_len) + slot(size_of::<Name>(), size_of::<(Name, Entry)>())
}

/// A symlink target of `len` bytes (an `Arc<str>`).
pub(crate) const fn target(len: usize) -> u64 {
    heap(ARC + len)
}

/// One stored chunk whose buffer has capacity `cap`: the buffer, the
/// `Arc<Vec<u8>>` header and its slot in the chunk table.
pub(crate) const fn chunk(cap: usize) -> u64 {
    heap(cap)
        + heap(ARC + size_of::<Vec<u8>>())
        + slot(size_of::<u64>(), size_of::<(u64, Arc<Vec<u8>>)>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_follows_glibc() {
        assert_eq!(heap(0), 32);
        assert_eq!(heap(24), 32);
        assert_eq!(heap(25), 48);
        assert_eq!(heap(4096), 4112);
    }

    #[test]
    fn figures_are_what_the_docs_say() {
        // Printed so that README's figures can be checked against them.
        eprintln!(
            "inode {INODE}, dir map {DIR_MAP}, chunk map {CHUNK_MAP}, entry(1) {}, entry(240) {}, chunk(1) {}, chunk(4096) {}",
            entry(1),
            entry(240),
            chunk(1),
            chunk(4096)
        );
        // A 1-byte chunk costs far more than its byte: the sparse-write hole.
        assert!(chunk(1) > 100);
        assert!(chunk(4096) < 4096 + 200);
        assert!(entry(240) > 240 + 100);
    }
}
