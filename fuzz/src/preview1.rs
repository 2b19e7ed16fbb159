//! The preview1 function table the `wasi_calls` target drives: each function's
//! core-wasm signature and the guest memory regions its pointer arguments name,
//! so the target can tell a call whose pointers are all valid (it must not
//! trap) from one that passes a bad pointer (it may trap).

/// A core wasm parameter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// `i32`
    I32,
    /// `i64`
    I64,
}

use Ty::{I32, I64};

/// A memory region named by a call's arguments. `strict` regions are certainly
/// accessed by a successful call (a result it writes or a path it reads), so a
/// success with such a region out of bounds is a bug.
#[derive(Debug, Clone, Copy)]
pub enum Region {
    /// `size` bytes at argument `ptr`, aligned to `align`.
    Fixed {
        /// Argument index of the pointer.
        ptr: usize,
        /// Byte size.
        size: u64,
        /// Required alignment.
        align: u64,
        /// Certainly accessed on success.
        strict: bool,
    },
    /// A byte string: pointer and length arguments.
    Bytes {
        /// Argument index of the pointer.
        ptr: usize,
        /// Argument index of the length.
        len: usize,
        /// Certainly accessed on success.
        strict: bool,
    },
    /// An array of `count` elements of `elem` bytes aligned to `align`.
    Array {
        /// Argument index of the pointer.
        ptr: usize,
        /// Argument index of the element count.
        count: usize,
        /// Element size.
        elem: u64,
        /// Required alignment.
        align: u64,
    },
    /// An iovec array (8-byte `{buf, len}` records, 4-aligned) and every buffer
    /// it names.
    Iovecs {
        /// Argument index of the array pointer.
        ptr: usize,
        /// Argument index of the count.
        count: usize,
    },
}

/// One preview1 function.
#[derive(Debug)]
pub struct Func {
    /// The import name.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [Ty],
    /// Whether it returns an errno (all but `proc_exit`).
    pub result: bool,
    /// The memory its pointer arguments name.
    pub regions: &'static [Region],
}

const fn out(ptr: usize, size: u64, align: u64) -> Region {
    Region::Fixed {
        ptr,
        size,
        align,
        strict: true,
    }
}

const fn path(ptr: usize, len: usize) -> Region {
    Region::Bytes {
        ptr,
        len,
        strict: true,
    }
}

const fn buf(ptr: usize, len: usize) -> Region {
    Region::Bytes {
        ptr,
        len,
        strict: false,
    }
}

const fn iovs(ptr: usize, count: usize) -> Region {
    Region::Iovecs { ptr, count }
}

const fn f(name: &'static str, params: &'static [Ty], regions: &'static [Region]) -> Func {
    Func {
        name,
        params,
        result: true,
        regions,
    }
}

/// Bytes of `args_get`'s strings for the target's arguments `["guest", "a1"]`.
pub const ARGS: [&str; 2] = ["guest", "a1"];
/// The target's environment.
pub const ENV: [(&str, &str); 1] = [("K", "V")];

/// Sizes of a filestat (64, 8-aligned), fdstat (24, 8-aligned), prestat (8, 4-aligned).
const FILESTAT: u64 = 64;
const FDSTAT: u64 = 24;
const PRESTAT: u64 = 8;

