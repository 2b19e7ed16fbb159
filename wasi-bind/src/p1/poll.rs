//! `poll_oneoff`: clock subscriptions, and fd subscriptions through the fd table's hook.

use wasmtime::{Caller, Linker};

use super::{GetCtx, MODULE, u, with_memory};
use crate::abi::{AbiStruct, Errno, Event, Subscription, SubscriptionU, eventtype, subclockflags};
use crate::clocks::Deadline;
use crate::ctx::StrataCtx;
use crate::fault::{CallResult, finish};
use crate::fdtable::Readiness;
use crate::memory::GuestMemory;

pub(crate) fn add<T: 'static>(linker: &mut Linker<T>, get: impl GetCtx<T>) -> wasmtime::Result<()> {
    linker.func_wrap(
        MODULE,
        "poll_oneoff",
        move |mut c: Caller<'_, T>, subs: i32, events: i32, n: i32, nevents: i32| {
            finish(with_memory(&mut c, get, |ctx, mem| {
                poll_oneoff(ctx, mem, u(subs), u(events), u(n), u(nevents))
            }))
        },
    )?;
    Ok(())
}

/// What one subscription waits for, once decoded and checked.
enum Wait {
    Clock(Deadline),
    Fd(Readiness, u8),
}

fn poll_oneoff(
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
    // Both arrays are charged before either is looked at, as wasmtime-wasi
    // does: a count too large for the copy budget is ENOMEM even when the
    // arrays could not lie in linear memory (beyond that, out of bounds traps).
    let cost = u64::from(n) * u64::from(Subscription::SIZE + Event::SIZE);
    if cost > mem.budget_left() {
        return Err(Errno::Nomem.into());
    }
    let subs: Vec<Subscription> = mem.read_array(subs_ptr, n)?;
    mem.reserve_array::<Event>(events_ptr, n)?;

    let mut waits = Vec::with_capacity(subs.len());
    for sub in &subs {
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
            SubscriptionU::FdRead(fd) => Wait::Fd(
                ctx.fds.get(fd)?.readiness(eventtype::FD_READ)?,
                eventtype::FD_READ,
            ),
            SubscriptionU::FdWrite(fd) => Wait::Fd(
                ctx.fds.get(fd)?.readiness(eventtype::FD_WRITE)?,
                eventtype::FD_WRITE,
            ),
        });
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
        // In range: `reserve_array` checked all `n` slots fit in memory.
        let at = events_ptr + count * Event::SIZE;
        mem.write(at, &event)?;
        count += 1;
    }
    mem.write_u32(nevents_ptr, count)
}
