//! `Fs`: one mutable filesystem (a state plus open-handle bookkeeping).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use imbl::{OrdMap, OrdSet};

use crate::clock::Timestamp;
use crate::config::Config;
use crate::cost;
use crate::error::{Error, Result};
use crate::inode::{Body, Dir, Entry, FileType, Ino, Inode, InodeRef, Meta, fresh_gen};
use crate::layer::Lower;
use crate::name::Name;
use crate::ofd::{Handle, OpenFile};
use crate::overlay::{Node, View};
use crate::resolve::{Resolved, resolve};
use crate::tree::{Shared, Snapshot, Tree};

/// Inode number of the root when there is no lower layer.
const UPPER_ROOT: Ino = Ino(1);

/// A writable overlay filesystem.
///
/// Every operation either applies completely or fails leaving the state as it
/// was. Namespace and metadata operations run inside [`Fs::atomic`]: they
/// change a state whose previous value is kept (O(1) with persistent trees)
/// and put back on any error, so a failed step, copy-ups and quota charges
/// included, leaves no trace. Data operations (`pwrite`, `set_len`) cannot
/// afford the copy of the chunk they modify that a kept previous state would
/// force; they read and check everything first (lower data included) and
/// change the state only in steps that cannot fail.
pub struct Fs {
    pub(crate) tree: Tree,
    pub(crate) shared: Arc<Shared>,
    /// Open descriptions per inode; an unlinked inode stays while this is non-zero.
    pub(crate) open: HashMap<Ino, usize>,
    pub(crate) open_total: usize,
    /// This filesystem's identity, recorded in every handle it opens: a
    /// handle is only ever used with the filesystem that opened it (a fork's
    /// handles are its own; a restore keeps the identity).
    pub(crate) id: u64,
}

/// The next filesystem identity.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl fmt::Debug for Fs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fs")
            .field("upper_inodes", &self.tree.inodes.len())
            .field("bytes", &self.tree.bytes)
            .field("open", &self.open_total)
            .finish_non_exhaustive()
    }
}

impl Fs {
    /// An empty in-memory filesystem.
    pub fn new(config: Config) -> Fs {
        let now = config.clock.now(0);
        let root = Inode {
            meta: Meta::new(0o755, 2, now),
            body: Body::Dir(Dir::new(UPPER_ROOT, false)),
            generation: fresh_gen(),
        };
        let tree = Tree {
            charge: root.charge(),
            inodes: OrdMap::unit(UPPER_ROOT, InodeRef(Arc::new(root))),
            root: UPPER_ROOT,
            next_ino: UPPER_ROOT.0 + 1,
            tick: 1,
            bytes: 0,
            orphans: OrdSet::new(),
        };
        Fs::counted(
            tree,
            Arc::new(Shared {
                lower: None,
                config,
            }),
        )
    }

