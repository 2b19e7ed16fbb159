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
//! compares the two [`oracle::Run`]s in one line:
//!
//! ```ignore
//! let reference = oracle::reference(guest).masked(guest.name);
//! oracle::assert_same_run(&reference, &strata_run.masked(guest.name), guest.name);
//! ```
//!
//! [`oracle::Run::same_as`] is the same comparison as a `bool`: exit code,
//! stdout, the guest's own stderr, whether it trapped, and the final tree.
//! [`oracle::reference`] runs each guest's reference once per process, and
//! [`foreach_guest!`] generates one test per guest.
#![deny(missing_docs)]

pub mod component;
pub mod fixture;
pub mod guests;
pub mod oracle;
pub mod strata;
pub mod tree;

pub use guests::{
    Divergence, GUEST_DIR, GUESTS, Guest, KNOWN_DIVERGENCES, guest, mask_divergences,
    mask_known_divergences,
};

/// Prints that a test is skipped and why, where `cargo test` shows it: straight
/// to the process's standard error, past the harness's capture of `eprintln!`
/// (which would hide the line when the test passes).
pub fn skip(test: &str, why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{test}: skipped: {why}");
}
