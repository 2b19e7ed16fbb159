//! Checked access to a guest's linear memory for the duration of one call.
//!
//! Every guest pointer and length is untrusted. Ranges are computed in `u64` so
//! `ptr + len` cannot wrap; a range past the end of memory traps with
//! [`wasmtime::Trap::MemoryOutOfBounds`] and a pointer that is not a multiple of its
//! type's alignment traps with [`wasmtime::Trap::HeapMisaligned`] (the witx pointer
//! rule). The guest-sized arguments wasmtime-wasi 48 charges to its hostcall
//! fuel (paths, iovec arrays and the buffer moved, poll arrays) are charged to a
//! per-call byte budget first, the same amounts in the same order, so a huge
//! length yields ENOMEM instead of a huge host allocation.

use std::ops::Range;

use crate::abi::{AbiStruct, Errno, Iovec};
use crate::fault::{CallError, CallResult};

/// A view of linear memory plus the copy budget left in the current call.
pub struct GuestMemory<'a> {
    bytes: &'a mut [u8],
    budget: u64,
}

impl std::fmt::Debug for GuestMemory<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the bytes: a memory dump is never what a debug print wants.
        f.debug_struct("GuestMemory")
            .field("len", &self.bytes.len())
            .field("budget", &self.budget)
            .finish()
    }
}

impl<'a> GuestMemory<'a> {
    /// Wraps `bytes` (from [`wasmtime::Memory::data_mut`]) with `budget` bytes of copying.
    pub fn new(bytes: &'a mut [u8], budget: u64) -> Self {
        Self { bytes, budget }
    }

    /// Size of linear memory in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// True if linear memory has no pages.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Bytes the current call may still copy.
    pub fn budget_left(&self) -> u64 {
        self.budget
    }

    /// Takes `n` bytes from the budget, or fails with ENOMEM (as wasmtime-wasi's
    /// hostcall fuel does) leaving the budget untouched.
    pub fn charge(&mut self, n: u64) -> CallResult<()> {
        self.budget = self.budget.checked_sub(n).ok_or(Errno::Nomem)?;
        Ok(())
    }

    /// The host range of `len` bytes at `ptr`, or an out-of-bounds trap.
    fn range(&self, ptr: u32, len: u64) -> CallResult<Range<usize>> {
        let start = u64::from(ptr);
        let end = start
            .checked_add(len)
            .ok_or_else(CallError::out_of_bounds)?;
        // Memory is at most 4 GiB for wasm32, so this fits a usize on 64-bit hosts;
        // a failed conversion is out of bounds all the same.
        let start = usize::try_from(start).map_err(|_| CallError::out_of_bounds())?;
        let end = usize::try_from(end).map_err(|_| CallError::out_of_bounds())?;
        if end > self.bytes.len() {
            return Err(CallError::out_of_bounds());
        }
        Ok(start..end)
    }

    /// Checks `ptr` against `align` (a power of two).
    fn aligned(ptr: u32, align: u32) -> CallResult<()> {
        if !ptr.is_multiple_of(align) {
            return Err(CallError::misaligned());
        }
        Ok(())
    }

    /// The range of `count` records of `size` bytes at `ptr`, aligned to `align`.
    fn array_range(&self, ptr: u32, count: u32, size: u32, align: u32) -> CallResult<Range<usize>> {
        Self::aligned(ptr, align)?;
        let len = u64::from(count)
            .checked_mul(u64::from(size))
            .ok_or_else(CallError::out_of_bounds)?;
        self.range(ptr, len)
    }

    /// The `len` bytes at `ptr`, borrowed without copying.
    pub fn slice(&self, ptr: u32, len: u32) -> CallResult<&[u8]> {
        let r = self.range(ptr, u64::from(len))?;
        Ok(&self.bytes[r])
    }

