//! The coverage memory an instrumented module exports: edge counters, then the compare log.
//!
//! ```text
//! offset   size    contents
//! 0        64 KiB  edge counters, one u8 each (AFL-style: index = cur ^ prev)
//! CMP32    64 KiB  8192 slots of (a: u32 le, b: u32 le): i32 compare operands
//! CMP64    64 KiB  4096 slots of (a: u64 le, b: u64 le): i64 compare operands
//! ```
//!
//! A module instrumented for coverage only has the first page; one with
//! `cmplog` has all three. Every run instantiates the module afresh, so the
//! memory starts zeroed and nothing needs resetting between runs.

use crate::target::Compare;

/// The export name of the coverage memory; a module that already exports
/// this name is refused.
pub const EXPORT: &str = "__strata_cov";

/// Bytes of edge counters (also the size of LibAFL's coverage map).
pub const MAP_SIZE: usize = 1 << 16;

/// Where the i32 compare slots start.
pub const CMP32_BASE: u32 = MAP_SIZE as u32;
/// Bytes of one i32 slot: both operands.
pub const CMP32_SLOT: u32 = 2 * 4;
/// Number of i32 slots (compare sites share a slot modulo this).
pub const CMP32_SLOTS: u32 = 8192;

/// Where the i64 compare slots start.
pub const CMP64_BASE: u32 = CMP32_BASE + CMP32_SLOTS * CMP32_SLOT;
/// Bytes of one i64 slot: both operands.
pub const CMP64_SLOT: u32 = 2 * 8;
/// Number of i64 slots.
pub const CMP64_SLOTS: u32 = 4096;

/// The end of the compare log, and of the memory.
pub const END: u32 = CMP64_BASE + CMP64_SLOTS * CMP64_SLOT;

/// Wasm pages of the coverage memory without and with the compare log.
pub const PAGES_COVERAGE: u64 = MAP_SIZE as u64 / 65536;
/// Wasm pages of the coverage memory with the compare log.
pub const PAGES_CMPLOG: u64 = END as u64 / 65536;

const _: () = assert!(END.is_multiple_of(65536));
const _: () = assert!(MAP_SIZE.is_multiple_of(65536));

/// The counters and compares in `memory`, the contents of a run's coverage
/// memory. A memory shorter than the layout (a plain module that happens to
/// export the name) gives what it has: never a panic.
pub fn read(memory: &[u8]) -> (Vec<u8>, Vec<Compare>) {
    let coverage = memory.get(..MAP_SIZE).unwrap_or(memory).to_vec();
    let mut compares = Vec::new();
    if let Some(log) = memory.get(CMP32_BASE as usize..CMP64_BASE as usize) {
        for slot in log.chunks_exact(CMP32_SLOT as usize) {
            let (a, b) = slot.split_at(4);
            let a = u32::from_le_bytes(a.try_into().unwrap_or_default());
            let b = u32::from_le_bytes(b.try_into().unwrap_or_default());
            if a != b {
                compares.push(Compare::I32(a, b));
            }
        }
    }
    if let Some(log) = memory.get(CMP64_BASE as usize..END as usize) {
        for slot in log.chunks_exact(CMP64_SLOT as usize) {
            let (a, b) = slot.split_at(8);
            let a = u64::from_le_bytes(a.try_into().unwrap_or_default());
            let b = u64::from_le_bytes(b.try_into().unwrap_or_default());
            if a != b {
                compares.push(Compare::I64(a, b));
            }
        }
    }
    (coverage, compares)
}
