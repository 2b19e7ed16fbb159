//! Integration tests of the snapshot format, store, save and load, in one binary.

mod common;
mod corruption;
mod determinism;
mod faults;
mod golden;
mod incremental;
mod roundtrip;
mod store;
