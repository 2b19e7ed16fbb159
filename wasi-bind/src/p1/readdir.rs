//! `fd_readdir`: dirents packed into the guest buffer, resumable by cookie.

use strata_engine::FileType;

use super::desc::{fs_fd, wasi_filetype};
use crate::abi::{AbiStruct, Dirent, Errno};
use crate::ctx::StrataCtx;
use crate::fault::CallResult;
use crate::memory::GuestMemory;

/// Fills `len` bytes at `buf` with dirents from `cookie` on; returns the bytes
/// used. As preview1 specifies, a result equal to `len` means the buffer filled
/// up (the last entry may be cut short) and the guest continues from the last
/// complete entry's cookie. Each call costs one seek plus the entries it returns.
pub(crate) fn readdir(
    ctx: &mut StrataCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    len: u32,
    cookie: u64,
) -> CallResult<u32> {
    // Only the bytes written are checked against memory, after the fd: as in
    // wasmtime-wasi, a bad fd is EBADF whatever the buffer.
    let (fs, h, _) = fs_fd(ctx, fd)?;
    // wasmtime-wasi: EBADF for a file fd, as for any dir-only operation.
    if h.borrow().kind() != FileType::Dir {
        return Err(Errno::Badf.into());
    }
    let cap = len as usize;
    // Entries past the end of memory would trap when written: one byte past it
    // is enough to make the write trap, so the host never holds more.
    let avail = mem.len().saturating_sub(buf as usize);
    let limit = cap.min(avail.saturating_add(1));
    let mut out: Vec<u8> = Vec::with_capacity(cap.min(64 << 10));
    let mut header = [0u8; Dirent::SIZE as usize];
    fs.readdir(&h, cookie, &mut |e| {
        let d = Dirent {
            d_next: e.next,
            d_ino: e.ino.0,
            d_namlen: e.name.len() as u32,
            d_type: wasi_filetype(e.kind),
        };
        d.encode(&mut header);
        let room = cap - out.len();
        out.extend_from_slice(&header[..room.min(header.len())]);
        let room = cap - out.len();
        out.extend_from_slice(&e.name.as_bytes()[..room.min(e.name.len())]);
        out.len() < limit
    })?;
    mem.write_bytes(buf, &out)?;
    Ok(out.len() as u32)
}
