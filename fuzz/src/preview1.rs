//! The preview1 function table the `wasi_calls` target drives: each function's
//! core-wasm signature and the guest memory regions its pointer arguments name,
//! so the target can tell a call whose pointers are all valid (it must not
//! trap) from one that passes a bad pointer (it may trap). Both come from
//! strata-wasi's [`SIGNATURES`], so they cannot drift from the linker.

use std::sync::LazyLock;

use strata_wasi::{Param, SIGNATURES, Signature, ValType};

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

/// Bytes of `args_get`'s strings for the target's arguments `["guest", "a1"]`.
pub const ARGS: [&str; 2] = ["guest", "a1"];
/// The target's environment.
pub const ENV: [(&str, &str); 1] = [("K", "V")];

/// The regions of `args_get`/`environ_get`: one `u32` pointer per item, and
/// the NUL-terminated items, for the target's own arguments and environment.
fn list(name: &str) -> (u64, u64) {
    let items: Vec<usize> = if name.starts_with("args") {
        ARGS.iter().map(|a| a.len()).collect()
    } else {
        ENV.iter().map(|(k, v)| k.len() + 1 + v.len()).collect()
    };
    let bytes = items.iter().map(|l| *l as u64 + 1).sum();
    (items.len() as u64, bytes)
}

/// A function's regions, from the kinds of its parameters.
fn regions(sig: &Signature) -> Vec<Region> {
    let (items, bytes) = list(sig.name);
    let mut out = Vec::new();
    for (i, (_, kind)) in sig.params.iter().enumerate() {
        out.push(match *kind {
            Param::Fd | Param::U32 | Param::Flags | Param::U64 | Param::I64 | Param::Len => {
                continue;
            }
            Param::Str | Param::Fill => Region::Bytes {
                ptr: i,
                len: i + 1,
                strict: true,
            },
            Param::Buf => Region::Bytes {
                ptr: i,
                len: i + 1,
                strict: false,
            },
            Param::Iovecs => Region::Iovecs {
                ptr: i,
                count: i + 1,
            },
            Param::Out { size, align } => Region::Fixed {
                ptr: i,
                size: u64::from(size),
                align: u64::from(align),
                strict: true,
            },
            Param::Array { size, align, count } => Region::Array {
                ptr: i,
                count,
                elem: u64::from(size),
                align: u64::from(align),
            },
            Param::PtrList => Region::Fixed {
                ptr: i,
                size: 4 * items,
                align: 4,
                strict: true,
            },
            Param::StrList => Region::Fixed {
                ptr: i,
                size: bytes,
                align: 1,
                strict: true,
            },
        });
    }
    out
}

/// Every preview1 function, from strata-wasi's one table ([`SIGNATURES`]).
pub static FUNCS: LazyLock<Vec<Func>> = LazyLock::new(|| {
    SIGNATURES
        .iter()
        .map(|sig| Func {
            name: sig.name,
            params: sig
                .params
                .iter()
                .map(|(_, p)| match p.ty() {
                    ValType::I32 => I32,
                    ValType::I64 => I64,
                })
                .collect::<Vec<_>>()
                .leak(),
            result: sig.returns_errno,
            regions: regions(sig).leak(),
        })
        .collect()
});

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