    /// A filesystem over `tree`, its charge counted in the shared total.
    fn counted(tree: Tree, shared: Arc<Shared>) -> Fs {
        if let Some(t) = &shared.config.total {
            t.add(tree.charge);
        }
        Fs {
            tree,
            shared,
            open: HashMap::new(),
            open_total: 0,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// A filesystem whose writable layer lies over `lower`.
    pub fn with_lower(lower: Arc<dyn Lower>, config: Config) -> Result<Fs> {
        let root = lower.root();
        let s = lower.stat(root)?;
        if s.kind != FileType::Dir {
            return Err(Error::NotDir);
        }
        let inode = Inode {
            meta: Meta::from(&s),
            body: Body::Dir(Dir::new(root, true)),
            generation: 0,
        };
        let tree = Tree {
            charge: inode.charge(),
            inodes: OrdMap::unit(root, InodeRef(Arc::new(inode))),
            root,
            next_ino: lower.first_free_ino().max(1),
            tick: 0,
            bytes: 0,
            orphans: OrdSet::new(),
        };
        let shared = Arc::new(Shared {
            lower: Some(lower),
            config,
        });
        Ok(Fs::counted(tree, shared))
    }

    /// A filesystem starting from `snap`, with no open handles. O(1), plus the
    /// files the snapshot holds only because they were open when it was taken
    /// (nothing can reach them here, so they are released).
    ///
    /// The fork starts with the snapshot's charge against its quota and the
    /// shared total (see [`Budget`](crate::Budget)): it keeps all of it alive
    /// once the snapshot is gone.
    pub fn from_snapshot(snap: &Snapshot) -> Fs {
        let mut fs = Fs::counted(snap.tree.clone(), snap.shared.clone());
        fs.release_unheld_orphans();
        fs
    }

    /// The current state as an immutable value. O(1). Files unlinked while open
    /// are part of it, so restoring it here gives their handles their data
    /// back; a filesystem forked from it releases them.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            tree: self.tree.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Replaces the state by `snap`'s. O(1). Handles stay open; a handle whose
    /// object does not exist in the restored state fails with `BadHandle`.
    pub fn restore(&mut self, snap: &Snapshot) {
        if let Some(t) = &self.shared.config.total {
            t.sub(self.tree.charge);
        }
        if let Some(t) = &snap.shared.config.total {
            t.add(snap.tree.charge);
        }
        self.tree = snap.tree.clone();
        self.shared = snap.shared.clone();
        // Objects unlinked in the restored state but open here stay reachable
        // through their handles and must be released on last close.
        let held: Vec<Ino> = self.open.keys().copied().collect();
        for ino in held {
            if self
                .tree
                .inodes
                .get(&ino)
                .is_some_and(|i| i.meta.nlink == 0)
            {
                self.tree.orphans.insert(ino);
            }
        }
        self.release_unheld_orphans();
    }

    /// Frees unlinked inodes that no handle of this filesystem holds.
    fn release_unheld_orphans(&mut self) {
        if self.tree.orphans.is_empty() {
            return;
        }
        let unheld: Vec<Ino> = self
            .tree
            .orphans
            .iter()
            .filter(|i| !self.open.contains_key(i))
            .copied()
            .collect();
        for ino in unheld {
            self.free(ino);
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Bytes of file data and symlink targets the upper layer holds.
    pub fn upper_bytes(&self) -> u64 {
        self.tree.bytes
    }

    /// Bytes charged to the byte quota and the shared total: the host memory
    /// the upper layer holds, by the engine's cost model (see
    /// [`Config::max_bytes`]).
    pub fn charged_bytes(&self) -> u64 {
        self.tree.charge
    }

    /// Inodes held by the upper layer.
    pub fn upper_inodes(&self) -> usize {
        self.tree.inodes.len()
    }

    /// The root directory's inode number.
    pub fn root_ino(&self) -> Ino {
        self.tree.root
    }

    pub(crate) fn view(&self) -> View<'_> {
        View {
            tree: &self.tree,
            lower: self.shared.lower.as_deref(),
        }
    }

    pub(crate) fn resolve_at(&self, base: &Handle, path: &str, follow: bool) -> Result<Resolved> {
        let b = base.borrow();
        self.check_own(&b)?;
        if b.kind != FileType::Dir {
            return Err(Error::NotDir);
        }
        self.check_live(&b)?;
        resolve(&self.view(), &self.shared.config, b.ino, path, follow)
    }

    /// `BadHandle` unless this filesystem opened the handle `o` is the
    /// description of.
    pub(crate) fn check_own(&self, o: &OpenFile) -> Result<()> {
        if o.fs == self.id {
            Ok(())
        } else {
            Err(Error::BadHandle)
        }
    }

    /// `BadHandle` unless this filesystem opened `o` and the object it was
    /// opened on (`ino` of its `generation`) exists in the current state.
    /// After a restore, an inode number may name a different object than it
    /// did when the handle was opened; the generation tells them apart.
    pub(crate) fn check_live(&self, o: &OpenFile) -> Result<()> {
        self.check_own(o)?;
        let (ino, generation) = (o.ino, o.generation);
        match self.view().node(ino) {
            Ok(Node::Upper(i)) if i.generation == generation => Ok(()),
            Ok(Node::Lower(l)) if generation == 0 => {
                l.stat(ino).map(|_| ()).map_err(|_| Error::BadHandle)
            }
            _ => Err(Error::BadHandle),
        }
    }

    pub(crate) fn check_writable_fs(&self) -> Result<()> {
        if self.shared.config.read_only {
            Err(Error::ReadOnly)
        } else {
            Ok(())
        }
    }

    /// `NotFound` if directory `dir` was removed (it may still be open): POSIX
    /// forbids creating entries in a removed directory.
    pub(crate) fn check_dir_alive(&self, dir: Ino) -> Result<()> {
        match self.tree.inodes.get(&dir) {
            Some(i) if i.meta.nlink == 0 => Err(Error::NotFound),
            _ => Ok(()),
        }
    }

    /// The next timestamp; advances the logical tick.
    pub(crate) fn now(&mut self) -> Timestamp {
        let t = self.shared.config.clock.now(self.tree.tick);
        self.tree.tick += 1;
        t
    }

    /// Runs `op` as one transaction: on error, the state is put back as it
    /// was before `op` (charges to the shared total included) and the error
    /// returned. O(1) to begin; while it runs, the first change to each node
    /// of the state copies that node, as a snapshot would.
    ///
    /// Open-handle bookkeeping (`open`, `open_total`) is not part of the
    /// state: `op` must change it only as its last, infallible step.
    pub(crate) fn atomic<R>(&mut self, op: impl FnOnce(&mut Fs) -> Result<R>) -> Result<R> {
        let before = self.tree.clone();
        let result = op(self);
        if result.is_err() {
            if let Some(t) = &self.shared.config.total {
                t.sub(self.tree.charge);
                t.add(before.charge);
            }
            self.tree = before;
        }
        result
    }

    /// Fails with `NoSpace` unless `inodes` more inodes and `bytes` more
    /// charged bytes fit, under this filesystem's quota and the shared total.
    pub(crate) fn reserve(&self, inodes: u64, bytes: u64) -> Result<()> {
        let c = &self.shared.config;
        let n = self.tree.inodes.len() as u64;
        if n.saturating_add(inodes) > c.max_inodes
            || self.tree.charge.saturating_add(bytes) > c.max_bytes
        {
            return Err(Error::NoSpace);
        }
        match &c.total {
            Some(t) => t.check(bytes),
            None => Ok(()),
        }
    }

    /// Charged bytes still available, under the quota and the shared total.
    pub(crate) fn byte_budget(&self) -> u64 {
        let c = &self.shared.config;
        let own = c.max_bytes.saturating_sub(self.tree.charge);
        c.total.as_ref().map_or(own, |t| own.min(t.available()))
    }

    /// Adds `n` bytes to the charge.
    ///
    /// # Preconditions
    /// The caller checked with `reserve` or `byte_budget` that they fit.
    pub(crate) fn charge(&mut self, n: u64) {
        self.tree.charge += n;
        if let Some(t) = &self.shared.config.total {
            t.add(n);
        }
    }

    /// Takes `n` bytes off the charge.
    pub(crate) fn release(&mut self, n: u64) {
        self.tree.charge = self.tree.charge.saturating_sub(n);
        if let Some(t) = &self.shared.config.total {
            t.sub(n);
        }
    }

    /// Adds `name → entry` to upper directory `dir`; a new name is charged
    /// (`cost::entry`), a name already there (a whiteout, or a replaced
    /// entry) only changes its target.
    ///
    /// # Preconditions
    /// `reserve` covered `cost::entry(name)`.
    pub(crate) fn put_entry(&mut self, dir: Ino, name: Name, entry: Entry) -> Result<()> {
        let len = name.as_str().len();
        let added = self.dir_mut(dir)?.entries.insert(name, entry).is_none();
        if added {
            self.charge(cost::entry(len));
        }
        Ok(())
    }

    /// Whether upper directory `dir` has an entry (node or whiteout) `name`.
    pub(crate) fn has_upper_entry(&self, dir: Ino, name: &Name) -> bool {
        self.tree
            .inodes
            .get(&dir)
            .and_then(|i| i.dir())
            .is_some_and(|d| d.entries.contains_key(name))
    }

    /// Removes `name` from upper directory `dir`, releasing its charge.
    pub(crate) fn remove_name(&mut self, dir: Ino, name: &Name) -> Result<()> {
        let removed = self.dir_mut(dir)?.entries.remove(name).is_some();
        if removed {
            self.release(cost::entry(name.as_str().len()));
        }
        Ok(())
    }

    /// Mutable access to an upper inode; `Internal` if `ino` has no upper
    /// record (a caller that forgot `copy_up`).
    pub(crate) fn inode_mut(&mut self, ino: Ino) -> Result<&mut Inode> {
        match self.tree.inodes.get_mut(&ino) {
            Some(r) => Ok(r.make_mut()),
            None => Err(Error::Internal(
                "change to an inode without an upper record",
            )),
        }
    }

    /// Mutable access to upper directory `dir`; `Internal` if it is none.
    fn dir_mut(&mut self, dir: Ino) -> Result<&mut Dir> {
        self.inode_mut(dir)?
            .dir_mut()
            .ok_or(Error::Internal("directory change on a non-directory"))
    }

    /// Allocates an inode number and inserts `inode` under it.
    ///
    /// # Preconditions
    /// The caller reserved quota for it.
    pub(crate) fn insert_new(&mut self, inode: Inode) -> Ino {
        let ino = Ino(self.tree.next_ino);
        self.tree.next_ino += 1;
        self.tree.bytes += inode.content_bytes();
        self.charge(inode.charge());
        self.tree.inodes.insert(ino, InodeRef(Arc::new(inode)));
        ino
    }

    /// Marks directory `dir` modified (mtime and ctime).
    pub(crate) fn touch_dir(&mut self, dir: Ino, now: Timestamp) -> Result<()> {
        let m = &mut self.inode_mut(dir)?.meta;
        m.mtime = now;
        m.ctime = now;
        Ok(())
    }

    /// Drops one link to `ino` (already removed from its directory); frees the
    /// inode when no link and no open handle remain.
    pub(crate) fn drop_link(&mut self, ino: Ino, now: Timestamp) -> Result<()> {
        let inode = self.inode_mut(ino)?;
        let is_dir = inode.kind() == FileType::Dir;
        inode.meta.nlink = if is_dir {
            0
        } else {
            inode.meta.nlink.saturating_sub(1)
        };
        inode.meta.ctime = now;
        if inode.meta.nlink == 0 {
            if self.open.get(&ino).copied().unwrap_or(0) > 0 {
                self.tree.orphans.insert(ino);
            } else {
                self.free(ino);
            }
        }
        Ok(())
    }

    pub(crate) fn free(&mut self, ino: Ino) {
        if let Some(inode) = self.tree.inodes.remove(&ino) {
            self.tree.bytes -= inode.content_bytes();
            self.release(inode.charge());
        }
        self.tree.orphans.remove(&ino);
    }
}

impl Drop for Fs {
    /// Returns this filesystem's charge to the shared total.
    fn drop(&mut self) {
        if let Some(t) = &self.shared.config.total {
            t.sub(self.tree.charge);
        }
    }
}
