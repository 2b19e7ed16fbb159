//! `snapshot checkout`: a snapshot's tree written into a new host directory.

use std::path::Path;

use anyhow::{Context, Result};
use strata_snapshots::checkout::{CheckoutError, CheckoutOptions, checkout};

use crate::progress::{Bar, Unit};
use crate::store::{Opened, usage};

/// Writes `spec` into `dest` (all or nothing: the library builds it beside
/// `dest` and renames it into place).
pub(super) fn run(opened: &Opened, spec: &str, dest: &Path, opts: CheckoutOptions) -> Result<()> {
    let hash = opened.resolve(spec)?;
    let bar = Bar::new("checkout", Unit::Bytes);
    let s = match checkout(&opened.store, &hash, dest, opts, &bar) {
        Ok(s) => s,
        Err(CheckoutError::DestinationExists(_)) => {
            usage!(
                "`{}` exists and is not an empty directory (--force replaces it)",
                dest.display()
            )
        }
        Err(e) => {
            return Err(e)
                .with_context(|| format!("checking out `{spec}` into `{}`", dest.display()));
        }
    };
    bar.finish();
    let whiteouts = if opts.changes_only {
        format!(", {} whiteouts", s.whiteouts)
    } else {
        String::new()
    };
    eprintln!(
        "strata: wrote {} files, {} directories, {} symlinks, {} hard links{whiteouts} ({} bytes) into {}",
        s.files,
        s.dirs,
        s.symlinks,
        s.hard_links,
        s.bytes,
        dest.display()
    );
    Ok(())
}
