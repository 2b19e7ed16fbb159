//! The Strata side of the differential oracle: runs a guest under `strata-wasi`
//! over an overlay of a host directory, and pictures the merged tree it leaves.

use std::sync::Arc;

use strata_engine::{Config, FileType, Fs, HostLower, Ino, Snapshot};
use strata_wasi::{OutputCapture, ProcExit, StrataCtx, StrataCtxBuilder};
use wasmtime::{Linker, Store};

use crate::fixture;
use crate::guests::{GUEST_DIR, Guest};
use crate::oracle::{Outcome, Run, TRAP_EXIT_CODE};
use crate::tree::{self, Tree, TreeEntry};

const PIPE_CAPACITY: usize = 16 << 20;

/// Runs `wasm` with `fs` mounted at `guest_dir`; returns the outcome and the
/// filesystem's final state.
pub fn run_strata(
    wasm: &[u8],
    fs: Fs,
    guest_dir: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &[u8],
) -> (Outcome, Snapshot) {
    let out = OutputCapture::new(PIPE_CAPACITY);
    let err = OutputCapture::new(PIPE_CAPACITY);
    let mut b = StrataCtxBuilder::new();
    b.args(args)
        .envs(env)
        .stdin_bytes(stdin.to_vec())
        .stdout_capture(&out)
        .stderr_capture(&err);
    b.preopen(guest_dir, fs);
    let ctx = b.build();
    // The oracle's engine: both sides run the same compiled modules.
    let engine = crate::oracle::engine();
    let mut linker: Linker<StrataCtx> = Linker::new(engine);
    strata_wasi::add_to_linker(&mut linker, |c: &mut StrataCtx| c).expect("link preview1");
    let mut store = Store::new(engine, ctx);
    let module = crate::oracle::module(wasm);
    let instance = linker
        .instantiate(&mut store, &module)
        .expect("instantiate guest");
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .expect("guest exports _start");
    let (exit_code, trap) = match start.call(&mut store, ()) {
        Ok(()) => (0, None),
        Err(e) => match e.downcast_ref::<ProcExit>() {
            Some(exit) => (exit.0, None),
            None => (TRAP_EXIT_CODE, Some(format!("{e:#}"))),
        },
    };
    let snap = store.data().fs(guest_dir).expect("mounted").snapshot();
    (
        Outcome::new(exit_code, out.contents(), err.contents(), trap),
        snap,
    )
}

/// The picture of a filesystem state, comparable with [`tree::snapshot_dir`]'s.
pub fn picture(snap: &Snapshot) -> Tree {
    let mut out = Tree::new();
    let mut stack: Vec<(Ino, String)> = vec![(snap.root(), String::new())];
    while let Some((dir, path)) = stack.pop() {
        for e in snap.entries(dir).expect("list") {
            let p = if path.is_empty() {
                e.name.to_string()
            } else {
                format!("{path}/{}", e.name)
            };
            let entry = match e.kind {
                FileType::Dir => {
                    stack.push((e.ino, p.clone()));
                    TreeEntry::Dir
                }
                FileType::Symlink => {
                    TreeEntry::Symlink(snap.readlink(e.ino).expect("readlink").to_string())
                }
                FileType::File => {
                    let size = snap.stat(e.ino).expect("stat").size as usize;
                    let mut data = vec![0u8; size];
                    let mut got = 0;
                    while got < size {
                        let n = snap
                            .read(e.ino, got as u64, &mut data[got..])
                            .expect("read");
                        if n == 0 {
                            break;
                        }
                        got += n;
                    }
                    data.truncate(got);
                    TreeEntry::File(data)
                }
            };
            out.insert(p, entry);
        }
    }
    out
}

/// Runs a guest of the table under Strata over a fresh fixture as the lower
/// layer; checks that the host fixture is left exactly as it was.
pub fn run_guest_strata(guest: &Guest) -> Run {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("root");
    std::fs::create_dir(&root).expect("create root");
    fixture::populate(&root).expect("populate fixture");
    let before = tree::snapshot_dir(&root).expect("picture fixture");
    let lower = HostLower::open(&root).expect("open lower");
    let fs = Fs::with_lower(Arc::new(lower), Config::default()).expect("mount");
    let (outcome, snap) = run_strata(
        guest.wasm,
        fs,
        GUEST_DIR,
        &guest.argv(),
        guest.env,
        guest.stdin,
    );
    let after = tree::snapshot_dir(&root).expect("picture fixture");
    assert!(
        before == after,
        "{}: the host lower directory changed",
        guest.name
    );
    Run {
        outcome,
        tree: picture(&snap),
    }
}

/// A guest on which Strata deliberately answers differently from wasmtime-wasi
/// 48: Strata follows POSIX (or DESIGN.md) where wasmtime-wasi does not. For
/// these guests the differential test compares Strata's run with its own
/// committed output, `tests/guests/expected-strata/<name>.out` (blessed with
/// `STRATA_BLESS=1`), instead of with wasmtime-wasi's.
#[derive(Debug, Clone, Copy)]
pub struct Deliberate {
    /// The guest.
    pub guest: &'static str,
    /// The exit status under Strata.
    pub exit_code: i32,
    /// What differs and why Strata's answer is the right one.
    pub why: &'static str,
}

/// Every deliberate difference from wasmtime-wasi, in one table.
pub const DELIBERATE: &[Deliberate] = &[
    Deliberate {
        guest: "fs_append",
        exit_code: 0,
        why: "O_SYNC/O_DSYNC opens succeed (wasmtime-wasi: ENOTSUP); the upper layer \
              is memory, so every write is already as durable as it will get",
    },
    Deliberate {
        guest: "fs_basic",
        exit_code: 0,
        why: "fsync of a directory fd succeeds as POSIX says (wasmtime-wasi: EBADF)",
    },
    Deliberate {
        guest: "fs_dirs",
        exit_code: 0,
        why: "rmdir(\"dir/\") with a trailing slash removes the directory as POSIX says \
              (wasmtime-wasi: EINVAL)",
    },
    Deliberate {
        guest: "fs_links",
        exit_code: 0,
        why: "linkat with AT_SYMLINK_FOLLOW links the symlink's target as POSIX says \
              (wasmtime-wasi: EINVAL)",
    },
    Deliberate {
        guest: "fs_rw",
        exit_code: 0,
        why: "readv/writev/preadv/pwritev move every buffer, not only the first; \
              posix_fallocate works (wasmtime-wasi: ENOTSUP)",
    },
    Deliberate {
        guest: "fs_sparse",
        exit_code: 0,
        why: "posix_fallocate past the end grows the file with a hole (wasmtime-wasi: ENOTSUP)",
    },
    Deliberate {
        guest: "fs_symlinks",
        exit_code: 0,
        why: "a symlink with an absolute target can be created and read (POSIX); \
              following it is refused as an escape (EPERM), so nothing outside is reached \
              (wasmtime-wasi refuses to create or readlink it)",
    },
    Deliberate {
        guest: "wasi_bad_arg",
        exit_code: 0,
        why: "an out-of-range enum or flag argument is EINVAL, not a trap (DESIGN.md: \
              only bad pointers trap)",
    },
    Deliberate {
        guest: "wasi_raw",
        exit_code: 0,
        why: "fd_allocate works (wasmtime-wasi: ENOTSUP)",
    },
];

/// The deliberate difference recorded for `guest`, if any.
pub fn deliberate(guest: &str) -> Option<&'static Deliberate> {
    DELIBERATE.iter().find(|d| d.guest == guest)
}
