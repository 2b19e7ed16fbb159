//! `apply`: writes what a snapshot changed against its parent onto a host directory, refusing where the host no longer matches the parent.
//!
//! [`prepare`] diffs the snapshot with its manifest parent (for a saved run,
//! the tree it started from) and looks at every path the change touches in
//! the host directory: a path is *old* (its type and content equal the
//! parent's: file bytes, symlink target, a directory's whole subtree), *new*
//! (already as in the snapshot: an earlier, interrupted apply got there) or
//! neither, a **conflict**. Permissions and times are not compared: a touched
//! file is not a conflict. [`apply`] refuses if there is any conflict, unless
//! forced, before changing anything.
//!
//! Each path changes by `rename(2)` from a locked temporary directory beside
//! it (see `place`), so a killed apply leaves every path old or new, and a
//! rerun finishes the rest (paths already new are skipped; temporaries a
//! dead apply left are removed first). Renames in the snapshot are applied
//! as a deletion and an addition. Hard links are made as the snapshot has
//! them; set-user-ID and set-group-ID bits are dropped unless asked for, as
//! in [`checkout`](crate::checkout). Never does apply write through a
//! symlink: a path whose parent on the host is not a real directory is an
//! error, forced or not.

mod host;
mod place;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::checkout::{CheckoutError, CheckoutOptions};
use crate::diff::{ChangeKind, diff};
use crate::error::Error;
use crate::format::{DirObject, Entry, EntryKind};
use crate::hash::Hash;
use crate::load::read_manifest;
use crate::progress::Progress;
use crate::stale;
use crate::store::Store;
use host::{CompareError, Same, compare};
use place::Temps;

/// What a step does to its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Creates an entry (a whole subtree for a directory).
    Add,
    /// Deletes an entry (with everything below it).
    Remove,
    /// Rewrites a file or symlink (content, or only permissions and times).
    Update,
    /// Replaces an entry by one of another type.
    Replace,
    /// Sets a directory's permissions and times (after everything else).
    DirMeta,
}

/// Where a step's path stands on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// As in the parent: the step will change it.
    Todo,
    /// Content already as in the snapshot: only permissions and times are set.
    MetaOnly,
    /// Already as in the snapshot (an earlier apply got there).
    Done,
    /// Neither as in the parent nor as in the snapshot: says how. `force`
    /// overrides it.
    Conflict(String),
    /// Cannot be reached without writing through something that is not a
    /// directory (a symlink, a file): never applied.
    Blocked(String),
}

/// One path the change touches.
#[derive(Debug, Clone)]
pub struct Step {
    /// Absolute path inside the snapshot (`/` is the host directory itself).
    pub path: String,
    /// What the step does.
    pub action: Action,
    /// How the host stands.
    pub state: State,
    /// The type of the entry in the snapshot (in the parent for a removal).
    pub kind: EntryKind,
    new: Option<Entry>,
}

/// What [`apply`] would do: every touched path with its host state.
#[derive(Debug, Clone)]
pub struct ApplyPlan {
    /// The steps, in tree order.
    pub steps: Vec<Step>,
    /// The snapshot's hard-link groups (paths from the root, `/`-joined).
    links: Vec<Vec<String>>,
}

impl ApplyPlan {
    /// The steps in conflict (overridable with `force`) or blocked.
    pub fn conflicts(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|s| matches!(s.state, State::Conflict(_) | State::Blocked(_)))
    }
}

/// How to apply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Apply conflicting steps too (what the host has there is lost).
    pub force: bool,
    /// Keep set-user-ID and set-group-ID bits (see [`crate::checkout`]).
    pub keep_setid: bool,
}

/// What an apply did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Entries created.
    pub added: u64,
    /// Entries deleted.
    pub removed: u64,
    /// Entries rewritten or replaced.
    pub updated: u64,
    /// Entries whose permissions and times only were set.
    pub meta: u64,
    /// Steps already done on the host.
    pub skipped: u64,
    /// Names made hard links of another.
    pub linked: u64,
    /// Bytes of file data written.
    pub bytes: u64,
}

