//! The Strata side of the differential oracle: runs a guest under `strata-wasi`
//! over an overlay of a host directory, and pictures the merged tree it leaves.

use std::sync::Arc;

use strata_engine::{Config, FileType, Fs, HostLower, Ino, Snapshot};
use strata_wasi::{OutputCapture, StrataCtx, StrataCtxBuilder};
use wasmtime::{Linker, Store};

use crate::fixture;
use crate::guests::{GUEST_DIR, Guest};
use crate::oracle::{Outcome, Run, ended};
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
    run_strata_with(wasm, fs, guest_dir, args, env, stdin, None, None)
}

/// [`run_strata`] with the copy budget set to `fuel` bytes a call (the
/// counterpart of wasmtime's hostcall fuel) or left at its default, and
/// `read_only` mounted at [`crate::guests::RO_GUEST_DIR`] when given.
#[allow(clippy::too_many_arguments)]
pub fn run_strata_with(
    wasm: &[u8],
    fs: Fs,
    guest_dir: &str,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &[u8],
    fuel: Option<usize>,
    read_only: Option<Fs>,
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
    if let Some(ro) = read_only {
        b.preopen(crate::guests::RO_GUEST_DIR, ro);
    }
    if let Some(fuel) = fuel {
        b.copy_budget(fuel as u64);
    }
    let ctx = b.build();
    // The oracle's engine: both sides run the same compiled modules.
    let engine = crate::oracle::engine();
    let mut linker: Linker<StrataCtx> = Linker::new(engine);
    strata_wasi::add_to_linker(&mut linker, |c: &mut StrataCtx| c).expect("link preview1");
    let mut store = Store::new(engine, ctx);
    let module = crate::oracle::module(wasm);
    let (exit_code, trap) = ended(strata_wasi::run(&mut store, &linker, &module));
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
    let read_only = guest.read_only_preopen.then(|| {
        let ro = tmp.path().join("ro");
        std::fs::create_dir(&ro).expect("create read-only dir");
        fixture::populate_read_only(&ro).expect("populate read-only dir");
        let lower = HostLower::open(&ro).expect("open read-only lower");
        let config = Config {
            read_only: true,
            ..Config::default()
        };
        Fs::with_lower(Arc::new(lower), config).expect("mount read-only")
    });
    let (outcome, snap) = run_strata_with(
        guest.wasm,
        fs,
        GUEST_DIR,
        &guest.argv(),
        guest.env,
        guest.stdin,
        guest.fuel,
        read_only,
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
/// 48. Only places where wasmtime-wasi is demonstrably wrong by its own suites
/// or code, or loses data, belong here; everywhere else the reference's answer
/// is Strata's. For these guests the differential test compares Strata's run
/// with its own committed output, `tests/guests/expected-strata/<name>.out`
/// (blessed with `STRATA_BLESS=1`), instead of with wasmtime-wasi's.
/// (Lines of a guest that wasmtime-wasi gets wrong, while the rest of the guest
/// still matches, are masked instead: see [`crate::KNOWN_DIVERGENCES`].)
#[derive(Debug, Clone, Copy)]
pub struct Deliberate {
    /// The guest.
    pub guest: &'static str,
    /// The exit status under Strata.
    pub exit_code: i32,
    /// What differs, and the reference behaviour Strata's answer keeps.
    pub why: &'static str,
}

/// Every deliberate difference from wasmtime-wasi, in one table.
pub const DELIBERATE: &[Deliberate] = &[Deliberate {
    guest: "wasi_bad_arg",
    exit_code: 0,
    why: "an out-of-range enum or flag argument is EINVAL, not a trap: wasmtime-wasi 48's \
          own error table (`impl From<GuestError> for types::Error` in its p1.rs) maps \
          InvalidFlagValue and InvalidEnumValue to EINVAL and keeps traps for bad pointers \
          (the witx pointer rule it cites); its trap comes from wiggle's argument decoding, \
          which never reaches that table",
}];

/// The deliberate difference recorded for `guest`, if any.
pub fn deliberate(guest: &str) -> Option<&'static Deliberate> {
    DELIBERATE.iter().find(|d| d.guest == guest)
}
