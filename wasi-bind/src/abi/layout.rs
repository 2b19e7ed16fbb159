//! Byte layouts of the preview1 records, each with its size, alignment and field offsets.

use super::{ERRNO_ALL, Errno, eventtype, preopentype};

/// A fixed-layout record that can be copied between guest memory and the host.
///
/// `encode` and `decode` see exactly `SIZE` bytes; callers check bounds and
/// alignment first (see `memory.rs`).
pub trait AbiStruct: Sized {
    /// Size in bytes, padding included.
    const SIZE: u32;
    /// Required alignment of a guest pointer to this record.
    const ALIGN: u32;
    /// Writes the record into `out`.
    ///
    /// # Preconditions
    /// `out.len() == SIZE`.
    fn encode(&self, out: &mut [u8]);
    /// Reads the record from `bytes`; a bad tag is EINVAL.
    ///
    /// # Preconditions
    /// `bytes.len() == SIZE`.
    fn decode(bytes: &[u8]) -> Result<Self, Errno>;
}

/// The offset of a field aligned to `align` that follows a field of `prev_size`
/// bytes at `prev` (the C layout rule witx uses); also a record's size, given
/// its last field and its alignment.
const fn after(prev: usize, prev_size: usize, align: usize) -> usize {
    (prev + prev_size).next_multiple_of(align)
}

// The sizes and offsets wasi-libc's <wasi/api.h> asserts with
// `_Static_assert`: a slip in the arithmetic above fails the build.
const _: () = {
    assert!(Iovec::SIZE == 8 && Iovec::OFF_BUF_LEN == 4);
    assert!(Fdstat::SIZE == 24 && Fdstat::OFF_FLAGS == 2 && Fdstat::OFF_RIGHTS_BASE == 8);
    assert!(Filestat::SIZE == 64 && Filestat::OFF_FILETYPE == 16 && Filestat::OFF_NLINK == 24);
    assert!(Filestat::OFF_CTIM == 56);
    assert!(Dirent::SIZE == 24 && Dirent::OFF_NAMLEN == 16 && Dirent::OFF_TYPE == 20);
    assert!(Prestat::SIZE == 8 && Prestat::OFF_NAME_LEN == 4);
    assert!(Subscription::SIZE == 48 && Subscription::OFF_PAYLOAD == 16);
    assert!(Subscription::OFF_CLOCK_TIMEOUT == 24 && Subscription::OFF_CLOCK_FLAGS == 40);
    assert!(Event::SIZE == 32 && Event::OFF_ERROR == 8 && Event::OFF_TYPE == 10);
    assert!(Event::OFF_NBYTES == 16 && Event::OFF_FLAGS == 24);
};

/// Little-endian field access on a record's bytes; offsets are the layout's own.
mod le {
    pub(super) fn u16_at(b: &[u8], off: usize) -> u16 {
        u16::from_le_bytes([b[off], b[off + 1]])
    }
    pub(super) fn u32_at(b: &[u8], off: usize) -> u32 {
        let mut a = [0; 4];
        a.copy_from_slice(&b[off..off + 4]);
        u32::from_le_bytes(a)
    }
    pub(super) fn u64_at(b: &[u8], off: usize) -> u64 {
        let mut a = [0; 8];
        a.copy_from_slice(&b[off..off + 8]);
        u64::from_le_bytes(a)
    }
    pub(super) fn put(b: &mut [u8], off: usize, v: &[u8]) {
        b[off..off + v.len()].copy_from_slice(v);
    }
}

/// A region of guest memory (`iovec` for reads, `ciovec` for writes: same layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Iovec {
    /// Guest address of the buffer.
    pub buf: u32,
    /// Length of the buffer in bytes.
    pub buf_len: u32,
}

impl Iovec {
    /// Offset of `buf`.
    pub const OFF_BUF: usize = 0;
    /// Offset of `buf_len`.
    pub const OFF_BUF_LEN: usize = after(Self::OFF_BUF, 4, 4);
}

impl AbiStruct for Iovec {
    const SIZE: u32 = after(Self::OFF_BUF_LEN, 4, Self::ALIGN as usize) as u32;
    const ALIGN: u32 = 4;
    fn encode(&self, out: &mut [u8]) {
        le::put(out, Self::OFF_BUF, &self.buf.to_le_bytes());
        le::put(out, Self::OFF_BUF_LEN, &self.buf_len.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Self {
            buf: le::u32_at(b, Self::OFF_BUF),
            buf_len: le::u32_at(b, Self::OFF_BUF_LEN),
        })
    }
}