    /// The `len` bytes at `ptr`, mutably, without copying.
    pub fn slice_mut(&mut self, ptr: u32, len: u32) -> CallResult<&mut [u8]> {
        let r = self.range(ptr, u64::from(len))?;
        Ok(&mut self.bytes[r])
    }

    /// Copies `len` guest bytes at `ptr` to the host, charged to the budget.
    pub fn read_bytes(&mut self, ptr: u32, len: u32) -> CallResult<Vec<u8>> {
        let r = self.range(ptr, u64::from(len))?;
        self.charge(u64::from(len))?;
        Ok(self.bytes[r].to_vec())
    }

    /// Copies a guest string; invalid UTF-8 is EILSEQ.
    pub fn read_str(&mut self, ptr: u32, len: u32) -> CallResult<String> {
        let bytes = self.read_bytes(ptr, len)?;
        String::from_utf8(bytes).map_err(|_| Errno::Ilseq.into())
    }

    /// Copies a guest string without charging the budget (where wasmtime-wasi
    /// does not charge its fuel); invalid UTF-8 is EILSEQ.
    pub fn read_str_uncharged(&mut self, ptr: u32, len: u32) -> CallResult<String> {
        let r = self.range(ptr, u64::from(len))?;
        String::from_utf8(self.bytes[r].to_vec()).map_err(|_| Errno::Ilseq.into())
    }

    /// Copies host bytes to `ptr`. Not charged: the host chose their size.
    pub fn write_bytes(&mut self, ptr: u32, data: &[u8]) -> CallResult<()> {
        let len = u64::try_from(data.len()).map_err(|_| CallError::out_of_bounds())?;
        let r = self.range(ptr, len)?;
        self.bytes[r].copy_from_slice(data);
        Ok(())
    }

    /// Reads an `N`-byte integer's bytes at an `N`-aligned `ptr`.
    fn read_fixed<const N: usize>(&self, ptr: u32) -> CallResult<[u8; N]> {
        Self::aligned(ptr, N as u32)?;
        let r = self.range(ptr, N as u64)?;
        let mut out = [0; N];
        out.copy_from_slice(&self.bytes[r]);
        Ok(out)
    }

    /// Writes an `N`-byte integer's bytes at an `N`-aligned `ptr`.
    fn write_fixed<const N: usize>(&mut self, ptr: u32, v: [u8; N]) -> CallResult<()> {
        Self::aligned(ptr, N as u32)?;
        let r = self.range(ptr, N as u64)?;
        self.bytes[r].copy_from_slice(&v);
        Ok(())
    }

    /// Reads a byte.
    pub fn read_u8(&self, ptr: u32) -> CallResult<u8> {
        Ok(self.read_fixed::<1>(ptr)?[0])
    }

    /// Reads a little-endian `u16` at a 2-aligned pointer.
    pub fn read_u16(&self, ptr: u32) -> CallResult<u16> {
        self.read_fixed(ptr).map(u16::from_le_bytes)
    }

    /// Reads a little-endian `u32` at a 4-aligned pointer.
    pub fn read_u32(&self, ptr: u32) -> CallResult<u32> {
        self.read_fixed(ptr).map(u32::from_le_bytes)
    }

    /// Reads a little-endian `u64` at an 8-aligned pointer.
    pub fn read_u64(&self, ptr: u32) -> CallResult<u64> {
        self.read_fixed(ptr).map(u64::from_le_bytes)
    }

    /// Writes a byte.
    pub fn write_u8(&mut self, ptr: u32, v: u8) -> CallResult<()> {
        self.write_fixed(ptr, [v])
    }

    /// Writes a little-endian `u16` at a 2-aligned pointer.
    pub fn write_u16(&mut self, ptr: u32, v: u16) -> CallResult<()> {
        self.write_fixed(ptr, v.to_le_bytes())
    }

    /// Writes a little-endian `u32` at a 4-aligned pointer.
    pub fn write_u32(&mut self, ptr: u32, v: u32) -> CallResult<()> {
        self.write_fixed(ptr, v.to_le_bytes())
    }