/// Every preview1 function (witx `wasi_snapshot_preview1`).
pub const FUNCS: &[Func] = &[
    f(
        "args_get",
        &[I32, I32],
        &[
            Region::Fixed {
                ptr: 0,
                size: 4 * ARGS.len() as u64,
                align: 4,
                strict: true,
            },
            Region::Fixed {
                ptr: 1,
                size: 9, // "guest\0a1\0"
                align: 1,
                strict: true,
            },
        ],
    ),
    f("args_sizes_get", &[I32, I32], &[out(0, 4, 4), out(1, 4, 4)]),
    f(
        "environ_get",
        &[I32, I32],
        &[
            Region::Fixed {
                ptr: 0,
                size: 4 * ENV.len() as u64,
                align: 4,
                strict: true,
            },
            Region::Fixed {
                ptr: 1,
                size: 4, // "K=V\0"
                align: 1,
                strict: true,
            },
        ],
    ),
    f(
        "environ_sizes_get",
        &[I32, I32],
        &[out(0, 4, 4), out(1, 4, 4)],
    ),
    f("clock_res_get", &[I32, I32], &[out(1, 8, 8)]),
    f("clock_time_get", &[I32, I64, I32], &[out(2, 8, 8)]),
    f("fd_advise", &[I32, I64, I64, I32], &[]),
    f("fd_allocate", &[I32, I64, I64], &[]),
    f("fd_close", &[I32], &[]),
    f("fd_datasync", &[I32], &[]),
    f("fd_fdstat_get", &[I32, I32], &[out(1, FDSTAT, 8)]),
    f("fd_fdstat_set_flags", &[I32, I32], &[]),
    f("fd_fdstat_set_rights", &[I32, I64, I64], &[]),
    f("fd_filestat_get", &[I32, I32], &[out(1, FILESTAT, 8)]),
    f("fd_filestat_set_size", &[I32, I64], &[]),
    f("fd_filestat_set_times", &[I32, I64, I64, I32], &[]),
    f(
        "fd_pread",
        &[I32, I32, I32, I64, I32],
        &[iovs(1, 2), out(4, 4, 4)],
    ),
    f("fd_prestat_get", &[I32, I32], &[out(1, PRESTAT, 4)]),
    f("fd_prestat_dir_name", &[I32, I32, I32], &[buf(1, 2)]),
    f(
        "fd_pwrite",
        &[I32, I32, I32, I64, I32],
        &[iovs(1, 2), out(4, 4, 4)],
    ),
    f(
        "fd_read",
        &[I32, I32, I32, I32],
        &[iovs(1, 2), out(3, 4, 4)],
    ),
    f(
        "fd_readdir",
        &[I32, I32, I32, I64, I32],
        &[buf(1, 2), out(4, 4, 4)],
    ),
    f("fd_renumber", &[I32, I32], &[]),
    f("fd_seek", &[I32, I64, I32, I32], &[out(3, 8, 8)]),
    f("fd_sync", &[I32], &[]),
    f("fd_tell", &[I32, I32], &[out(1, 8, 8)]),
    f(
        "fd_write",
        &[I32, I32, I32, I32],
        &[iovs(1, 2), out(3, 4, 4)],
    ),
    f("path_create_directory", &[I32, I32, I32], &[path(1, 2)]),
    f(
        "path_filestat_get",
        &[I32, I32, I32, I32, I32],
        &[path(2, 3), out(4, FILESTAT, 8)],
    ),
    f(
        "path_filestat_set_times",
        &[I32, I32, I32, I32, I64, I64, I32],
        &[path(2, 3)],
    ),
    f(
        "path_link",
        &[I32, I32, I32, I32, I32, I32, I32],
        &[path(2, 3), path(5, 6)],
    ),
    f(
        "path_open",
        &[I32, I32, I32, I32, I32, I64, I64, I32, I32],
        &[path(2, 3), out(8, 4, 4)],
    ),
    f(
        "path_readlink",
        &[I32, I32, I32, I32, I32, I32],
        &[path(1, 2), buf(3, 4), out(5, 4, 4)],
    ),
    f("path_remove_directory", &[I32, I32, I32], &[path(1, 2)]),
    f(
        "path_rename",
        &[I32, I32, I32, I32, I32, I32],
        &[path(1, 2), path(4, 5)],
    ),
    f(
        "path_symlink",
        &[I32, I32, I32, I32, I32],
        &[path(0, 1), path(3, 4)],
    ),
    f("path_unlink_file", &[I32, I32, I32], &[path(1, 2)]),
    f(
        "poll_oneoff",
        &[I32, I32, I32, I32],
        &[
            Region::Array {
                ptr: 0,
                count: 2,
                elem: 48,
                align: 8,
            },
            Region::Array {
                ptr: 1,
                count: 2,
                elem: 32,
                align: 8,
            },
            out(3, 4, 4),
        ],
    ),
    Func {
        name: "proc_exit",
        params: &[I32],
        result: false,
        regions: &[],
    },
    f("proc_raise", &[I32], &[]),
    f("random_get", &[I32, I32], &[path(0, 1)]),
    f("sched_yield", &[], &[]),
    f("sock_accept", &[I32, I32, I32], &[out(2, 4, 4)]),
    f(
        "sock_recv",
        &[I32, I32, I32, I32, I32, I32],
        &[iovs(1, 2), out(4, 4, 4), out(5, 2, 2)],
    ),
    f(
        "sock_send",
        &[I32, I32, I32, I32, I32],
        &[iovs(1, 2), out(4, 4, 4)],
    ),
    f("sock_shutdown", &[I32, I32], &[]),
];

/// The WAT of a module that imports every function of [`FUNCS`] and exports a
/// wrapper `f<i>` for each that forwards its arguments, plus a one-page memory.
pub fn forwarding_module() -> String {
    let mut imports = String::new();
    let mut exports = String::new();
    for (i, func) in FUNCS.iter().enumerate() {
        let params: Vec<&str> = func
            .params
            .iter()
            .map(|t| match t {
                Ty::I32 => "i32",
                Ty::I64 => "i64",
            })
            .collect();
        let sig = format!(
            "(param {}) {}",
            params.join(" "),
            if func.result { "(result i32)" } else { "" }
        );
        imports.push_str(&format!(
            "(import \"wasi_snapshot_preview1\" \"{}\" (func $f{i} {sig}))\n",
            func.name
        ));
        let gets: String = (0..params.len())
            .map(|k| format!("(local.get {k}) "))
            .collect();
        exports.push_str(&format!(
            "(func (export \"f{i}\") {sig} (call $f{i} {gets}))\n"
        ));
    }
    format!("(module\n{imports}(memory (export \"memory\") 1)\n{exports})")
}