/// Descriptor attributes (`fdstat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fdstat {
    /// A [`filetype`](super::filetype) value.
    pub filetype: u8,
    /// [`fdflags`](super::fdflags) bits.
    pub flags: u16,
    /// [`rights`](super::rights) of this descriptor.
    pub rights_base: u64,
    /// [`rights`](super::rights) descriptors opened through this one may get.
    pub rights_inheriting: u64,
}

impl Fdstat {
    /// Offset of `fs_filetype`.
    pub const OFF_FILETYPE: usize = 0;
    /// Offset of `fs_flags`.
    pub const OFF_FLAGS: usize = after(Self::OFF_FILETYPE, 1, 2);
    /// Offset of `fs_rights_base`.
    pub const OFF_RIGHTS_BASE: usize = after(Self::OFF_FLAGS, 2, 8);
    /// Offset of `fs_rights_inheriting`.
    pub const OFF_RIGHTS_INHERITING: usize = after(Self::OFF_RIGHTS_BASE, 8, 8);
}

impl AbiStruct for Fdstat {
    const SIZE: u32 = after(Self::OFF_RIGHTS_INHERITING, 8, Self::ALIGN as usize) as u32;
    const ALIGN: u32 = 8;
    fn encode(&self, out: &mut [u8]) {
        out.fill(0);
        out[Self::OFF_FILETYPE] = self.filetype;
        le::put(out, Self::OFF_FLAGS, &self.flags.to_le_bytes());
        le::put(out, Self::OFF_RIGHTS_BASE, &self.rights_base.to_le_bytes());
        le::put(
            out,
            Self::OFF_RIGHTS_INHERITING,
            &self.rights_inheriting.to_le_bytes(),
        );
    }
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Self {
            filetype: b[Self::OFF_FILETYPE],
            flags: le::u16_at(b, Self::OFF_FLAGS),
            rights_base: le::u64_at(b, Self::OFF_RIGHTS_BASE),
            rights_inheriting: le::u64_at(b, Self::OFF_RIGHTS_INHERITING),
        })
    }
}

/// File attributes (`filestat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Filestat {
    /// Device id.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// A [`filetype`](super::filetype) value.
    pub filetype: u8,
    /// Hard-link count.
    pub nlink: u64,
    /// Size in bytes (for a symlink, the target's length).
    pub size: u64,
    /// Last access, ns since the epoch.
    pub atim: u64,
    /// Last modification, ns since the epoch.
    pub mtim: u64,
    /// Last status change, ns since the epoch.
    pub ctim: u64,
}

impl Filestat {
    /// Offset of `dev`.
    pub const OFF_DEV: usize = 0;
    /// Offset of `ino`.
    pub const OFF_INO: usize = after(Self::OFF_DEV, 8, 8);
    /// Offset of `filetype`.
    pub const OFF_FILETYPE: usize = after(Self::OFF_INO, 8, 1);
    /// Offset of `nlink`.
    pub const OFF_NLINK: usize = after(Self::OFF_FILETYPE, 1, 8);
    /// Offset of `size`.
    pub const OFF_SIZE: usize = after(Self::OFF_NLINK, 8, 8);
    /// Offset of `atim`.
    pub const OFF_ATIM: usize = after(Self::OFF_SIZE, 8, 8);
    /// Offset of `mtim`.
    pub const OFF_MTIM: usize = after(Self::OFF_ATIM, 8, 8);
    /// Offset of `ctim`.
    pub const OFF_CTIM: usize = after(Self::OFF_MTIM, 8, 8);
}

impl AbiStruct for Filestat {
    const SIZE: u32 = after(Self::OFF_CTIM, 8, Self::ALIGN as usize) as u32;
    const ALIGN: u32 = 8;
    fn encode(&self, out: &mut [u8]) {
        out.fill(0);
        le::put(out, Self::OFF_DEV, &self.dev.to_le_bytes());
        le::put(out, Self::OFF_INO, &self.ino.to_le_bytes());
        out[Self::OFF_FILETYPE] = self.filetype;
        le::put(out, Self::OFF_NLINK, &self.nlink.to_le_bytes());
        le::put(out, Self::OFF_SIZE, &self.size.to_le_bytes());
        le::put(out, Self::OFF_ATIM, &self.atim.to_le_bytes());
        le::put(out, Self::OFF_MTIM, &self.mtim.to_le_bytes());
        le::put(out, Self::OFF_CTIM, &self.ctim.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Self {
            dev: le::u64_at(b, Self::OFF_DEV),
            ino: le::u64_at(b, Self::OFF_INO),
            filetype: b[Self::OFF_FILETYPE],
            nlink: le::u64_at(b, Self::OFF_NLINK),
            size: le::u64_at(b, Self::OFF_SIZE),
            atim: le::u64_at(b, Self::OFF_ATIM),
            mtim: le::u64_at(b, Self::OFF_MTIM),
            ctim: le::u64_at(b, Self::OFF_CTIM),
        })
    }
}

