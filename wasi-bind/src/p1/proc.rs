//! `proc_exit`, `proc_raise` and `sched_yield`.

use std::fmt;

use crate::abi::{Errno, signal};
use crate::fault::CallResult;

/// The error a guest's `proc_exit` unwinds with; downcast it from the error the
/// guest's entry point returns, as with wasmtime-wasi's `I32Exit`.
///
/// ```
/// # fn exit_code(err: &wasmtime::Error) -> Option<i32> {
/// err.downcast_ref::<strata_wasi::ProcExit>().map(|e| e.0)
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcExit(pub i32);

impl fmt::Display for ProcExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guest exited with status {}", self.0)
    }
}

impl std::error::Error for ProcExit {}

/// Exit statuses a guest may report: WASI leaves 126 and above to the host
/// (shells use them for "cannot execute" and signals), and wasmtime-wasi refuses
/// them with a plain trap.
const MAX_EXIT_STATUS: u32 = 125;

/// `proc_exit`: the error the call unwinds with.
pub(super) fn exit(status: u32) -> wasmtime::Error {
    if status > MAX_EXIT_STATUS {
        return wasmtime::Error::msg("exit with invalid exit status outside of [0..126)");
    }
    wasmtime::Error::new(ProcExit(status as i32))
}

pub(super) fn raise(sig: u32) -> CallResult<()> {
    // wasmtime-wasi decodes the signal (an unknown one is EINVAL) and then
    // supports none of them.
    if sig > u32::from(signal::SYS) {
        return Err(Errno::Inval.into());
    }
    Err(Errno::Notsup.into())
}

pub(super) fn sched_yield() -> CallResult<()> {
    // A guest is one thread with nothing to yield to; wasmtime-wasi also
    // answers success without doing anything.
    Ok(())
}
