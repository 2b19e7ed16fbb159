//! The guest's file-descriptor table: one table for stdio and engine files and directories.

use std::collections::{BTreeMap, BTreeSet};

use strata_engine::Handle;

use crate::abi::{Errno, eventrwflags, eventtype};
use crate::stdio::{OutputSink, StdinSource};

/// A guest fd over an engine open-file description.
#[derive(Debug)]
pub(crate) struct FsFd {
    /// Index of the mount (preopened filesystem) the description belongs to.
    pub(crate) mount: usize,
    /// The description; cloned only for the duration of a call.
    pub(crate) handle: Handle,
    /// The guest path, for the fds installed as preopens.
    pub(crate) preopen: Option<String>,
}

/// What one guest fd refers to: a stdio stream, or (`Fs`) a preopened
/// directory or an open file or directory over an engine open-file description.
///
/// Every `match` on this enum is a place each kind must be answered for, so a
/// new kind of fd cannot be forgotten there.
#[derive(Debug)]
pub(crate) enum Descriptor {
    /// fd 0 as configured by the builder.
    Stdin(StdinSource),
    /// fd 1 as configured by the builder.
    Stdout(OutputSink),
    /// fd 2 as configured by the builder.
    Stderr(OutputSink),
    /// A file or directory of a mounted filesystem.
    Fs(FsFd),
}

/// What `poll_oneoff` reports for a ready fd subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Readiness {
    /// `event_fd_readwrite::nbytes`.
    pub(crate) nbytes: u64,
    /// `event_fd_readwrite::flags`.
    pub(crate) flags: u16,
}

impl Descriptor {
    /// Readiness of this fd for an `eventtype::fd_read` or `fd_write` subscription.
    ///
    /// The hook `poll_oneoff` calls for fd subscriptions, answering as
    /// wasmtime-wasi 48 does: a subscription of the wrong direction (reading
    /// stdout) or on a directory fails the whole call with EBADF; everything
    /// else is ready at once (POSIX: regular files never block) with
    /// `nbytes` set to 1. A regular file read at its end is flagged HANGUP: `at_end` says
    /// whether it is, for an engine file (the caller can stat it, this table
    /// cannot).
    pub(crate) fn readiness(&self, kind: u8, at_end: bool) -> Result<Readiness, Errno> {
        match (self, kind) {
            (Descriptor::Stdin(_), eventtype::FD_READ) => Ok(Readiness {
                nbytes: 1,
                flags: 0,
            }),
            (Descriptor::Stdout(_) | Descriptor::Stderr(_), eventtype::FD_WRITE) => Ok(Readiness {
                nbytes: 1,
                flags: 0,
            }),
            (Descriptor::Fs(f), _) if f.handle.borrow().kind() != strata_engine::FileType::File => {
                Err(Errno::Badf)
            }
            (Descriptor::Fs(_), eventtype::FD_READ) => Ok(Readiness {
                nbytes: 1,
                flags: if at_end {
                    eventrwflags::FD_READWRITE_HANGUP
                } else {
                    0
                },
            }),
            (Descriptor::Fs(_), eventtype::FD_WRITE) => Ok(Readiness {
                nbytes: 1,
                flags: 0,
            }),
            _ => Err(Errno::Badf),
        }
    }
}

/// Open descriptors by number, with a cap on how many may be open.
///
/// Numbers are handed out as wasmtime-wasi 48 hands them out (its p1
/// `Descriptors::push`), not as POSIX `open` does: the highest number freed by
/// a close is reused first, and with none free the next number above the
/// highest open one is used.
#[derive(Debug)]
pub(crate) struct FdTable {
    entries: BTreeMap<u32, Descriptor>,
    /// Numbers freed by `fd_close` or moved away by `fd_renumber`, not reused yet.
    free: BTreeSet<u32>,
    max_fds: u32,
}

impl FdTable {
    /// A table holding fds 0, 1 and 2.
    pub(crate) fn with_stdio(
        stdin: StdinSource,
        stdout: OutputSink,
        stderr: OutputSink,
        max_fds: u32,
    ) -> Self {
        let mut entries = BTreeMap::new();
        entries.insert(0, Descriptor::Stdin(stdin));
        entries.insert(1, Descriptor::Stdout(stdout));
        entries.insert(2, Descriptor::Stderr(stderr));
        Self {
            entries,
            free: BTreeSet::new(),
            max_fds,
        }
    }

