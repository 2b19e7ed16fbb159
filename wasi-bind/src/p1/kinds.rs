//! The argument kinds of preview 1 functions: each names its core wasm type, how
//! the raw value is decoded for the host, and what the signature list says of it.

use crate::abi::AbiStruct;

/// A core wasm value type of a preview 1 parameter or result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValType {
    /// `i32`
    I32,
    /// `i64`
    I64,
}

/// What one core wasm parameter of a preview 1 function carries.
///
/// The pointer kinds say which guest memory a call may touch, so a fuzzer can
/// tell a call whose pointers are all valid from one that passes a bad one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// A descriptor number (`i32`).
    Fd,
    /// A plain `i32` value: an enum, a clock id, an exit status, a signal.
    U32,
    /// An `i32` bit set, validated by the function (undefined bits are EINVAL).
    Flags,
    /// An `i64` value: a size, a timestamp, rights, a cookie.
    U64,
    /// A signed `i64` value (`filedelta`).
    I64,
    /// The `i32` length or count of the pointer just before it.
    Len,
    /// A pointer to a string the call reads whole; its length is the next parameter.
    Str,
    /// A pointer to a buffer the call fills whole; its length is the next parameter.
    Fill,
    /// A pointer to a buffer the call writes at most the next parameter's
    /// length of (a name, a link target, dirents).
    Buf,
    /// A pointer to an `iovec`/`ciovec` array; its count is the next parameter.
    Iovecs,
    /// A pointer to one value of `size` bytes aligned to `align`, which the call
    /// writes on success.
    Out {
        /// Size in bytes.
        size: u32,
        /// Required alignment.
        align: u32,
    },
    /// A pointer to an array of records of `size` bytes aligned to `align`,
    /// counted by parameter `count`.
    Array {
        /// Record size in bytes.
        size: u32,
        /// Required alignment.
        align: u32,
        /// Index of the parameter holding the count.
        count: usize,
    },
    /// A pointer to the `u32` pointer array `args_get`/`environ_get` fill, one
    /// entry per item (the count `*_sizes_get` reports).
    PtrList,
    /// A pointer to the NUL-terminated strings `args_get`/`environ_get` fill
    /// (the size `*_sizes_get` reports).
    StrList,
}

impl Param {
    /// The core wasm type of this parameter.
    pub const fn ty(self) -> ValType {
        match self {
            Param::U64 | Param::I64 => ValType::I64,
            _ => ValType::I32,
        }
    }
}

/// One preview 1 function: its import name, parameters and whether it returns
/// an errno (every function but `proc_exit`).
#[derive(Clone, Copy, Debug)]
pub struct Signature {
    /// The import name in [`MODULE`](super::MODULE).
    pub name: &'static str,
    /// Each parameter's witx name and kind, in order.
    pub params: &'static [(&'static str, Param)],
    /// Whether the function returns an `i32` errno.
    pub returns_errno: bool,
}

/// The size and alignment of a value an [`Out`] pointer names.
pub(crate) trait Pointee {
    /// Size in bytes.
    const SIZE: u32;
    /// Alignment in bytes.
    const ALIGN: u32;
}

impl<S: AbiStruct> Pointee for S {
    const SIZE: u32 = S::SIZE;
    const ALIGN: u32 = S::ALIGN;
}

impl Pointee for u16 {
    const SIZE: u32 = 2;
    const ALIGN: u32 = 2;
}

impl Pointee for u32 {
    const SIZE: u32 = 4;
    const ALIGN: u32 = 4;
}

impl Pointee for u64 {
    const SIZE: u32 = 8;
    const ALIGN: u32 = 8;
}

/// An argument kind: the wasm type the linker sees, the host value the
/// function gets, and the [`Param`] the signature list records.
pub(crate) trait Kind {
    /// The core wasm type (`i32` or `i64`).
    type Wasm;
    /// The decoded value.
    type Host;
    /// What the signature list says of the parameter.
    const PARAM: Param;
    /// Decodes the raw value; a reinterpretation, never a check (checks belong
    /// to the function, in wasmtime-wasi's order).
    fn decode(v: Self::Wasm) -> Self::Host;
}

/// Declares kinds whose wasm `i32` is read as the unsigned `u32` it encodes.
macro_rules! u32_kinds {
    ($($(#[$doc:meta])* $kind:ident => $param:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $kind;
        impl Kind for $kind {
            type Wasm = i32;
            type Host = u32;
            const PARAM: Param = $param;
            fn decode(v: i32) -> u32 {
                v as u32
            }
        }
    )*};
}

u32_kinds! {
    /// A descriptor number.
    Fd => Param::Fd;
    /// A plain value.
    U32 => Param::U32;
    /// A bit set.
    Flags => Param::Flags;
    /// A length or count.
    Len => Param::Len;
    /// A string read whole.
    Str => Param::Str;
    /// A buffer filled whole.
    Fill => Param::Fill;
    /// A buffer written in part.
    Buf => Param::Buf;
    /// An iovec array.
    Iovecs => Param::Iovecs;
    /// The pointer array of `args_get`/`environ_get`.
    PtrList => Param::PtrList;
    /// The string area of `args_get`/`environ_get`.
    StrList => Param::StrList;
}

/// A 64-bit value, read unsigned.
#[derive(Debug)]
pub(crate) struct U64;

impl Kind for U64 {
    type Wasm = i64;
    type Host = u64;
    const PARAM: Param = Param::U64;
    fn decode(v: i64) -> u64 {
        v as u64
    }
}

/// A signed 64-bit value.
#[derive(Debug)]
pub(crate) struct I64;

impl Kind for I64 {
    type Wasm = i64;
    type Host = i64;
    const PARAM: Param = Param::I64;
    fn decode(v: i64) -> i64 {
        v
    }
}

/// A pointer to one `P` the call writes.
#[derive(Debug)]
pub(crate) struct Out<P>(std::marker::PhantomData<P>);

impl<P: Pointee> Kind for Out<P> {
    type Wasm = i32;
    type Host = u32;
    const PARAM: Param = Param::Out {
        size: P::SIZE,
        align: P::ALIGN,
    };
    fn decode(v: i32) -> u32 {
        v as u32
    }
}

/// A pointer to an array of `P` counted by parameter `COUNT`.
#[derive(Debug)]
pub(crate) struct Array<P, const COUNT: usize>(std::marker::PhantomData<P>);

impl<P: Pointee, const COUNT: usize> Kind for Array<P, COUNT> {
    type Wasm = i32;
    type Host = u32;
    const PARAM: Param = Param::Array {
        size: P::SIZE,
        align: P::ALIGN,
        count: COUNT,
    };
    fn decode(v: i32) -> u32 {
        v as u32
    }
}
