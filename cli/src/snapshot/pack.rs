//! `snapshot pack` and `snapshot unpack`: one snapshot and its objects as a single file.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use strata_snapshots::{pack, unpack};

use super::output::write_to;
use crate::mounts::short;
use crate::store::Opened;

/// Writes snapshot `spec` with every object it reaches (parents included) to
/// `out` (atomically), or to stdout if it is not a terminal.
pub(super) fn pack_cmd(opened: &Opened, spec: &str, out: Option<&Path>) -> Result<()> {
    let hash = opened.resolve(spec)?;
    let n = write_to(out, "a snapshot pack", |w| {
        pack(&opened.store, &hash, w).with_context(|| format!("packing `{spec}`"))
    })?;
    eprintln!("strata: packed {} ({n} objects)", short(&hash));
    Ok(())
}

/// Verifies and stores the pack in `input` (`-` for stdin), names it `name`
/// if given, and prints its hash.
pub(super) fn unpack_cmd(opened: &Opened, input: &Path, name: Option<&str>) -> Result<()> {
    if let Some(n) = name {
        crate::store::check_name(&opened.store, n)?;
    }
    let reader: Box<dyn Read> = if input == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(File::open(input).with_context(|| format!("opening `{}`", input.display()))?)
    };
    let h = unpack(&opened.store, reader)
        .with_context(|| format!("unpacking `{}`", input.display()))?;
    opened.name_new(&h, name)
}
