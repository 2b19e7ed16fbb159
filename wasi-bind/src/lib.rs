//! `wasi_snapshot_preview1` for wasmtime, implemented by hand over the Strata engine.
//!
//! The principal types: [`StrataCtxBuilder`] configures a guest's arguments,
//! environment, stdio, clocks, randomness and limits and builds a [`StrataCtx`],
//! which lives in the store's data; [`add_to_linker`] registers the preview1
//! functions on a wasmtime [`Linker`](wasmtime::Linker) over it, from the one
//! table that also yields [`SIGNATURES`], every function's parameters by kind. A guest's
//! `proc_exit` surfaces as a [`ProcExit`] error; a bad guest pointer as a
//! [`wasmtime::Trap`].
//!
//! Layout: [`abi`] is the preview1 ABI (constants and struct layouts), [`memory`]
//! is checked guest-memory access, `fault` decides trap versus errno, [`errno`]
//! is the only errno table, and `p1/` holds the functions by witx prefix.
//! [`p2`] serves WASI 0.2 components (`wasi:cli/command`) from the same
//! builder ([`StrataCtxBuilder::build_p2`]): the filesystem over the engine,
//! the rest from wasmtime-wasi 48.
//! Guest fuzzing (a program run on many inputs, each in an O(1) fork of a
//! prepared filesystem) lives in the `strata-guest-fuzz` crate; see
//! `docs/FUZZING.md`.
//!
//! Embedding: mount an in-memory overlay at `/data`, run a command module,
//! then take the guest's whole filesystem as an O(1) snapshot.
//!
//! ```
//! use strata_engine::{Config, Fs};
//! use strata_wasi::{StrataCtx, StrataCtxBuilder, add_to_linker};
//! use wasmtime::{Engine, Linker, Module, Store};
//! # fn main() -> wasmtime::Result<()> {
//! # let wasm = wat::parse_str(r#"(module
//! #   (import "wasi_snapshot_preview1" "path_create_directory"
//! #     (func $mkdir (param i32 i32 i32) (result i32)))
//! #   (memory (export "memory") 1) (data (i32.const 16) "made")
//! #   (func (export "_start") (drop (call $mkdir (i32.const 3) (i32.const 16) (i32.const 4)))))"#)?;
//! let engine = Engine::default();
//! let module = Module::new(&engine, &wasm)?; // any WASI preview1 command
//! let ctx = StrataCtxBuilder::new()
//!     .args(&["guest"])
//!     .inherit_stdio()
//!     .preopen("/data", Fs::new(Config::default()))
//!     .build();
//! let mut linker = Linker::new(&engine);
//! add_to_linker(&mut linker, |c: &mut StrataCtx| c)?;
//! let mut store = Store::new(&engine, ctx);
//! let start = linker.instantiate(&mut store, &module)?;
//! start.get_typed_func::<(), ()>(&mut store, "_start")?.call(&mut store, ())?;
//! let after = store.data().snapshot(); // O(1), per preopen
//! store.data_mut().restore(&after); // later: back to this state, also O(1)
//! # let (_, snap) = &after[0];
//! # let made = strata_engine::Name::new("made").unwrap();
//! # assert!(snap.lookup(snap.root(), &made).unwrap().is_some());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod abi;
mod cap_rules;
mod clocks;
mod ctx;
pub mod errno;
mod fault;
mod fdtable;
pub mod memory;
mod p1;
#[cfg(feature = "p2")]
pub mod p2;
mod rng;
mod run;
mod stdio;

pub use clocks::ClockPolicy;
pub use ctx::{Limits, StrataCtx, StrataCtxBuilder};
pub use fault::{CallError, CallResult};
pub use p1::{GetCtx, MODULE, Param, ProcExit, SIGNATURES, Signature, ValType, add_to_linker};
pub use rng::RandomPolicy;
pub use run::{call_start, exit_status, run};
pub use stdio::OutputCapture;
