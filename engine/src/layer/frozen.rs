//! A frozen snapshot used as a lower layer, so layers stack like image layers.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::{Lower, LowerEntry, LowerStat};
use crate::error::Result;
use crate::inode::Ino;
use crate::name::Name;
use crate::tree::Snapshot;

/// A read-only lower layer made of a snapshot's merged view. Objects keep the
/// inode numbers they have in the snapshot; the new upper layer allocates above
/// the snapshot's.
#[derive(Debug)]
pub struct FrozenLower {
    snap: Snapshot,
    listings: RwLock<HashMap<Ino, Arc<[LowerEntry]>>>,
}

impl FrozenLower {
    /// Freezes `snap` as a lower layer.
    pub fn new(snap: Snapshot) -> FrozenLower {
        FrozenLower {
            snap,
            listings: RwLock::new(HashMap::new()),
        }
    }
}

impl Lower for FrozenLower {
    fn root(&self) -> Ino {
        self.snap.root()
    }

    fn lookup(&self, dir: Ino, name: &Name) -> Result<Option<Ino>> {
        Ok(self.snap.view().lookup(dir, name)?.map(|(ino, _)| ino))
    }

    fn stat(&self, ino: Ino) -> Result<LowerStat> {
        let s = self.snap.view().stat(ino)?;
        Ok(LowerStat {
            kind: s.kind,
            size: s.size,
            perm: s.perm,
            nlink: s.nlink,
            atime: s.atime,
            mtime: s.mtime,
            ctime: s.ctime,
        })
    }

    fn entries(&self, dir: Ino) -> Result<Arc<[LowerEntry]>> {
        if let Some(l) = self
            .listings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&dir)
        {
            return Ok(l.clone());
        }
        let list: Arc<[LowerEntry]> = self
            .snap
            .entries(dir)?
            .into_iter()
            .map(|e| LowerEntry {
                name: e.name,
                kind: e.kind,
            })
            .collect();
        self.listings
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(dir, list.clone());
        Ok(list)
    }

    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.snap.view().read(ino, offset, buf)
    }

    fn data_range(&self, ino: Ino, offset: u64) -> Result<Option<(u64, u64)>> {
        self.snap.data_range(ino, offset)
    }

    fn readlink(&self, ino: Ino) -> Result<Arc<str>> {
        self.snap.view().readlink(ino)
    }

    fn parent(&self, dir: Ino) -> Result<Ino> {
        self.snap.view().parent(dir)
    }

    fn first_free_ino(&self) -> u64 {
        self.snap.tree.next_ino
    }
}
