//! `snapshot export` and `snapshot import`: OCI image-layer tar streams.

use std::fs::File;
use std::io::{BufReader, IsTerminal, Read};
use std::path::Path;

use anyhow::{Context, Result};
use strata_engine::Config;
use strata_snapshots::oci::{ImportOptions, export, import};
use strata_snapshots::{Saver, load};

use super::output::write_to;
use crate::mounts::short;
use crate::progress::{Bar, Unit};
use crate::store::{Opened, usage};

/// Writes `spec` as a layer tar: its changes since its parent (the whole
/// tree if it has none), or the whole tree with `full`. To `out` atomically
/// (a temporary file renamed into place), else to stdout, which must not be
/// a terminal.
pub(super) fn export_cmd(
    opened: &Opened,
    spec: &str,
    full: bool,
    out: Option<&Path>,
) -> Result<()> {
    if out.is_none() && std::io::stdout().is_terminal() {
        // Checked before any work (write_to checks again, for its other callers).
        usage!("refusing to write a tar archive to a terminal: redirect stdout or give -o FILE");
    }
    let (hash, m) = opened.manifest(spec)?;
    let base = if full { None } else { m.parent };
    if let Some(b) = &base
        && !opened.store.contains(b).context("reading the store")?
    {
        anyhow::bail!(
            "the parent of `{spec}` ({}) is not in this store, so its changes are unknown; --full exports the whole tree",
            short(b)
        );
    }
    let bar = Bar::new("exporting", Unit::Bytes);
    let stats = write_to(out, "a tar archive", |w| {
        export(&opened.store, &hash, base.as_ref(), &mut *w, &bar)
            .with_context(|| format!("exporting `{spec}`"))
    })?;
    bar.finish();
    let what = match base {
        Some(b) => format!("changes since {}", short(&b)),
        None => "whole tree".to_owned(),
    };
    eprintln!(
        "strata: exported {} ({what}): {} entries, {} whiteouts, {} bytes of file data",
        short(&hash),
        stats.entries,
        stats.whiteouts,
        stats.bytes
    );
    Ok(())
}

/// Applies the layer in `input` (`-` for stdin) on top of `base` (or an empty
/// tree), saves the result and names it `name` if given; prints its hash.
pub(super) fn import_cmd(
    opened: &Opened,
    input: &Path,
    name: Option<&str>,
    base: Option<&str>,
) -> Result<()> {
    if let Some(n) = name {
        crate::store::check_name(&opened.store, n)?;
    }
    let reader: Box<dyn Read> = if input == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(File::open(input).with_context(|| format!("opening `{}`", input.display()))?)
    };
    let mut saver = Saver::new();
    let base_snap = match base {
        Some(spec) => {
            let h = opened.resolve(spec)?;
            let snap = load(&opened.store, &h).with_context(|| format!("loading `{spec}`"))?;
            // Saving the base first makes the result's save incremental and
            // gives it a parent, so `export` of it is the layer's changes.
            let hex = h.to_hex();
            crate::store::save(
                &mut saver,
                opened,
                &snap,
                &[("strata.loaded-from", &hex)],
                "indexing",
            )
            .with_context(|| format!("indexing `{spec}`"))?;
            Some(snap)
        }
        None => None,
    };
    let opts = ImportOptions {
        config: Config::default(),
        ..ImportOptions::default()
    };
    let snap = import(BufReader::new(reader), base_snap, &opts)
        .with_context(|| format!("importing `{}`", input.display()))?;
    let file = input.file_name().map(|f| f.to_string_lossy().into_owned());
    let mut labels = vec![("strata.import", file.as_deref().unwrap_or("-"))];
    let base_hex = base
        .map(|b| opened.resolve(b))
        .transpose()?
        .map(|h| h.to_hex());
    if let Some(b) = &base_hex {
        labels.push(("strata.base", b));
    }
    let h = crate::store::save(&mut saver, opened, &snap, &labels, "saving")
        .context("saving the imported tree")?;
    opened.name_new(&h, name)
}
