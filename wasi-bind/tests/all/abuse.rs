//! Hostile guests: bad pointers trap, bad values are errnos, huge sizes cannot exhaust the host.

use strata_wasi::StrataCtx;
use wasmtime::Trap;

use crate::guest::{module, trap_of};
use crate::{Guest, errno};

fn guest(body: &str) -> Guest {
    Guest::new(&module(body), StrataCtx::builder().build())
}

#[test]
fn out_of_bounds_iovec_array_traps() {
    let mut g = guest(
        r#"(func (export "t") (result i32)
             (call $fd_write (i32.const 1) (i32.const 0xfff8) (i32.const 2) (i32.const 0x18)))"#,
    );
    assert_eq!(trap_of(g.call("t")), Trap::MemoryOutOfBounds);
}

#[test]
fn out_of_bounds_buffer_in_iovec_traps() {
    let mut g = guest(
        r#"(func (export "t") (result i32)
             (i32.store (i32.const 0x20) (i32.const 0xfff0))
             (i32.store (i32.const 0x24) (i32.const 0x100))
             (call $fd_write (i32.const 1) (i32.const 0x20) (i32.const 1) (i32.const 0x18)))"#,
    );
    assert_eq!(trap_of(g.call("t")), Trap::MemoryOutOfBounds);
}

#[test]
fn pointer_arithmetic_cannot_wrap() {
    let mut g = guest(
        r#"(func (export "t") (result i32)
             (call $random_get (i32.const -16) (i32.const 32)))"#,
    );
    assert_eq!(trap_of(g.call("t")), Trap::MemoryOutOfBounds);
}

#[test]
fn misaligned_pointers_trap() {
    let mut g = guest(
        r#"(func (export "clock") (result i32)
             (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0x103)))
           (func (export "iovs") (result i32)
             (call $fd_write (i32.const 1) (i32.const 0x102) (i32.const 1) (i32.const 0x18)))
           (func (export "result") (result i32)
             (call $args_sizes_get (i32.const 0x101) (i32.const 0x104)))"#,
    );
    assert_eq!(trap_of(g.call("clock")), Trap::HeapMisaligned);
    assert_eq!(trap_of(g.call("iovs")), Trap::HeapMisaligned);
    assert_eq!(trap_of(g.call("result")), Trap::HeapMisaligned);
}

#[test]
fn huge_lengths_trap_or_fail_without_host_allocation() {
    // A count whose byte size exceeds the copy budget: ENOMEM before the array
    // is looked at, as wasmtime-wasi charges its fuel first.
    let mut g = guest(
        r#"(func (export "iovs") (result i32)
             (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x7fffffff) (i32.const 0x18)))
           (func (export "poll") (result i32)
             (call $poll_oneoff (i32.const 0) (i32.const 0) (i32.const -1) (i32.const 0x18)))"#,
    );
    assert_eq!(g.call("iovs").unwrap(), errno::NOMEM);
    // poll_oneoff charges both of its arrays first, so a count over the copy
    // budget is ENOMEM, as in wasmtime-wasi (the hostile_poll guest compares).
    assert_eq!(g.call("poll").unwrap(), errno::NOMEM);

    // In bounds but over the per-call copy budget: ENOMEM, and the guest goes
    // on. random_get copies nothing from the guest and is never charged.
    let body = r#"(func (export "random") (result i32)
                    (call $random_get (i32.const 0) (i32.const 0x8000)))
                  (func (export "write") (result i32)
                    (i32.store (i32.const 0x20) (i32.const 0x100))
                    (i32.store (i32.const 0x24) (i32.const 0x8000))
                    (call $fd_write (i32.const 1) (i32.const 0x20) (i32.const 1) (i32.const 0x18)))
                  (func (export "small") (result i32)
                    (call $random_get (i32.const 0) (i32.const 16)))"#;
    let ctx = StrataCtx::builder().copy_budget(4096).build();
    let mut g = Guest::new(&module(body), ctx);
    assert_eq!(g.call("random").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("write").unwrap(), errno::NOMEM);
    assert_eq!(
        g.call("small").unwrap(),
        errno::SUCCESS,
        "the budget is per call"
    );
}

