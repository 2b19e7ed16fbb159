//! The `wasi_snapshot_preview1` ABI written once: every constant and struct layout.
//!
//! All facts come from the witx spec (`legacy/preview1/witx/typenames.witx` in
//! WebAssembly/WASI) and the C layout rules witx uses: each record field sits at the
//! next offset aligned to its own size, and a record's size is rounded up to its
//! largest alignment. The tests at the bottom pin every size and offset.

/// Error codes returned by functions (`errno`, `u16`), in witx order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u16)]
pub enum Errno {
    /// No error occurred.
    Success = 0,
    /// Argument list too long.
    TooBig = 1,
    /// Permission denied.
    Acces = 2,
    /// Address in use.
    Addrinuse = 3,
    /// Address not available.
    Addrnotavail = 4,
    /// Address family not supported.
    Afnosupport = 5,
    /// Resource unavailable, or operation would block.
    Again = 6,
    /// Connection already in progress.
    Already = 7,
    /// Bad file descriptor.
    Badf = 8,
    /// Bad message.
    Badmsg = 9,
    /// Device or resource busy.
    Busy = 10,
    /// Operation canceled.
    Canceled = 11,
    /// No child processes.
    Child = 12,
    /// Connection aborted.
    Connaborted = 13,
    /// Connection refused.
    Connrefused = 14,
    /// Connection reset.
    Connreset = 15,
    /// Resource deadlock would occur.
    Deadlk = 16,
    /// Destination address required.
    Destaddrreq = 17,
    /// Mathematics argument out of domain of function.
    Dom = 18,
    /// Reserved.
    Dquot = 19,
    /// File exists.
    Exist = 20,
    /// Bad address.
    Fault = 21,
    /// File too large.
    Fbig = 22,
    /// Host is unreachable.
    Hostunreach = 23,
    /// Identifier removed.
    Idrm = 24,
    /// Illegal byte sequence.
    Ilseq = 25,
    /// Operation in progress.
    Inprogress = 26,
    /// Interrupted function.
    Intr = 27,
    /// Invalid argument.
    Inval = 28,
    /// I/O error.
    Io = 29,
    /// Socket is connected.
    Isconn = 30,
    /// Is a directory.
    Isdir = 31,
    /// Too many levels of symbolic links.
    Loop = 32,
    /// File descriptor value too large.
    Mfile = 33,
    /// Too many links.
    Mlink = 34,
    /// Message too large.
    Msgsize = 35,
    /// Reserved.
    Multihop = 36,
    /// Filename too long.
    Nametoolong = 37,
    /// Network is down.
    Netdown = 38,
    /// Connection aborted by network.
    Netreset = 39,
    /// Network unreachable.
    Netunreach = 40,
    /// Too many files open in system.
    Nfile = 41,
    /// No buffer space available.
    Nobufs = 42,
    /// No such device.
    Nodev = 43,
    /// No such file or directory.
    Noent = 44,
    /// Executable file format error.
    Noexec = 45,
    /// No locks available.
    Nolck = 46,
    /// Reserved.
    Nolink = 47,
    /// Not enough space.
    Nomem = 48,
    /// No message of the desired type.
    Nomsg = 49,
    /// Protocol not available.
    Noprotoopt = 50,
    /// No space left on device.
    Nospc = 51,
    /// Function not supported.
    Nosys = 52,
    /// The socket is not connected.
    Notconn = 53,
    /// Not a directory or a symbolic link to a directory.
    Notdir = 54,
    /// Directory not empty.
    Notempty = 55,
    /// State not recoverable.
    Notrecoverable = 56,
    /// Not a socket.
    Notsock = 57,
    /// Not supported, or operation not supported on socket.
    Notsup = 58,
    /// Inappropriate I/O control operation.
    Notty = 59,
    /// No such device or address.
    Nxio = 60,
    /// Value too large to be stored in data type.
    Overflow = 61,
    /// Previous owner died.
    Ownerdead = 62,
    /// Operation not permitted.
    Perm = 63,
    /// Broken pipe.
    Pipe = 64,
    /// Protocol error.
    Proto = 65,
    /// Protocol not supported.
    Protonosupport = 66,
    /// Protocol wrong type for socket.
    Prototype = 67,
    /// Result too large.
    Range = 68,
    /// Read-only file system.
    Rofs = 69,
    /// Invalid seek.
    Spipe = 70,
    /// No such process.
    Srch = 71,
    /// Reserved.
    Stale = 72,
    /// Connection timed out.
    Timedout = 73,
    /// Text file busy.
    Txtbsy = 74,
    /// Cross-device link.
    Xdev = 75,
    /// Extension: capabilities insufficient.
    Notcapable = 76,
}

