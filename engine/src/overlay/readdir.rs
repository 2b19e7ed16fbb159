//! Merged, name-ordered directory listings that resume after any name.
//!
//! Resuming after a name (rather than an index) is what keeps readdir cookies
//! valid while the directory changes, and what makes paging linear: each page
//! starts with one O(log n) seek.

use std::ops::Bound;

use super::{Node, View};
use crate::error::{Error, Result};
use crate::inode::{Entry, FileType, Ino};
use crate::name::Name;

/// One entry of a merged directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name.
    pub name: Name,
    /// Its inode number.
    pub ino: Ino,
    /// Its type.
    pub kind: FileType,
}

impl View<'_> {
    /// Calls `f` for each entry of `dir` whose name sorts after `after`, in name
    /// order, until `f` returns false.
    pub(crate) fn list(
        &self,
        dir: Ino,
        after: Option<&Name>,
        f: &mut dyn FnMut(DirEntry) -> bool,
    ) -> Result<()> {
        let (upper, lower_dir) = match self.node(dir)? {
            Node::Upper(inode) => {
                let d = inode.dir().ok_or(Error::NotDir)?;
                (Some(&d.entries), d.merged)
            }
            Node::Lower(_) => (None, true),
        };
        let lower_entries = match self.lower {
            Some(l) if lower_dir => Some((l, l.entries(dir)?)),
            _ => None,
        };
        let start = match after {
            Some(n) => Bound::Excluded(n.clone()),
            None => Bound::Unbounded,
        };
        let mut ups = upper
            .map(|m| m.range((start, Bound::Unbounded)))
            .into_iter()
            .flatten()
            .peekable();
        let (lower, lows) = match &lower_entries {
            Some((l, entries)) => {
                let from = after.map_or(0, |n| entries.partition_point(|e| e.name <= *n));
                (Some(*l), &entries[from..])
            }
            None => (None, &[][..]),
        };
        let mut lows = lows.iter().peekable();
        loop {
            let (take_upper, shadowed) = match (ups.peek(), lows.peek()) {
                (None, None) => return Ok(()),
                (Some(_), None) => (true, false),
                (None, Some(_)) => (false, false),
                (Some((un, _)), Some(le)) => (**un <= le.name, **un == le.name),
            };
            if shadowed {
                // The upper entry (node or whiteout) hides the lower one.
                lows.next();
            }
            let entry = if take_upper {
                let Some((name, e)) = ups.next() else {
                    return Ok(());
                };
                match e {
                    Entry::Node(ino, kind) => DirEntry {
                        name: name.clone(),
                        ino: *ino,
                        kind: *kind,
                    },
                    Entry::Whiteout => continue,
                }
            } else {
                let Some(le) = lows.next() else { return Ok(()) };
                let Some(l) = lower else { return Ok(()) };
                let Some(ino) = l.lookup(dir, &le.name)? else {
                    continue;
                };
                DirEntry {
                    name: le.name.clone(),
                    ino,
                    kind: le.kind,
                }
            };
            if !f(entry) {
                return Ok(());
            }
        }
    }

    /// Whether `dir` has no visible entries.
    pub(crate) fn is_empty_dir(&self, dir: Ino) -> Result<bool> {
        let mut empty = true;
        self.list(dir, None, &mut |_| {
            empty = false;
            false
        })?;
        Ok(empty)
    }
}
