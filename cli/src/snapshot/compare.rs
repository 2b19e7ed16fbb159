//! `snapshot diff`: what changed between two snapshots, one path per line.

use anyhow::{Context, Result};
use strata_snapshots::format::EntryKind;
use strata_snapshots::{Change, ChangeKind, diff};

use crate::store::Opened;

/// Prints the changes from `a` to `b`, in tree order: `A` added, `D` deleted,
/// `M` modified (with what: content, meta), `T` type changed; directories end
/// in `/`.
pub(super) fn run(opened: &Opened, a: &str, b: &str) -> Result<()> {
    let ha = opened.resolve(a)?;
    let hb = opened.resolve(b)?;
    let changes =
        diff(&opened.store, &ha, &hb).with_context(|| format!("comparing `{a}` with `{b}`"))?;
    let mut out = String::new();
    for c in &changes {
        out.push_str(&line(c));
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

fn line(c: &Change) -> String {
    let slash = if c.entry == EntryKind::Dir && c.path != "/" {
        "/"
    } else {
        ""
    };
    let (code, what) = match c.kind {
        ChangeKind::Added => ("A", ""),
        ChangeKind::Removed => ("D", ""),
        ChangeKind::Modified {
            kind_changed: true, ..
        } => ("T", ""),
        ChangeKind::Modified {
            content: true,
            meta: true,
            ..
        } => ("M", "  (content, meta)"),
        ChangeKind::Modified { content: true, .. } => ("M", "  (content)"),
        ChangeKind::Modified { .. } => ("M", "  (meta)"),
    };
    format!("{code} {}{slash}{what}", c.path)
}
