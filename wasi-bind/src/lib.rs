//! `wasi_snapshot_preview1` for wasmtime, implemented over the Strata engine.
//!
//! This crate is filled by the wasi-bind issue; for now it only names itself.
#![deny(missing_docs)]
