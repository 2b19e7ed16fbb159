//! Coverage instrumentation: rewrites a core wasm module so every basic block bumps an AFL-style edge counter the host reads.
//!
//! [`instrument`] parses a module with wasmparser and re-encodes it with
//! wasm-encoder, adding, after the module's own definitions (so no existing
//! index moves):
//! - a memory exported as [`layout::EXPORT`], holding the edge counters and,
//!   with [`Options::cmplog`], the compare log (see [`layout`]);
//! - a mutable i32 global, `prev`, AFL's previous location;
//! - at every basic block (function entry, loop body, `then`, `else`,
//!   `catch`, after every `end` of an inner block and after every
//!   conditional branch), the probe `counters[cur ^ prev] += 1;
//!   prev = cur >> 1`, where `cur` is a fixed 16-bit id of the block.
//!
//! Why a memory of its own rather than a region of the guest's memory: the
//! guest cannot corrupt the counters with a stray write, its own memory (its
//! size, `memory.grow` results, its layout) is exactly as before, and no
//! guest address space has to be reserved or grown. The price is that the
//! engine must accept several memories (wasm 3.0's multi-memory, on by
//! default in wasmtime). Counters are reset for free: every run
//! instantiates the module afresh.
//!
//! With `cmplog`, every `i32`/`i64` `eq`/`ne`/`lt`/`gt`/`le`/`ge` first
//! stores both operands in its slot of the compare log, for LibAFL's
//! input-to-state mutator.

pub mod layout;
mod probe;
mod rewrite;

use std::fmt;

/// What to add to the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Log the operands of integer compares (slower; for a tracing run).
    pub cmplog: bool,
}

/// Why a module cannot be instrumented. The module is never run half-rewritten.
#[derive(Debug)]
pub enum InstrumentError {
    /// The bytes are not a valid core module.
    Invalid(String),
    /// A valid module this rewriter does not handle (a component, a module
    /// that already uses the reserved export name).
    Unsupported(String),
}

impl fmt::Display for InstrumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // wasmparser's messages may span lines (expected/actual dumps): one line.
        let one_line = |why: &str| why.split_whitespace().collect::<Vec<_>>().join(" ");
        match self {
            InstrumentError::Invalid(why) => {
                write!(f, "not a valid wasm module: {}", one_line(why))
            }
            InstrumentError::Unsupported(why) => write!(f, "cannot instrument: {}", one_line(why)),
        }
    }
}

impl std::error::Error for InstrumentError {}

/// Rewrites `wasm` (a core module) with coverage probes; see the module docs.
///
/// # Errors
/// [`InstrumentError::Invalid`] when `wasm` does not validate (with every
/// proposal wasmparser knows enabled: the engine decides later what it
/// accepts), [`InstrumentError::Unsupported`] for a component or a module
/// that already exports [`layout::EXPORT`].
pub fn instrument(wasm: &[u8], options: &Options) -> Result<Vec<u8>, InstrumentError> {
    rewrite::rewrite(wasm, options)
}
