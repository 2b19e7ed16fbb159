//! Shared pieces of Strata's fuzz targets: tree dumps, a counting allocator, and
//! the reference model the engine's property test also uses.

pub mod alloc;
pub mod preview1;
pub mod tree;