/// A directory entry header (`dirent`); the name's bytes follow it unpadded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirent {
    /// Cookie of the next entry.
    pub d_next: u64,
    /// Inode number.
    pub d_ino: u64,
    /// Length of the name that follows.
    pub d_namlen: u32,
    /// A [`filetype`](super::filetype) value.
    pub d_type: u8,
}

impl Dirent {
    /// Offset of `d_next`.
    pub const OFF_NEXT: usize = 0;
    /// Offset of `d_ino`.
    pub const OFF_INO: usize = after(Self::OFF_NEXT, 8, 8);
    /// Offset of `d_namlen`.
    pub const OFF_NAMLEN: usize = after(Self::OFF_INO, 8, 4);
    /// Offset of `d_type`.
    pub const OFF_TYPE: usize = after(Self::OFF_NAMLEN, 4, 1);
}

impl AbiStruct for Dirent {
    const SIZE: u32 = after(Self::OFF_TYPE, 1, Self::ALIGN as usize) as u32;
    const ALIGN: u32 = 8;
    fn encode(&self, out: &mut [u8]) {
        out.fill(0);
        le::put(out, Self::OFF_NEXT, &self.d_next.to_le_bytes());
        le::put(out, Self::OFF_INO, &self.d_ino.to_le_bytes());
        le::put(out, Self::OFF_NAMLEN, &self.d_namlen.to_le_bytes());
        out[Self::OFF_TYPE] = self.d_type;
    }
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        Ok(Self {
            d_next: le::u64_at(b, Self::OFF_NEXT),
            d_ino: le::u64_at(b, Self::OFF_INO),
            d_namlen: le::u32_at(b, Self::OFF_NAMLEN),
            d_type: b[Self::OFF_TYPE],
        })
    }
}

/// A preopened capability (`prestat`); `dir` is its only variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prestat {
    /// A preopened directory whose guest name is `pr_name_len` bytes long.
    Dir {
        /// Length of the name `fd_prestat_dir_name` returns.
        pr_name_len: u32,
    },
}

impl Prestat {
    /// Offset of the [`preopentype`](super::preopentype) tag.
    pub const OFF_TAG: usize = 0;
    /// Offset of `prestat_dir::pr_name_len`.
    pub const OFF_NAME_LEN: usize = after(Self::OFF_TAG, 1, 4);
}

impl AbiStruct for Prestat {
    const SIZE: u32 = after(Self::OFF_NAME_LEN, 4, Self::ALIGN as usize) as u32;
    const ALIGN: u32 = 4;
    fn encode(&self, out: &mut [u8]) {
        out.fill(0);
        match self {
            Prestat::Dir { pr_name_len } => {
                out[Self::OFF_TAG] = preopentype::DIR;
                le::put(out, Self::OFF_NAME_LEN, &pr_name_len.to_le_bytes());
            }
        }
    }
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        match b[Self::OFF_TAG] {
            preopentype::DIR => Ok(Prestat::Dir {
                pr_name_len: le::u32_at(b, Self::OFF_NAME_LEN),
            }),
            _ => Err(Errno::Inval),
        }
    }
}

/// What a subscription waits for (`subscription_u`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionU {
    /// `eventtype::clock`: a clock reaching a time.
    Clock {
        /// A [`clockid`](super::clockid) value, unchecked.
        id: u32,
        /// Absolute or relative timeout in ns.
        timeout: u64,
        /// Allowed coalescing slack in ns.
        precision: u64,
        /// [`subclockflags`](super::subclockflags) bits, unchecked.
        flags: u16,
    },
    /// `eventtype::fd_read` on this descriptor.
    FdRead(u32),
    /// `eventtype::fd_write` on this descriptor.
    FdWrite(u32),
}

/// A subscription to an event (`subscription`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// Returned in the matching [`Event`].
    pub userdata: u64,
    /// What to wait for.
    pub u: SubscriptionU,
}

