//! Shared helpers for Strata's integration tests.
#![deny(missing_docs)]
