//! WASI 0.2 (`wasi:cli/command` components) over the Strata engine.
//!
//! The filesystem (`wasi:filesystem/types` and `preopens`) is this crate's
//! own, over the same engine and mounts as preview 1, and so is the monotonic
//! clock (deterministic mode's waits jump ahead instead of sleeping, as in
//! preview 1); everything else of the command world (`wasi:io` streams and pollables, clocks, random, cli, and
//! sockets, which refuse every address as wasmtime-wasi does by default) is
//! wasmtime-wasi 48's, linked interface by interface. The two share one
//! [`ResourceTable`], so a file stream is an ordinary `wasi:io` stream.
//!
//! Why the state is `Send`: wasmtime-wasi's bindings require the store data
//! to be `Send`, and its streams are `Send` resources that outlive the call
//! that made them. So a mount is an `Arc<Mutex<Fs>>` here, shared by the
//! context, its descriptors and its streams, and engine handles are
//! `Send` (an `Arc<RwLock>` description). The locks are never contended (one
//! guest runs on one thread) and cost a few nanoseconds a call.
//!
//! Embedding: the same builder as preview 1, then
//! [`StrataCtxBuilder::build_p2`](crate::StrataCtxBuilder::build_p2).
//!
//! ```no_run
//! use strata_engine::{Config, Fs};
//! use strata_wasi::{StrataCtxBuilder, p2};
//! use wasmtime::component::{Component, Linker};
//! use wasmtime::{Engine, Store};
//! # fn main() -> wasmtime::Result<()> {
//! let engine = Engine::default();
//! let component = Component::from_file(&engine, "app.wasm")?; // any wasi:cli/command
//! let ctx = StrataCtxBuilder::new()
//!     .inherit_stdio()
//!     .preopen("/work", Fs::new(Config::default()))
//!     .build_p2();
//! let mut linker = Linker::new(&engine);
//! p2::add_to_linker_sync(&mut linker)?;
//! let mut store = Store::new(&engine, ctx);
//! let exit = p2::run(&mut store, &linker, &component)?; // Ok(()) or the guest's exit code
//! let after = store.data().snapshot(); // O(1), per mount
//! # drop((exit, after)); Ok(()) }
//! ```

mod bindings;
mod clock;
mod ctx;
mod desc;
mod error;
mod fs;
mod stream;

use wasmtime::component::{Component, HasData, Linker, ResourceTable};
use wasmtime::{AsContextMut, Store};
use wasmtime_wasi::WasiCtx;
use wasmtime_wasi::cli::{WasiCli, WasiCliCtxView};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksCtxView};
use wasmtime_wasi::p2::bindings::{
    cli as wcli, clocks as wclocks, random as wrandom, sockets as wsockets, sync,
};
use wasmtime_wasi::random::WasiRandom;
use wasmtime_wasi::sockets::{WasiSockets, WasiSocketsCtxView};

pub use self::ctx::ComponentCtx;
pub use self::desc::{Descriptor, DirEntries};
use self::fs::SharedFs;

/// A mount as the WASI 0.2 filesystem sees it.
#[derive(Debug)]
pub(crate) struct Mount {
    pub(crate) guest: String,
    pub(crate) fs: SharedFs,
    pub(crate) read_only: bool,
}

/// What the filesystem host functions see of the store's data.
#[derive(Debug)]
pub struct FsView<'a> {
    table: &'a mut ResourceTable,
    mounts: &'a [Mount],
}

/// The [`HasData`] of the filesystem interfaces.
#[derive(Debug)]
pub struct StrataFilesystem;

impl HasData for StrataFilesystem {
    type Data<'a> = FsView<'a>;
}

/// Store data that holds a [`ComponentCtx`]; [`ComponentCtx`] itself is one.
pub trait ComponentView: Send {
    /// The context.
    fn component_ctx(&mut self) -> &mut ComponentCtx;
}

impl ComponentView for ComponentCtx {
    fn component_ctx(&mut self) -> &mut ComponentCtx {
        self
    }
}

fn parts<T: ComponentView>(t: &mut T) -> (&mut WasiCtx, &mut ResourceTable) {
    let c = t.component_ctx();
    (&mut c.wasi, &mut c.table)
}