    /// Writes a little-endian `u64` at an 8-aligned pointer.
    pub fn write_u64(&mut self, ptr: u32, v: u64) -> CallResult<()> {
        self.write_fixed(ptr, v.to_le_bytes())
    }

    /// Reads one ABI record at `ptr`.
    pub fn read<S: AbiStruct>(&self, ptr: u32) -> CallResult<S> {
        let r = self.array_range(ptr, 1, S::SIZE, S::ALIGN)?;
        Ok(S::decode(&self.bytes[r])?)
    }

    /// Writes one ABI record at `ptr`, padding zeroed.
    pub fn write<S: AbiStruct>(&mut self, ptr: u32, v: &S) -> CallResult<()> {
        let r = self.array_range(ptr, 1, S::SIZE, S::ALIGN)?;
        v.encode(&mut self.bytes[r]);
        Ok(())
    }

    /// Reads `count` consecutive records at `ptr`, charging their size to the budget
    /// before allocating.
    pub fn read_array<S: AbiStruct>(&mut self, ptr: u32, count: u32) -> CallResult<Vec<S>> {
        let r = self.array_range(ptr, count, S::SIZE, S::ALIGN)?;
        self.charge(r.len() as u64)?;
        self.bytes[r]
            .chunks_exact(S::SIZE as usize)
            .map(|b| S::decode(b).map_err(CallError::from))
            .collect()
    }

    /// Charges `count` records of `size` bytes, as wasmtime-wasi's
    /// `consume_fuel_for_array` does before it looks at the array (the size is
    /// that of its host type, which need not be the guest layout's).
    pub fn charge_array(&mut self, count: u32, size: u64) -> CallResult<()> {
        self.charge(u64::from(count) * size)
    }