#[test]
fn invalid_enum_and_flag_values_are_einval() {
    let mut g = guest(
        r#"(func (export "clock") (result i32)
             (call $clock_time_get (i32.const 4) (i64.const 0) (i32.const 0x100)))
           (func (export "clock_bad_ptr") (result i32)
             (call $clock_time_get (i32.const -1) (i64.const 0) (i32.const -1)))
           (func (export "res") (result i32)
             (call $clock_res_get (i32.const 99) (i32.const 0x100)))
           (func (export "seek") (result i32)
             (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 3) (i32.const 0x100)))
           (func (export "shutdown") (result i32)
             (call $sock_shutdown (i32.const 1) (i32.const 4)))
           (func (export "raise") (result i32)
             (call $proc_raise (i32.const 31)))"#,
    );
    for name in ["clock", "clock_bad_ptr", "res", "seek", "shutdown", "raise"] {
        assert_eq!(g.call(name).unwrap(), errno::INVAL, "{name}");
    }
}

#[test]
fn sockets_and_signals_answer_like_wasmtime_wasi() {
    let mut g = guest(
        r#"(func (export "accept") (result i32)
             (call $sock_accept (i32.const 1) (i32.const 0) (i32.const 0x100)))
           (func (export "recv") (result i32)
             (call $sock_recv (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
           (func (export "send") (result i32)
             (call $sock_send (i32.const 2) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
           (func (export "shutdown") (result i32)
             (call $sock_shutdown (i32.const 1) (i32.const 3)))
           (func (export "badf") (result i32)
             (call $sock_shutdown (i32.const 99) (i32.const 1)))
           (func (export "raise") (result i32)
             (call $proc_raise (i32.const 15)))"#,
    );
    for name in ["accept", "recv", "send", "shutdown"] {
        assert_eq!(g.call(name).unwrap(), errno::NOTSOCK, "{name}");
    }
    assert_eq!(g.call("badf").unwrap(), errno::BADF);
    assert_eq!(g.call("raise").unwrap(), errno::NOTSUP);
}

#[test]
fn missing_memory_export_traps() {
    let wat = r#"(module
        (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
        (func (export "t") (result i32) (call $r (i32.const 0) (i32.const 0))))"#;
    let mut g = Guest::new(wat, StrataCtx::builder().build());
    let err = g.call("t").unwrap_err();
    assert!(
        format!("{err:?}").contains("missing required memory export"),
        "{err:?}"
    );
}

#[test]
fn errno_ilseq_constant_matches_abi() {
    // Keeps the test table honest against the crate's ABI.
    assert_eq!(
        errno::ILSEQ,
        i32::from(strata_wasi::abi::Errno::Ilseq.raw())
    );
    assert_eq!(
        errno::SPIPE,
        i32::from(strata_wasi::abi::Errno::Spipe.raw())
    );
}

#[test]
fn cputime_clocks_are_ebadf_unless_enabled() {
    let body = r#"(func (export "process") (result i32)
                    (call $clock_time_get (i32.const 2) (i64.const 0) (i32.const 0x100)))
                  (func (export "thread_res") (result i32)
                    (call $clock_res_get (i32.const 3) (i32.const 0x100)))"#;
    let mut g = guest(body);
    assert_eq!(
        g.call("process").unwrap(),
        errno::BADF,
        "as wasmtime-wasi answers"
    );
    assert_eq!(g.call("thread_res").unwrap(), errno::BADF);
    let ctx = StrataCtx::builder().cputime_clocks(true).build();
    let mut g = Guest::new(&module(body), ctx);
    assert_eq!(g.call("process").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("thread_res").unwrap(), errno::SUCCESS);
}
