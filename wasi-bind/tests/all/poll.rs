//! poll_oneoff with clock and stdio subscriptions.

use std::time::Instant;

use strata_wasi::{ClockPolicy, StrataCtx};

use crate::guest::module;
use crate::{Guest, errno};

/// `$sub(at, userdata, tag, clock_id_or_fd, timeout, flags)` fills one 48-byte
/// subscription; the exports use arrays at 0x100 (subs) and 0x400 (events).
const BODY: &str = r#"
  (func $sub (param $at i32) (param $ud i64) (param $tag i32) (param $id i32) (param $timeout i64) (param $flags i32)
    (i64.store (local.get $at) (local.get $ud))
    (i32.store8 (i32.add (local.get $at) (i32.const 8)) (local.get $tag))
    (i32.store (i32.add (local.get $at) (i32.const 16)) (local.get $id))
    (i64.store (i32.add (local.get $at) (i32.const 24)) (local.get $timeout))
    (i64.store (i32.add (local.get $at) (i32.const 32)) (i64.const 0))
    (i32.store16 (i32.add (local.get $at) (i32.const 40)) (local.get $flags)))
  (func $poll (param $n i32) (result i32)
    (call $poll_oneoff (i32.const 0x100) (i32.const 0x400) (local.get $n) (i32.const 0x30)))
  (func (export "nevents") (result i32) (i32.load (i32.const 0x30)))
  (func (export "now") (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 0x38)))
    (i64.load (i32.const 0x38)))
  ;; sleep 5 s (relative, monotonic)
  (func (export "sleep") (result i32)
    (call $sub (i32.const 0x100) (i64.const 42) (i32.const 0) (i32.const 1) (i64.const 5000000000) (i32.const 0))
    (call $poll (i32.const 1)))
  ;; a 1 s clock beside fd_write on stdout: the fd is ready, the clock is not
  (func (export "mixed") (result i32)
    (call $sub (i32.const 0x100) (i64.const 1) (i32.const 0) (i32.const 1) (i64.const 1000000000) (i32.const 0))
    (call $sub (i32.const 0x130) (i64.const 2) (i32.const 2) (i32.const 1) (i64.const 0) (i32.const 0))
    (call $poll (i32.const 2)))
  (func (export "none") (result i32) (call $poll (i32.const 0)))
  (func (export "badfd") (result i32)
    (call $sub (i32.const 0x100) (i64.const 1) (i32.const 1) (i32.const 77) (i64.const 0) (i32.const 0))
    (call $poll (i32.const 1)))
  (func (export "badtag") (result i32)
    (call $sub (i32.const 0x100) (i64.const 1) (i32.const 9) (i32.const 0) (i64.const 0) (i32.const 0))
    (call $poll (i32.const 1)))
  (func (export "badflags") (result i32)
    (call $sub (i32.const 0x100) (i64.const 1) (i32.const 0) (i32.const 1) (i64.const 0) (i32.const 2))
    (call $poll (i32.const 1)))
  ;; a CPU-time clock is EINVAL, except alone and relative: wasmtime-wasi then
  ;; just sleeps, whatever the clock
  (func (export "cputime") (result i32)
    (call $sub (i32.const 0x100) (i64.const 1) (i32.const 0) (i32.const 2) (i64.const 0) (i32.const 1))
    (call $poll (i32.const 1)))
  (func (export "cputime_alone") (result i32)
    (call $sub (i32.const 0x100) (i64.const 1) (i32.const 0) (i32.const 2) (i64.const 0) (i32.const 0))
    (call $poll (i32.const 1)))
  ;; absolute realtime in the past: fires at once
  (func (export "past") (result i32)
    (call $sub (i32.const 0x100) (i64.const 3) (i32.const 0) (i32.const 0) (i64.const 1) (i32.const 1))
    (call $poll (i32.const 1)))
  (func (export "short") (result i32)
    (call $sub (i32.const 0x100) (i64.const 4) (i32.const 0) (i32.const 1) (i64.const 2000000) (i32.const 0))
    (call $poll (i32.const 1)))
"#;

fn guest(clock: ClockPolicy) -> Guest {
    Guest::new(&module(BODY), StrataCtx::builder().clock(clock).build())
}

fn now(g: &mut Guest) -> i64 {
    let f = g
        .instance
        .get_typed_func::<(), i64>(&mut g.store, "now")
        .unwrap();
    f.call(&mut g.store, ()).unwrap()
}

#[test]
fn virtual_sleep_jumps_without_sleeping() {
    let mut g = guest(ClockPolicy::virtual_default());
    let started = Instant::now();
    assert_eq!(g.call("sleep").unwrap(), errno::SUCCESS);
    assert!(
        started.elapsed().as_secs() < 2,
        "virtual time does not sleep"
    );
    assert_eq!(g.call("nevents").unwrap(), 1);
    let ev = g.memory(0x400, 32);
    assert_eq!(ev[0], 42, "userdata");
    assert_eq!((ev[8], ev[10]), (0, 0), "success, clock event");
    assert!(now(&mut g) >= 5_000_000_000);
}

#[test]
fn ready_fd_wins_over_a_pending_clock() {
    let mut g = guest(ClockPolicy::virtual_default());
    assert_eq!(g.call("mixed").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nevents").unwrap(), 1);
    let ev = g.memory(0x400, 32);
    assert_eq!(
        (ev[0], ev[10], ev[16]),
        (2, 2, 1),
        "userdata 2, fd_write, nbytes 1"
    );
    assert!(now(&mut g) < 1_000_000_000, "no waiting happened");
}

#[test]
fn bad_subscriptions() {
    let mut g = guest(ClockPolicy::virtual_default());
    assert_eq!(g.call("none").unwrap(), errno::INVAL);
    assert_eq!(g.call("badfd").unwrap(), errno::BADF);
    assert_eq!(g.call("badtag").unwrap(), errno::INVAL);
    assert_eq!(g.call("badflags").unwrap(), errno::INVAL);
    assert_eq!(g.call("cputime").unwrap(), errno::INVAL);
    assert_eq!(g.call("cputime_alone").unwrap(), errno::SUCCESS);
    assert_eq!(
        g.memory(0x410, 1),
        [1],
        "nbytes 1, as wasmtime-wasi's sleep reports"
    );
}

#[test]
fn host_clock_waits() {
    let mut g = guest(ClockPolicy::Host);
    assert_eq!(g.call("past").unwrap(), errno::SUCCESS);
    assert_eq!(g.call("nevents").unwrap(), 1);
    let started = Instant::now();
    assert_eq!(g.call("short").unwrap(), errno::SUCCESS);
    assert!(started.elapsed().as_nanos() >= 2_000_000);
    assert_eq!(g.memory(0x400, 1), [4]);
}
