//! Random operation sequences applied to the engine and to a naive reference model
//! of POSIX semantics must give the same observable results after every step.
//!
//! The model (`posix.rs`) and the harness (`harness.rs`) are shared with the
//! `ops_vs_model` fuzz target; this file generates the sequences with
//! proptest (whose shrinking reduces a failure to the operations it needs)
//! and holds one regression test per bug found.
//! `STRATA_PROPTEST_CASES` sets the total number of cases.

mod harness;
mod posix;

use std::sync::Arc;

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};
use strata_engine::{Config, Error, FdFlags, FrozenLower, Fs, OpenOptions, SeekFrom};

use harness::{NAMES, Op, PATHS, Setup, TARGETS, seed_engine};

// ---------------------------------------------------------------------------
// Generating operations.

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(NAMES).prop_map(String::from),
        2 => select(PATHS).prop_map(String::from),
        2 => (prop::collection::vec(select(NAMES), 1..=3), any::<bool>()).prop_map(|(cs, slash)| {
            let mut p = cs.join("/");
            if slash {
                p.push('/');
            }
            p
        }),
    ]
}

fn offset() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..16u64,
        4090..4100u64,
        4995..5005u64,
        8188..8200u64,
        Just(12_000u64)
    ]
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..12)
}

fn read_len() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 0..40usize, 1 => 4000..6000usize]
}

fn op() -> impl Strategy<Value = Op> {
    let h = any::<u8>().prop_map(usize::from);
    prop_oneof![
        6 => (path(), any::<[bool; 8]>()).prop_map(|(p, f)| Op::Open(p, f)),
        2 => h.clone().prop_map(Op::Close),
        2 => (h.clone(), read_len()).prop_map(|(h, n)| Op::Read(h, n)),
        2 => (h.clone(), offset(), read_len()).prop_map(|(h, o, n)| Op::Pread(h, o, n)),
        3 => (h.clone(), data()).prop_map(|(h, d)| Op::Write(h, d)),
        3 => (h.clone(), offset(), data()).prop_map(|(h, o, d)| Op::Pwrite(h, o, d)),
        2 => (h.clone(), offset()).prop_map(|(h, n)| Op::SetLen(h, n)),
        1 => (h.clone(), prop_oneof![
            offset().prop_map(SeekFrom::Start),
            (-20i64..20).prop_map(SeekFrom::Current),
            (-20i64..20).prop_map(SeekFrom::End),
        ]).prop_map(|(h, s)| Op::Seek(h, s)),
        1 => h.clone().prop_map(Op::Fstat),
        1 => h.prop_map(Op::Freaddir),
        3 => path().prop_map(Op::Mkdir),
        2 => path().prop_map(Op::Rmdir),
        3 => path().prop_map(Op::Unlink),
        5 => (path(), path()).prop_map(|(a, b)| Op::Rename(a, b)),
        2 => (path(), path(), any::<bool>()).prop_map(|(a, b, f)| Op::Link(a, b, f)),
        2 => (select(TARGETS).prop_map(String::from), path()).prop_map(|(t, p)| Op::Symlink(t, p)),
        2 => (path(), any::<bool>()).prop_map(|(p, f)| Op::Stat(p, f)),
        1 => path().prop_map(Op::Readlink),
        2 => path().prop_map(Op::Readdir),
        1 => path().prop_map(Op::ReadFile),
        1 => Just(Op::Snapshot),
        1 => any::<u8>().prop_map(|i| Op::Restore(usize::from(i))),
        1 => any::<u8>().prop_map(|i| Op::Fork(usize::from(i))),
    ]
}

// ---------------------------------------------------------------------------
// Running.

