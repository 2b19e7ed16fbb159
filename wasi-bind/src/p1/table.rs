//! The one table of preview 1 functions: from it come the linker registration,
//! the argument decoding and [`SIGNATURES`], the list the tests and the fuzz
//! target build their imports from.
//!
//! Each line is `mode name(param: Kind, ...) => handler;`. The mode says what
//! the handler takes besides the decoded arguments: `mem` the context and the
//! caller's memory (a module without an exported memory traps), `ctx` the
//! context only, `bare` nothing, and `exit` marks `proc_exit`, which returns no
//! errno and always unwinds.

use wasmtime::{Caller, Linker};

use super::kinds::{
    Array, Buf, Fd, Fill, Flags, I64, Iovecs, Kind, Len, Out, PtrList, Signature, Str, StrList,
    U32, U64,
};
use super::{GetCtx, MODULE, args, clock, fd, path, poll, proc, random, sock, with_memory};
use crate::abi::{Event, Fdstat, Filestat, Prestat, Subscription};
use crate::fault::finish;

macro_rules! p1 {
    ($($mode:ident $name:ident($($arg:ident: $kind:ty),* $(,)?) => $handler:path;)*) => {
        /// Every `wasi_snapshot_preview1` function, with its parameters' kinds:
        /// the same 46 imports, with the same types, as wasmtime-wasi 48.
        pub const SIGNATURES: &[Signature] = &[$(
            Signature {
                name: stringify!($name),
                params: &[$((stringify!($arg), <$kind as Kind>::PARAM)),*],
                returns_errno: p1!(@errno $mode),
            },
        )*];

        /// Registers every function of the table on `linker`.
        pub(crate) fn register<T: 'static>(
            linker: &mut Linker<T>,
            get: impl GetCtx<T>,
        ) -> wasmtime::Result<()> {
            $(p1!(@wrap linker, get, $mode $name $handler; $($arg: $kind),*);)*
            Ok(())
        }
    };
    (@errno exit) => { false };
    (@errno $mode:ident) => { true };
    (@wrap $l:ident, $get:ident, mem $name:ident $h:path; $($arg:ident: $kind:ty),*) => {
        $l.func_wrap(
            MODULE,
            stringify!($name),
            move |mut c: Caller<'_, T>, $($arg: <$kind as Kind>::Wasm),*| {
                finish(with_memory(&mut c, $get, |ctx, mem| {
                    $h(ctx, mem, $(<$kind as Kind>::decode($arg)),*)
                }))
            },
        )?;
    };
    (@wrap $l:ident, $get:ident, ctx $name:ident $h:path; $($arg:ident: $kind:ty),*) => {
        $l.func_wrap(
            MODULE,
            stringify!($name),
            move |mut c: Caller<'_, T>, $($arg: <$kind as Kind>::Wasm),*| {
                finish($h($get(c.data_mut()), $(<$kind as Kind>::decode($arg)),*))
            },
        )?;
    };
    (@wrap $l:ident, $get:ident, bare $name:ident $h:path; $($arg:ident: $kind:ty),*) => {
        $l.func_wrap(
            MODULE,
            stringify!($name),
            move |_: Caller<'_, T>, $($arg: <$kind as Kind>::Wasm),*| {
                finish($h($(<$kind as Kind>::decode($arg)),*))
            },
        )?;
    };
    (@wrap $l:ident, $get:ident, exit $name:ident $h:path; $($arg:ident: $kind:ty),*) => {
        $l.func_wrap(
            MODULE,
            stringify!($name),
            move |_: Caller<'_, T>, $($arg: <$kind as Kind>::Wasm),*| -> wasmtime::Result<()> {
                Err($h($(<$kind as Kind>::decode($arg)),*))
            },
        )?;
    };
}

