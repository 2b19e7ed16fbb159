//! A hello-world guest touching args, environ, clocks, random, stdout and proc_exit.

use strata_wasi::{ClockPolicy, OutputCapture, StrataCtx};

use crate::Guest;
use crate::guest::module;

const HELLO: &str = r#"
  (data (i32.const 0x500) "hello, world\n")
  (func (export "_start")
    (call $out (i32.const 0x500) (i32.const 13))
    ;; args
    (if (call $args_sizes_get (i32.const 0x20) (i32.const 0x24)) (then unreachable))
    (if (call $args_get (i32.const 0x40) (i32.const 0x100)) (then unreachable))
    (call $out (i32.const 0x100) (i32.load (i32.const 0x24)))
    ;; environ
    (if (call $environ_sizes_get (i32.const 0x200) (i32.const 0x204)) (then unreachable))
    (if (call $environ_get (i32.const 0x240) (i32.const 0x300)) (then unreachable))
    (call $out (i32.const 0x300) (i32.load (i32.const 0x204)))
    ;; clocks: monotonic then realtime, 8 bytes each
    (if (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0x400)) (then unreachable))
    (if (call $clock_time_get (i32.const 0) (i64.const 0) (i32.const 0x408)) (then unreachable))
    (call $out (i32.const 0x400) (i32.const 16))
    ;; random
    (if (call $random_get (i32.const 0x480) (i32.const 16)) (then unreachable))
    (call $out (i32.const 0x480) (i32.const 16))
    (if (call $sched_yield) (then unreachable))
    (call $proc_exit (i32.const 7))
    unreachable)
"#;

struct Run {
    stdout: Vec<u8>,
    exit: i32,
    argv: Vec<u8>,
}

fn run_hello(seed: u64) -> Run {
    let out = OutputCapture::new(1 << 16);
    let ctx = StrataCtx::builder()
        .args(&["prog", "world"])
        .env("A", "1")
        .env("B", "two")
        .stdout_capture(&out)
        .deterministic(seed)
        .build();
    let mut g = Guest::new(&module(HELLO), ctx);
    let exit = g.run().expect("guest runs to proc_exit");
    Run {
        stdout: out.contents(),
        exit,
        argv: g.memory(0x40, 8),
    }
}

#[test]
fn hello_world_end_to_end() {
    let r = run_hello(1);
    assert_eq!(r.exit, 7);
    let mut want = b"hello, world\nprog\0world\0A=1\0B=two\0".to_vec();
    want.extend_from_slice(&1_000_000u64.to_le_bytes());
    want.extend_from_slice(&(ClockPolicy::DEFAULT_EPOCH_NS + 2_000_000).to_le_bytes());
    assert_eq!(&r.stdout[..want.len()], &want[..]);
    assert_eq!(r.stdout.len(), want.len() + 16);
    // argv[0] and argv[1] point into the buffer the guest gave.
    assert_eq!(r.argv, [0x00, 0x01, 0, 0, 0x05, 0x01, 0, 0]);
}

#[test]
fn deterministic_runs_are_identical() {
    let (a, b, c) = (run_hello(9), run_hello(9), run_hello(10));
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout, "another seed gives other random bytes");
}

#[test]
fn returning_from_start_is_exit_zero() {
    let mut g = Guest::new(
        &module(r#"(func (export "_start"))"#),
        StrataCtx::builder().build(),
    );
    assert_eq!(g.run().unwrap(), 0);
}

#[test]
fn exit_status_above_125_is_a_plain_trap() {
    let body = r#"(func (export "_start") (call $proc_exit (i32.const 126)))"#;
    let mut g = Guest::new(&module(body), StrataCtx::builder().build());
    let err = g.run().unwrap_err();
    assert!(err.downcast_ref::<strata_wasi::ProcExit>().is_none());
    assert!(
        format!("{err:?}").contains("invalid exit status"),
        "{err:?}"
    );
}