impl Subscription {
    /// Offset of `userdata`.
    pub const OFF_USERDATA: usize = 0;
    /// Offset of the [`eventtype`](super::eventtype) tag of `u`.
    pub const OFF_TAG: usize = after(Self::OFF_USERDATA, 8, 1);
    /// Offset of `u`'s payload (aligned to 8 for `subscription_clock`).
    pub const OFF_PAYLOAD: usize = after(Self::OFF_TAG, 1, 8);
    /// Offset of `subscription_clock::id`.
    pub const OFF_CLOCK_ID: usize = Self::OFF_PAYLOAD;
    /// Offset of `subscription_clock::timeout`.
    pub const OFF_CLOCK_TIMEOUT: usize = after(Self::OFF_CLOCK_ID, 4, 8);
    /// Offset of `subscription_clock::precision`.
    pub const OFF_CLOCK_PRECISION: usize = after(Self::OFF_CLOCK_TIMEOUT, 8, 8);
    /// Offset of `subscription_clock::flags`.
    pub const OFF_CLOCK_FLAGS: usize = after(Self::OFF_CLOCK_PRECISION, 8, 2);
    /// Offset of `subscription_fd_readwrite::file_descriptor`.
    pub const OFF_FD: usize = Self::OFF_PAYLOAD;
}

impl AbiStruct for Subscription {
    // The union is as large as its largest variant, the clock subscription.
    const SIZE: u32 = after(Self::OFF_CLOCK_FLAGS, 2, Self::ALIGN as usize) as u32;
    const ALIGN: u32 = 8;
    fn encode(&self, out: &mut [u8]) {
        out.fill(0);
        le::put(out, Self::OFF_USERDATA, &self.userdata.to_le_bytes());
        match self.u {
            SubscriptionU::Clock {
                id,
                timeout,
                precision,
                flags,
            } => {
                out[Self::OFF_TAG] = eventtype::CLOCK;
                le::put(out, Self::OFF_CLOCK_ID, &id.to_le_bytes());
                le::put(out, Self::OFF_CLOCK_TIMEOUT, &timeout.to_le_bytes());
                le::put(out, Self::OFF_CLOCK_PRECISION, &precision.to_le_bytes());
                le::put(out, Self::OFF_CLOCK_FLAGS, &flags.to_le_bytes());
            }
            SubscriptionU::FdRead(fd) => {
                out[Self::OFF_TAG] = eventtype::FD_READ;
                le::put(out, Self::OFF_FD, &fd.to_le_bytes());
            }
            SubscriptionU::FdWrite(fd) => {
                out[Self::OFF_TAG] = eventtype::FD_WRITE;
                le::put(out, Self::OFF_FD, &fd.to_le_bytes());
            }
        }
    }
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        let u = match b[Self::OFF_TAG] {
            eventtype::CLOCK => SubscriptionU::Clock {
                id: le::u32_at(b, Self::OFF_CLOCK_ID),
                timeout: le::u64_at(b, Self::OFF_CLOCK_TIMEOUT),
                precision: le::u64_at(b, Self::OFF_CLOCK_PRECISION),
                flags: le::u16_at(b, Self::OFF_CLOCK_FLAGS),
            },
            eventtype::FD_READ => SubscriptionU::FdRead(le::u32_at(b, Self::OFF_FD)),
            eventtype::FD_WRITE => SubscriptionU::FdWrite(le::u32_at(b, Self::OFF_FD)),
            _ => return Err(Errno::Inval),
        };
        Ok(Self {
            userdata: le::u64_at(b, Self::OFF_USERDATA),
            u,
        })
    }
}

/// An event that occurred (`event`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The subscription's `userdata`.
    pub userdata: u64,
    /// Error while processing the subscription, or success.
    pub error: Errno,
    /// An [`eventtype`](super::eventtype) value.
    pub kind: u8,
    /// `event_fd_readwrite::nbytes`: bytes available (fd events only).
    pub nbytes: u64,
    /// `event_fd_readwrite::flags`: [`eventrwflags`](super::eventrwflags) bits (fd events only).
    pub flags: u16,
}

impl Event {
    /// Offset of `userdata`.
    pub const OFF_USERDATA: usize = 0;
    /// Offset of `error`.
    pub const OFF_ERROR: usize = after(Self::OFF_USERDATA, 8, 2);
    /// Offset of `type`.
    pub const OFF_TYPE: usize = after(Self::OFF_ERROR, 2, 1);
    /// Offset of `fd_readwrite::nbytes` (the record is aligned to 8).
    pub const OFF_NBYTES: usize = after(Self::OFF_TYPE, 1, 8);
    /// Offset of `fd_readwrite::flags`.
    pub const OFF_FLAGS: usize = after(Self::OFF_NBYTES, 8, 2);
}

