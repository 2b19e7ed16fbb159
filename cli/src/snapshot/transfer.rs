//! `snapshot push` and `snapshot pull`: copy a snapshot to or from another store, only the objects it lacks.

use std::path::Path;

use anyhow::{Context, Result};

use crate::progress::{Bar, Unit};
use crate::store::{self, Opened};

/// Copies `snap` of `src` (the `--store`) to the store `to`, naming it there
/// as in `src` if `snap` is a ref name.
pub(super) fn push(src: &Opened, snap: &str, to: &Path, jobs: usize) -> Result<()> {
    let dst = store::open_at(to)?;
    copy(src, &dst, snap, jobs, "pushing")
}

/// Copies `snap` of the store `from` into `dst` (the `--store`), naming it
/// as in `from` if `snap` is a ref name there.
pub(super) fn pull(dst: &Opened, snap: &str, from: &Path, jobs: usize) -> Result<()> {
    if !store::exists(from) {
        anyhow::bail!("no snapshot store at `{}`", from.display());
    }
    let src = store::open_at(from)?;
    let _held = src.hold()?;
    copy(&src, dst, snap, jobs, "pulling")
}

/// The copy itself: the destination's store lock is held from before its
/// first object lookup until the ref is set, as for a save.
fn copy(src: &Opened, dst: &Opened, snap: &str, jobs: usize, what: &str) -> Result<()> {
    let h = src.resolve(snap)?;
    let name = src.store.get_ref(snap).is_ok().then_some(snap);
    let _held = dst.hold()?;
    let bar = Bar::new(what, Unit::Bytes);
    let stats = dst
        .store
        .fetch_from(&src.store, &h, jobs, &bar)
        .with_context(|| {
            format!(
                "copying `{snap}` from `{}` to `{}`",
                src.dir.display(),
                dst.dir.display()
            )
        });
    bar.finish();
    let stats = stats?;
    if let Some(n) = name {
        dst.set_ref(n, None, &h)?;
    }
    eprintln!(
        "strata: copied {} objects ({} bytes); {} were there already",
        stats.objects, stats.bytes, stats.present
    );
    println!("{h}");
    Ok(())
}
