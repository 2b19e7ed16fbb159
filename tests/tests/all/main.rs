//! Integration tests of the strata-tests crate itself: the guest programs are
//! fresh and all registered, and wasmtime-wasi (the reference) prints the
//! committed expected output for each of them.

mod component;
mod differential;
mod expected;
mod fixture;
mod guests;
mod hostile;
mod real_programs;