/// Every way an apply can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Reading the snapshot failed.
    #[error(transparent)]
    Snapshot(#[from] Error),
    /// The snapshot has no parent to take its change against.
    #[error(
        "snapshot {0} has no parent: there is no change to apply (checkout writes a whole tree)"
    )]
    NoParent(Hash),
    /// Some paths conflict and `force` was not given; nothing was changed.
    #[error("{0} conflicting paths; nothing changed")]
    Conflicts(usize),
    /// A path cannot be reached safely; nothing was changed.
    #[error("{path}: {why}; nothing changed")]
    Blocked {
        /// The snapshot path.
        path: String,
        /// Why.
        why: String,
    },
    /// A host filesystem operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The host path involved.
        path: PathBuf,
        /// The host error.
        source: io::Error,
    },
}

impl From<CompareError> for ApplyError {
    fn from(e: CompareError) -> Self {
        match e {
            CompareError::Io(path, source) => ApplyError::Io { path, source },
            CompareError::Snapshot(e) => ApplyError::Snapshot(e),
        }
    }
}

impl From<CheckoutError> for ApplyError {
    fn from(e: CheckoutError) -> Self {
        match e {
            CheckoutError::Snapshot(e) => ApplyError::Snapshot(e),
            CheckoutError::Io { path, source } => ApplyError::Io { path, source },
            other => ApplyError::Io {
                path: PathBuf::new(),
                source: io::Error::other(other.to_string()),
            },
        }
    }
}

/// The host path of snapshot path `comps` under `root`.
fn host_path(root: &Path, comps: &[&str]) -> PathBuf {
    let mut p = root.to_owned();
    p.extend(comps);
    p
}

/// Directory objects already read, by hash: the steps come in tree order
/// and share their parents, so each directory is decoded once, not once
/// per change below it.
struct Dirs<'a> {
    store: &'a Store,
    read: HashMap<Hash, Rc<DirObject>>,
}

impl Dirs<'_> {
    fn get(&mut self, h: &Hash) -> Result<Rc<DirObject>, Error> {
        if let Some(d) = self.read.get(h) {
            return Ok(Rc::clone(d));
        }
        let d = Rc::new(self.store.get_object::<DirObject>(h)?);
        self.read.insert(*h, Rc::clone(&d));
        Ok(d)
    }

    /// The entry at `comps` in the tree whose root directory is `root` (the
    /// root itself for no names), if there is one.
    fn entry_at(&mut self, root: &Hash, comps: &[&str]) -> Result<Option<Entry>, Error> {
        let mut e = Entry {
            name: String::new(),
            kind: EntryKind::Dir,
            hash: *root,
        };
        for n in comps {
            if e.kind != EntryKind::Dir {
                return Ok(None);
            }
            let d = self.get(&e.hash)?;
            match d
                .entries
                .binary_search_by(|x| x.name.as_bytes().cmp(n.as_bytes()))
            {
                Ok(i) => e = d.entries[i].clone(),
                Err(_) => return Ok(None),
            }
        }
        Ok(Some(e))
    }
}

