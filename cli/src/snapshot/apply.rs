//! `snapshot apply`: what a snapshot changed against its parent, written onto a host directory.

use std::path::Path;

use anyhow::{Context, Result};
use strata_snapshots::Hash;
use strata_snapshots::apply::{
    Action, ApplyError, ApplyOptions, ApplyPlan, State, Step, apply, prepare,
};
use strata_snapshots::format::EntryKind;

use crate::progress::{Bar, Unit};
use crate::store::Opened;

/// How `apply` was asked to run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct How {
    pub(crate) dry_run: bool,
    pub(crate) force: bool,
    pub(crate) keep_setid: bool,
    /// No summary line (errors and conflicts are still printed).
    pub(crate) quiet: bool,
}

/// Applies snapshot `spec` onto `dir` (see [`apply_hash`]).
pub(super) fn run(opened: &Opened, spec: &str, dir: &Path, how: How) -> Result<()> {
    let hash = opened.resolve(spec)?;
    apply_hash(opened, &hash, dir, how)
        .with_context(|| format!("applying `{spec}` onto `{}`", dir.display()))
}

/// Checks and applies the change of snapshot `hash` onto `dir`: with
/// `dry_run`, prints the plan on stdout and changes nothing; conflicts go to
/// stderr, one a line, and fail the command unless `force`.
pub(crate) fn apply_hash(opened: &Opened, hash: &Hash, dir: &Path, how: How) -> Result<()> {
    let plan = prepare(&opened.store, hash, dir)?;
    if how.dry_run {
        let mut out = String::new();
        for s in &plan.steps {
            out.push_str(&line(s));
            out.push('\n');
        }
        print!("{out}");
    } else {
        for s in plan.conflicts() {
            eprintln!("strata: {}", line(s));
        }
    }
    let conflicts = plan.conflicts().count();
    if how.dry_run {
        if conflicts > 0 && !how.force {
            anyhow::bail!("{conflicts} conflicting paths (--force overrides)");
        }
        return Ok(());
    }
    let stats = do_apply(opened, &plan, dir, how)?;
    if !how.quiet {
        eprintln!(
            "strata: applied to {}: {} added, {} removed, {} updated, {} metadata only, {} already done, {} hard links ({} bytes)",
            dir.display(),
            stats.added,
            stats.removed,
            stats.updated,
            stats.meta,
            stats.skipped,
            stats.linked,
            stats.bytes
        );
    }
    Ok(())
}

fn do_apply(
    opened: &Opened,
    plan: &ApplyPlan,
    dir: &Path,
    how: How,
) -> Result<strata_snapshots::apply::ApplyStats> {
    let bar = Bar::new("apply", Unit::Bytes);
    let opts = ApplyOptions {
        force: how.force,
        keep_setid: how.keep_setid,
    };
    match apply(&opened.store, plan, dir, opts, &bar) {
        Ok(s) => {
            bar.finish();
            Ok(s)
        }
        Err(ApplyError::Conflicts(n)) => {
            anyhow::bail!("{n} conflicting paths; nothing changed (--force overrides)")
        }
        Err(e) => Err(e.into()),
    }
}

/// One step as a line: `A` add, `D` delete, `M` modify, `T` type change,
/// then the path (a directory ends in `/`) and its host state.
fn line(s: &Step) -> String {
    let code = match s.action {
        Action::Add => "A",
        Action::Remove => "D",
        Action::Update | Action::DirMeta => "M",
        Action::Replace => "T",
    };
    let slash = if s.kind == EntryKind::Dir && s.path != "/" {
        "/"
    } else {
        ""
    };
    let state = match &s.state {
        State::Todo => String::new(),
        State::MetaOnly => "  (metadata only)".into(),
        State::Done => "  (already done)".into(),
        State::Conflict(why) => format!("  CONFLICT: {why}"),
        State::Blocked(why) => format!("  BLOCKED: {why}"),
    };
    format!("{code} {}{slash}{state}", s.path)
}
