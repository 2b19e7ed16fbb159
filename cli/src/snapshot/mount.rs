//! `snapshot mount`: a snapshot served read-only over FUSE at a directory until unmounted.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use anyhow::{Context, Result};

use crate::store::{self, Opened};

/// What the background child prints on stdout once the mount is in place.
const READY: &str = "ready";

/// Mounts `spec` at `mountpoint`. In the foreground it serves until the
/// mount is gone (`fusermount3 -u`) or Ctrl-C unmounts it; with
/// `background`, it starts itself again detached and returns once that copy
/// has mounted. `notify_ready` is that copy's side of the handshake.
pub(super) fn run(
    opened: &Opened,
    spec: &str,
    mountpoint: &Path,
    background: bool,
    notify_ready: bool,
) -> Result<()> {
    let hash = opened.resolve(spec)?;
    if background {
        return spawn_background(opened, &hash.to_hex(), spec, mountpoint);
    }
    // A store handle of its own: the file system outlives this borrow. The
    // caller's handle keeps holding the store lock shared meanwhile, so no
    // gc removes what is being served.
    let own = store::open_at(&opened.dir)?;
    let ready = || {
        if notify_ready {
            let mut out = std::io::stdout().lock();
            // The parent reads this line, then goes: nothing else may be
            // written to its pipes.
            let _ = writeln!(out, "{READY}").and_then(|_| out.flush());
            drop(out);
            strata_mount::detach_stdio();
        } else {
            eprintln!(
                "strata: serving `{spec}` at {} (Ctrl-C or `fusermount3 -u {}` unmounts)",
                mountpoint.display(),
                mountpoint.display()
            );
        }
    };
    strata_mount::serve(Arc::new(own.store), &hash, mountpoint, ready)
        .with_context(|| format!("mounting `{spec}`"))
}

/// Starts `strata snapshot mount HASH MOUNTPOINT` detached (its own process
/// group, so the terminal's Ctrl-C does not reach it) and waits until it has
/// mounted or failed.
fn spawn_background(opened: &Opened, hash: &str, spec: &str, mountpoint: &Path) -> Result<()> {
    let exe = std::env::current_exe().context("finding the strata binary")?;
    let store = std::path::absolute(&opened.dir).context("resolving the store path")?;
    let at = std::path::absolute(mountpoint)
        .with_context(|| format!("resolving `{}`", mountpoint.display()))?;
    let mut child = Command::new(exe)
        .arg("snapshot")
        .arg("--store")
        .arg(&store)
        .args(["mount", "--notify-ready", hash])
        .arg(&at)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .context("starting the background mount")?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        // Ends at the ready line, or empty when the child exits first.
        let _ = BufReader::new(out).read_line(&mut line);
    }
    if line.trim_end() == READY {
        eprintln!(
            "strata: serving `{spec}` at {} in the background (pid {}; `fusermount3 -u {}` unmounts)",
            at.display(),
            child.id(),
            at.display()
        );
        return Ok(());
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let _ = child.wait();
    // The child's own one-line error, without its `strata: ` prefix.
    let why = err
        .lines()
        .last()
        .map(|l| l.trim_start_matches("strata: ").to_owned())
        .unwrap_or_else(|| "the background mount exited without mounting".into());
    anyhow::bail!("{why}")
}
