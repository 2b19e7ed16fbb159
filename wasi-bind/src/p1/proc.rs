//! `proc_exit` and `proc_raise`.

use std::fmt;

use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, u};
use crate::abi::{Errno, signal};
use crate::fault::finish;

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

pub(crate) fn add<T: 'static>(
    linker: &mut Linker<T>,
    _get: impl GetCtx<T>,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "proc_exit",
        |_: Caller<'_, T>, status: i32| -> wasmtime::Result<()> {
            let status = u(status);
            if status > MAX_EXIT_STATUS {
                return Err(wasmtime::Error::msg(
                    "exit with invalid exit status outside of [0..126)",
                ));
            }
            Err(wasmtime::Error::new(ProcExit(status as i32)))
        },
    )?;
    linker.func_wrap(MODULE, "proc_raise", |_: Caller<'_, T>, sig: i32| {
        // wasmtime-wasi decodes the signal (an unknown one is EINVAL) and then
        // supports none of them.
        finish(if u(sig) > u32::from(signal::SYS) {
            Err(Errno::Inval.into())
        } else {
            Err(Errno::Notsup.into())
        })
    })?;
    Ok(())
}
