//! Where a command's archive goes: a file written atomically, or stdout when it is not a terminal.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use strata_snapshots::stale;

use crate::store::usage;

/// Runs `write` on `out` (written to a temporary file beside it, fsynced and
/// renamed into place only on success, so a failure leaves no partial file),
/// or on stdout if `out` is `None`; refuses binary output to a terminal.
pub(super) fn write_to<T>(
    out: Option<&Path>,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let Some(path) = out else {
        if std::io::stdout().is_terminal() {
            usage!("refusing to write {what} to a terminal: redirect stdout or give -o FILE");
        }
        let mut w = BufWriter::new(std::io::stdout().lock());
        let r = write(&mut w)?;
        w.flush().context("writing to stdout")?;
        return Ok(r);
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // Named `.NAME.strata-tmp-PID-…` and locked while written, so that
    // what a killed run left is removed by the next one (never a live one's).
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.strata-tmp-");
    stale::clean(dir, &prefix)
        .with_context(|| format!("removing stale temporary files in `{}`", dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(&stale::owned_prefix(&prefix))
        .tempfile_in(dir)
        .with_context(|| format!("creating a file in `{}`", dir.display()))?;
    let _lock = stale::lock_file(
        tmp.as_file()
            .try_clone()
            .with_context(|| format!("locking a file in `{}`", dir.display()))?,
    )
    .with_context(|| format!("locking a file in `{}`", dir.display()))?;
    let mut w = BufWriter::new(tmp);
    let r = write(&mut w)?;
    let tmp = w
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing `{}`", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("writing `{}`", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("writing `{}`", path.display()))?;
    Ok(r)
}
