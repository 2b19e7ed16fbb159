//! Integration tests of the engine, in one binary to keep link time down.

mod common;
mod escape;
mod limits;
mod model;
mod overlay;
mod quota;
mod readdir;
mod semantics;
mod snapshot;