impl AbiStruct for Event {
    const SIZE: u32 = after(Self::OFF_FLAGS, 2, Self::ALIGN as usize) as u32;
    const ALIGN: u32 = 8;
    fn encode(&self, out: &mut [u8]) {
        out.fill(0);
        le::put(out, Self::OFF_USERDATA, &self.userdata.to_le_bytes());
        le::put(out, Self::OFF_ERROR, &self.error.raw().to_le_bytes());
        out[Self::OFF_TYPE] = self.kind;
        le::put(out, Self::OFF_NBYTES, &self.nbytes.to_le_bytes());
        le::put(out, Self::OFF_FLAGS, &self.flags.to_le_bytes());
    }
    fn decode(b: &[u8]) -> Result<Self, Errno> {
        let raw = le::u16_at(b, Self::OFF_ERROR);
        let error = ERRNO_ALL
            .get(usize::from(raw))
            .copied()
            .ok_or(Errno::Inval)?;
        Ok(Self {
            userdata: le::u64_at(b, Self::OFF_USERDATA),
            error,
            kind: b[Self::OFF_TYPE],
            nbytes: le::u64_at(b, Self::OFF_NBYTES),
            flags: le::u16_at(b, Self::OFF_FLAGS),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::{eventrwflags, fdflags, filetype, rights};

    /// Encodes `v`, checks the size, decodes it back.
    fn roundtrip<S: AbiStruct + PartialEq + std::fmt::Debug>(v: S) -> Vec<u8> {
        let mut buf = vec![0xaa; S::SIZE as usize];
        v.encode(&mut buf);
        assert_eq!(S::decode(&buf).unwrap(), v);
        buf
    }

    #[test]
    fn iovec_layout() {
        let b = roundtrip(Iovec {
            buf: 0x0102_0304,
            buf_len: 9,
        });
        assert_eq!(b, [4, 3, 2, 1, 9, 0, 0, 0]);
    }

    #[test]
    fn fdstat_layout() {
        let b = roundtrip(Fdstat {
            filetype: filetype::REGULAR_FILE,
            flags: fdflags::APPEND,
            rights_base: rights::FD_READ,
            rights_inheriting: rights::FD_WRITE,
        });
        assert_eq!(b[0], 4);
        assert_eq!(b[1], 0, "padding is zeroed");
        assert_eq!(b[2], 1);
        assert_eq!(b[8], 2);
        assert_eq!(b[16], 64);
    }

    #[test]
    fn filestat_layout() {
        // Where <wasi/api.h> puts each field, in declaration order.
        let offs = [0, 8, 16, 24, 32, 40, 48, 56];
        let b = roundtrip(Filestat {
            dev: 1,
            ino: 2,
            filetype: 3,
            nlink: 4,
            size: 5,
            atim: 6,
            mtim: 7,
            ctim: 8,
        });
        for (i, off) in offs.iter().enumerate() {
            assert_eq!(b[*off], i as u8 + 1);
        }
        assert_eq!(b.len(), 64);
    }

    #[test]
    fn dirent_layout() {
        let b = roundtrip(Dirent {
            d_next: 1,
            d_ino: 2,
            d_namlen: 3,
            d_type: 4,
        });
        assert_eq!((b[0], b[8], b[16], b[20]), (1, 2, 3, 4));
    }

    #[test]
    fn prestat_layout() {
        let b = roundtrip(Prestat::Dir { pr_name_len: 5 });
        assert_eq!(b, [0, 0, 0, 0, 5, 0, 0, 0]);
        assert_eq!(
            Prestat::decode(&[1, 0, 0, 0, 0, 0, 0, 0]),
            Err(Errno::Inval)
        );
    }

    #[test]
    fn subscription_layout() {
        let b = roundtrip(Subscription {
            userdata: 0x11,
            u: SubscriptionU::Clock {
                id: 1,
                timeout: 2,
                precision: 3,
                flags: 1,
            },
        });
        assert_eq!(
            (b[0], b[8], b[16], b[24], b[32], b[40]),
            (0x11, 0, 1, 2, 3, 1)
        );
        let b = roundtrip(Subscription {
            userdata: 7,
            u: SubscriptionU::FdWrite(9),
        });
        assert_eq!((b[8], b[16]), (2, 9));
        roundtrip(Subscription {
            userdata: 7,
            u: SubscriptionU::FdRead(0),
        });
        let mut bad = b.clone();
        bad[8] = 3;
        assert_eq!(Subscription::decode(&bad), Err(Errno::Inval));
    }

    #[test]
    fn event_layout() {
        let b = roundtrip(Event {
            userdata: 1,
            error: Errno::Badf,
            kind: eventtype::FD_READ,
            nbytes: 3,
            flags: eventrwflags::FD_READWRITE_HANGUP,
        });
        assert_eq!((b[0], b[8], b[10], b[16], b[24]), (1, 8, 1, 3, 1));
    }
}