impl Errno {
    /// The number of errno values in preview1.
    pub const COUNT: usize = 77;

    /// The raw value the guest sees.
    pub const fn raw(self) -> u16 {
        self as u16
    }
}

/// Identifiers for clocks (`clockid`, `u32`).
pub mod clockid {
    /// Real time; zero is 1970-01-01T00:00:00Z.
    pub const REALTIME: u32 = 0;
    /// The store-wide monotonic clock; its epoch is undefined.
    pub const MONOTONIC: u32 = 1;
    /// CPU time of the current process.
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    /// CPU time of the current thread.
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// File descriptor rights (`rights`, `u64` flags), bit by bit in witx order.
pub mod rights {
    /// `fd_datasync`.
    pub const FD_DATASYNC: u64 = 1 << 0;
    /// `fd_read` and `sock_recv`.
    pub const FD_READ: u64 = 1 << 1;
    /// `fd_seek` (implies `fd_tell`).
    pub const FD_SEEK: u64 = 1 << 2;
    /// `fd_fdstat_set_flags`.
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    /// `fd_sync`.
    pub const FD_SYNC: u64 = 1 << 4;
    /// `fd_tell`, or `fd_seek` that leaves the offset unchanged.
    pub const FD_TELL: u64 = 1 << 5;
    /// `fd_write` and `sock_send`.
    pub const FD_WRITE: u64 = 1 << 6;
    /// `fd_advise`.
    pub const FD_ADVISE: u64 = 1 << 7;
    /// `fd_allocate`.
    pub const FD_ALLOCATE: u64 = 1 << 8;
    /// `path_create_directory`.
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    /// `path_open` with `oflags::creat`.
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    /// `path_link` with this fd as the source directory.
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    /// `path_link` with this fd as the target directory.
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    /// `path_open`.
    pub const PATH_OPEN: u64 = 1 << 13;
    /// `fd_readdir`.
    pub const FD_READDIR: u64 = 1 << 14;
    /// `path_readlink`.
    pub const PATH_READLINK: u64 = 1 << 15;
    /// `path_rename` with this fd as the source directory.
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    /// `path_rename` with this fd as the target directory.
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    /// `path_filestat_get`.
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    /// Changing a file's size (`path_open` with `oflags::trunc`).
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    /// `path_filestat_set_times`.
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    /// `fd_filestat_get`.
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    /// `fd_filestat_set_size`.
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    /// `fd_filestat_set_times`.
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    /// `path_symlink`.
    pub const PATH_SYMLINK: u64 = 1 << 24;
    /// `path_remove_directory`.
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    /// `path_unlink_file`.
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    /// `poll_oneoff` on `fd_read`/`fd_write` events.
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    /// `sock_shutdown`.
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    /// `sock_accept`.
    pub const SOCK_ACCEPT: u64 = 1 << 29;
    /// Every defined right.
    pub const ALL: u64 = (1 << 30) - 1;
}

/// The position relative to which to set an offset (`whence`, `u8`).
pub mod whence {
    /// From the start of the file.
    pub const SET: u8 = 0;
    /// From the current position.
    pub const CUR: u8 = 1;
    /// From the end of the file.
    pub const END: u8 = 2;
}

/// The type of a file descriptor or file (`filetype`, `u8`).
pub mod filetype {
    /// Unknown, or none of the others.
    pub const UNKNOWN: u8 = 0;
    /// A block device.
    pub const BLOCK_DEVICE: u8 = 1;
    /// A character device.
    pub const CHARACTER_DEVICE: u8 = 2;
    /// A directory.
    pub const DIRECTORY: u8 = 3;
    /// A regular file.
    pub const REGULAR_FILE: u8 = 4;
    /// A datagram socket.
    pub const SOCKET_DGRAM: u8 = 5;
    /// A byte-stream socket.
    pub const SOCKET_STREAM: u8 = 6;
    /// A symbolic link.
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// Access-pattern advice (`advice`, `u8`).
pub mod advice {
    /// No advice.
    pub const NORMAL: u8 = 0;
    /// Sequential access.
    pub const SEQUENTIAL: u8 = 1;
    /// Random access.
    pub const RANDOM: u8 = 2;
    /// Needed soon.
    pub const WILLNEED: u8 = 3;
    /// Not needed soon.
    pub const DONTNEED: u8 = 4;
    /// Accessed once.
    pub const NOREUSE: u8 = 5;
}

/// File descriptor flags (`fdflags`, `u16`).
pub mod fdflags {
    /// Writes always append.
    pub const APPEND: u16 = 1 << 0;
    /// Synchronized I/O data integrity.
    pub const DSYNC: u16 = 1 << 1;
    /// Non-blocking mode.
    pub const NONBLOCK: u16 = 1 << 2;
    /// Synchronized read I/O.
    pub const RSYNC: u16 = 1 << 3;
    /// Synchronized I/O file integrity.
    pub const SYNC: u16 = 1 << 4;
    /// Every defined flag.
    pub const ALL: u16 = (1 << 5) - 1;
}

/// Which timestamps to set (`fstflags`, `u16`).
pub mod fstflags {
    /// Set the access time to the given value.
    pub const ATIM: u16 = 1 << 0;
    /// Set the access time to now.
    pub const ATIM_NOW: u16 = 1 << 1;
    /// Set the modification time to the given value.
    pub const MTIM: u16 = 1 << 2;
    /// Set the modification time to now.
    pub const MTIM_NOW: u16 = 1 << 3;
    /// Every defined flag.
    pub const ALL: u16 = (1 << 4) - 1;
}

/// How paths are resolved (`lookupflags`, `u32`).
pub mod lookupflags {
    /// Expand a symlink in the final component.
    pub const SYMLINK_FOLLOW: u32 = 1 << 0;
    /// Every defined flag.
    pub const ALL: u32 = 1;
}

/// Open flags for `path_open` (`oflags`, `u16`).
pub mod oflags {
    /// Create the file if it does not exist.
    pub const CREAT: u16 = 1 << 0;
    /// Fail if not a directory.
    pub const DIRECTORY: u16 = 1 << 1;
    /// Fail if the file exists.
    pub const EXCL: u16 = 1 << 2;
    /// Truncate to size 0.
    pub const TRUNC: u16 = 1 << 3;
    /// Every defined flag.
    pub const ALL: u16 = (1 << 4) - 1;
}

/// Event and subscription types (`eventtype`, `u8`).
pub mod eventtype {
    /// A clock reached its timeout.
    pub const CLOCK: u8 = 0;
    /// A descriptor has data to read.
    pub const FD_READ: u8 = 1;
    /// A descriptor can accept writes.
    pub const FD_WRITE: u8 = 2;
}

/// State of a polled descriptor (`eventrwflags`, `u16`).
pub mod eventrwflags {
    /// The peer hung up.
    pub const FD_READWRITE_HANGUP: u16 = 1 << 0;
}

/// How a clock subscription's timeout is read (`subclockflags`, `u16`).
pub mod subclockflags {
    /// The timeout is an absolute time of the subscription's clock.
    pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1 << 0;
    /// Every defined flag.
    pub const ALL: u16 = 1;
}

/// Flags given to `sock_recv` (`riflags`, `u16`).
pub mod riflags {
    /// Peek without consuming.
    pub const RECV_PEEK: u16 = 1 << 0;
    /// Wait for the full amount.
    pub const RECV_WAITALL: u16 = 1 << 1;
}

/// Flags returned by `sock_recv` (`roflags`, `u16`).
pub mod roflags {
    /// The message was truncated.
    pub const RECV_DATA_TRUNCATED: u16 = 1 << 0;
}

/// Which directions `sock_shutdown` closes (`sdflags`, `u8`).
pub mod sdflags {
    /// Disable receiving.
    pub const RD: u8 = 1 << 0;
    /// Disable sending.
    pub const WR: u8 = 1 << 1;
}

/// Kinds of preopened capability (`preopentype`, `u8`).
pub mod preopentype {
    /// A preopened directory.
    pub const DIR: u8 = 0;
}

/// Signal conditions (`signal`, `u8`), in witx order.
pub mod signal {
    /// No signal (reserved).
    pub const NONE: u8 = 0;
    /// Hangup.
    pub const HUP: u8 = 1;
    /// Terminal interrupt.
    pub const INT: u8 = 2;
    /// Terminal quit.
    pub const QUIT: u8 = 3;
    /// Illegal instruction.
    pub const ILL: u8 = 4;
    /// Trace/breakpoint trap.
    pub const TRAP: u8 = 5;
    /// Process abort.
    pub const ABRT: u8 = 6;
    /// Access to an undefined portion of a memory object.
    pub const BUS: u8 = 7;
    /// Erroneous arithmetic operation.
    pub const FPE: u8 = 8;
    /// Kill.
    pub const KILL: u8 = 9;
    /// User-defined signal 1.
    pub const USR1: u8 = 10;
    /// Invalid memory reference.
    pub const SEGV: u8 = 11;
    /// User-defined signal 2.
    pub const USR2: u8 = 12;
    /// Write on a pipe with no reader.
    pub const PIPE: u8 = 13;
    /// Alarm clock.
    pub const ALRM: u8 = 14;
    /// Termination.
    pub const TERM: u8 = 15;
    /// Child terminated, stopped or continued.
    pub const CHLD: u8 = 16;
    /// Continue if stopped.
    pub const CONT: u8 = 17;
    /// Stop executing.
    pub const STOP: u8 = 18;
    /// Terminal stop.
    pub const TSTP: u8 = 19;
    /// Background read attempt.
    pub const TTIN: u8 = 20;
    /// Background write attempt.
    pub const TTOU: u8 = 21;
    /// High-bandwidth data on a socket.
    pub const URG: u8 = 22;
    /// CPU time limit exceeded.
    pub const XCPU: u8 = 23;
    /// File size limit exceeded.
    pub const XFSZ: u8 = 24;
    /// Virtual timer expired.
    pub const VTALRM: u8 = 25;
    /// Profiling timer expired.
    pub const PROF: u8 = 26;
    /// Window changed.
    pub const WINCH: u8 = 27;
    /// I/O possible.
    pub const POLL: u8 = 28;
    /// Power failure.
    pub const PWR: u8 = 29;
    /// Bad system call.
    pub const SYS: u8 = 30;
}

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
    pub const OFF_BUF_LEN: usize = 4;
}

impl AbiStruct for Iovec {
    const SIZE: u32 = 8;
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
    /// A [`filetype`] value.
    pub filetype: u8,
    /// [`fdflags`] bits.
    pub flags: u16,
    /// [`rights`] of this descriptor.
    pub rights_base: u64,
    /// [`rights`] descriptors opened through this one may get.
    pub rights_inheriting: u64,
}

impl Fdstat {
    /// Offset of `fs_filetype`.
    pub const OFF_FILETYPE: usize = 0;
    /// Offset of `fs_flags`.
    pub const OFF_FLAGS: usize = 2;
    /// Offset of `fs_rights_base`.
    pub const OFF_RIGHTS_BASE: usize = 8;
    /// Offset of `fs_rights_inheriting`.
    pub const OFF_RIGHTS_INHERITING: usize = 16;
}

impl AbiStruct for Fdstat {
    const SIZE: u32 = 24;
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
    /// A [`filetype`] value.
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
    pub const OFF_INO: usize = 8;
    /// Offset of `filetype`.
    pub const OFF_FILETYPE: usize = 16;
    /// Offset of `nlink`.
    pub const OFF_NLINK: usize = 24;
    /// Offset of `size`.
    pub const OFF_SIZE: usize = 32;
    /// Offset of `atim`.
    pub const OFF_ATIM: usize = 40;
    /// Offset of `mtim`.
    pub const OFF_MTIM: usize = 48;
    /// Offset of `ctim`.
    pub const OFF_CTIM: usize = 56;
}

impl AbiStruct for Filestat {
    const SIZE: u32 = 64;
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
    /// A [`filetype`] value.
    pub d_type: u8,
}

impl Dirent {
    /// Offset of `d_next`.
    pub const OFF_NEXT: usize = 0;
    /// Offset of `d_ino`.
    pub const OFF_INO: usize = 8;
    /// Offset of `d_namlen`.
    pub const OFF_NAMLEN: usize = 16;
    /// Offset of `d_type`.
    pub const OFF_TYPE: usize = 20;
}

impl AbiStruct for Dirent {
    const SIZE: u32 = 24;
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
    /// Offset of the [`preopentype`] tag.
    pub const OFF_TAG: usize = 0;
    /// Offset of `prestat_dir::pr_name_len`.
    pub const OFF_NAME_LEN: usize = 4;
}

impl AbiStruct for Prestat {
    const SIZE: u32 = 8;
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
        /// A [`clockid`] value, unchecked.
        id: u32,
        /// Absolute or relative timeout in ns.
        timeout: u64,
        /// Allowed coalescing slack in ns.
        precision: u64,
        /// [`subclockflags`] bits, unchecked.
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
    /// Offset of the [`eventtype`] tag of `u`.
    pub const OFF_TAG: usize = 8;
    /// Offset of `u`'s payload (aligned to 8 for `subscription_clock`).
    pub const OFF_PAYLOAD: usize = 16;
    /// Offset of `subscription_clock::id`.
    pub const OFF_CLOCK_ID: usize = 16;
    /// Offset of `subscription_clock::timeout`.
    pub const OFF_CLOCK_TIMEOUT: usize = 24;
    /// Offset of `subscription_clock::precision`.
    pub const OFF_CLOCK_PRECISION: usize = 32;
    /// Offset of `subscription_clock::flags`.
    pub const OFF_CLOCK_FLAGS: usize = 40;
    /// Offset of `subscription_fd_readwrite::file_descriptor`.
    pub const OFF_FD: usize = 16;
}

impl AbiStruct for Subscription {
    const SIZE: u32 = 48;
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
    /// An [`eventtype`] value.
    pub kind: u8,
    /// `event_fd_readwrite::nbytes`: bytes available (fd events only).
    pub nbytes: u64,
    /// `event_fd_readwrite::flags`: [`eventrwflags`] bits (fd events only).
    pub flags: u16,
}

impl Event {
    /// Offset of `userdata`.
    pub const OFF_USERDATA: usize = 0;
    /// Offset of `error`.
    pub const OFF_ERROR: usize = 8;
    /// Offset of `type`.
    pub const OFF_TYPE: usize = 10;
    /// Offset of `fd_readwrite::nbytes`.
    pub const OFF_NBYTES: usize = 16;
    /// Offset of `fd_readwrite::flags`.
    pub const OFF_FLAGS: usize = 24;
}

impl AbiStruct for Event {
    const SIZE: u32 = 32;
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

/// Every errno, indexed by its raw value.
pub const ERRNO_ALL: [Errno; Errno::COUNT] = {
    use Errno::*;
    [
        Success,
        TooBig,
        Acces,
        Addrinuse,
        Addrnotavail,
        Afnosupport,
        Again,
        Already,
        Badf,
        Badmsg,
        Busy,
        Canceled,
        Child,
        Connaborted,
        Connrefused,
        Connreset,
        Deadlk,
        Destaddrreq,
        Dom,
        Dquot,
        Exist,
        Fault,
        Fbig,
        Hostunreach,
        Idrm,
        Ilseq,
        Inprogress,
        Intr,
        Inval,
        Io,
        Isconn,
        Isdir,
        Loop,
        Mfile,
        Mlink,
        Msgsize,
        Multihop,
        Nametoolong,
        Netdown,
        Netreset,
        Netunreach,
        Nfile,
        Nobufs,
        Nodev,
        Noent,
        Noexec,
        Nolck,
        Nolink,
        Nomem,
        Nomsg,
        Noprotoopt,
        Nospc,
        Nosys,
        Notconn,
        Notdir,
        Notempty,
        Notrecoverable,
        Notsock,
        Notsup,
        Notty,
        Nxio,
        Overflow,
        Ownerdead,
        Perm,
        Pipe,
        Proto,
        Protonosupport,
        Prototype,
        Range,
        Rofs,
        Spipe,
        Srch,
        Stale,
        Timedout,
        Txtbsy,
        Xdev,
        Notcapable,
    ]
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_values_are_dense_in_witx_order() {
        for (i, e) in ERRNO_ALL.iter().enumerate() {
            assert_eq!(usize::from(e.raw()), i, "{e:?}");
        }
        // Spot checks against the values wasi-libc's <wasi/api.h> publishes.
        assert_eq!(Errno::Badf.raw(), 8);
        assert_eq!(Errno::Ilseq.raw(), 25);
        assert_eq!(Errno::Inval.raw(), 28);
        assert_eq!(Errno::Noent.raw(), 44);
        assert_eq!(Errno::Nomem.raw(), 48);
        assert_eq!(Errno::Notsock.raw(), 57);
        assert_eq!(Errno::Spipe.raw(), 70);
        assert_eq!(Errno::Notcapable.raw(), 76);
    }

    #[test]
    fn flag_sets_and_enums() {
        assert_eq!(rights::SOCK_ACCEPT, 1 << 29);
        assert_eq!(rights::ALL.count_ones(), 30);
        assert_eq!(fdflags::ALL, 0x1f);
        assert_eq!(oflags::ALL, 0xf);
        assert_eq!(fstflags::ALL, 0xf);
        assert_eq!(filetype::SYMBOLIC_LINK, 7);
        assert_eq!(advice::NOREUSE, 5);
        assert_eq!(signal::SYS, 30);
        assert_eq!(clockid::THREAD_CPUTIME_ID, 3);
        assert_eq!(whence::END, 2);
    }

    /// Encodes `v`, checks the size, decodes it back.
    fn roundtrip<S: AbiStruct + PartialEq + std::fmt::Debug>(v: S) -> Vec<u8> {
        let mut buf = vec![0xaa; S::SIZE as usize];
        v.encode(&mut buf);
        assert_eq!(S::decode(&buf).unwrap(), v);
        buf
    }

    #[test]
    fn iovec_layout() {
        assert_eq!((Iovec::SIZE, Iovec::ALIGN), (8, 4));
        let b = roundtrip(Iovec {
            buf: 0x0102_0304,
            buf_len: 9,
        });
        assert_eq!(b, [4, 3, 2, 1, 9, 0, 0, 0]);
    }

    #[test]
    fn fdstat_layout() {
        assert_eq!((Fdstat::SIZE, Fdstat::ALIGN), (24, 8));
        assert_eq!(
            (
                Fdstat::OFF_FLAGS,
                Fdstat::OFF_RIGHTS_BASE,
                Fdstat::OFF_RIGHTS_INHERITING
            ),
            (2, 8, 16)
        );
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
        assert_eq!((Filestat::SIZE, Filestat::ALIGN), (64, 8));
        let offs = [
            Filestat::OFF_DEV,
            Filestat::OFF_INO,
            Filestat::OFF_FILETYPE,
            Filestat::OFF_NLINK,
            Filestat::OFF_SIZE,
            Filestat::OFF_ATIM,
            Filestat::OFF_MTIM,
            Filestat::OFF_CTIM,
        ];
        assert_eq!(offs, [0, 8, 16, 24, 32, 40, 48, 56]);
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
    }

    #[test]
    fn dirent_layout() {
        assert_eq!((Dirent::SIZE, Dirent::ALIGN), (24, 8));
        assert_eq!(
            (
                Dirent::OFF_NEXT,
                Dirent::OFF_INO,
                Dirent::OFF_NAMLEN,
                Dirent::OFF_TYPE
            ),
            (0, 8, 16, 20)
        );
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
        assert_eq!((Prestat::SIZE, Prestat::ALIGN), (8, 4));
        let b = roundtrip(Prestat::Dir { pr_name_len: 5 });
        assert_eq!(b, [0, 0, 0, 0, 5, 0, 0, 0]);
        assert_eq!(
            Prestat::decode(&[1, 0, 0, 0, 0, 0, 0, 0]),
            Err(Errno::Inval)
        );
    }

    #[test]
    fn subscription_layout() {
        assert_eq!((Subscription::SIZE, Subscription::ALIGN), (48, 8));
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
        assert_eq!((Event::SIZE, Event::ALIGN), (32, 8));
        assert_eq!(
            (
                Event::OFF_ERROR,
                Event::OFF_TYPE,
                Event::OFF_NBYTES,
                Event::OFF_FLAGS
            ),
            (8, 10, 16, 24)
        );
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