    /// The first non-empty buffer of the `iovec`/`ciovec` array at `ptr`, or an
    /// empty one, charged as wasmtime-wasi 48 charges a read or write: the whole
    /// array first (8 bytes a record), then each record read as it is reached
    /// (bounds and alignment trap), then the chosen buffer's length. The buffer
    /// itself is not checked here: only the transfer that uses it is.
    pub fn first_iovec(&mut self, ptr: u32, count: u32) -> CallResult<Iovec> {
        self.charge_array(count, u64::from(Iovec::SIZE))?;
        for i in 0..count {
            let at = u64::from(ptr) + u64::from(i) * u64::from(Iovec::SIZE);
            let at = u32::try_from(at).map_err(|_| CallError::out_of_bounds())?;
            let iov: Iovec = self.read(at)?;
            if iov.buf_len != 0 {
                self.charge(u64::from(iov.buf_len))?;
                return Ok(iov);
            }
        }
        Ok(Iovec { buf: 0, buf_len: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::Fdstat;
    use wasmtime::Trap;

    fn trap_of<T: std::fmt::Debug>(r: CallResult<T>) -> Trap {
        match r {
            Err(CallError::Trap(e)) => *e.downcast_ref::<Trap>().expect("a wasmtime::Trap"),
            other => panic!("expected a trap, got {other:?}"),
        }
    }

    fn errno_of<T: std::fmt::Debug>(r: CallResult<T>) -> Errno {
        match r {
            Err(CallError::Errno(e)) => e,
            other => panic!("expected an errno, got {other:?}"),
        }
    }

    #[test]
    fn integers_are_little_endian_and_bounds_checked() {
        let mut buf = vec![0u8; 16];
        let mut m = GuestMemory::new(&mut buf, 1024);
        m.write_u32(4, 0x0102_0304).unwrap();
        m.write_u64(8, u64::MAX - 1).unwrap();
        m.write_u16(2, 0xbeef).unwrap();
        m.write_u8(1, 7).unwrap();
        assert_eq!(m.read_u32(4).unwrap(), 0x0102_0304);
        assert_eq!(m.read_u64(8).unwrap(), u64::MAX - 1);
        assert_eq!(m.read_u16(2).unwrap(), 0xbeef);
        assert_eq!(m.read_u8(1).unwrap(), 7);
        assert_eq!(m.slice(4, 4).unwrap(), &[4, 3, 2, 1]);
        assert_eq!(trap_of(m.read_u64(16)), Trap::MemoryOutOfBounds);
        assert_eq!(
            trap_of(m.write_u32(u32::MAX - 3, 0)),
            Trap::MemoryOutOfBounds
        );
        assert_eq!(trap_of(m.read_u8(16)), Trap::MemoryOutOfBounds);
    }

    #[test]
    fn misaligned_pointers_trap() {
        let mut buf = vec![0u8; 64];
        let mut m = GuestMemory::new(&mut buf, 1024);
        assert_eq!(trap_of(m.read_u32(2)), Trap::HeapMisaligned);
        assert_eq!(trap_of(m.write_u64(4, 1)), Trap::HeapMisaligned);
        assert_eq!(trap_of(m.read_u16(1)), Trap::HeapMisaligned);
        assert_eq!(trap_of(m.read::<Fdstat>(4)), Trap::HeapMisaligned);
        assert_eq!(trap_of(m.read_array::<Iovec>(2, 1)), Trap::HeapMisaligned);
    }

    #[test]
    fn ranges_cannot_wrap() {
        let mut buf = vec![0u8; 64];
        let mut m = GuestMemory::new(&mut buf, u64::MAX);
        assert_eq!(
            trap_of(m.slice(u32::MAX, u32::MAX)),
            Trap::MemoryOutOfBounds
        );
        assert_eq!(trap_of(m.slice(60, 5)), Trap::MemoryOutOfBounds);
        assert!(
            m.slice(64, 0).is_ok(),
            "an empty range at the end is in bounds"
        );
        assert_eq!(trap_of(m.slice(65, 0)), Trap::MemoryOutOfBounds);
        assert_eq!(
            trap_of(m.read_array::<Iovec>(0, u32::MAX)),
            Trap::MemoryOutOfBounds
        );
    }

    #[test]
    fn copies_are_charged_before_allocating() {
        let mut buf = vec![b'a'; 64];
        let mut m = GuestMemory::new(&mut buf, 10);
        assert_eq!(m.read_bytes(0, 8).unwrap().len(), 8);
        assert_eq!(m.budget_left(), 2);
        assert_eq!(errno_of(m.read_bytes(0, 3)), Errno::Nomem);
        assert_eq!(m.budget_left(), 2, "a refused charge takes nothing");
        assert_eq!(errno_of(m.read_array::<Iovec>(0, 1)), Errno::Nomem);
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut buf = b"ok\xff\xfe".to_vec();
        let mut m = GuestMemory::new(&mut buf, 100);
        assert_eq!(m.read_str(0, 2).unwrap(), "ok");
        assert_eq!(errno_of(m.read_str(0, 4)), Errno::Ilseq);
    }

    #[test]
    fn iovec_arrays_decode() {
        let mut buf = vec![0u8; 32];
        let mut m = GuestMemory::new(&mut buf, 100);
        m.write(8, &Iovec { buf: 1, buf_len: 2 }).unwrap();
        m.write(16, &Iovec { buf: 3, buf_len: 4 }).unwrap();
        let v = m.read_array::<Iovec>(8, 2).unwrap();
        assert_eq!(
            v,
            [Iovec { buf: 1, buf_len: 2 }, Iovec { buf: 3, buf_len: 4 }]
        );
        assert_eq!(m.budget_left(), 84);
        m.write_bytes(30, b"xy").unwrap();
        assert_eq!(trap_of(m.write_bytes(31, b"xy")), Trap::MemoryOutOfBounds);
    }
}
