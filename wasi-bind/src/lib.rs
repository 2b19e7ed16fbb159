//! `wasi_snapshot_preview1` for wasmtime, implemented by hand over the Strata engine.
//!
//! The principal types: [`StrataCtxBuilder`] configures a guest's arguments,
//! environment, stdio, clocks, randomness and limits and builds a [`StrataCtx`],
//! which lives in the store's data; [`add_to_linker`] registers the preview1
//! functions on a wasmtime [`Linker`](wasmtime::Linker) over it. A guest's
//! `proc_exit` surfaces as a [`ProcExit`] error; a bad guest pointer as a
//! [`wasmtime::Trap`].
//!
//! Layout: [`abi`] is the preview1 ABI (constants and struct layouts), [`memory`]
//! is checked guest-memory access, `fault` decides trap versus errno, [`errno`]
//! is the only errno table, and `p1/` holds the functions by witx prefix.
#![deny(missing_docs)]

pub mod abi;
mod clocks;
mod ctx;
pub mod errno;
mod fault;
mod fdtable;
pub mod memory;
mod p1;
mod rng;
mod stdio;

pub use clocks::ClockPolicy;
pub use ctx::{Limits, StrataCtx, StrataCtxBuilder};
pub use fault::{CallError, CallResult};
pub use p1::{GetCtx, MODULE, ProcExit, add_to_linker};
pub use rng::RandomPolicy;
pub use stdio::OutputCapture;
