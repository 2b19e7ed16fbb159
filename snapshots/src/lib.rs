//! Content-addressed snapshots of Strata filesystems: encoding, store, diff, export.
//!
//! This crate is filled by the snapshots issue; for now it only names itself.
#![deny(missing_docs)]
