//! The guests as WASI 0.2 components: each preview 1 module is wrapped with the
//! preview 1 adapter that matches wasmtime 48, then run under Strata's p2 and
//! under wasmtime-wasi 48's p2 over the same fixture.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use strata_engine::{Config, Fs, HostLower};
use strata_wasi::{OutputCapture, StrataCtxBuilder, p2};
use wasmtime::Store;
use wasmtime::component::{Component, Linker};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, ResourceTable, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use crate::fixture;
use crate::guests::{Divergence, GUEST_DIR, Guest, RO_GUEST_DIR};
use crate::oracle::{Outcome, Run, ended, engine};
use crate::strata::picture;
use crate::tree;

const PIPE_CAPACITY: usize = 16 << 20;

/// Where a component under wasmtime-wasi 48's p2 answers otherwise than the
/// same module under its preview 1 (and Strata, under both): masked on both
/// sides as [`crate::KNOWN_DIVERGENCES`] are.
pub const COMPONENT_DIVERGENCES: &[Divergence] = &[Divergence {
    guest: "fs_append",
    line_prefix: "read nonblock: ",
    why: "wasmtime-wasi's file input stream starts every read on a background task and \
          returns nothing the first time, so the adapter's non-blocking read of a \
          regular file fails with EAGAIN; a regular file never blocks (POSIX), and \
          its own preview 1 returns the data, as Strata does under both",
}];

/// `run` with the [`crate::KNOWN_DIVERGENCES`] and [`COMPONENT_DIVERGENCES`] lines
/// of `guest` masked.
pub fn masked(run: &Run, guest: &str) -> Run {
    let mut run = run.masked(guest);
    run.outcome.stdout =
        crate::guests::mask_divergences(COMPONENT_DIVERGENCES, guest, &run.outcome.stdout);
    run
}

/// `module` (a preview 1 command) as a `wasi:cli/command` component, through
/// wasmtime 48's own preview 1 adapter.
///
/// # Panics
/// When the module cannot be adapted (it imports something the adapter lacks).
pub fn componentize(module: &[u8]) -> Vec<u8> {
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|e| {
            e.adapter(
                "wasi_snapshot_preview1",
                wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER,
            )
        })
        .and_then(|e| e.validate(true).encode())
        .unwrap_or_else(|e| panic!("componentize: {e:#}"))
}

/// The component of a guest, adapted (unless it is a component already) and
/// compiled once per process.
pub fn component(guest: &Guest) -> Component {
    type Slots = HashMap<&'static str, Arc<OnceLock<Component>>>;
    static CACHE: OnceLock<Mutex<Slots>> = OnceLock::new();
    let slot = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(guest.name)
        .or_default()
        .clone();
    slot.get_or_init(|| {
        // A component built by a WASI 0.2 toolchain is used as it is.
        let is_component = guest.wasm.get(4..8) == Some(&[0x0d, 0, 1, 0]);
        let bytes = if is_component {
            guest.wasm.to_vec()
        } else {
            componentize(guest.wasm)
        };
        Component::new(engine(), bytes).expect("guest component compiles")
    })
    .clone()
}

