//! Integration tests of strata-wasi: WAT guests run end to end in wasmtime.

mod abuse;
mod guest;
mod hello;
mod poll;
mod readme;
mod signatures;
mod stdio;

pub(crate) use guest::{Guest, errno};
