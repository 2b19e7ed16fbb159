//! Where wasmtime-wasi 48's filesystem (cap-std underneath) answers other than
//! POSIX, for preview 1 and WASI 0.2 alike: both bindings call these instead of
//! the engine's plain operation.

use strata_engine::{Error, Fs, Handle, Result};

/// `readlink`: an absolute target is never shown (cap-std's `read_link`, so
/// host paths do not leak): EPERM.
pub(crate) fn readlink(fs: &Fs, base: &Handle, path: &str) -> Result<String> {
    let target = fs.readlink(base, path)?;
    if target.starts_with('/') {
        return Err(Error::NotPermitted);
    }
    Ok(target)
}

/// `symlink`: no link to an absolute path is made (cap-std's `symlink`):
/// EPERM, nothing created.
pub(crate) fn symlink(fs: &mut Fs, target: &str, base: &Handle, path: &str) -> Result<()> {
    if target.starts_with('/') {
        return Err(Error::NotPermitted);
    }
    fs.symlink(target, base, path)
}

/// `rmdir`: cap-std removes `dir/` as `.` inside `dir`, so the directory is
/// resolved, then the removal is EINVAL.
pub(crate) fn rmdir(fs: &mut Fs, base: &Handle, path: &str) -> Result<()> {
    if path.ends_with('/') {
        fs.stat_at(base, path, true)?;
        return Err(Error::Invalid("removing `.`"));
    }
    fs.rmdir(base, path)
}
