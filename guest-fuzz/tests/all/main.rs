//! Integration tests of strata-guest-fuzz: the fuzz target, the coverage instrumentation and the LibAFL campaign.

mod cmplog;
mod instrument;
mod target;
