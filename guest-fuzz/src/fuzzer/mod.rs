//! The LibAFL glue (the only module that sees LibAFL): an executor over a [`FuzzTarget`](crate::FuzzTarget), the compare observer, the judge of findings and the campaign that ties them together.

mod campaign;
mod compare;
mod executor;
mod judge;

pub use campaign::{Campaign, Stats, Summary, run};
pub use compare::CompareObserver;
pub use executor::{Absorb, EdgeObserver, GuestExecutor, LastFinding};
pub use judge::{Forbidden, Judge, Verdict};
