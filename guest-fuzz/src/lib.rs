//! Fuzzing WASI guests over Strata: a [`FuzzTarget`] runs a program on one input after another, each in an O(1) fork of a prepared filesystem.
//!
//! The principal types: [`FuzzTarget`] (built by [`FuzzTargetBuilder`]) runs a
//! pre-linked module on an [`Input`] and returns a [`Report`] (its
//! [`Outcome`], output, final filesystem and, for an instrumented module,
//! its coverage counters and compare operands). [`instrument`] rewrites a
//! module so that it reports coverage without recompiling the program, and
//! [`fuzzer::run`] fuzzes it with LibAFL, guided by that coverage.
//!
//! This crate replaces the former `strata_wasi::fuzz` module (a library
//! cannot re-export its own dependent): `use strata_guest_fuzz::FuzzTarget`.
#![deny(missing_docs)]

pub mod fuzzer;
pub mod instrument;
mod target;

pub use instrument::{InstrumentError, Options, instrument};
pub use target::{Compare, FuzzTarget, FuzzTargetBuilder, Input, Outcome, Report};