struct Reference {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Reference {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// Runs `guest` as a component under wasmtime-wasi 48's p2 over a real copy
/// of the fixture.
pub fn run_wasmtime(guest: &Guest) -> Run {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("root");
    std::fs::create_dir(&root).expect("create root");
    fixture::populate(&root).expect("populate fixture");
    let stdout = MemoryOutputPipe::new(PIPE_CAPACITY);
    let stderr = MemoryOutputPipe::new(PIPE_CAPACITY);
    let mut b = WasiCtxBuilder::new();
    b.allow_blocking_current_thread(true)
        .args(&guest.argv())
        .envs(guest.env)
        .stdin(MemoryInputPipe::new(guest.stdin.to_vec()))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .preopened_dir(&root, GUEST_DIR, FsPerms::ReadWrite)
        .expect("preopen root");
    if guest.read_only_preopen {
        let ro = tmp.path().join("ro");
        std::fs::create_dir(&ro).expect("create read-only dir");
        fixture::populate_read_only(&ro).expect("populate read-only dir");
        b.preopened_dir(&ro, RO_GUEST_DIR, FsPerms::ReadOnly)
            .expect("preopen read-only");
    }
    let mut linker = Linker::new(engine());
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("link p2");
    let data = Reference {
        ctx: b.build(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(engine(), data);
    if let Some(fuel) = guest.fuel {
        store.set_hostcall_fuel(fuel);
    }
    let result = (|| {
        let pre = linker.instantiate_pre(&component(guest))?;
        let command = wasmtime_wasi::p2::bindings::sync::CommandPre::new(pre)?;
        let command = command.instantiate(&mut store)?;
        Ok(match command.wasi_cli_run().call_run(&mut store) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(())) => Err(1),
            Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
                Some(x) if x.0 == 0 => Ok(()),
                Some(x) => Err(x.0),
                None => return Err(e),
            },
        })
    })();
    let (code, trap) = ended(result);
    drop(store);
    Run {
        outcome: Outcome::new(
            code,
            stdout.contents().to_vec(),
            stderr.contents().to_vec(),
            trap,
        ),
        tree: tree::snapshot_dir(&root).expect("snapshot tree"),
    }
}

fn overlay(dir: &Path, read_only: bool) -> Fs {
    let lower = HostLower::open(dir).expect("open lower");
    let config = Config {
        read_only,
        ..Config::default()
    };
    Fs::with_lower(Arc::new(lower), config).expect("mount")
}

/// Runs `guest` as a component under Strata's p2 over an overlay of the
/// fixture; checks the host fixture is left as it was.
pub fn run_strata(guest: &Guest) -> Run {
    run_strata_seeded(guest, None)
}

/// [`run_strata`] in deterministic mode (virtual clocks, randomness from `seed`).
pub fn run_strata_deterministic(guest: &Guest, seed: u64) -> Run {
    run_strata_seeded(guest, Some(seed))
}

fn run_strata_seeded(guest: &Guest, seed: Option<u64>) -> Run {
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = tmp.path().join("root");
    std::fs::create_dir(&root).expect("create root");
    fixture::populate(&root).expect("populate fixture");
    let before = tree::snapshot_dir(&root).expect("picture fixture");
    let out = OutputCapture::new(PIPE_CAPACITY);
    let err = OutputCapture::new(PIPE_CAPACITY);
    let mut b = StrataCtxBuilder::new();
    b.args(&guest.argv())
        .envs(guest.env)
        .stdin_bytes(guest.stdin.to_vec())
        .stdout_capture(&out)
        .stderr_capture(&err)
        .preopen(GUEST_DIR, overlay(&root, false));
    if let Some(seed) = seed {
        b.deterministic(seed);
    }
    if guest.read_only_preopen {
        let ro = tmp.path().join("ro");
        std::fs::create_dir(&ro).expect("create read-only dir");
        fixture::populate_read_only(&ro).expect("populate read-only dir");
        b.preopen(RO_GUEST_DIR, overlay(&ro, true));
    }
    let mut linker = Linker::new(engine());
    p2::add_to_linker_sync(&mut linker).expect("link p2");
    let mut store = Store::new(engine(), b.build_p2());
    if let Some(fuel) = guest.fuel {
        store.set_hostcall_fuel(fuel);
    }
    let (code, trap) = ended(p2::run(&mut store, &linker, &component(guest)));
    let snaps = store.data().snapshot();
    let snap = &snaps
        .iter()
        .find(|(g, _)| g == GUEST_DIR)
        .expect("mounted")
        .1;
    let after = tree::snapshot_dir(&root).expect("picture fixture");
    assert!(
        before == after,
        "{}: the host lower directory changed",
        guest.name
    );
    Run {
        outcome: Outcome::new(code, out.contents(), err.contents(), trap),
        tree: picture(snap),
    }
}
