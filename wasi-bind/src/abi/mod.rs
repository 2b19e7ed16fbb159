//! The `wasi_snapshot_preview1` ABI written once: every constant and struct layout.
//!
//! All facts come from the witx spec (`legacy/preview1/witx/typenames.witx` in
//! WebAssembly/WASI) and the C layout rules witx uses: each record field sits at the
//! next offset aligned to its own size, and a record's size is rounded up to its
//! largest alignment. Constants live here; `layout` holds the records, each
//! offset derived from the field before it and checked at compile time.

mod layout;

pub use layout::{
    AbiStruct, Dirent, Event, Fdstat, Filestat, Iovec, Prestat, Subscription, SubscriptionU,
};

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
}