/// Adds every interface of `wasi:cli/command` (0.2.0 through 0.2.12, as
/// wasmtime's linker matches versions) to `linker`, synchronously: the
/// filesystem over Strata, the rest from wasmtime-wasi 48.
pub fn add_to_linker_sync<T: ComponentView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    let l = linker;
    // wasi:io, on the shared table.
    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<T, HasTable>(l, |t| parts(t).1)?;
    sync::io::poll::add_to_linker::<T, HasTable>(l, |t| parts(t).1)?;
    sync::io::streams::add_to_linker::<T, HasTable>(l, |t| parts(t).1)?;
    // The filesystem: Strata's.
    bindings::types::add_to_linker::<T, StrataFilesystem>(l, fs_view)?;
    bindings::preopens::add_to_linker::<T, StrataFilesystem>(l, fs_view)?;
    // Clocks, random, cli, sockets: wasmtime-wasi's.
    wclocks::wall_clock::add_to_linker::<T, WasiClocks>(l, clocks::<T>)?;
    bindings::monotonic_clock::add_to_linker::<T, StrataClock>(l, clock_view::<T>)?;
    wrandom::random::add_to_linker::<T, WasiRandom>(l, random::<T>)?;
    wrandom::insecure::add_to_linker::<T, WasiRandom>(l, random::<T>)?;
    wrandom::insecure_seed::add_to_linker::<T, WasiRandom>(l, random::<T>)?;
    wcli::exit::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::environment::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::stdin::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::stdout::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::stderr::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::terminal_input::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::terminal_output::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::terminal_stdin::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::terminal_stdout::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    wcli::terminal_stderr::add_to_linker::<T, WasiCli>(l, cli::<T>)?;
    sync::sockets::tcp::add_to_linker::<T, WasiSockets>(l, sockets::<T>)?;
    sync::sockets::udp::add_to_linker::<T, WasiSockets>(l, sockets::<T>)?;
    wsockets::tcp_create_socket::add_to_linker::<T, WasiSockets>(l, sockets::<T>)?;
    sync::sockets::udp_create_socket::add_to_linker::<T, WasiSockets>(l, sockets::<T>)?;
    wsockets::instance_network::add_to_linker::<T, WasiSockets>(l, sockets::<T>)?;
    wsockets::network::add_to_linker::<T, WasiSockets>(l, &Default::default(), sockets::<T>)?;
    wsockets::ip_name_lookup::add_to_linker::<T, WasiSockets>(l, sockets::<T>)?;
    Ok(())
}

fn clocks<T: ComponentView>(t: &mut T) -> WasiClocksCtxView<'_> {
    let (w, table) = parts(t);
    WasiClocksCtxView {
        ctx: w.clocks(),
        table,
    }
}

fn random<T: ComponentView>(t: &mut T) -> &mut wasmtime_wasi::random::WasiRandomCtx {
    parts(t).0.random()
}

fn cli<T: ComponentView>(t: &mut T) -> WasiCliCtxView<'_> {
    let (w, table) = parts(t);
    WasiCliCtxView {
        ctx: w.cli(),
        table,
    }
}

fn sockets<T: ComponentView>(t: &mut T) -> WasiSocketsCtxView<'_> {
    let (w, table) = parts(t);
    WasiSocketsCtxView {
        ctx: w.sockets(),
        table,
    }
}

struct StrataClock;

impl HasData for StrataClock {
    type Data<'a> = clock::ClockView<'a>;
}

fn clock_view<T: ComponentView>(t: &mut T) -> clock::ClockView<'_> {
    let c = t.component_ctx();
    clock::ClockView {
        table: &mut c.table,
        clock: &c.monotonic,
    }
}

fn fs_view<T: ComponentView>(t: &mut T) -> FsView<'_> {
    let c = t.component_ctx();
    FsView {
        table: &mut c.table,
        mounts: &c.mounts,
    }
}

struct HasTable;

impl HasData for HasTable {
    type Data<'a> = &'a mut ResourceTable;
}

/// A `wasi:cli/command` component linked and ready to instantiate, many
/// times and from any thread (wasmtime-wasi's generated type).
pub type CommandPre<T> = sync::CommandPre<T>;

/// Instantiates a `wasi:cli/command` component and calls its `run`.
///
/// `Ok(Ok(()))` when it returned success, `Ok(Err(code))` for a failure or an
/// explicit `exit` (code 1 for `run` returning an error, as wasmtime's CLI
/// reports it), `Err` for a trap or a link error.
pub fn run<T: ComponentView + 'static>(
    store: &mut Store<T>,
    linker: &Linker<T>,
    component: &Component,
) -> wasmtime::Result<Result<(), i32>> {
    let pre = CommandPre::new(linker.instantiate_pre(component)?)?;
    let command = pre.instantiate(store.as_context_mut())?;
    call_run(store, &command)
}

/// Calls `run` of an instantiated command, with [`run`]'s result.
pub fn call_run<T: ComponentView + 'static>(
    store: &mut Store<T>,
    command: &sync::Command,
) -> wasmtime::Result<Result<(), i32>> {
    match command.wasi_cli_run().call_run(store.as_context_mut()) {
        Ok(Ok(())) => Ok(Ok(())),
        Ok(Err(())) => Ok(Err(1)),
        Err(e) => crate::exit_status(Err(e)),
    }
}

#[cfg(test)]
mod tests {
    fn send<T: Send>() {}

    /// Both contexts may move to another thread (a fork per worker, say).
    #[test]
    fn contexts_are_send() {
        send::<crate::StrataCtx>();
        send::<super::ComponentCtx>();
        send::<strata_engine::Handle>();
    }
}