    /// The descriptor `fd` names, or EBADF.
    pub(crate) fn get(&self, fd: u32) -> Result<&Descriptor, Errno> {
        self.entries.get(&fd).ok_or(Errno::Badf)
    }

    /// The descriptor `fd` names, mutably, or EBADF.
    pub(crate) fn get_mut(&mut self, fd: u32) -> Result<&mut Descriptor, Errno> {
        self.entries.get_mut(&fd).ok_or(Errno::Badf)
    }

    /// Installs `d` at the highest freed number, else above the highest open
    /// one (see [`FdTable`]); EMFILE at the cap.
    pub(crate) fn push(&mut self, d: Descriptor) -> Result<u32, Errno> {
        if self.entries.len() >= self.max_fds as usize {
            return Err(Errno::Mfile);
        }
        let fd = match self.free.pop_last() {
            Some(fd) => fd,
            None => match self.entries.last_key_value() {
                Some((&last, _)) => last.checked_add(1).ok_or(Errno::Mfile)?,
                None => 0,
            },
        };
        self.entries.insert(fd, d);
        Ok(fd)
    }

    /// Moves `from` onto `to` (both must be open, as in wasmtime-wasi); returns the
    /// descriptor `to` held, for the caller to close.
    pub(crate) fn renumber(&mut self, from: u32, to: u32) -> Result<Option<Descriptor>, Errno> {
        if !self.entries.contains_key(&from) || !self.entries.contains_key(&to) {
            return Err(Errno::Badf);
        }
        if from == to {
            return Ok(None);
        }
        let moved = self.entries.remove(&from).ok_or(Errno::Badf)?;
        self.free.insert(from);
        Ok(self.entries.insert(to, moved))
    }

    /// Removes and returns `fd`'s descriptor, or EBADF.
    pub(crate) fn remove(&mut self, fd: u32) -> Result<Descriptor, Errno> {
        let d = self.entries.remove(&fd).ok_or(Errno::Badf)?;
        self.free.insert(fd);
        Ok(d)
    }

    /// How many fds are open.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(max: u32) -> FdTable {
        FdTable::with_stdio(
            StdinSource::Bytes {
                data: vec![],
                pos: 0,
            },
            OutputSink::Discard,
            OutputSink::Discard,
            max,
        )
    }

    #[test]
    fn wasmtime_numbering_and_cap() {
        let mut t = table(5);
        assert_eq!(t.len(), 3);
        t.remove(0).unwrap();
        t.remove(1).unwrap();
        // The highest freed number first, as wasmtime-wasi.
        assert_eq!(t.push(Descriptor::Stdout(OutputSink::Discard)), Ok(1));
        assert_eq!(t.push(Descriptor::Stdout(OutputSink::Discard)), Ok(0));
        assert_eq!(t.push(Descriptor::Stdout(OutputSink::Discard)), Ok(3));
        assert_eq!(t.push(Descriptor::Stdout(OutputSink::Discard)), Ok(4));
        assert_eq!(
            t.push(Descriptor::Stdout(OutputSink::Discard)).unwrap_err(),
            Errno::Mfile
        );
        assert_eq!(t.remove(9).unwrap_err(), Errno::Badf);
        assert!(t.get(3).is_ok());
        assert!(t.get_mut(7).is_err());
    }

    #[test]
    fn stdio_readiness() {
        let t = table(8);
        // wasmtime-wasi: stdin is ready with nbytes 1, even at its end.
        let r = t
            .get(0)
            .unwrap()
            .readiness(eventtype::FD_READ, false)
            .unwrap();
        assert_eq!(
            r,
            Readiness {
                nbytes: 1,
                flags: 0
            }
        );
        assert!(
            t.get(1)
                .unwrap()
                .readiness(eventtype::FD_WRITE, false)
                .is_ok()
        );
        assert_eq!(
            t.get(1).unwrap().readiness(eventtype::FD_READ, false),
            Err(Errno::Badf)
        );
        assert_eq!(
            t.get(0).unwrap().readiness(eventtype::FD_WRITE, false),
            Err(Errno::Badf)
        );
    }
}
