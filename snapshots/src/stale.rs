//! Temporary files and directories named after their owner's pid, locked while in use, and removed once their owner is gone.
//!
//! A temporary is named `PREFIX<pid>-<unique>` and its owner holds an
//! exclusive `flock` on it for as long as it exists. A later run of the same
//! command into the same place removes a temporary only when both say its
//! owner is gone: no process has its pid (in our pid namespace) and its lock
//! is free. The pid check covers the moment between creating a temporary and
//! locking it; the lock covers pid reuse and owners in another pid namespace
//! (a lock held by any live process is never free). `kill -9` releases the
//! lock with the process, so what a killed run leaves is cleaned next time.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rustix::fs::{FlockOperation, flock};
use rustix::process::{Pid, test_kill_process};

/// An exclusive lock on a temporary, released when dropped (or when the
/// process dies).
#[derive(Debug)]
pub struct TempLock {
    _file: File,
}

/// Locks `file` (an open temporary) for its owner, without waiting: a
/// temporary this process just created is never locked by anyone else.
pub fn lock_file(file: File) -> io::Result<TempLock> {
    flock(&file, FlockOperation::NonBlockingLockExclusive)?;
    Ok(TempLock { _file: file })
}

/// Opens and locks the temporary directory or file at `path`.
pub fn lock_path(path: &Path) -> io::Result<TempLock> {
    lock_file(File::open(path)?)
}

/// `PREFIX<pid>-`: how every temporary of this process with `prefix` starts.
pub fn owned_prefix(prefix: &str) -> String {
    format!("{prefix}{}-", std::process::id())
}

/// A fresh name `PREFIX<pid>-<nanos>-<i>` for attempt `i`.
pub fn temp_name(prefix: &str, i: u32) -> String {
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}{nonce}-{i}", owned_prefix(prefix))
}

/// The pid in a temporary's name `PREFIX<pid>-…`, if it has that form.
fn owner_pid(name: &str, prefix: &str) -> Option<i32> {
    let rest = name.strip_prefix(prefix)?;
    let (pid, _) = rest.split_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Whether a process with `pid` exists (EPERM: it does, it is not ours).
fn alive(pid: i32) -> bool {
    match Pid::from_raw(pid) {
        None => false,
        Some(p) => !matches!(test_kill_process(p), Err(rustix::io::Errno::SRCH)),
    }
}

/// The temporaries in `dir` named `PREFIX<pid>-…` whose owner is gone,
/// each returned with its lock held so that no one can start using it again
/// while the caller deals with it.
pub fn find_stale(dir: &Path, prefix: &str) -> io::Result<Vec<(PathBuf, TempLock)>> {
    let mut out = Vec::new();
    let list = match fs::read_dir(dir) {
        Ok(l) => l,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in list {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| owner_pid(n, prefix)) else {
            continue;
        };
        if alive(pid) {
            continue;
        }
        let path = entry.path();
        // Opening a symlink would lock its target: temporaries are never links.
        if entry.file_type()?.is_symlink() {
            continue;
        }
        let Ok(file) = File::open(&path) else {
            continue;
        };
        match flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => out.push((path, TempLock { _file: file })),
            // Held: its owner lives in another pid namespace.
            Err(_) => continue,
        }
    }
    Ok(out)
}

/// Removes a stale temporary: a file, or a whole tree (see [`remove_tree`]).
pub fn remove(path: &Path) -> io::Result<()> {
    if fs::symlink_metadata(path)?.is_dir() {
        remove_tree(path)
    } else {
        fs::remove_file(path)
    }
}

/// Removes the directory tree at `path`, however deep, with bounded stack
/// and open descriptors and no path longer than three names below `path`:
/// each subdirectory is first moved up to `path` itself, then emptied.
/// Directories that a killed writer had already made read-only (or
/// unsearchable) are made `0700` first; the tree must belong to the caller.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let mut lifted = 0u64;
    let mut work = vec![path.to_owned()];
    while let Some(dir) = work.pop() {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))?;
        for e in fs::read_dir(&dir)? {
            let e = e?;
            if !e.file_type()?.is_dir() {
                fs::remove_file(e.path())?;
                continue;
            }
            if dir == path {
                work.push(e.path());
                continue;
            }
            fs::set_permissions(e.path(), fs::Permissions::from_mode(0o700))?;
            let to = loop {
                lifted += 1;
                let to = path.join(format!(".strata-lifted-{lifted}"));
                if fs::symlink_metadata(&to).is_err() {
                    break to;
                }
            };
            fs::rename(e.path(), &to)?;
            work.push(to);
        }
        if dir != path {
            fs::remove_dir(&dir)?;
        }
    }
    fs::remove_dir(path)
}

/// Removes every stale temporary `PREFIX<pid>-…` in `dir`; returns how many.
pub fn clean(dir: &Path, prefix: &str) -> io::Result<usize> {
    let stale = find_stale(dir, prefix)?;
    let n = stale.len();
    for (path, _lock) in stale {
        remove(&path)?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_pids_parse_only_from_our_form() {
        assert_eq!(owner_pid(".a.strata-x-123-9-0", ".a.strata-x-"), Some(123));
        assert_eq!(owner_pid(".a.strata-x-123", ".a.strata-x-"), None);
        assert_eq!(owner_pid(".a.strata-x--1-2", ".a.strata-x-"), None);
        assert_eq!(owner_pid(".b.strata-x-1-2", ".a.strata-x-"), None);
    }

    #[test]
    fn this_process_is_alive() {
        assert!(alive(std::process::id() as i32));
    }
}
