//! Shared helpers for Strata's integration tests and its differential oracle.
//!
//! The principal pieces:
//! - [`GUESTS`]: every guest program in `tests/guests/` (C source compiled to a
//!   committed `.wasm`), with the arguments, environment and stdin it runs with.
//! - [`fixture::populate`]: the standard lower tree the guests expect.
//! - [`oracle::run_wasmtime`]: runs a guest under wasmtime-wasi over a host
//!   directory and captures an [`oracle::Outcome`].
//! - [`tree::snapshot_dir`]: a comparable picture ([`tree::Tree`]) of a host
//!   directory after a run.
//!
//! A differential test runs a guest under wasmtime-wasi and under Strata and
//! compares the two [`oracle::Run`]s with `==` (or [`oracle::assert_same_run`]
//! for a readable report).
#![deny(missing_docs)]

pub mod fixture;
pub mod guests;
pub mod oracle;
pub mod tree;

pub use guests::{
    Divergence, GUEST_DIR, GUESTS, Guest, KNOWN_DIVERGENCES, guest, mask_known_divergences,
};
