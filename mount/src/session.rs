//! Mounting: the FUSE session in the foreground, and the signals that unmount it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fuser::{Config, MountOption, Session};
use nix::sys::signal::{SigSet, Signal};
use strata_snapshots::{Hash, Store, read_manifest};

use crate::fs::SnapshotFs;

/// Threads answering the kernel: two keep a slow store read from holding
/// up every other request.
const THREADS: usize = 2;

/// Every way mounting or serving can fail.
#[derive(Debug, thiserror::Error)]
pub enum MountError {
    /// The snapshot could not be read from the store.
    #[error("reading snapshot {hash}: {source}")]
    Snapshot {
        /// The manifest asked for.
        hash: Hash,
        /// Why (boxed: the store's error is large).
        source: Box<strata_snapshots::Error>,
    },
    /// The mount point is not a directory.
    #[error("{0}: not a directory")]
    NotADirectory(PathBuf),
    /// The FUSE device or mount helper is missing.
    #[error(
        "{path}: mounting needs /dev/fuse and, unless root, fusermount3 (Debian: apt-get install fuse3): {source}"
    )]
    NoFuse {
        /// The mount point.
        path: PathBuf,
        /// The error mounting gave.
        source: io::Error,
    },
    /// Mounting, serving or unmounting failed.
    #[error("{path}: {op}: {source}")]
    Io {
        /// The mount point.
        path: PathBuf,
        /// What was being done.
        op: &'static str,
        /// The host error.
        source: io::Error,
    },
}

/// The signals that unmount: Ctrl-C, `kill`, a closed terminal.
fn stop_signals() -> SigSet {
    let mut set = SigSet::empty();
    for s in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(s);
    }
    set
}

/// Mounts snapshot `snap` of `store` read-only at `mountpoint` and serves it
/// until it is unmounted (`fusermount3 -u`, `umount`) or the process gets
/// SIGINT, SIGTERM or SIGHUP, which unmount it (if the mount is busy, it says
/// so and goes on serving). Calls `ready` once the mount is in place.
///
/// # Preconditions
/// Call it before starting other threads: the stop signals are blocked here
/// and waited for by a thread of its own, and a thread started earlier
/// would still take them the default way (ending the process, mounted).
pub fn serve(
    store: Arc<Store>,
    snap: &Hash,
    mountpoint: &Path,
    ready: impl FnOnce(),
) -> Result<(), MountError> {
    let manifest = read_manifest(&store, snap).map_err(|source| MountError::Snapshot {
        hash: *snap,
        source: Box::new(source),
    })?;
    if !mountpoint.is_dir() {
        return Err(MountError::NotADirectory(mountpoint.to_owned()));
    }
    let fs = SnapshotFs::new(
        store,
        &manifest,
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    let mut config = Config::default();
    let hex = snap.to_hex();
    config.mount_options = vec![
        MountOption::RO,
        // Modes are served as saved; set-id bits and devices must not take
        // effect from a snapshot anyone may have built.
        MountOption::NoSuid,
        MountOption::NoDev,
        // The kernel checks permission bits, as on any other filesystem.
        MountOption::DefaultPermissions,
        MountOption::FSName(format!("strata:{}", &hex[..12])),
        MountOption::Subtype("strata".into()),
    ];
    config.n_threads = Some(THREADS);
    let signals = stop_signals();
    let io_at = |op| {
        let path = mountpoint.to_owned();
        move |source| MountError::Io { path, op, source }
    };
    signals
        .thread_block()
        .map_err(|e| io_at("blocking signals")(e.into()))?;
    let served = (|| {
        let mut session = Session::new(fs, mountpoint, &config).map_err(|source| {
            if Path::new("/dev/fuse").exists() {
                io_at("mount")(source)
            } else {
                MountError::NoFuse {
                    path: mountpoint.to_owned(),
                    source,
                }
            }
        })?;
        ready();
        let mut unmounter = session.unmount_callable();
        let shown = mountpoint.display().to_string();
        // Detached: it ends with the process, waiting for a signal that
        // may never come once the mount is gone by other means.
        std::thread::Builder::new()
            .name("strata-mount-signals".into())
            .spawn(move || {
                while signals.wait().is_ok() {
                    match unmounter.unmount() {
                        Ok(()) => break,
                        Err(e) => {
                            let _ = writeln!(
                                io::stderr(),
                                "strata: mount: cannot unmount `{shown}`: {e} (still serving)"
                            );
                        }
                    }
                }
            })
            .map_err(io_at("starting the signal thread"))?;
        session.run().map_err(io_at("serving"))
    })();
    // The caller goes on with its usual signal handling.
    let _ = signals.thread_unblock();
    served
}

/// Points stdout and stderr at `/dev/null`: for a mount left serving in the
/// background once whoever read its output has gone (a write to a closed
/// pipe would otherwise fail, and `eprintln!` would panic).
pub fn detach_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdout(&null);
        let _ = nix::unistd::dup2_stderr(&null);
    }
}
