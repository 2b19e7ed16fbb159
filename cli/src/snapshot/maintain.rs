//! `snapshot verify` and `snapshot gc`: checking and collecting the store.

use anyhow::{Context, Result, bail};

use crate::mounts::short;
use crate::progress::{Bar, Unit};
use crate::store::Opened;

/// Verifies `spec`, or every ref; fails (after checking all) if any is damaged.
pub(super) fn verify(opened: &Opened, spec: Option<&str>) -> Result<()> {
    let targets = match spec {
        Some(s) => vec![(s.to_owned(), opened.resolve(s)?)],
        None => opened.store.refs().context("listing refs")?,
    };
    let mut bad = Vec::new();
    for (name, hash) in &targets {
        let bar = Bar::new("verifying", Unit::Objects);
        let checked = opened.store.verify_with_progress(hash, &bar);
        bar.finish();
        match checked {
            Ok(n) => println!("ok       {name} {} ({n} objects)", short(hash)),
            Err(e) => {
                println!("damaged  {name} {}: {e}", short(hash));
                bad.push((name, e));
            }
        }
    }
    match bad.as_slice() {
        [] => Ok(()),
        [(name, e)] => bail!("snapshot `{name}` is damaged: {e}"),
        more => bail!("{} of {} snapshots are damaged", more.len(), targets.len()),
    }
}

/// Removes unreachable objects.
pub(super) fn gc(opened: &Opened) -> Result<()> {
    let s = opened
        .store
        .gc()
        .with_context(|| format!("collecting `{}`", opened.dir.display()))?;
    println!(
        "removed {} objects, kept {}, cleared {} temporary files",
        s.removed, s.kept, s.temp_removed
    );
    if s.pending > 0 {
        // A remote store removes them at a gc after its grace period.
        println!("{} unreachable objects wait for a later gc", s.pending);
    }
    Ok(())
}

/// Removes ref `name`, which must exist.
pub(super) fn rm(opened: &Opened, name: &str) -> Result<()> {
    // Read first: removing an absent ref is not an error for the store, but
    // a typo must not look like success here.
    opened
        .store
        .get_ref(name)
        .map_err(|_| anyhow::anyhow!("no snapshot named `{name}`"))?;
    opened
        .store
        .remove_ref(name)
        .with_context(|| format!("removing ref `{name}`"))
}
