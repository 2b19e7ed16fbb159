//! `args_*` and `environ_*`: the guest's command line and environment.

use crate::abi::Errno;
use crate::ctx::StrataCtx;
use crate::fault::CallResult;
use crate::memory::GuestMemory;

pub(super) fn args_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    argv: u32,
    buf: u32,
) -> CallResult<()> {
    let items: Vec<_> = ctx.args.iter().map(|a| [a.as_bytes()]).collect();
    write_list(mem, argv, buf, items.iter().map(|p| p.as_slice()))
}

pub(super) fn args_sizes_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    size: u32,
) -> CallResult<()> {
    write_sizes(mem, count, size, ctx.args.iter().map(|a| a.len()))
}

pub(super) fn environ_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    env: u32,
    buf: u32,
) -> CallResult<()> {
    let items: Vec<_> = ctx
        .env
        .iter()
        .map(|(k, v)| [k.as_bytes(), b"=".as_slice(), v.as_bytes()])
        .collect();
    write_list(mem, env, buf, items.iter().map(|p| p.as_slice()))
}

pub(super) fn environ_sizes_get(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    count: u32,
    size: u32,
) -> CallResult<()> {
    let lens = ctx.env.iter().map(|(k, v)| k.len() + 1 + v.len());
    write_sizes(mem, count, size, lens)
}

/// Writes each item (the concatenation of its parts) NUL-terminated into `buf`,
/// and a pointer to each into the `u32` array at `ptrs`, as `args_get` specifies.
/// The guest sized both regions with the matching `*_sizes_get`; a region that is
/// out of bounds traps.
fn write_list<'p>(
    mem: &mut GuestMemory<'_>,
    ptrs: u32,
    buf: u32,
    items: impl Iterator<Item = &'p [&'p [u8]]>,
) -> CallResult<()> {
    let (mut ptrs, mut at) = (ptrs, buf);
    let step = |p: u32, n: usize| -> CallResult<u32> {
        let n = u32::try_from(n).map_err(|_| Errno::Overflow)?;
        Ok(p.checked_add(n).ok_or(Errno::Overflow)?)
    };
    for parts in items {
        mem.write_u32(ptrs, at)?;
        ptrs = step(ptrs, 4)?;
        for part in parts {
            mem.write_bytes(at, part)?;
            at = step(at, part.len())?;
        }
        mem.write_u8(at, 0)?;
        at = step(at, 1)?;
    }
    Ok(())
}

/// Writes the item count and the total size with NUL terminators.
fn write_sizes(
    mem: &mut GuestMemory<'_>,
    count_ptr: u32,
    size_ptr: u32,
    lens: impl ExactSizeIterator<Item = usize>,
) -> CallResult<()> {
    let count = u32::try_from(lens.len()).map_err(|_| Errno::Overflow)?;
    let total = lens.map(|l| l + 1).sum::<usize>();
    let total = u32::try_from(total).map_err(|_| Errno::Overflow)?;
    mem.write_u32(count_ptr, count)?;
    mem.write_u32(size_ptr, total)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_layout_matches_libc_expectations() {
        let mut bytes = vec![0u8; 64];
        let mut mem = GuestMemory::new(&mut bytes, 1000);
        let items: [[&[u8]; 3]; 2] = [[b"A", b"=", b"1"], [b"BB", b"=", b""]];
        write_list(&mut mem, 0, 16, items.iter().map(|p| p.as_slice())).unwrap();
        write_sizes(&mut mem, 40, 44, [3usize, 3].into_iter()).unwrap();
        assert_eq!(mem.read_u32(0).unwrap(), 16);
        assert_eq!(mem.read_u32(4).unwrap(), 20);
        assert_eq!(mem.slice(16, 8).unwrap(), b"A=1\0BB=\0");
        assert_eq!(
            (mem.read_u32(40).unwrap(), mem.read_u32(44).unwrap()),
            (2, 8)
        );
    }
}