/// Diffs snapshot `snap` with its parent and checks every touched path in
/// host directory `dir`, after removing what dead applies left there.
/// Changes nothing else on the host.
pub fn prepare(store: &Store, snap: &Hash, dir: &Path) -> Result<ApplyPlan, ApplyError> {
    let m = read_manifest(store, snap)?;
    let parent = m.parent.ok_or(ApplyError::NoParent(*snap))?;
    let pm = read_manifest(store, &parent)?;
    match std::fs::metadata(dir) {
        Ok(md) if md.is_dir() => {}
        Ok(_) => {
            return Err(ApplyError::Io {
                path: dir.to_owned(),
                source: io::Error::from(io::ErrorKind::NotADirectory),
            });
        }
        Err(source) => {
            return Err(ApplyError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    }
    let changes = diff(store, &parent, snap)?;
    let mut dirs = Dirs {
        store,
        read: HashMap::new(),
    };
    let mut cleaned: HashSet<PathBuf> = HashSet::new();
    let mut steps = Vec::with_capacity(changes.len());
    for c in &changes {
        let comps: Vec<&str> = c.components().collect();
        let old = dirs.entry_at(&pm.root, &comps)?;
        let new = dirs.entry_at(&m.root, &comps)?;
        let action = match (&old, &new, c.kind) {
            (_, _, ChangeKind::Added) => Action::Add,
            (_, _, ChangeKind::Removed) => Action::Remove,
            (
                _,
                _,
                ChangeKind::Modified {
                    kind_changed: true, ..
                },
            ) => Action::Replace,
            _ if c.entry == EntryKind::Dir => Action::DirMeta,
            _ => Action::Update,
        };
        let parents = &comps[..comps.len().saturating_sub(1)];
        let blocked = host::parents(dir, parents)?;
        if blocked.is_none() && !comps.is_empty() {
            let p = host_path(dir, parents);
            if cleaned.insert(p.clone()) {
                stale::clean(&p, place::TEMP_PREFIX).map_err(|source| ApplyError::Io {
                    path: p.clone(),
                    source,
                })?;
            }
        }
        let state = classify(
            store,
            &host_path(dir, &comps),
            action,
            blocked,
            old.as_ref(),
            new.as_ref(),
        )?;
        steps.push(Step {
            path: c.path.clone(),
            action,
            state,
            kind: c.entry,
            new,
        });
    }
    let links = m
        .links
        .iter()
        .map(|g| g.paths.iter().map(|p| p.0.join("/")).collect())
        .collect();
    Ok(ApplyPlan { steps, links })
}

/// The host state of one step at `host`; `blocked` is what stands in the
/// way of its parents (see [`host::parents`]).
fn classify(
    store: &Store,
    host: &Path,
    action: Action,
    blocked: Option<(PathBuf, bool)>,
    old: Option<&Entry>,
    new: Option<&Entry>,
) -> Result<State, ApplyError> {
    let conflict = |why: &str| Ok(State::Conflict(format!("changed on the host ({why})")));
    match blocked {
        Some(_) if action == Action::Remove => {
            // Gone with a parent: as the snapshot has it, unless the
            // parent became something else.
            return Ok(match blocked {
                Some((_, true)) => State::Done,
                Some((p, false)) => State::Blocked(format!("`{}` is not a directory", p.display())),
                None => State::Done,
            });
        }
        Some((_, true)) => {
            return Ok(State::Conflict(
                "a parent directory is missing on the host".into(),
            ));
        }
        Some((p, false)) => {
            return Ok(State::Blocked(format!(
                "`{}` is not a directory",
                p.display()
            )));
        }
        None => {}
    }
    let (Some(old), Some(new)) = (old, new) else {
        return match (action, old, new) {
            (Action::Add, _, Some(new)) => match compare(store, host, new)? {
                Same::Absent => Ok(State::Todo),
                Same::Equal => Ok(State::Done),
                Same::Differs(_) => Ok(State::Conflict("exists on the host".into())),
            },
            (_, Some(old), _) => match compare(store, host, old)? {
                Same::Absent => Ok(State::Done),
                Same::Equal => Ok(State::Todo),
                Same::Differs(why) => conflict(why),
            },
            _ => Err(ApplyError::Snapshot(Error::TooLarge(
                "a change names no entry",
            ))),
        };
    };
    if action == Action::DirMeta {
        return match std::fs::symlink_metadata(host) {
            Ok(m) if m.is_dir() => Ok(State::Todo),
            Ok(_) => conflict("no longer a directory"),
            Err(_) => Ok(State::Conflict("missing on the host".into())),
        };
    }
    match compare(store, host, new)? {
        Same::Equal if action == Action::Update => return Ok(State::MetaOnly),
        Same::Equal => return Ok(State::Done),
        Same::Absent if action == Action::Replace => return Ok(State::Todo),
        Same::Absent => return Ok(State::Conflict("missing on the host".into())),
        Same::Differs(_) => {}
    }
    match compare(store, host, old)? {
        Same::Equal => Ok(State::Todo),
        Same::Absent => Ok(State::Conflict("missing on the host".into())),
        Same::Differs(why) => conflict(why),
    }
}

/// Bytes of file data in stored entry `e` and below it.
fn bytes_of(store: &Store, e: &Entry) -> Result<u64, Error> {
    let mut total = 0u64;
    let mut work = vec![e.clone()];
    while let Some(e) = work.pop() {
        match e.kind {
            EntryKind::File => {
                total += store.get_object::<crate::format::FileObject>(&e.hash)?.size
            }
            EntryKind::Dir => work.extend(store.get_object::<DirObject>(&e.hash)?.entries),
            EntryKind::Symlink => {}
        }
    }
    Ok(total)
}

/// Carries out `plan` (from [`prepare`] on the same store, snapshot and
/// `dir`, with nothing else changing `dir` meanwhile) on host directory
/// `dir`. Refuses before changing anything if a step is blocked, or in
/// conflict without `opts.force`. Progress counts bytes of file data.
pub fn apply(
    store: &Store,
    plan: &ApplyPlan,
    dir: &Path,
    opts: ApplyOptions,
    progress: &dyn Progress,
) -> Result<ApplyStats, ApplyError> {
    let mut conflicts = 0;
    for s in &plan.steps {
        match &s.state {
            State::Blocked(why) => {
                return Err(ApplyError::Blocked {
                    path: s.path.clone(),
                    why: why.clone(),
                });
            }
            State::Conflict(_) => conflicts += 1,
            _ => {}
        }
    }
    if conflicts > 0 && !opts.force {
        return Err(ApplyError::Conflicts(conflicts));
    }
    let copts = CheckoutOptions {
        keep_setid: opts.keep_setid,
        ..CheckoutOptions::default()
    };
    let mut total = 0;
    for s in &plan.steps {
        if matches!(s.state, State::Todo | State::Conflict(_))
            && let Some(new) = &s.new
            && s.action != Action::DirMeta
        {
            total += bytes_of(store, new)?;
        }
    }
    progress.set_total(total);
    let mut stats = ApplyStats::default();
    let mut temps = Temps::new();
    let mut dir_meta: Vec<(usize, PathBuf, &Entry)> = Vec::new();
    let mut touched: BTreeSet<&str> = BTreeSet::new();
    for s in &plan.steps {
        let comps: Vec<&str> = s.path.split('/').filter(|c| !c.is_empty()).collect();
        let host = host_path(dir, &comps);
        touched.insert(s.path.trim_start_matches('/'));
        match (&s.state, s.action, &s.new) {
            (State::Done, ..) => stats.skipped += 1,
            (State::Blocked(_), ..) => {}
            (_, Action::DirMeta, Some(new)) => dir_meta.push((comps.len(), host, new)),
            (State::MetaOnly, _, Some(new)) => {
                place::set_meta(store, new, &host, copts)?;
                stats.meta += 1;
            }
            (_, Action::Remove, _) => {
                place::remove(&mut temps, &host)?;
                stats.removed += 1;
            }
            (state, action, Some(new)) => {
                let parent = place::parent_of(&host);
                if matches!(state, State::Conflict(_)) {
                    std::fs::create_dir_all(parent).map_err(|source| ApplyError::Io {
                        path: parent.to_owned(),
                        source,
                    })?;
                }
                let at = temps.fresh(parent)?;
                stats.bytes += place::build(store, new, &at, copts, progress)?;
                place::place(&mut temps, &at, &host)?;
                if action == Action::Add {
                    stats.added += 1;
                } else {
                    stats.updated += 1;
                }
            }
            (_, _, None) => {}
        }
    }
    for group in &plan.links {
        let hit = group.iter().any(|p| {
            let mut prefix = p.as_str();
            loop {
                if touched.contains(prefix) {
                    break true;
                }
                match prefix.rfind('/') {
                    Some(i) => prefix = &prefix[..i],
                    None => break false,
                }
            }
        });
        let Some((first, rest)) = group.split_first() else {
            continue;
        };
        if !hit {
            continue;
        }
        let first = dir.join(first);
        for m in rest {
            place::link(&mut temps, &first, &dir.join(m))?;
            stats.linked += 1;
        }
    }
    temps.finish()?;
    // Deepest first: setting a directory's times is the last change in it.
    dir_meta.sort_by_key(|d| std::cmp::Reverse(d.0));
    for (_, host, e) in dir_meta {
        place::set_meta(store, e, &host, copts)?;
        stats.meta += 1;
    }
    Ok(stats)
}