/// Total cases across the three configurations (`STRATA_PROPTEST_CASES`).
fn total_cases() -> u32 {
    std::env::var("STRATA_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12_000)
}

fn run_ops(setup: &Setup, ops: &[Op]) -> Result<(), TestCaseError> {
    harness::run_ops(setup, ops).map_err(TestCaseError::fail)
}

fn run(setup: Setup) {
    let config = RunnerConfig {
        cases: total_cases().div_ceil(3),
        failure_persistence: None,
        ..RunnerConfig::default()
    };
    let mut runner = TestRunner::new(config);
    // Sequences start at one operation so that proptest's shrinking can drop
    // every operation not needed to fail: its report is the short repro.
    let result = runner.run(&prop::collection::vec(op(), 1..60), |ops| {
        run_ops(&setup, &ops)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn model_upper_only() {
    run(Setup::Upper);
}

#[test]
fn model_host_lower() {
    run(Setup::host());
}

#[test]
fn model_frozen_lower() {
    run(Setup::frozen());
}

// ---------------------------------------------------------------------------
// Regressions: one test per engine bug the model found.

fn creating() -> OpenOptions {
    OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    }
}

/// Bug: `open` of an existing directory with `O_CREAT` (no `O_DIRECTORY`)
/// succeeded; POSIX open says EISDIR.
#[test]
fn open_existing_dir_with_creat_is_eisdir() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    fs.mkdir(&root, "d", 0o755).unwrap();
    let creat = OpenOptions {
        create: true,
        ..OpenOptions::default()
    };
    assert!(matches!(fs.open(&root, "d", &creat), Err(Error::IsDir)));
    let creat_dir = OpenOptions {
        directory: true,
        ..creat
    };
    assert!(fs.open(&root, "d", &creat_dir).is_ok());
}

/// Bug: `write` and `set_len` on a directory handle answered `IsDir`; POSIX
/// write and ftruncate say EBADF (a directory is never open for writing).
#[test]
fn write_and_truncate_on_dir_handle_are_badhandle() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    fs.mkdir(&root, "d", 0o755).unwrap();
    let d = fs.open(&root, "d", &OpenOptions::default()).unwrap();
    assert!(matches!(fs.write(&d, &[b"x"]), Err(Error::BadHandle)));
    assert!(matches!(fs.pwrite(&d, &[b"x"], 0), Err(Error::BadHandle)));
    assert!(matches!(fs.set_len(&d, 0), Err(Error::BadHandle)));
}

/// Bug: `write` on an `O_APPEND` handle whose file the restored state does not
/// have answered `NotFound` (from the size lookup) instead of `BadHandle`.
#[test]
fn append_write_on_handle_killed_by_restore_is_badhandle() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    let empty = fs.snapshot();
    let opts = OpenOptions {
        flags: FdFlags {
            append: true,
            ..FdFlags::default()
        },
        ..creating()
    };
    let h = fs.open(&root, "f", &opts).unwrap();
    fs.restore(&empty);
    assert!(matches!(fs.write(&h, &[b"x"]), Err(Error::BadHandle)));
}

/// Bug: reading inside a stored chunk past its stored bytes panicked (slice
/// index out of range) when a later write had grown the file beyond that chunk.
#[test]
fn read_past_short_stored_chunk_reads_zeros() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, "f", &creating()).unwrap();
    fs.write(&h, &[&[7]]).unwrap();
    fs.pwrite(&h, &[&[9]], 4995).unwrap();
    let mut buf = [1u8; 3];
    assert_eq!(fs.pread(&h, &mut buf, 2).unwrap(), 3);
    assert_eq!(buf, [0, 0, 0]);
}

/// Bug (open): a restore rewinds the inode allocator, so a handle whose object
/// the restored state lacks comes back to life when another object reuses its
/// number: here a file handle ends up on directory `x`.
#[test]
fn restored_handle_aliases_new_inode() {
    let mut fs = Fs::new(Config::default());
    let root = fs.open_root().unwrap();
    let s0 = fs.snapshot();
    fs.mkdir(&root, "x", 0o755).unwrap();
    let s1 = fs.snapshot();
    fs.restore(&s0);
    let h = fs.open(&root, "c", &creating()).unwrap();
    fs.restore(&s1);
    assert!(matches!(fs.stat(&h), Err(Error::BadHandle)));
}

/// Regression: a handle on a lower file unlinked while open keeps that file
/// (and its data) across a restore to a snapshot taken after the unlink: the
/// snapshot holds the open-but-unlinked file, as the live state did. A fork of
/// the snapshot, which has no handles, releases it.
#[test]
fn restored_handle_on_unlinked_lower_file() {
    let mut base = Fs::new(Config::default());
    seed_engine(&mut base);
    let lower = FrozenLower::new(base.snapshot());
    let mut fs = Fs::with_lower(Arc::new(lower), Config::default()).unwrap();
    let root = fs.open_root().unwrap();
    let h = fs.open(&root, "b", &OpenOptions::default()).unwrap();
    let mut before = [0u8; 8];
    let n = fs.pread(&h, &mut before, 0).unwrap();
    fs.unlink(&root, "b").unwrap();
    let after = fs.snapshot();
    fs.restore(&after);
    let mut buf = [0u8; 8];
    assert_eq!(fs.pread(&h, &mut buf, 0).unwrap(), n);
    assert_eq!(buf, before);
    assert_eq!(fs.stat(&h).unwrap().nlink, 0);
    let fork = Fs::from_snapshot(&after);
    assert!(fork.upper_inodes() < fs.upper_inodes());
}
