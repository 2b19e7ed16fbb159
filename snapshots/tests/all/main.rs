//! Integration tests of the snapshot format, store, save and load, in one binary.

mod cat;
mod checkout;
mod checkout_safety;
mod common;
mod corruption;
mod depth;
mod determinism;
mod diff;
mod faults;
mod fetch;
mod golden;
mod incremental;
mod lower_links;
mod oci;
mod oci_gnu;
mod oci_prop;
mod packs;
mod progress;
mod roundtrip;
mod sharing;
mod sparse_lower;
mod sparse_pack;
mod store;
mod transfer;
