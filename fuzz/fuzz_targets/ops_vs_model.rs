//! Structured sequences of engine operations (opens with every flag, reads and
//! writes through handles, unlink while open, renames of directories, hard and
//! symbolic links, `.` and `..`, snapshot, restore and fork) over a small name
//! alphabet, applied to the engine and to the naive POSIX reference model of
//! the engine's property test, compared after every step. The starting tree is
//! in the upper layer, in a host lower layer or in a frozen lower layer.
//!
//! The model and harness are the property test's own files, included by path
//! (one copy of the code; see `engine/tests/all/model/`).
#![no_main]

#[path = "../../engine/tests/all/model/harness.rs"]
mod harness;
#[path = "../../engine/tests/all/model/posix.rs"]
mod posix;

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use harness::{NAMES, Op, PATHS, Setup, TARGETS, run_ops};
use libfuzzer_sys::fuzz_target;
use strata_engine::SeekFrom;

/// A path: one name, one of the prepared paths, or up to three names joined.
#[derive(Debug, Arbitrary)]
enum P {
    Name(u8),
    Path(u8),
    Joined(u8, u8, u8, u8),
}

impl P {
    fn get(&self) -> String {
        let name = |i: &u8| NAMES[usize::from(*i) % NAMES.len()];
        match self {
            P::Name(i) => name(i).to_string(),
            P::Path(i) => PATHS[usize::from(*i) % PATHS.len()].to_string(),
            P::Joined(n, a, b, c) => {
                let count = usize::from(n % 3) + 1;
                let mut p = [a, b, c][..count]
                    .iter()
                    .map(|i| name(i))
                    .collect::<Vec<_>>()
                    .join("/");
                if n & 0x80 != 0 {
                    p.push('/');
                }
                p
            }
        }
    }
}

/// Offsets around chunk boundaries and the end of the lower file `a` (5000).
fn offset(o: u8) -> u64 {
    let k = u64::from(o % 16);
    match o / 16 % 5 {
        0 => k,
        1 => 4090 + k % 10,
        2 => 4995 + k % 10,
        3 => 8188 + k % 12,
        _ => 12_000,
    }
}

fn read_len(n: u16) -> usize {
    if n.is_multiple_of(4) {
        4000 + usize::from(n % 2000)
    } else {
        usize::from(n % 40)
    }
}

fn data(d: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = d.iter().take(11).copied().collect();
    if v.is_empty() {
        v.push(b'x');
    }
    v
}

#[derive(Debug, Arbitrary)]
enum FOp {
    Open(P, [bool; 8]),
    Close(u8),
    Read(u8, u16),
    Pread(u8, u8, u16),
    Write(u8, Vec<u8>),
    Pwrite(u8, u8, Vec<u8>),
    SetLen(u8, u8),
    SeekStart(u8, u8),
    SeekCurrent(u8, i8),
    SeekEnd(u8, i8),
    Fstat(u8),
    Freaddir(u8),
    Mkdir(P),
    Rmdir(P),
    Unlink(P),
    Rename(P, P),
    Link(P, P, bool),
    Symlink(u8, P),
    Stat(P, bool),
    Readlink(P),
    Readdir(P),
    ReadFile(P),
    Snapshot,
    Restore(u8),
    Fork(u8),
}

impl FOp {
    fn op(&self) -> Op {
        let h = |i: &u8| usize::from(*i);
        let delta = |d: &i8| i64::from(*d % 20);
        match self {
            FOp::Open(p, f) => Op::Open(p.get(), *f),
            FOp::Close(i) => Op::Close(h(i)),
            FOp::Read(i, n) => Op::Read(h(i), read_len(*n)),
            FOp::Pread(i, o, n) => Op::Pread(h(i), offset(*o), read_len(*n)),
            FOp::Write(i, d) => Op::Write(h(i), data(d)),
            FOp::Pwrite(i, o, d) => Op::Pwrite(h(i), offset(*o), data(d)),
            FOp::SetLen(i, o) => Op::SetLen(h(i), offset(*o)),
            FOp::SeekStart(i, o) => Op::Seek(h(i), SeekFrom::Start(offset(*o))),
            FOp::SeekCurrent(i, d) => Op::Seek(h(i), SeekFrom::Current(delta(d))),
            FOp::SeekEnd(i, d) => Op::Seek(h(i), SeekFrom::End(delta(d))),
            FOp::Fstat(i) => Op::Fstat(h(i)),
            FOp::Freaddir(i) => Op::Freaddir(h(i)),
            FOp::Mkdir(p) => Op::Mkdir(p.get()),
            FOp::Rmdir(p) => Op::Rmdir(p.get()),
            FOp::Unlink(p) => Op::Unlink(p.get()),
            FOp::Rename(a, b) => Op::Rename(a.get(), b.get()),
            FOp::Link(a, b, f) => Op::Link(a.get(), b.get(), *f),
            FOp::Symlink(t, p) => Op::Symlink(
                TARGETS[usize::from(*t) % TARGETS.len()].to_string(),
                p.get(),
            ),
            FOp::Stat(p, f) => Op::Stat(p.get(), *f),
            FOp::Readlink(p) => Op::Readlink(p.get()),
            FOp::Readdir(p) => Op::Readdir(p.get()),
            FOp::ReadFile(p) => Op::ReadFile(p.get()),
            FOp::Snapshot => Op::Snapshot,
            FOp::Restore(i) => Op::Restore(h(i)),
            FOp::Fork(i) => Op::Fork(h(i)),
        }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    setup: u8,
    ops: Vec<FOp>,
}

/// The three starting configurations, built once per process (the host and
/// frozen lower layers are read-only, so every run can share them).
fn setups() -> &'static [Setup; 3] {
    static SETUPS: OnceLock<[Setup; 3]> = OnceLock::new();
    SETUPS.get_or_init(|| [Setup::Upper, Setup::host(), Setup::frozen()])
}

fuzz_target!(|input: Input| {
    let setup = &setups()[usize::from(input.setup % 3)];
    let ops: Vec<Op> = input.ops.iter().take(80).map(FOp::op).collect();
    if let Err(e) = run_ops(setup, &ops) {
        panic!("engine and model differ: {e}\nops: {ops:#?}");
    }
});