// In witx order (`wasi_snapshot_preview1.witx`).
p1! {
    mem args_get(argv: PtrList, argv_buf: StrList) => args::args_get;
    mem args_sizes_get(argc: Out<u32>, argv_buf_size: Out<u32>) => args::args_sizes_get;
    mem environ_get(environ: PtrList, environ_buf: StrList) => args::environ_get;
    mem environ_sizes_get(count: Out<u32>, buf_size: Out<u32>) => args::environ_sizes_get;
    mem clock_res_get(id: U32, resolution: Out<u64>) => clock::res_get;
    mem clock_time_get(id: U32, precision: U64, time: Out<u64>) => clock::time_get;
    ctx fd_advise(fd: Fd, offset: U64, len: U64, advice: U32) => fd::advise;
    ctx fd_allocate(fd: Fd, offset: U64, len: U64) => fd::allocate;
    ctx fd_close(fd: Fd) => fd::close;
    ctx fd_datasync(fd: Fd) => fd::sync;
    mem fd_fdstat_get(fd: Fd, stat: Out<Fdstat>) => fd::fdstat_get;
    ctx fd_fdstat_set_flags(fd: Fd, flags: Flags) => fd::fdstat_set_flags;
    ctx fd_fdstat_set_rights(fd: Fd, base: U64, inheriting: U64) => fd::fdstat_set_rights;
    mem fd_filestat_get(fd: Fd, stat: Out<Filestat>) => fd::filestat_get;
    ctx fd_filestat_set_size(fd: Fd, size: U64) => fd::filestat_set_size;
    ctx fd_filestat_set_times(fd: Fd, atim: U64, mtim: U64, flags: Flags) => fd::filestat_set_times;
    mem fd_pread(fd: Fd, iovs: Iovecs, iovs_len: Len, offset: U64, nread: Out<u32>) => fd::pread;
    mem fd_prestat_get(fd: Fd, prestat: Out<Prestat>) => fd::prestat_get;
    mem fd_prestat_dir_name(fd: Fd, path: Buf, path_len: Len) => fd::prestat_dir_name;
    mem fd_pwrite(fd: Fd, iovs: Iovecs, iovs_len: Len, offset: U64, nwritten: Out<u32>) => fd::pwrite;
    mem fd_read(fd: Fd, iovs: Iovecs, iovs_len: Len, nread: Out<u32>) => fd::read;
    mem fd_readdir(fd: Fd, buf: Buf, buf_len: Len, cookie: U64, bufused: Out<u32>) => fd::readdir;
    ctx fd_renumber(fd: Fd, to: Fd) => fd::renumber;
    mem fd_seek(fd: Fd, offset: I64, whence: U32, newoffset: Out<u64>) => fd::seek;
    ctx fd_sync(fd: Fd) => fd::sync;
    mem fd_tell(fd: Fd, offset: Out<u64>) => fd::tell;
    mem fd_write(fd: Fd, iovs: Iovecs, iovs_len: Len, nwritten: Out<u32>) => fd::write;
    mem path_create_directory(fd: Fd, path: Str, path_len: Len) => path::create_directory;
    mem path_filestat_get(
        fd: Fd, flags: Flags, path: Str, path_len: Len, stat: Out<Filestat>,
    ) => path::filestat_get;
    mem path_filestat_set_times(
        fd: Fd, flags: Flags, path: Str, path_len: Len, atim: U64, mtim: U64, fst_flags: Flags,
    ) => path::filestat_set_times;
    mem path_link(
        old_fd: Fd, old_flags: Flags, old_path: Str, old_path_len: Len,
        new_fd: Fd, new_path: Str, new_path_len: Len,
    ) => path::link;
    mem path_open(
        fd: Fd, dirflags: Flags, path: Str, path_len: Len, oflags: Flags,
        fs_rights_base: U64, fs_rights_inheriting: U64, fdflags: Flags, opened: Out<u32>,
    ) => path::open;
    mem path_readlink(
        fd: Fd, path: Str, path_len: Len, buf: Buf, buf_len: Len, bufused: Out<u32>,
    ) => path::readlink;
    mem path_remove_directory(fd: Fd, path: Str, path_len: Len) => path::remove_directory;
    mem path_rename(
        fd: Fd, old_path: Str, old_path_len: Len, new_fd: Fd, new_path: Str, new_path_len: Len,
    ) => path::rename;
    mem path_symlink(
        old_path: Str, old_path_len: Len, fd: Fd, new_path: Str, new_path_len: Len,
    ) => path::symlink;
    mem path_unlink_file(fd: Fd, path: Str, path_len: Len) => path::unlink_file;
    mem poll_oneoff(
        subs: Array<Subscription, 2>, events: Array<Event, 2>, nsubscriptions: Len,
        nevents: Out<u32>,
    ) => poll::poll_oneoff;
    exit proc_exit(rval: U32) => proc::exit;
    bare proc_raise(sig: U32) => proc::raise;
    bare sched_yield() => proc::sched_yield;
    mem random_get(buf: Fill, buf_len: Len) => random::get;
    ctx sock_accept(fd: Fd, flags: Flags, new_fd: Out<u32>) => sock::accept;
    ctx sock_recv(
        fd: Fd, ri_data: Iovecs, ri_data_len: Len, ri_flags: Flags,
        ro_datalen: Out<u32>, ro_flags: Out<u16>,
    ) => sock::recv;
    ctx sock_send(
        fd: Fd, si_data: Iovecs, si_data_len: Len, si_flags: U32, so_datalen: Out<u32>,
    ) => sock::send;
    ctx sock_shutdown(fd: Fd, how: Flags) => sock::shutdown;
}
