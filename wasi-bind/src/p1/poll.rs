//! `poll_oneoff`: clock subscriptions, and fd subscriptions through the fd table's hook.

use crate::abi::{
    AbiStruct, Errno, Event, Subscription, SubscriptionU, clockid, eventtype, subclockflags,
};
use crate::clocks::Deadline;
use crate::ctx::StrataCtx;
use crate::fault::{CallError, CallResult};
use crate::fdtable::{Descriptor, Readiness};
use crate::memory::GuestMemory;
use strata_engine::FileType;

/// Bytes wasmtime-wasi 48 charges per subscription: `size_of` its host
/// `Subscription` (userdata, then a clock subscription whose one-byte clock id
/// holds the variant's tag), less than the guest's 48.
const HOST_SUBSCRIPTION_SIZE: u64 = 32;

/// Bytes wasmtime-wasi 48 charges per event: `size_of` its host `Event`.
const HOST_EVENT_SIZE: u64 = 32;

/// The address of record `i` of `size` bytes in the array at `base`; past the
/// 32-bit address space it is out of bounds (a trap).
fn element(base: u32, i: u32, size: u32) -> CallResult<u32> {
    let at = u64::from(base) + u64::from(i) * u64::from(size);
    u32::try_from(at).map_err(|_| CallError::out_of_bounds())
}

/// Whether `fd` is an engine file whose offset is at or past its end.
fn at_end(ctx: &StrataCtx, fd: u32) -> CallResult<bool> {
    match ctx.fds.get(fd)? {
        Descriptor::Fs(f) if f.handle.borrow().kind() == FileType::File => {
            let (h, m) = (f.handle.clone(), f.mount);
            let size = ctx.mounts[m].fs.stat(&h)?.size;
            Ok(size <= h.borrow().offset())
        }
        _ => Ok(false),
    }
}

/// What one subscription waits for, once decoded and checked.
enum Wait {
    Clock(Deadline),
    Fd(Readiness, u8),
}

pub(super) fn poll_oneoff(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    subs_ptr: u32,
    events_ptr: u32,
    n: u32,
    nevents_ptr: u32,
) -> CallResult<()> {
    // Waiting on nothing would block forever: wasmtime-wasi refuses it with EINVAL.
    if n == 0 {
        return Err(Errno::Inval.into());
    }
    // Both arrays are charged before either is looked at, as wasmtime-wasi 48
    // charges its hostcall fuel: a count too large for the copy budget is ENOMEM
    // even when the arrays could not lie in linear memory. It charges the size
    // of its host types, 32 bytes a subscription and 32 an event, and nothing
    // for a single subscription (its sleep shortcut).
    if n > 1 {
        mem.charge_array(n, HOST_SUBSCRIPTION_SIZE)?;
        mem.charge_array(n, HOST_EVENT_SIZE)?;
    }
    // wasmtime-wasi's shortcut for one relative clock, whatever its id: it
    // sleeps for the timeout and reports the event with nbytes 1.
    if n == 1 {
        let sub: Subscription = mem.read(subs_ptr)?;
        if let SubscriptionU::Clock {
            id, timeout, flags, ..
        } = sub.u
        {
            let valid = id <= clockid::THREAD_CPUTIME_ID && flags & !subclockflags::ALL == 0;
            if valid && flags & subclockflags::SUBSCRIPTION_CLOCK_ABSTIME == 0 {
                let d = ctx.clocks.deadline(clockid::MONOTONIC, timeout, false)?;
                ctx.clocks.wait_until(d);
                let event = Event {
                    userdata: sub.userdata,
                    error: Errno::Success,
                    kind: eventtype::CLOCK,
                    nbytes: 1,
                    flags: 0,
                };
                mem.write(events_ptr, &event)?;
                return mem.write_u32(nevents_ptr, 1);
            }
        }
    }
    // Each subscription is read when it is reached (a bad one past a failing
    // one is never seen), and the events array is checked only as it is written.
    let mut subs = Vec::new();
    let mut waits = Vec::new();
    for i in 0..n {
        let sub: Subscription = mem.read(element(subs_ptr, i, Subscription::SIZE)?)?;
        waits.push(match sub.u {
            SubscriptionU::Clock {
                id, timeout, flags, ..
            } => {
                if flags & !subclockflags::ALL != 0 {
                    return Err(Errno::Inval.into());
                }
                let absolute = flags & subclockflags::SUBSCRIPTION_CLOCK_ABSTIME != 0;
                Wait::Clock(ctx.clocks.deadline(id, timeout, absolute)?)
            }
            // The hook for fd subscriptions: the descriptor answers for itself. A
            // descriptor that cannot be polled fails the whole call (wasmtime-wasi).
            SubscriptionU::FdRead(fd) => {
                let end = at_end(ctx, fd)?;
                Wait::Fd(
                    ctx.fds.get(fd)?.readiness(eventtype::FD_READ, end)?,
                    eventtype::FD_READ,
                )
            }
            SubscriptionU::FdWrite(fd) => Wait::Fd(
                ctx.fds.get(fd)?.readiness(eventtype::FD_WRITE, false)?,
                eventtype::FD_WRITE,
            ),
        });
        subs.push(sub);
    }

    // Every fd this table holds is ready at once, so we only ever wait when
    // nothing but clocks was asked for, and then for the earliest one.
    let fd_ready = waits.iter().any(|w| matches!(w, Wait::Fd(..)));
    let clock_ready = waits
        .iter()
        .any(|w| matches!(w, Wait::Clock(d) if ctx.clocks.expired(*d)));
    if !fd_ready && !clock_ready {
        let earliest = waits.iter().filter_map(|w| match w {
            Wait::Clock(d) => Some(*d),
            Wait::Fd(..) => None,
        });
        if let Some(d) = earliest.min() {
            ctx.clocks.wait_until(d);
        }
    }

    let mut count = 0u32;
    for (sub, wait) in subs.iter().zip(&waits) {
        let event = match *wait {
            Wait::Clock(d) if ctx.clocks.expired(d) => Event {
                userdata: sub.userdata,
                error: Errno::Success,
                kind: eventtype::CLOCK,
                nbytes: 0,
                flags: 0,
            },
            Wait::Clock(_) => continue,
            Wait::Fd(r, kind) => Event {
                userdata: sub.userdata,
                error: Errno::Success,
                kind,
                nbytes: r.nbytes,
                flags: r.flags,
            },
        };
        mem.write(element(events_ptr, count, Event::SIZE)?, &event)?;
        count += 1;
    }
    mem.write_u32(nevents_ptr, count)
}
