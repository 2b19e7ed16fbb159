//! The judge: decides whether a run is a finding (a trap, an exit code not listed as fine, a write under a forbidden path).

use std::collections::HashSet;

use strata_engine::{FileType, Ino, Name, Snapshot};

use crate::target::Report;

/// What the judge says of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing to report.
    Fine,
    /// A finding, said in one line.
    Finding(String),
}

/// A path the guest must leave as it was: `mount` is the guest path of a
/// mount, `inside` the components below it (empty: the whole mount).
#[derive(Clone, Debug)]
pub struct Forbidden {
    /// The guest path as given, for the report.
    pub shown: String,
    /// The mount's guest path.
    pub mount: String,
    /// The path's components inside the mount.
    pub inside: Vec<Name>,
    /// The mount's state before any run.
    pub start: Snapshot,
}

/// The rules a run is judged by.
#[derive(Clone, Debug, Default)]
pub struct Judge {
    /// Exit codes that are answers, not bugs.
    pub fine_exits: Vec<i32>,
    /// Paths no run may change (`--forbid-write`).
    pub forbidden: Vec<Forbidden>,
}

impl Judge {
    /// The verdict on `report`.
    pub fn verdict(&self, report: &Report) -> Verdict {
        if report.is_finding(&self.fine_exits) {
            return Verdict::Finding(report.outcome.to_string());
        }
        for f in &self.forbidden {
            let end = report.mounts.iter().find(|(m, _)| *m == f.mount);
            if let Some((_, end)) = end
                && changed_under(&f.start, end, &f.inside)
            {
                return Verdict::Finding(format!("wrote under forbidden path {}", f.shown));
            }
        }
        Verdict::Fine
    }
}

/// Where `path` leads in `snap`, if anywhere (symlinks are not followed: a
/// changed link is a change).
fn resolve(snap: &Snapshot, path: &[Name]) -> Option<(Ino, FileType)> {
    let mut at = (snap.root(), FileType::Dir);
    for name in path {
        at = snap.lookup(at.0, name).ok()??;
    }
    Some(at)
}

/// Whether the state under `path` differs between `start` and `end`. The
/// cost follows the change: the diff of the two inode tables skips all they
/// share, and the subtree is walked only when something changed.
///
/// # Preconditions
/// `end` descends from `start` (a run's fork of it), so an inode number
/// names the same file in both unless the diff lists it.
pub(crate) fn changed_under(start: &Snapshot, end: &Snapshot, path: &[Name]) -> bool {
    let changed: HashSet<Ino> = end.changed_since(start).into_iter().collect();
    if changed.is_empty() {
        return false;
    }
    let (before, after) = (resolve(start, path), resolve(end, path));
    if before != after {
        return true;
    }
    let Some((top, kind)) = after else {
        return false;
    };
    let mut stack = vec![(top, kind)];
    while let Some((ino, kind)) = stack.pop() {
        if changed.contains(&ino) {
            return true;
        }
        if kind == FileType::Dir {
            for e in end.entries(ino).unwrap_or_default() {
                stack.push((e.ino, e.kind));
            }
        }
    }
    false
}
