//! `snapshot cat`: one file of a snapshot to stdout, read straight from the store.

use std::io::Write;

use anyhow::{Context, Result};
use strata_snapshots::cat_to;

use crate::store::Opened;

/// Writes the file at `path` (`/`-separated, from the snapshot's root;
/// symlinks are not followed) of snapshot `spec` to stdout.
pub(super) fn run(opened: &Opened, spec: &str, path: &str) -> Result<()> {
    let hash = opened.resolve(spec)?;
    let mut out = std::io::stdout().lock();
    cat_to(&opened.store, &hash, path, &mut out)
        .with_context(|| format!("reading `{path}` of `{spec}`"))?;
    out.flush().context("writing to stdout")
}
